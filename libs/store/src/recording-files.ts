import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LedgerError } from '@ledger/domain';
import type { RecordingPaths } from './ledger';

/** Recording names are unix seconds: decimal digits only, bounded length. Checked before any path is built. */
export const RECORDING_NAME = /^[0-9]{1,20}$/;

export function assertRecordingName(name: string): void {
  if (!RECORDING_NAME.test(name)) {
    throw new LedgerError('INVALID_RECORDING_NAME', `invalid recording name ${JSON.stringify(name.slice(0, 64))}: expected 1 to 20 decimal digits`);
  }
}

/** The Rayhunter layout: `<dir>/<name>.qmdl.gz` (or `.qmdl`), `<name>.ndjson`, `<name>-gps.ndjson`. */
export class RecordingFiles {
  constructor(readonly dir: string) {}

  paths(name: string, compressed = true): RecordingPaths {
    assertRecordingName(name);
    return {
      qmdl: path.join(this.dir, `${name}.qmdl${compressed ? '.gz' : ''}`),
      analysis: path.join(this.dir, `${name}.ndjson`),
      gps: path.join(this.dir, `${name}-gps.ndjson`),
    };
  }

  /** Remove every file of a recording; missing files are fine (idempotent, finished at start-up after a crash). */
  async remove(name: string): Promise<string[]> {
    const removed: string[] = [];
    const p = this.paths(name, true);
    for (const file of [p.qmdl, this.paths(name, false).qmdl, p.analysis, p.gps]) {
      try {
        await fs.unlink(file);
        removed.push(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return removed;
  }

  /** Names of recordings that have a QMDL file here (`<digits>.qmdl` or `<digits>.qmdl.gz`). */
  async listQmdlFiles(): Promise<Array<{ name: string; file: string; compressed: boolean; size: number }>> {
    const out: Array<{ name: string; file: string; compressed: boolean; size: number }> = [];
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw error;
    }
    for (const file of names) {
      const match = /^([0-9]{1,20})\.qmdl(\.gz)?$/.exec(file);
      if (!match?.[1]) continue;
      const stat = await fs.stat(path.join(this.dir, file));
      if (!stat.isFile()) continue;
      out.push({ name: match[1], file: path.join(this.dir, file), compressed: match[2] !== undefined, size: stat.size });
    }
    return out;
  }
}

/** Free space available to this process on the filesystem holding `dir`, in bytes. */
export async function availableBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}
