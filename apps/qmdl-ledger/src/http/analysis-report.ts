import type { RecordingEntry } from '@ledger/domain';
import type { RuntimeMetadata } from '@ledger/store';

/**
 * The analysis report of a recording that no analysis wrote one for, as Rayhunter's
 * report v2 NDJSON: served at `/api/analysis-report/{name}` and put in the zip as
 * `{name}.ndjson`, so the two are always the same bytes. No analyzers ran, so it is
 * the metadata line, then, when its analysis failed, one skipped row saying why (as
 * the original reports a message it could not read), so the UI shows the failure
 * rather than a clean recording. The build identity is the recording's own where it
 * was recorded, else `now` (this build on this host: the ledger's `runtimeMetadata()`).
 */
export function analysisReport(
  entry: Pick<RecordingEntry, 'rayhunterVersion' | 'systemOs' | 'arch'>,
  now: RuntimeMetadata,
  failure?: string,
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
  const failed =
    failure === undefined
      ? ''
      : `${JSON.stringify({ packet_timestamp: null, skipped_message_reason: `analysis failed: ${failure}`, events: [] })}\n`;
  return `${JSON.stringify(metadata)}\n${failed}`;
}
