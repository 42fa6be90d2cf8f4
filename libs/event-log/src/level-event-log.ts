import { existsSync, promises as fs, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { LedgerError } from '@ledger/domain';
import { AbstractLevelEventLog, type EventLogOptions } from './abstract-level-event-log';
import { EventLogErrorCode } from './errors';
import { copyLevelDir, isLevelLocked } from './level-copy';
import type { LevelDatabase } from './level-types';

export interface LevelEventLogOptions extends EventLogOptions {
  /** Directory of the LevelDB store. */
  readonly location: string;
  /** Create an empty store when there is none. Default true. */
  readonly createIfMissing?: boolean;
  /**
   * Never write to `location`. LevelDB has no read-only open (opening replays
   * the `.log`, writes a new MANIFEST, rewrites CURRENT, rotates LOG), so a
   * private copy in a temp directory is opened instead and removed at close;
   * appends land in the copy only. A store whose LOCK a running process holds
   * is refused (`STORE_LOCKED`): a copy taken mid-write could miss its tail.
   */
  readonly readOnly?: boolean;
}

/**
 * The event log on disk, in a LevelDB directory (classic-level). LevelDB's LOCK
 * file admits one process; a second open fails with `STORE_LOCKED`.
 *
 * @example
 * const log = await LevelEventLog.open({ location: './data/ledger' });
 * const [stored] = await log.append([event]);
 * await log.close();
 */
export class LevelEventLog extends AbstractLevelEventLog {
  /** Opens (or creates) the store at `location`. */
  static async open(options: LevelEventLogOptions): Promise<LevelEventLog> {
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    const { location, createIfMissing = true } = options;
    if (typeof location !== 'string' || location === '') throw new TypeError('location must be a non-empty path');
    if (options.readOnly === true) return LevelEventLog.openCopy(options, location);
    checkLocation(location, createIfMissing);
    const db = new ClassicLevel<string, string>(location, { createIfMissing, errorIfExists: false });
    const { subs, state } = await AbstractLevelEventLog.prepare(db as LevelDatabase);
    return new LevelEventLog(db as LevelDatabase, subs, state, options, location);
  }

  private static async openCopy(options: LevelEventLogOptions, location: string): Promise<LevelEventLog> {
    checkLocation(location, false);
    if (await isLevelLocked(location))
      throw new LedgerError(EventLogErrorCode.STORE_LOCKED, 'store is in use by another process');
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'qmdl-ledger-read-only-'));
    try {
      const copy = path.join(tmp, 'ledger');
      await copyLevelDir(location, copy);
      const db = new ClassicLevel<string, string>(copy, { createIfMissing: false, errorIfExists: false });
      const { subs, state } = await AbstractLevelEventLog.prepare(db as LevelDatabase);
      return new LevelEventLog(db as LevelDatabase, subs, state, options, location, tmp);
    } catch (error) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  private constructor(
    db: LevelDatabase,
    subs: Awaited<ReturnType<typeof AbstractLevelEventLog.prepare>>['subs'],
    state: Awaited<ReturnType<typeof AbstractLevelEventLog.prepare>>['state'],
    options: EventLogOptions,
    /** The store's directory. */
    readonly location: string,
    /** The temp directory holding the working copy of a read-only open. */
    private readonly copyDir?: string,
  ) {
    super(db, subs, state, options);
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      if (this.copyDir !== undefined) await fs.rm(this.copyDir, { recursive: true, force: true });
    }
  }
}

/**
 * Refuses, before LevelDB creates its files there, a location that is a file or
 * a non-empty directory without a LevelDB `CURRENT` file.
 */
function checkLocation(location: string, createIfMissing: boolean): void {
  if (!existsSync(location)) {
    if (!createIfMissing)
      throw new LedgerError(EventLogErrorCode.STORE_NOT_FOUND, `there is no event store at ${location}`);
    return;
  }
  if (!statSync(location).isDirectory())
    throw new LedgerError(EventLogErrorCode.NOT_A_STORE, `${location} is not a directory`);
  const entries = readdirSync(location);
  if (entries.length > 0 && !existsSync(path.join(location, 'CURRENT'))) {
    throw new LedgerError(
      EventLogErrorCode.NOT_A_STORE,
      `${location} is a non-empty directory that is not a LevelDB store`,
    );
  }
  if (entries.length === 0 && !createIfMissing)
    throw new LedgerError(EventLogErrorCode.STORE_NOT_FOUND, `there is no event store at ${location}`);
}
