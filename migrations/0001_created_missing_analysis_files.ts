import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isRecordingName, liveRecordings, recordingFileNames } from '@ledger/domain';
import type { Migration } from '@ledger/store';

/**
 * Recordings the recorder starts get an empty `<name>.ndjson` (the analysis
 * file) at once; recordings that came in another way — `import-rayhunter` of a
 * store whose analysis never ran, orphan files adopted at start-up — may have
 * none, and then the zip download and the analysis report miss a member. This
 * creates the missing ones, empty. Files only: no event is written or rewritten.
 *
 * Idempotent: an existing file (empty or not) is never touched.
 */
export const createdMissingAnalysisFiles: Migration = {
  id: '0001',
  name: 'created_missing_analysis_files',
  async up({ dataDir, state, logger }) {
    const dir = path.join(dataDir, 'qmdl');
    const live = liveRecordings(state);
    if (live.length === 0) return;
    await fs.mkdir(dir, { recursive: true });
    let created = 0;
    for (const entry of live) {
      // Names are decimal digits (an invariant), but a path is built from them: check anyway.
      if (!isRecordingName(entry.name)) continue;
      const files = recordingFileNames(entry.name, entry.compressed);
      const qmdl = path.join(dir, files.qmdl);
      if (!(await exists(qmdl))) continue; // a damaged recording stays as it is
      try {
        await fs.writeFile(path.join(dir, files.analysis), '', { flag: 'wx' });
        created += 1;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    if (created > 0) logger.info(`migration 0001: created ${created} missing analysis file(s)`);
  },
};

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
