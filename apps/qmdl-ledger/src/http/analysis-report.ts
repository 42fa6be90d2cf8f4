import type { RecordingEntry } from '@ledger/domain';
import type { RuntimeMetadata } from '@ledger/store';

/**
 * The analysis report of a recording as Rayhunter's report v2 NDJSON: served at
 * `/api/analysis-report/{name}` and put in the zip as `{name}.ndjson`, so the two
 * are always the same bytes. No analyzers run here, so it is the metadata line
 * alone; the build identity is the recording's own where it was recorded, else
 * `now` (this build on this host: the ledger's `runtimeMetadata()`).
 */
export function analysisReport(
  entry: Pick<RecordingEntry, 'rayhunterVersion' | 'systemOs' | 'arch'>,
  now: RuntimeMetadata,
): string {
  const metadata = {
    analyzers: [],
    rayhunter: {
      rayhunter_version: entry.rayhunterVersion ?? now.rayhunter_version,
      system_os: entry.systemOs ?? now.system_os,
      arch: entry.arch ?? now.arch,
    },
    report_version: 2,
  };
  return `${JSON.stringify(metadata)}\n`;
}
