import {
  FINDING_SEVERITIES,
  FINDING_WINDOW_PACKETS,
  type AnalysisFindingData,
  type AnalyzerVersion,
  type RecordingAnalysis,
} from './analysis.events';
import type { AnalysisCommandDataMap } from './analysis.commands';
import type { AnalysisEvent, AnalysisReads, AnalysisState } from './analysis.evolve';
import type { CommandOf, RefusalCode } from './commands';
import type { Decision } from './decider';
import { lookup } from './naming';
import { isCount } from './recording-entry';

/** The commands of the analysis slice. */
export type AnalysisCommand = CommandOf<AnalysisCommandDataMap>;

type AnalysisDecision = Decision<AnalysisEvent>;

function refuse(code: RefusalCode, message: string, details: Record<string, unknown>): AnalysisDecision {
  return { ok: false, refusal: { code, message, details } };
}

/** The analyses the store holds of `name`, if any. */
export function analysisOf(state: AnalysisState, name: string): RecordingAnalysis | undefined {
  return state.analyses === undefined ? undefined : lookup(state.analyses, name);
}

function validAnalyzers(analyzers: readonly AnalyzerVersion[]): boolean {
  return (
    Array.isArray(analyzers) &&
    analyzers.length > 0 &&
    analyzers.every((a) => typeof a.key === 'string' && typeof a.name === 'string' && isCount(a.version))
  );
}

/** Why a finding cannot be recorded as the window `through` closes, or undefined when it can. */
function findingProblem(finding: AnalysisFindingData, through: number): string | undefined {
  if (!FINDING_SEVERITIES.includes(finding.severity))
    return `severity ${String(finding.severity)} is not recorded per finding`;
  if (!isCount(finding.count) || finding.count < 1) return `count ${String(finding.count)} is below 1`;
  if (!isCount(finding.packet) || finding.packet < 1 || finding.lastPacket < finding.packet)
    return `packets ${String(finding.packet)}..${String(finding.lastPacket)} are not a range`;
  const windowStart = finding.windowEnd - FINDING_WINDOW_PACKETS + 1;
  if (
    finding.windowEnd % FINDING_WINDOW_PACKETS !== 0 ||
    finding.packet < windowStart ||
    finding.lastPacket > finding.windowEnd
  ) {
    return `packets ${finding.packet}..${finding.lastPacket} are not in the window ending at ${finding.windowEnd}`;
  }
  if (finding.windowEnd > through + FINDING_WINDOW_PACKETS - 1 || finding.lastPacket > through)
    return `window ending at ${finding.windowEnd} is not closed at ${through}`;
  return undefined;
}

/**
 * A re-analysis is asked of a finished recording (the active one is analysed
 * as it is written, and again once it finishes): anything else, deleted or
 * never issued, is NO_SUCH_RECORDING. Asking again while a request is pending
 * changes nothing (no event: it is queued once, where it was first asked).
 */
function decideRequest(name: string, state: AnalysisState, reads: AnalysisReads): AnalysisDecision {
  if (typeof name !== 'string' || lookup(reads.names, name) !== 'live' || lookup(reads.entries, name) === undefined)
    return refuse('NO_SUCH_RECORDING', `couldn't find finished recording with name ${String(name)}`, { name });
  if (analysisOf(state, name)?.requested !== undefined) return { ok: true, events: [] };
  return { ok: true, events: [{ type: 'RecordingAnalysisRequested', recording: name, data: {} }] };
}

/**
 * Decides the analysis slice's commands. Pure. An analysis is started for a
 * live recording (the recordings slice's `names`, read through `reads`), gets its
 * findings window by window, and completes; a started analysis that never
 * completed (a crash) is resumed under the same `analysisId`, and the windows
 * it already recorded are refused with ANALYSIS_FINDINGS_RECORDED, so a
 * resumed run cannot record a finding twice.
 */
export function decideAnalysis(command: AnalysisCommand, state: AnalysisState, reads: AnalysisReads): AnalysisDecision {
  const name = command.data.name;
  if (command.type === 'RequestRecordingAnalysis') return decideRequest(name, state, reads);
  const details = { name, analysisId: command.data.analysisId };
  if (lookup(reads.names, name) !== 'live')
    return refuse('NO_SUCH_RECORDING', `couldn't find recording with name ${name}`, details);
  const running = analysisOf(state, name)?.running;
  switch (command.type) {
    case 'StartRecordingAnalysis': {
      const { analysisId, reason, analyzers } = command.data;
      if (typeof analysisId !== 'string' || analysisId === '' || !validAnalyzers(analyzers)) {
        return refuse(
          'INVALID_ANALYSIS',
          'an analysis needs an id and at least one analyzer with a name and a version',
          details,
        );
      }
      // A start while another analysis runs supersedes it (its findings stay in the log, its completion will be refused).
      return {
        ok: true,
        events: [{ type: 'RecordingAnalysisStarted', recording: name, data: { analysisId, reason, analyzers } }],
      };
    }
    case 'RecordAnalysisFindings': {
      const { analysisId, through, findings } = command.data;
      if (running?.analysisId !== analysisId)
        return refuse('ANALYSIS_NOT_RUNNING', `analysis ${analysisId} of ${name} is not running`, details);
      if (!isCount(through))
        return refuse('INVALID_ANALYSIS', `through must be a packet number, got ${String(through)}`, details);
      const events: AnalysisEvent[] = [];
      for (const finding of findings) {
        if (finding.analysisId !== analysisId)
          return refuse('INVALID_ANALYSIS', `a finding of analysis ${finding.analysisId} in ${analysisId}`, details);
        const problem = findingProblem(finding, through);
        if (problem !== undefined)
          return refuse('INVALID_ANALYSIS', `finding of ${finding.analyzer}: ${problem}`, details);
        if (finding.packet <= running.findingsThrough) {
          return refuse(
            'ANALYSIS_FINDINGS_RECORDED',
            `findings of ${name} up to packet ${running.findingsThrough} are recorded`,
            { ...details, findingsThrough: running.findingsThrough },
          );
        }
        events.push({ type: 'RecordingAnalysisFinding', recording: name, data: finding });
      }
      return { ok: true, events };
    }
    case 'CompleteRecordingAnalysis': {
      const { name: _name, ...data } = command.data;
      void _name;
      if (running?.analysisId !== data.analysisId)
        return refuse('ANALYSIS_NOT_RUNNING', `analysis ${data.analysisId} of ${name} is not running`, details);
      if (
        !validAnalyzers(data.analyzers) ||
        !isCount(data.messages) ||
        !isCount(data.analysed) ||
        !isCount(data.reportRows)
      ) {
        return refuse('INVALID_ANALYSIS', 'a completion needs its analyzers and counts', details);
      }
      return { ok: true, events: [{ type: 'RecordingAnalysisCompleted', recording: name, data }] };
    }
    default: {
      const unknown: never = command;
      throw new TypeError(`unknown analysis command ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}
