import type { AnalysisCompletedData, AnalysisFindingData, AnalysisStartedData } from './analysis.events';
import type { EventDataMap, GpsMode, RecordingTotals, StopReason } from './events';

/**
 * Commands are imperative, plain data. Everything impure — time, ids, the local
 * UTC offset, versions — arrives inside the command; `decide` reads nothing else.
 */
export interface CommandDataMap {
  CreateStore: { readonly storeId: string; readonly formatVersion: number };
  /** Recorded at every boot; stops an interrupted recording in the same decision. */
  StartService: { readonly bootId: string; readonly version: string; readonly pid: number; readonly source?: string };
  /** Clean shutdown; stops the active recording (reason `shutdown`) in the same decision. */
  StopService: { readonly bootId: string; readonly signal?: string };
  StartRecording: {
    /** Adjusted wall clock at start, epoch milliseconds. The name is derived from it. */
    readonly atMs: number;
    /** Local UTC offset in minutes (e.g. +60 for CET), for the RFC 3339 start time. */
    readonly utcOffsetMinutes: number;
    readonly rayhunterVersion?: string;
    readonly systemOs?: string;
    readonly arch?: string;
    readonly gpsMode?: GpsMode;
    /** Defaults to true: new recordings are `<name>.qmdl.gz`. */
    readonly compressed?: boolean;
  };
  StopRecording: { readonly reason: StopReason; readonly detail?: string };
  /** `reason` defaults to `requested`; the shipper deletes with `uploaded`. */
  DeleteRecording: { readonly name: string; readonly reason?: 'requested' | 'uploaded' };
  DeleteAllRecordings: Record<string, never>;
  /** Committed totals of the active recording after a flush window. */
  AppendRecordingData: { readonly name: string; readonly totals: RecordingTotals };
  MarkRecordingUploaded: {
    readonly name: string;
    readonly uploadTime: string;
    readonly target?: string;
    readonly sizeBytes?: number;
  };
  /** Carries exactly what RecordingImported records. */
  ImportRecording: EventDataMap['RecordingImported'];
  MarkRecordingDamaged: { readonly name: string; readonly missing: readonly string[]; readonly detail: string };
  SetClockOffset: { readonly offsetSeconds: number };
  RecordGpsFix: { readonly lat: number; readonly lon: number; readonly fixTime?: string };
  ChangeConfig: { readonly config: Readonly<Record<string, unknown>> };
  ApplyMigration: { readonly id: string; readonly name: string };
  /** Carries exactly what SignInsFailed records (the HTTP app coalesces the failures per address and window). */
  RecordSignInFailures: EventDataMap['SignInsFailed'];
  /** Analysis slice (`analysis.decider.ts`): begin an analysis of a live recording. */
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

export type CommandType = keyof CommandDataMap;

export type Command = {
  [K in CommandType]: { readonly type: K; readonly data: CommandDataMap[K] };
}[CommandType];

/** A typed refusal: the command is not allowed in this state. `code` is API. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type RefusalCode =
  | 'NO_SUCH_RECORDING'
  | 'RECORDING_NOT_ACTIVE'
  | 'RECORDING_EXISTS'
  | 'INVALID_TOTALS'
  | 'INVALID_RECORDING_NAME'
  | 'INVALID_CLOCK_OFFSET'
  | 'INVALID_GPS_FIX'
  /** A config change with unknown keys or bad values; `details.problems` names each. */
  | 'INVALID_CONFIG'
  /** A sign-in failure report with no address, a count below 1, or times out of order. */
  | 'INVALID_SIGN_IN_FAILURES'
  | 'STORE_ALREADY_CREATED'
  | 'MIGRATION_ALREADY_APPLIED'
  /** Analysis slice: findings or a completion for an analysis that is not the running one of the recording. */
  | 'ANALYSIS_NOT_RUNNING'
  /** Analysis slice: findings for a window already recorded (a resumed run repeating itself), nothing recorded twice. */
  | 'ANALYSIS_FINDINGS_RECORDED'
  /** Analysis slice: an analysis with no analyzers, a finding of Informational severity or with a count below 1, or out of its window. */
  | 'INVALID_ANALYSIS'
  /** A time in the command cannot be used: non-finite/negative epoch ms, bad UTC offset, or not RFC 3339. */
  | 'INVALID_TIME'
  /** Set by the recorder's disk guard, not by `decide`: free space below --min-space-start-mb. */
  | 'INSUFFICIENT_DISK_SPACE'
  /** Set by the store, not by `decide`: the store is open read-only (forensics, --read-only). */
  | 'READ_ONLY'
  /** Set by the command processor, not by `decide`: an event it decided is not representable as JSON (e.g. nested deeper than the log stores). */
  | 'EVENT_NOT_REPRESENTABLE'
  /** Set by the command processor, not by `decide`: an event it decided is larger than the log stores. */
  | 'EVENT_TOO_LARGE';
