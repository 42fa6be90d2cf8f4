import type {
  AnalysisCompletedData,
  AnalysisFindingData,
  AnalysisStartedData,
  RecordingAnalysis,
} from './analysis.events';
import { lookup } from './naming';
import type { QmdlStoreState } from './state';

/** An analysis event as `evolve` hands it here. */
export type AnalysisEvent =
  | { readonly type: 'RecordingAnalysisStarted'; readonly recording?: string; readonly data: AnalysisStartedData }
  | { readonly type: 'RecordingAnalysisFinding'; readonly recording?: string; readonly data: AnalysisFindingData }
  | { readonly type: 'RecordingAnalysisCompleted'; readonly recording?: string; readonly data: AnalysisCompletedData };

function next(previous: RecordingAnalysis | undefined, event: AnalysisEvent): RecordingAnalysis | undefined {
  switch (event.type) {
    case 'RecordingAnalysisStarted': {
      const { analysisId, reason, analyzers } = event.data;
      return { ...previous, running: { analysisId, reason, analyzers, findingsThrough: 0 } };
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
      return { completed: { analysisId, analyzers, severities } };
    }
    default: {
      const unknown: never = event;
      void unknown;
      return previous;
    }
  }
}

/**
 * The analyses part of the state after an analysis event: a new `analyses`
 * record (the others are shared), or the same one when the event does not fit
 * (an unknown recording, a finding of a superseded run). Never throws.
 */
export function evolveAnalyses(
  state: Pick<QmdlStoreState, 'analyses' | 'names'>,
  event: AnalysisEvent,
): QmdlStoreState['analyses'] {
  const name = event.recording;
  if (name === undefined || lookup(state.names, name) !== 'live') return state.analyses;
  const previous = state.analyses === undefined ? undefined : lookup(state.analyses, name);
  const updated = next(previous, event);
  if (updated === previous || updated === undefined) return state.analyses;
  const analyses: Record<string, RecordingAnalysis> = { ...state.analyses };
  Object.defineProperty(analyses, name, { value: updated, writable: true, enumerable: true, configurable: true });
  return analyses;
}

/** The analyses without a deleted recording's (so a deleted recording leaves nothing behind). */
export function forgetAnalyses(analyses: QmdlStoreState['analyses'], name: string): QmdlStoreState['analyses'] {
  if (analyses === undefined || lookup(analyses, name) === undefined) return analyses;
  const rest: Record<string, RecordingAnalysis> = { ...analyses };
  delete rest[name];
  return rest;
}
