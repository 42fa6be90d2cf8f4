/**
 * The analysis slice: what the analysis reactor records about running the
 * IMSI-catcher heuristics over a recording. Plain data; the analyzer keys,
 * names and severities are strings here because the domain does not depend on
 * the analysis lib (the reactor fills them from `@ledger/analysis`).
 */

/** One analyzer as a report names it: its config key, its exact name and the version that ran. */
export interface AnalyzerVersion {
  readonly key: string;
  readonly name: string;
  readonly version: number;
}

/** Why an analysis ran. */
export type AnalysisReason = 'new' | 'requested' | 'analyzer-changed';

/** Severities a finding event can have: Informational events are counted, never recorded one by one. */
export type FindingSeverity = 'Low' | 'Medium' | 'High';

export const FINDING_SEVERITIES: readonly FindingSeverity[] = ['Low', 'Medium', 'High'];

/**
 * Packets per coalescing window: at most one finding event per analyzer and
 * severity per window of this many packets (packet N is in window ⌈N / size⌉),
 * with the number of findings it stands for. A noisy capture therefore adds at
 * most (enabled analyzers × 3) events per window, whatever its rate.
 */
export const FINDING_WINDOW_PACKETS = 1000;

export interface AnalysisStartedData {
  /** Unique per analysis run (the reactor takes it from the command's correlation): findings and the completion name it. */
  readonly analysisId: string;
  readonly reason: AnalysisReason;
  /** The enabled analyzers, in report order. */
  readonly analyzers: readonly AnalyzerVersion[];
}

export interface AnalysisFindingData {
  readonly analysisId: string;
  readonly analyzer: string;
  readonly analyzerName: string;
  readonly severity: FindingSeverity;
  /** The first finding's message in the window (as the report row has it, with " (packet N)"). */
  readonly message: string;
  /** The first finding's packet number (1-based diag message index) and time (RFC 3339). */
  readonly packet: number;
  readonly packetTime: string;
  /** Findings of this analyzer and severity in the window, at least 1; `lastPacket` is the last one's packet. */
  readonly count: number;
  readonly lastPacket: number;
  /** The window's last packet number: a multiple of {@link FINDING_WINDOW_PACKETS}. */
  readonly windowEnd: number;
}

export interface AnalysisCompletedData {
  readonly analysisId: string;
  readonly analyzers: readonly AnalyzerVersion[];
  /** Radio messages read, and those analysed (RRC and NAS elements the analyzers saw). */
  readonly messages: number;
  readonly analysed: number;
  /** Messages not analysed, by the report's skip reason. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Analyzer events by severity, Informational included. */
  readonly severities: Readonly<Record<string, number>>;
  /** Rows of the report written after the metadata line. */
  readonly reportRows: number;
}

/** Someone asked for the recording to be analysed again (`POST /api/analysis/{name}`); the envelope names who. */
export type AnalysisRequestedData = Readonly<Record<string, never>>;

/** What the store knows of a recording's analyses (QmdlStoreState `analyses`). */
export interface RecordingAnalysis {
  /**
   * A re-analysis asked for and not started yet (the analysis queue's "requested"
   * part is these, in `seq` order): the next RecordingAnalysisStarted of the
   * recording takes it, whatever its reason; one that completes leaves it.
   */
  readonly requested?: { readonly seq: number };
  /** The analysis started and not completed, if any: a crash leaves it here, and the reactor resumes it. */
  readonly running?: {
    readonly analysisId: string;
    readonly reason: AnalysisReason;
    readonly analyzers: readonly AnalyzerVersion[];
    /** Findings are recorded for every window up to this packet (0: none yet): a resumed run records only later windows. */
    readonly findingsThrough: number;
  };
  /** The last completed analysis: which analyzer versions made the report on disk. */
  readonly completed?: {
    readonly analysisId: string;
    readonly analyzers: readonly AnalyzerVersion[];
    readonly severities: Readonly<Record<string, number>>;
  };
}

/** The analysis slice's events. */
export interface AnalysisEventDataMap {
  /** A re-analysis of the recording was asked for; the reactor runs it when it gets to it (queued first). */
  RecordingAnalysisRequested: AnalysisRequestedData;
  /** The analysis reactor began analysing the recording with these analyzers. */
  RecordingAnalysisStarted: AnalysisStartedData;
  /** One analyzer's findings of one severity above Informational in one window of packets, coalesced (`FINDING_WINDOW_PACKETS`). */
  RecordingAnalysisFinding: AnalysisFindingData;
  /** The report `<name>.ndjson` is written; the counts of the whole run. */
  RecordingAnalysisCompleted: AnalysisCompletedData;
}

/** The current schema version of each analysis event's `data`. */
export const ANALYSIS_EVENT_VERSIONS = {
  RecordingAnalysisRequested: 1,
  RecordingAnalysisStarted: 1,
  RecordingAnalysisFinding: 1,
  RecordingAnalysisCompleted: 1,
} as const satisfies Record<keyof AnalysisEventDataMap, number>;
