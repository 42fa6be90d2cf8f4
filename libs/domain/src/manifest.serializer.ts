import type { GpsMode } from './recordings.events';
import { compareRecordingsByStart } from './naming';
import type { QmdlStoreState, RecordingEntry } from './state';

/**
 * One entry of `GET /api/qmdl-manifest`, exactly as the Rayhunter daemon (0.12)
 * serializes it (https://github.com/EFForg/rayhunter): all 11 keys always
 * present, in this order, `null` when absent. The wire format wants `null`; inside the
 * domain absence stays `undefined`.
 */
export interface RayhunterManifestEntry {
  readonly name: string;
  readonly start_time: string;
  readonly last_message_time: string | null;
  readonly qmdl_size_bytes: number;
  readonly rayhunter_version: string | null;
  readonly system_os: string | null;
  readonly arch: string | null;
  readonly stop_reason: string | null;
  readonly upload_time: string | null;
  readonly gps_mode: GpsMode | null;
  readonly compressed: boolean;
}

/** The body of `GET /api/qmdl-manifest`. */
export interface RayhunterManifest {
  /** Finished recordings, ascending start time (ties by name); never the current one. */
  readonly entries: RayhunterManifestEntry[];
  readonly current_entry: RayhunterManifestEntry | null;
}

/** The Rayhunter manifest entry of one recording. Keys are written in wire order. */
export function toRayhunterEntry(entry: RecordingEntry): RayhunterManifestEntry {
  return {
    name: entry.name,
    start_time: entry.startTime,
    last_message_time: entry.lastMessageTime ?? null,
    qmdl_size_bytes: entry.qmdlSizeBytes,
    rayhunter_version: entry.rayhunterVersion ?? null,
    system_os: entry.systemOs ?? null,
    arch: entry.arch ?? null,
    stop_reason: entry.stopReason ?? null,
    upload_time: entry.uploadTime ?? null,
    gps_mode: entry.gpsMode ?? null,
    compressed: entry.compressed,
  };
}

/**
 * The Rayhunter manifest of a QmdlStore.
 *
 * @example res.json(toRayhunterManifest(projection.state));
 */
export function toRayhunterManifest(state: QmdlStoreState): RayhunterManifest {
  const currentName = state.current?.name;
  const entries = Object.values(state.entries)
    .filter((entry) => entry.name !== currentName)
    .sort(compareRecordingsByStart)
    .map(toRayhunterEntry);
  return { entries, current_entry: state.current === undefined ? null : toRayhunterEntry(state.current) };
}
