import type { AnalysisState } from './analysis.evolve';
import type { GpsFixSource, GpsMode } from './recordings.events';

/** One recording as the QmdlStore knows it (Rayhunter's manifest entry, plus our totals). */
export interface RecordingEntry {
  readonly name: string;
  /** RFC 3339 with the local offset. */
  readonly startTime: string;
  readonly lastMessageTime?: string;
  /** Compressed size on disk covered by committed events. */
  readonly qmdlSizeBytes: number;
  readonly uncompressedBytes: number;
  readonly containers: number;
  readonly rayhunterVersion?: string;
  readonly systemOs?: string;
  readonly arch?: string;
  /** The machine that recorded it (uname's), where its start recorded one. */
  readonly machine?: string;
  readonly stopReason?: string;
  /** The `detail` of the RecordingStopped that finished it, if it had one. */
  readonly stopDetail?: string;
  readonly uploadTime?: string;
  /**
   * The fleet service that acknowledged every byte (RecordingUploaded's `target`): the shipper sends
   * the recording no more. An `uploadTime` imported from the original (its own upload) comes without one.
   */
  readonly uploadTarget?: string;
  /** The analysis whose report that service held whole then (RecordingUploaded's `reportVersion`). */
  readonly uploadedReport?: string;
  readonly gpsMode?: GpsMode;
  readonly compressed: boolean;
  /** Set by RecordingDamaged: files found missing on disk. */
  readonly damaged?: { readonly missing: readonly string[]; readonly detail: string };
}

/**
 * The recordings slice's state. `current` is held apart from `entries` so that
 * a data event costs O(1) whatever the number of recordings.
 */
export interface RecordingsState {
  readonly storeId?: string;
  readonly formatVersion?: number;
  /** Finished (not active, not deleted) recordings, keyed by name. */
  readonly entries: Readonly<Record<string, RecordingEntry>>;
  /** The active recording, if any. Never also in `entries`. */
  readonly current?: RecordingEntry;
  /** Every name ever issued or imported, for the life of the store: 'live' or 'deleted'. */
  readonly names: Readonly<Record<string, 'live' | 'deleted'>>;
  readonly clockOffsetSeconds: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly lastGpsFix?: {
    readonly lat: number;
    readonly lon: number;
    readonly fixTime?: string;
    /** GpsFixRecorded v2's source; absent for a v1 event that was not upcast. */
    readonly source?: GpsFixSource;
    /** Adjusted time of the GpsFixRecorded event. */
    readonly time?: string;
  };
  /** Boot id of the run that has started and not yet stopped cleanly, if any. */
  readonly runningBootId?: string;
  readonly bootCount: number;
  readonly uncleanShutdowns: number;
  readonly migrations: Readonly<Record<string, string>>;
}

/** Where in the log a state is: kept by the composition of the slices, for every event whatever its slice. */
export interface LogPosition {
  /** Sequence of the last event applied (0 = empty log). */
  readonly seq: number;
  /** Adjusted time of the last event applied. */
  readonly lastEventTime?: string;
}

/**
 * The QmdlStore read model: the log position and every slice's state, side by
 * side at the top level (slices own disjoint keys; see `ledger.slices.ts`).
 * Plain JSON-able data so it can be persisted with the sequence it reflects.
 */
export interface QmdlStoreState extends LogPosition, RecordingsState, AnalysisState {}

/** An invariant violation found by `checkInvariants` / `checkTransition`. */
export interface InvariantViolation {
  /** Stable rule code, e.g. 'ONE_ACTIVE_RECORDING', 'SIZE_NEVER_DECREASES'. */
  readonly rule: string;
  readonly message: string;
  readonly seq?: number;
}
