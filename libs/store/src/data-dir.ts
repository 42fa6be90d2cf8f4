import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LedgerError } from '@ledger/domain';

/** The code of every refusal of a data directory that cannot hold a store. */
export const DATA_DIR_UNUSABLE = 'DATA_DIR_UNUSABLE';

function unusable(dir: string, reason: string, cause?: unknown): LedgerError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new LedgerError(
    DATA_DIR_UNUSABLE,
    `cannot use ${dir} as a data directory: ${reason}${errno ? ` (${errno})` : ''}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Creates `dir` and its missing parents one level at a time, then proves it
 * can hold files by creating and removing one; refuses with
 * `DATA_DIR_UNUSABLE` otherwise. Node's `mkdir({recursive: true})` is not used
 * on purpose: on a filesystem that answers ENOENT for a directory that cannot
 * exist there (procfs, sysfs) it retries forever at full CPU instead of failing.
 */
export async function ensureWritableDirectory(dir: string): Promise<void> {
  await makeDirectory(path.resolve(dir), path.resolve(dir));
  const probe = path.join(dir, `.write-probe-${randomUUID()}`);
  try {
    await fs.writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    throw unusable(dir, 'files cannot be created in it', error);
  }
  await fs.rm(probe, { force: true });
}

async function makeDirectory(dir: string, wanted: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.mkdir(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const stat = await fs.stat(dir).catch(() => undefined);
        if (stat?.isDirectory()) return;
        throw unusable(wanted, `${dir} exists and is not a directory`, error);
      }
      const parent = path.dirname(dir);
      // Only one retry after making the parent: a second ENOENT means the
      // filesystem will not have this directory, whatever we create above it.
      if (code !== 'ENOENT' || parent === dir || attempt > 0) throw unusable(wanted, `${dir} cannot be created`, error);
      await makeDirectory(parent, wanted);
    }
  }
}
