import { ANALYSIS_COMMAND_TYPES } from './analysis.commands';
import { decideAnalysis, type AnalysisCommand } from './analysis.decider';
import { ANALYSIS_EVENT_VERSIONS } from './analysis.events';
import {
  applyAnalysisEvent,
  type AnalysisEvent,
  type AnalysisFollowedEvent,
  type AnalysisReads,
  type AnalysisState,
} from './analysis.evolve';
import { ANALYSIS_TRANSITION_RULES, checkAnalysisTransition, type AnalysisBefore } from './analysis.invariants';
import type { Slice } from './decider';

/**
 * The analysis slice: what the analysis reactor records about running the
 * analyzers over a recording. Its state is `analyses`; it reads the recordings
 * slice's `names` (an analysis is of a live recording) and follows
 * `RecordingDeleted` (a deleted recording's analyses are forgotten).
 */
export const analysisSlice: Slice<
  AnalysisState,
  AnalysisCommand,
  AnalysisEvent,
  AnalysisReads,
  AnalysisFollowedEvent,
  AnalysisBefore
> = {
  name: 'analysis',
  commandTypes: ANALYSIS_COMMAND_TYPES,
  eventVersions: ANALYSIS_EVENT_VERSIONS,
  follows: { RecordingDeleted: true },
  initialState: () => ({}),
  decide: decideAnalysis,
  apply: applyAnalysisEvent,
  stateRules: [],
  transitionRules: ANALYSIS_TRANSITION_RULES,
  checks: 'its own events',
  checkTransition: checkAnalysisTransition,
};
