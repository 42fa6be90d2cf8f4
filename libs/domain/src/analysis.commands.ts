import type { AnalysisCompletedData, AnalysisFindingData, AnalysisStartedData } from './analysis.events';

/** The analysis slice's commands: a re-analysis asked for (HTTP), and what the analysis reactor records. */
export interface AnalysisCommandDataMap {
  /** Ask for a finished recording to be analysed again (held in the log until the reactor starts it). */
  RequestRecordingAnalysis: { readonly name: string };
  /** Begin an analysis of a live recording. */
  StartRecordingAnalysis: AnalysisStartedData & { readonly name: string };
  /** Record the coalesced findings of the windows up to `through` (a multiple of FINDING_WINDOW_PACKETS, or the last packet at the end). */
  RecordAnalysisFindings: {
    readonly name: string;
    readonly analysisId: string;
    readonly through: number;
    readonly findings: readonly AnalysisFindingData[];
  };
  CompleteRecordingAnalysis: AnalysisCompletedData & { readonly name: string };
}

/** Every analysis command type: the keys name the commands the analysis slice decides. */
export const ANALYSIS_COMMAND_TYPES = {
  RequestRecordingAnalysis: true,
  StartRecordingAnalysis: true,
  RecordAnalysisFindings: true,
  CompleteRecordingAnalysis: true,
} as const satisfies Record<keyof AnalysisCommandDataMap, true>;
