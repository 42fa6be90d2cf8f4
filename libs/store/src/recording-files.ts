import { type Dirent, promises as fs } from 'node:fs';
import path from 'node:path';
import { parseRecordingFileName, parseRecordingName, recordingFileNames } from '@ledger/domain';
import type { RecordingPaths } from './ledger';

/** The recordings of one directory, in the Rayhunter layout (the domain's `recordingFileNames`). */
export class RecordingFiles {
  constructor(readonly dir: string) {}

  paths(name: string, compressed = true): RecordingPaths {
    const files = recordingFileNames(parseRecordingName(name), compressed);
    return {
      qmdl: path.join(this.dir, files.qmdl),
      analysis: path.join(this.dir, files.analysis),
      analysisPartial: path.join(this.dir, files.analysisPartial),
      gps: path.join(this.dir, files.gps),
    };
  }

  /**
   * Remove every file of a recording, the report an analysis was writing
   * included; missing files are fine (idempotent, finished at start-up after a crash).
   */
  async remove(name: string): Promise<string[]> {
    const removed: string[] = [];
    const p = this.paths(name, true);
    for (const file of [p.qmdl, this.paths(name, false).qmdl, p.analysis, p.analysisPartial, p.gps]) {
      try {
        await fs.unlink(file);
        removed.push(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return removed;
  }

  /**
   * Every recording file in the directory, grouped by recording name, from one
   * directory read: no stat per file (a stat per recording file dominated a
   * big store's start-up: bench/README.md, cold start). Only regular files count;
   * a symlink counts when it points at one. Sizes are {@link sizeOf}'s job, for
   * the few files whose size matters. Names come oldest first.
   */
  async scan(): Promise<Map<string, FilesOnDisk>> {
    const found = new Map<string, FilesOnDisk>();
    let entries: Dirent[];
    try {
      entries = await fs.readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found;
      throw error;
    }
    for (const entry of entries) {
      const layout = parseRecordingFileName(entry.name);
      if (layout === undefined) continue;
      const file = path.join(this.dir, entry.name);
      if (!entry.isFile() && !(entry.isSymbolicLink() && (await isRegularFile(file)))) continue;
      const name = layout.name;
      let files = found.get(name);
      if (files === undefined) {
        files = { qmdl: [], other: [] };
        found.set(name, files);
      }
      if (layout.kind === 'qmdl') files.qmdl.push({ file, compressed: layout.compressed });
      else if (layout.kind === 'analysis-partial') files.partial = file;
      else files.other.push(file);
    }
    // Oldest recording first (names are unix seconds), whatever order the directory had.
    return new Map([...found].sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Size in bytes of a file {@link scan} found. */
  async sizeOf(file: string): Promise<number> {
    return (await fs.stat(file)).size;
  }
}

/** The files of one recording found on disk: its QMDL file(s), the analysis/GPS files, and a report being written. */
export interface FilesOnDisk {
  readonly qmdl: Array<{ readonly file: string; readonly compressed: boolean }>;
  readonly other: string[];
  /** `<name>.ndjson.partial`: an analysis writing its report now, or one a crash or kill interrupted. */
  partial?: string;
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Free space available to this process on the filesystem holding `dir`, in bytes. */
export async function availableBytes(dir: string): Promise<number> {
  const stats = await fs.statfs(dir);
  return stats.bavail * stats.bsize;
}
