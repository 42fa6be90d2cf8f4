/**
 * The recordings slice's events: plain data, past tense, each naming its
 * recording where it has one. The ledger's catalogue (`events.ts`) joins them
 * with the other slices' events.
 */

/** Every reason a recording stops, in the order they are documented: the keys give {@link STOP_REASONS}. */
const STOP_REASON_SET = {
  requested: true,
  restarted: true,
  deleted: true,
  'all-deleted': true,
  shutdown: true,
  interrupted: true,
  'disk-low': true,
  'write-failed': true,
  'source-ended': true,
} as const;

/** Why a recording stopped. */
export type StopReason = keyof typeof STOP_REASON_SET;

export const STOP_REASONS = Object.keys(STOP_REASON_SET) as readonly StopReason[];

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

/** The recordings slice's events (the store, its service runs, its recordings, the device's settings). */
export interface RecordingsEventDataMap {
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
    /** The machine as uname names it (`x86_64`, `armv7l`): the pcapng section header's hardware. Absent before it was recorded. */
    readonly machine?: string;
    readonly gpsMode?: GpsMode;
    readonly compressed: boolean;
  };
  RecordingDataAppended: RecordingTotals;
  RecordingStopped: RecordingTotals & { readonly reason: StopReason; readonly detail?: string };
  /** `uploaded`: deleted by the shipper once the central service acknowledged every byte (`--delete-after-upload`). */
  RecordingDeleted: { readonly reason: DeleteReason };
  /**
   * The final bytes were acknowledged by `target` (a fleet service's base URL), `sizeBytes` of them (the compressed
   * size); `reportVersion`: the analysis whose report was acknowledged whole with them, if one had completed.
   */
  RecordingUploaded: {
    readonly uploadTime: string;
    readonly target?: string;
    readonly sizeBytes?: number;
    readonly reportVersion?: string;
  };
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
}

/** The current schema version of each recordings event's `data` (older versions are upcast on read). */
export const RECORDINGS_EVENT_VERSIONS = {
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
} as const satisfies Record<keyof RecordingsEventDataMap, number>;
