import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LedgerError } from '@ledger/domain';
import { copyLevelDir, EventLogErrorCode, isLevelLocked, LevelEventLog } from '@ledger/event-log';
import { ledgerLocation, recordingsDir } from '@ledger/store';
import { buildUpcasters } from '@ledger/migrations';

/**
 * How the read-only commands reach a store without writing to it.
 *
 * Opening a LevelDB directory is not a read: LevelDB replays the write-ahead
 * `.log` into a new table, writes a new `MANIFEST-*`, rewrites `CURRENT`,
 * rotates its info `LOG` (even when the open then fails on the LOCK) and may
 * compact. So the forensic commands never open the store they were given: they
 * open a private copy of `<data-dir>/ledger` in a temp directory (immutable
 * `.ldb`/`.sst` tables are hard-linked when possible, everything else copied,
 * the LOCK file skipped) and delete it afterwards. The recordings in
 * `<data-dir>/qmdl` are only read (stat, never opened for writing).
 *
 * A running service holds the LOCK. Copying a store while it is being written
 * can catch it mid-write, so by default the commands refuse (exit 3) when the
 * LOCK is held; `--snapshot` takes the copy anyway (LevelDB recovers a torn
 * tail of the copy on open, so at worst the newest writes are missing).
 */
export interface OpenedStore {
  readonly log: LevelEventLog;
  /** The data directory as given. */
  readonly dataDir: string;
  /** `<data-dir>/qmdl`. */
  readonly recordingsDir: string;
  /** The working copy of the LevelDB directory. */
  readonly workingCopy: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Copy even when the store is locked by another process. */
  readonly snapshot?: boolean;
}

/** Open a read-only working copy of the store in `dataDir`. */
async function openStoreCopy(dataDir: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const location = checkStoreDir(dataDir);
  if (!options.snapshot && (await isLevelLocked(location))) {
    throw new LedgerError(EventLogErrorCode.STORE_LOCKED, 'store is in use by another process');
  }
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'qmdl-ledger-forensics-'));
  const copy = path.join(tmp, 'ledger');
  try {
    await copyLevelDir(location, copy);
    const log = await LevelEventLog.open({ location: copy, createIfMissing: false, upcasters: buildUpcasters() });
    return {
      log,
      dataDir,
      recordingsDir: recordingsDir(dataDir),
      workingCopy: copy,
      async close() {
        await log.close().catch(() => undefined);
        await fs.rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** Runs `body` on a working copy and always removes the copy. */
export async function withStoreCopy<T>(
  dataDir: string,
  options: OpenStoreOptions,
  body: (store: OpenedStore) => Promise<T>,
): Promise<T> {
  const store = await openStoreCopy(dataDir, options);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/** `<dataDir>/ledger`, after checking it looks like a LevelDB store. */
export function checkStoreDir(dataDir: string): string {
  const location = ledgerLocation(dataDir);
  if (!existsSync(path.join(location, 'CURRENT'))) {
    throw new LedgerError(
      EventLogErrorCode.STORE_NOT_FOUND,
      `there is no qmdl-ledger store in ${dataDir} (no ${path.join('ledger', 'CURRENT')})`,
    );
  }
  return location;
}
