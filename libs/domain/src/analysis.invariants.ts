import { FINDING_SEVERITIES } from './analysis.events';
import type { AnalysisEvent } from './analysis.evolve';
import { isCount } from './recording-entry';
import type { InvariantViolation } from './state';

/**
 * The analysis slice's transition rule, for replayed history (forensics
 * `verify`): a finding event stands for at least one finding above
 * Informational, in packet order. (That an analysis names an issued
 * recording is checked with the other recording events.)
 */
export function checkAnalysisEvent(event: AnalysisEvent, seq: number): InvariantViolation[] {
  if (event.type !== 'RecordingAnalysisFinding') return [];
  const { severity, count, packet, lastPacket } = event.data;
  if (
    FINDING_SEVERITIES.includes(severity) &&
    isCount(count) &&
    count >= 1 &&
    isCount(packet) &&
    isCount(lastPacket) &&
    packet <= lastPacket
  )
    return [];
  return [
    {
      rule: 'ANALYSIS_FINDING_COUNTED',
      message: `RecordingAnalysisFinding of ${String(event.data.analyzer)}: ${String(severity)} × ${String(count)} at packets ${String(packet)}..${String(lastPacket)}: a finding event counts at least one finding above Informational`,
      seq,
    },
  ];
}
