import type { RecordingsEventDataMap, RecordingTotals } from './recordings.events';
import type { QmdlStoreState, RecordingEntry } from './state';

/**
 * A copy of `value` without the keys whose value is `undefined`. Events and
 * state are JSON: an `undefined` key would vanish on the way through the log and
 * make a rebuilt projection differ from the live one, so none is ever written.
 */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  // for…in with an own-property check walks the same keys, in the same order, as
  // Object.entries without allocating a [key, value] pair per key: this runs on
  // every data event of a rebuild.
  const source = value as Record<string, unknown>;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const v = source[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

/** The committed totals of a recording, as RecordingStopped carries them. */
export function totalsOf(entry: RecordingEntry): RecordingTotals {
  return compact({
    qmdlSizeBytes: entry.qmdlSizeBytes,
    uncompressedBytes: entry.uncompressedBytes,
    containers: entry.containers,
    lastMessageTime: entry.lastMessageTime,
  });
}

/** The entry a RecordingStarted creates: empty totals. */
export function entryFromStarted(data: RecordingsEventDataMap['RecordingStarted']): RecordingEntry {
  return compact({
    name: data.name,
    startTime: data.startTime,
    qmdlSizeBytes: 0,
    uncompressedBytes: 0,
    containers: 0,
    rayhunterVersion: data.rayhunterVersion,
    systemOs: data.systemOs,
    arch: data.arch,
    machine: data.machine,
    gpsMode: data.gpsMode,
    compressed: data.compressed,
  });
}

/**
 * The entry a RecordingImported creates. An imported recording's uncompressed
 * size and container count are unknown (Rayhunter's manifest does not keep
 * them), so they start at 0.
 */
export function entryFromImported(data: RecordingsEventDataMap['RecordingImported']): RecordingEntry {
  return compact({
    name: data.name,
    startTime: data.startTime,
    lastMessageTime: data.lastMessageTime,
    qmdlSizeBytes: data.qmdlSizeBytes,
    uncompressedBytes: 0,
    containers: 0,
    rayhunterVersion: data.rayhunterVersion,
    systemOs: data.systemOs,
    arch: data.arch,
    stopReason: data.stopReason,
    uploadTime: data.uploadTime,
    gpsMode: data.gpsMode,
    compressed: data.compressed,
  });
}

/** True for a count a total may hold: a non-negative safe integer. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Every live recording (not deleted): the finished ones in manifest order,
 * then the active one. The one definition of "all live recordings" for
 * delete-all, start-up reconciliation, shipping, exports and migrations.
 */
export function liveRecordings(state: Pick<QmdlStoreState, 'entries' | 'current'>): RecordingEntry[] {
  const live = Object.values(state.entries);
  if (state.current !== undefined) live.push(state.current);
  return live;
}
