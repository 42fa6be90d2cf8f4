import { constants as fsConstants, existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LedgerError } from '@ledger/domain';
import { EventLogErrorCode, LevelEventLog } from '@ledger/event-log';
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
export async function openStoreCopy(dataDir: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const location = checkStoreDir(dataDir);
  if (!options.snapshot && (await isLocked(location))) {
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
export async function withStoreCopy<T>(dataDir: string, options: OpenStoreOptions, body: (store: OpenedStore) => Promise<T>): Promise<T> {
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
    throw new LedgerError(EventLogErrorCode.STORE_NOT_FOUND, `there is no qmdl-ledger store in ${dataDir} (no ${path.join('ledger', 'CURRENT')})`);
  }
  return location;
}

/**
 * True when some process holds a POSIX/OFD/flock lock on `<location>/LOCK`
 * (LevelDB locks it with fcntl for as long as the database is open). Read
 * from /proc/locks, which lists every lock by device and inode — no attempt to
 * take the lock, so nothing in the store is touched. Where /proc/locks does not
 * exist (not Linux) the answer is false and the copy is taken as with
 * `--snapshot`.
 */
export async function isLocked(location: string): Promise<boolean> {
  let inode: number;
  try {
    inode = (await fs.stat(path.join(location, 'LOCK'))).ino;
  } catch {
    return false;
  }
  let locks: string;
  try {
    locks = await fs.readFile('/proc/locks', 'utf8');
  } catch {
    return false;
  }
  // e.g. "1: POSIX  ADVISORY  WRITE 4242 08:01:1312345 0 EOF" (maj:min:inode)
  return locks.split('\n').some((line) => {
    const match = /\s[0-9a-f]+:[0-9a-f]+:([0-9]+)\s/.exec(line);
    return match?.[1] !== undefined && Number(match[1]) === inode && !line.includes('->');
  });
}

const IMMUTABLE_TABLE = /\.(ldb|sst)$/;

/**
 * Copies a LevelDB directory without its LOCK. Tables are immutable once
 * written, so they are hard-linked when source and copy share a filesystem;
 * the rest (CURRENT, MANIFEST, the write-ahead .log) is copied. A file that
 * vanishes mid-copy (a live store compacting) restarts the copy.
 */
export async function copyLevelDir(from: string, to: string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await fs.rm(to, { recursive: true, force: true });
    await fs.mkdir(to, { recursive: true });
    try {
      for (const name of await fs.readdir(from)) {
        if (name === 'LOCK') continue;
        const source = path.join(from, name);
        const target = path.join(to, name);
        if (IMMUTABLE_TABLE.test(name)) {
          try {
            await fs.link(source, target);
            continue;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
          }
        }
        await fs.copyFile(source, target, fsConstants.COPYFILE_FICLONE);
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= attempts) throw error;
    }
  }
}
