import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * True when some process holds a POSIX/OFD/flock lock on `<location>/LOCK`
 * (LevelDB locks it with fcntl for as long as the database is open). Read
 * from /proc/locks, which lists every lock by device and inode — no attempt to
 * take the lock, so nothing in the store is touched. Where /proc/locks does not
 * exist (not Linux) the answer is false.
 */
export async function isLevelLocked(location: string): Promise<boolean> {
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
 * Copies a LevelDB directory without its LOCK, touching nothing in `from`.
 * Tables are immutable once written, so they are hard-linked when source and
 * copy share a filesystem; the rest (CURRENT, MANIFEST, the write-ahead .log)
 * is copied. A file that vanishes mid-copy (a live store compacting) restarts
 * the copy.
 */
export async function copyLevelDir(from: string, to: string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await fs.rm(to, { recursive: true, force: true });
    await fs.mkdir(to);
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
