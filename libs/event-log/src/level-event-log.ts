import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { LedgerError } from '@ledger/domain';
import { AbstractLevelEventLog, type EventLogOptions } from './abstract-level-event-log';
import { EventLogErrorCode } from './errors';
import type { LevelDatabase } from './level-types';

export interface LevelEventLogOptions extends EventLogOptions {
  /** Directory of the LevelDB store. */
  readonly location: string;
  /** Create an empty store when there is none. Default true. */
  readonly createIfMissing?: boolean;
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
    checkLocation(location, createIfMissing);
    const db = new ClassicLevel<string, string>(location, { createIfMissing, errorIfExists: false });
    const { subs, state } = await AbstractLevelEventLog.prepare(db as LevelDatabase);
    return new LevelEventLog(db as LevelDatabase, subs, state, options, location);
  }

  private constructor(
    db: LevelDatabase,
    subs: Awaited<ReturnType<typeof AbstractLevelEventLog.prepare>>['subs'],
    state: Awaited<ReturnType<typeof AbstractLevelEventLog.prepare>>['state'],
    options: EventLogOptions,
    /** The store's directory. */
    readonly location: string,
  ) {
    super(db, subs, state, options);
  }
}

/**
 * Refuses, before LevelDB creates its files there, a location that is a file or
 * a non-empty directory without a LevelDB `CURRENT` file.
 */
function checkLocation(location: string, createIfMissing: boolean): void {
  if (!existsSync(location)) {
    if (!createIfMissing) throw new LedgerError(EventLogErrorCode.STORE_NOT_FOUND, `there is no event store at ${location}`);
    return;
  }
  if (!statSync(location).isDirectory()) throw new LedgerError(EventLogErrorCode.NOT_A_STORE, `${location} is not a directory`);
  const entries = readdirSync(location);
  if (entries.length > 0 && !existsSync(path.join(location, 'CURRENT'))) {
    throw new LedgerError(EventLogErrorCode.NOT_A_STORE, `${location} is a non-empty directory that is not a LevelDB store`);
  }
  if (entries.length === 0 && !createIfMissing) throw new LedgerError(EventLogErrorCode.STORE_NOT_FOUND, `there is no event store at ${location}`);
}
