import type { GpsMode, RecordingsEventDataMap, RecordingTotals, StopReason } from './recordings.events';

/**
 * The recordings slice's commands: imperative, plain data. Everything impure —
 * time, the local UTC offset, versions — arrives inside the command; `decide`
 * reads nothing else.
 */
/** The recordings slice's commands. */
export interface RecordingsCommandDataMap {
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
    readonly machine?: string;
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
    /** Adjusted wall clock when the upload completed, RFC 3339 (the ledger stamps it; callers never send it). */
    readonly uploadTime: string;
    readonly target?: string;
    readonly sizeBytes?: number;
    /** The analysis id of the report the target holds whole, when one completed. */
    readonly reportVersion?: string;
  };
  /** Carries exactly what RecordingImported records. */
  ImportRecording: RecordingsEventDataMap['RecordingImported'];
  MarkRecordingDamaged: { readonly name: string; readonly missing: readonly string[]; readonly detail: string };
  SetClockOffset: { readonly offsetSeconds: number };
  RecordGpsFix: { readonly lat: number; readonly lon: number; readonly fixTime?: string };
  ChangeConfig: { readonly config: Readonly<Record<string, unknown>> };
  ApplyMigration: { readonly id: string; readonly name: string };
  /** Carries exactly what SignInsFailed records (the HTTP app coalesces the failures per address and window). */
  RecordSignInFailures: RecordingsEventDataMap['SignInsFailed'];
}

/** Every recordings command type: the keys name the commands the recordings slice decides. */
export const RECORDINGS_COMMAND_TYPES = {
  CreateStore: true,
  StartService: true,
  StopService: true,
  StartRecording: true,
  StopRecording: true,
  DeleteRecording: true,
  DeleteAllRecordings: true,
  AppendRecordingData: true,
  MarkRecordingUploaded: true,
  ImportRecording: true,
  MarkRecordingDamaged: true,
  SetClockOffset: true,
  RecordGpsFix: true,
  ChangeConfig: true,
  ApplyMigration: true,
  RecordSignInFailures: true,
} as const satisfies Record<keyof RecordingsCommandDataMap, true>;
