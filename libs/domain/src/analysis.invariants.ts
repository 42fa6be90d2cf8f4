import { ANALYSIS_EVENT_VERSIONS, FINDING_SEVERITIES } from './analysis.events';
import type { AnalysisEvent } from './analysis.evolve';
import type { AnyEvent } from './decider';
import { lookup } from './naming';
import { isCount } from './recording-entry';
import type { InvariantViolation, RecordingsState } from './state';

/** Stable codes of the analysis slice's transition rules (it has no state rules of its own). */
export const ANALYSIS_TRANSITION_RULES = ['ANALYSIS_FINDING_COUNTED'] as const;

/** What the analysis check reads of the state before a step: the name statuses the recordings slice writes into it. */
export type AnalysisBefore = Pick<RecordingsState, 'names'>;

/** True for an event of the analysis slice. */
function isAnalysisEvent(event: AnyEvent): event is AnyEvent & AnalysisEvent {
  return Object.prototype.hasOwnProperty.call(ANALYSIS_EVENT_VERSIONS, event.type);
}

/**
 * Pushes onto `out` the violations of the analysis slice's transition rules
 * by one of its events, for replayed history (forensics `verify`): a finding event stands for at least one finding above
 * Informational, in packet order; an analysis names an issued recording
 * (`UNKNOWN_RECORDING`, the recordings slice's rule, read from the name
 * statuses the recordings slice wrote into `before`). That it names no deleted
 * recording is the recordings slice's check of every event.
 */
export function checkAnalysisTransition(before: AnalysisBefore, event: AnyEvent, out: InvariantViolation[]): void {
  if (!isAnalysisEvent(event)) return;
  const seq = event.seq;
  if (event.type === 'RecordingAnalysisFinding') {
    const { severity, count, packet, lastPacket } = event.data;
    const counted =
      FINDING_SEVERITIES.includes(severity) &&
      isCount(count) &&
      count >= 1 &&
      isCount(packet) &&
      isCount(lastPacket) &&
      packet <= lastPacket;
    if (!counted) {
      out.push({
        rule: 'ANALYSIS_FINDING_COUNTED',
        message: `RecordingAnalysisFinding of ${String(event.data.analyzer)}: ${String(severity)} × ${String(count)} at packets ${String(packet)}..${String(lastPacket)}: a finding event counts at least one finding above Informational`,
        seq,
      });
    }
  }
  const name = event.recording;
  if (name !== undefined && lookup(before.names, name) === undefined) {
    out.push({ rule: 'UNKNOWN_RECORDING', message: `${event.type} names ${name}, never issued`, seq });
  }
}
