import type { AnalysisEventDataMap, RecordingAnalysis } from './analysis.events';
import type { Positioned, SliceDraft } from './decider';
import type { DecidedEventOf } from './envelope';
import { lookup } from './naming';
import type { RecordingsEvent } from './recordings.evolve';
import type { RecordingsState } from './state';

/** The analysis slice's state: per live recording, its running and last completed analysis. */
export interface AnalysisState {
  /** Absent until the first analysis event. */
  readonly analyses?: Readonly<Record<string, RecordingAnalysis>>;
}

/**
 * What the analysis slice reads of the recordings slice's state (through the
 * composition's `reads`, never by writing): whether a recording is live, and
 * whether it is finished.
 */
export type AnalysisReads = Pick<RecordingsState, 'names' | 'entries'>;

/** An analysis event as `decide` produces it. */
export type AnalysisEvent = DecidedEventOf<AnalysisEventDataMap>;

/** The recordings event the analysis slice follows: a deleted recording leaves no analysis behind. */
export type AnalysisFollowedEvent = Extract<RecordingsEvent, { readonly type: 'RecordingDeleted' }>;

function next(
  previous: RecordingAnalysis | undefined,
  event: AnalysisEvent & Positioned,
): RecordingAnalysis | undefined {
  switch (event.type) {
    case 'RecordingAnalysisRequested':
      if (previous?.requested !== undefined) return previous;
      return { ...previous, requested: { seq: event.seq } };
    case 'RecordingAnalysisStarted': {
      // A start takes the pending request, if any: the request is for an analysis that begins after it.
      const { analysisId, reason, analyzers } = event.data;
      const { requested: _taken, ...rest } = previous ?? {};
      void _taken;
      return { ...rest, running: { analysisId, reason, analyzers, findingsThrough: 0 } };
    }
    case 'RecordingAnalysisFinding': {
      const running = previous?.running;
      if (running === undefined || running.analysisId !== event.data.analysisId) return previous;
      return {
        ...previous,
        running: { ...running, findingsThrough: Math.max(running.findingsThrough, event.data.windowEnd) },
      };
    }
    case 'RecordingAnalysisCompleted': {
      if (previous?.running?.analysisId !== event.data.analysisId) return previous;
      const { analysisId, analyzers, severities } = event.data;
      // A request made while this analysis ran is still to be run.
      const requested = previous.requested;
      return requested === undefined
        ? { completed: { analysisId, analyzers, severities } }
        : { requested, completed: { analysisId, analyzers, severities } };
    }
    default: {
      const unknown: never = event;
      void unknown;
      return previous;
    }
  }
}

/**
 * The analysis slice's rules of history, applied in place. An analysis event
 * changes the named recording's analyses, when the recording is live (`reads`)
 * and the event fits (a finding of a superseded run changes nothing); a
 * deleted recording's analyses are forgotten. Never throws.
 */
export function applyAnalysisEvent(
  draft: SliceDraft<AnalysisState>,
  event: (AnalysisEvent | AnalysisFollowedEvent) & Positioned,
  reads: AnalysisReads,
): void {
  const name = event.recording;
  if (name === undefined) return;
  const analyses = draft.state.analyses;
  if (event.type === 'RecordingDeleted') {
    if (analyses !== undefined && lookup(analyses, name) !== undefined) delete draft.own('analyses')[name];
    return;
  }
  if (lookup(reads.names, name) !== 'live') return;
  const previous = analyses === undefined ? undefined : lookup(analyses, name);
  const updated = next(previous, event);
  if (updated === previous || updated === undefined) return;
  // A defined own property, as a computed key would make it: a name such as `__proto__` from a damaged log stays a key.
  Object.defineProperty(draft.own('analyses'), name, {
    value: updated,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
