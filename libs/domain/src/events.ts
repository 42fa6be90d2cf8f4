import type { AnalysisCompletedData, AnalysisFindingData, AnalysisStartedData } from './analysis.events';
import type { NewEvent, StoredEvent } from './envelope';

/** Why a recording stopped. */
export type StopReason =
  | 'requested'
  | 'restarted'
  | 'deleted'
  | 'all-deleted'
  | 'shutdown'
  | 'interrupted'
  | 'disk-low'
  | 'write-failed'
  | 'source-ended';

export const STOP_REASONS: readonly StopReason[] = [
  'requested',
  'restarted',
  'deleted',
  'all-deleted',
  'shutdown',
  'interrupted',
  'disk-low',
  'write-failed',
  'source-ended',
];

/** Where a GPS fix came from (GpsFixRecorded v2). */
export type GpsFixSource = 'api' | 'device';

/** 0 disabled, 1 fixed, 2 api (Rayhunter's gps_mode). */
export type GpsMode = 0 | 1 | 2;

/** Cumulative, committed totals of the active recording's files. */
export interface RecordingTotals {
  /** Compressed size on disk covered by committed events (Rayhunter `qmdl_size_bytes`). */
  readonly qmdlSizeBytes: number;
  /** Uncompressed QMDL bytes behind that prefix. */
  readonly uncompressedBytes: number;
  /** Diag containers written. */
  readonly containers: number;
  /** Time of the newest diag message written (RFC 3339), if any carried one. */
  readonly lastMessageTime?: string;
}

/** Why a recording was deleted. */
export type DeleteReason = 'requested' | 'all-deleted' | 'uploaded';

export interface EventDataMap {
  StoreCreated: { readonly storeId: string; readonly formatVersion: number };
  ServiceStarted: {
    readonly bootId: string;
    readonly version: string;
    readonly pid: number;
    /** False when the previous run ended without ServiceStopped (crash, kill, power loss). */
    readonly previousShutdownClean: boolean;
    readonly source?: string;
  };
  ServiceStopped: { readonly bootId: string; readonly signal?: string };
  RecordingStarted: {
    readonly name: string;
    /** RFC 3339 with the local offset, as the manifest shows it. */
    readonly startTime: string;
    readonly rayhunterVersion?: string;
    readonly systemOs?: string;
    readonly arch?: string;
    readonly gpsMode?: GpsMode;
    readonly compressed: boolean;
  };
  RecordingDataAppended: RecordingTotals;
  RecordingStopped: RecordingTotals & { readonly reason: StopReason; readonly detail?: string };
  /** `uploaded`: deleted by the shipper once the central service acknowledged every byte (`--delete-after-upload`). */
  RecordingDeleted: { readonly reason: DeleteReason };
  /** The final bytes were acknowledged by `target` (a fleet service's base URL), `sizeBytes` of them (the compressed size). */
  RecordingUploaded: { readonly uploadTime: string; readonly target?: string; readonly sizeBytes?: number };
  RecordingImported: {
    readonly name: string;
    readonly startTime: string;
    readonly lastMessageTime?: string;
    readonly qmdlSizeBytes: number;
    readonly rayhunterVersion?: string;
    readonly systemOs?: string;
    readonly arch?: string;
    readonly stopReason?: string;
    readonly uploadTime?: string;
    readonly gpsMode?: GpsMode;
    readonly compressed: boolean;
    /** Where it came from: 'manifest' entry, or recovered from a 'file-name'. */
    readonly recoveredFrom: 'manifest' | 'file-name' | 'orphan-file';
    readonly source?: string;
  };
  RecordingDamaged: { readonly missing: readonly string[]; readonly detail: string };
  ClockOffsetSet: { readonly offsetSeconds: number };
  /**
   * v2 added `source`. v1 events (`{lat, lon, fixTime?}`) are upcast on read
   * with `source: 'api'`: until v2 every fix came from `POST /api/gps`.
   */
  GpsFixRecorded: {
    readonly lat: number;
    readonly lon: number;
    /** RFC 3339 time of the fix as the client gave it, if any. */
    readonly fixTime?: string;
    /** Where the fix came from: the HTTP API (`POST /api/gps`) or the device's own receiver. */
    readonly source: GpsFixSource;
  };
  ConfigChanged: { readonly config: Readonly<Record<string, unknown>> };
  /**
   * Failed sign-ins (a wrong admin token, as a Bearer header or posted to the
   * session endpoint) from one remote address, coalesced: one event per address
   * and window, whatever the rate, so guessing cannot flood the log.
   */
  SignInsFailed: {
    readonly remoteAddress: string;
    /** Failures in the window, at least 1. */
    readonly count: number;
    /** RFC 3339: the first and the last failure counted. */
    readonly firstAt: string;
    readonly lastAt: string;
    /** How many of them were refused by the throttle (429) before the token was even compared. */
    readonly throttled: number;
  };
  MigrationApplied: { readonly id: string; readonly name: string };
  /** The analysis reactor began analysing the recording with these analyzers (analysis slice, `analysis.events.ts`). */
  RecordingAnalysisStarted: AnalysisStartedData;
  /** One analyzer's findings of one severity above Informational in one window of packets, coalesced (`FINDING_WINDOW_PACKETS`). */
  RecordingAnalysisFinding: AnalysisFindingData;
  /** The report `<name>.ndjson` is written; the counts of the whole run. */
  RecordingAnalysisCompleted: AnalysisCompletedData;
}

export type LedgerEventType = keyof EventDataMap;

/** The current schema version of each event type's `data`. Older versions are upcast on read. */
export const EVENT_SCHEMA_VERSIONS: Readonly<Record<LedgerEventType, number>> = {
  StoreCreated: 1,
  ServiceStarted: 1,
  ServiceStopped: 1,
  RecordingStarted: 1,
  RecordingDataAppended: 1,
  RecordingStopped: 1,
  RecordingDeleted: 1,
  RecordingUploaded: 1,
  RecordingImported: 1,
  RecordingDamaged: 1,
  ClockOffsetSet: 1,
  GpsFixRecorded: 2,
  ConfigChanged: 1,
  MigrationApplied: 1,
  SignInsFailed: 1,
  RecordingAnalysisStarted: 1,
  RecordingAnalysisFinding: 1,
  RecordingAnalysisCompleted: 1,
};

/**
 * Every event type, in catalogue order: the keys of EVENT_SCHEMA_VERSIONS, whose
 * type makes the compiler hold it complete. The one list filters are checked against.
 */
export const LEDGER_EVENT_TYPES: readonly LedgerEventType[] = Object.keys(EVENT_SCHEMA_VERSIONS) as LedgerEventType[];

/** A ledger event as `decide` produces it: type, data and the recording it names. */
export type DecidedEvent = {
  [K in LedgerEventType]: { readonly type: K; readonly data: EventDataMap[K]; readonly recording?: string };
}[LedgerEventType];

/** A stored ledger event, discriminated on `type`. */
export type LedgerEvent = {
  [K in LedgerEventType]: StoredEvent<K, EventDataMap[K]>;
}[LedgerEventType];

export type NewLedgerEvent = {
  [K in LedgerEventType]: NewEvent<K, EventDataMap[K]>;
}[LedgerEventType];

export function isLedgerEventType(type: string): type is LedgerEventType {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMA_VERSIONS, type);
}

/**
 * The types of a filter that are no event type (in order, each once), for a
 * refusal that names them and lists the known ones: a filter on a misspelt
 * type would otherwise just match nothing.
 */
export function unknownEventTypes(types: readonly string[]): string[] {
  return [...new Set(types.filter((type) => !isLedgerEventType(type)))];
}
