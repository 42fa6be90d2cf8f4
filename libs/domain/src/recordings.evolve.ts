import type { DecidedEvent, LedgerEvent } from './events';
import { lookup } from './naming';
import { compact, entryFromImported, entryFromStarted } from './recording-entry';
import type { QmdlStoreState, RecordingEntry } from './state';

/**
 * An event `evolve` can apply: a stored event, or a decided one given its `seq`
 * (and, optionally, its adjusted time) — what tests and the processor hold
 * between the decision and the append.
 */
export type EvolvableEvent = LedgerEvent | (DecidedEvent & { readonly seq: number; readonly time?: string });

/** The QmdlStore before any event: no store id, no recordings, no names. */
export function initialState(): QmdlStoreState {
  return {
    seq: 0,
    entries: {},
    names: {},
    clockOffsetSeconds: 0,
    config: {},
    bootCount: 0,
    uncleanShutdowns: 0,
    migrations: {},
  };
}

/**
 * The recording an event names: its `recording`, or for RecordingStarted and
 * RecordingImported the name in `data` when `recording` is missing.
 */
export function recordingNamedBy(event: DecidedEvent | EvolvableEvent): string | undefined {
  if (event.recording !== undefined) return event.recording;
  if (event.type === 'RecordingStarted' || event.type === 'RecordingImported') return event.data.name;
  return undefined;
}

function without<K extends string, T extends object>(value: T, key: K): Omit<T, K> {
  const copy = { ...value } as Record<string, unknown>;
  delete copy[key];
  return copy as Omit<T, K>;
}

/** Applies `update` to the named recording, active or finished; unknown names leave the state as it is. */
function updateRecording(
  state: QmdlStoreState,
  name: string | undefined,
  update: (entry: RecordingEntry) => RecordingEntry,
): QmdlStoreState {
  if (name === undefined) return state;
  if (state.current !== undefined && state.current.name === name) return { ...state, current: update(state.current) };
  const entry = lookup(state.entries, name);
  if (entry === undefined) return state;
  return { ...state, entries: { ...state.entries, [name]: update(entry) } };
}

/**
 * The state after `event`. Pure: returns a new state and never mutates its
 * input. A projection never rejects history, so it never throws on a recorded
 * event: an event that does not fit the state (data for a recording that is not
 * active, a stop with nothing active, …) changes nothing but `seq` and
 * `lastEventTime`. `checkTransition` is what reports such events.
 *
 * A RecordingDataAppended costs O(1) whatever the number of recordings: it only
 * replaces `current`, never copies `entries` or `names`.
 *
 * @example const next = evolve(state, { type: 'ClockOffsetSet', data: { offsetSeconds: 3 }, seq: state.seq + 1 });
 */
export function evolve(state: QmdlStoreState, event: EvolvableEvent): QmdlStoreState {
  const s: QmdlStoreState = { ...state, seq: event.seq, ...(event.time === undefined ? {} : { lastEventTime: event.time }) };
  switch (event.type) {
    case 'StoreCreated':
      // The first StoreCreated wins; a second one is history to report, not to apply.
      if (s.storeId !== undefined) return s;
      return { ...s, storeId: event.data.storeId, formatVersion: event.data.formatVersion };

    case 'ServiceStarted':
      return {
        ...s,
        runningBootId: event.data.bootId,
        bootCount: s.bootCount + 1,
        uncleanShutdowns: s.uncleanShutdowns + (event.data.previousShutdownClean ? 0 : 1),
      };

    case 'ServiceStopped':
      return without(s, 'runningBootId');

    case 'RecordingStarted': {
      const name = event.data.name;
      let next = s;
      if (s.current !== undefined) {
        // Never produced by `decide` (it stops first). Keep the orphaned recording
        // in the manifest rather than lose it; checkTransition reports the event.
        next = { ...s, entries: { ...s.entries, [s.current.name]: s.current } };
      }
      return { ...next, current: entryFromStarted(event.data), names: { ...s.names, [name]: 'live' } };
    }

    case 'RecordingDataAppended': {
      const current = s.current;
      if (current === undefined || event.recording !== current.name) return s;
      const d = event.data;
      return {
        ...s,
        current: compact({
          ...current,
          qmdlSizeBytes: d.qmdlSizeBytes,
          uncompressedBytes: d.uncompressedBytes,
          containers: d.containers,
          lastMessageTime: d.lastMessageTime ?? current.lastMessageTime,
        }),
      };
    }

    case 'RecordingStopped': {
      const current = s.current;
      if (current === undefined || (event.recording !== undefined && event.recording !== current.name)) return s;
      const d = event.data;
      const stopped: RecordingEntry = compact({
        ...current,
        qmdlSizeBytes: d.qmdlSizeBytes,
        uncompressedBytes: d.uncompressedBytes,
        containers: d.containers,
        lastMessageTime: d.lastMessageTime ?? current.lastMessageTime,
        stopReason: d.reason,
        stopDetail: d.detail,
      });
      return { ...without(s, 'current'), entries: { ...s.entries, [current.name]: stopped } };
    }

    case 'RecordingDeleted': {
      const name = event.recording;
      if (name === undefined) return s;
      let next: QmdlStoreState = s;
      if (s.current !== undefined && s.current.name === name) next = without(s, 'current');
      else if (lookup(s.entries, name) !== undefined) next = { ...s, entries: without(s.entries, name) };
      return { ...next, names: { ...s.names, [name]: 'deleted' } };
    }

    case 'RecordingUploaded':
      return updateRecording(s, event.recording, (entry) => ({ ...entry, uploadTime: event.data.uploadTime }));

    case 'RecordingDamaged':
      return updateRecording(s, event.recording, (entry) => ({
        ...entry,
        damaged: { missing: [...event.data.missing], detail: event.data.detail },
      }));

    case 'RecordingImported': {
      const name = event.data.name;
      return {
        ...s,
        entries: { ...s.entries, [name]: entryFromImported(event.data) },
        names: { ...s.names, [name]: 'live' },
      };
    }

    case 'ClockOffsetSet':
      return { ...s, clockOffsetSeconds: event.data.offsetSeconds };

    case 'GpsFixRecorded':
      return {
        ...s,
        lastGpsFix: compact({
          lat: event.data.lat,
          lon: event.data.lon,
          fixTime: event.data.fixTime,
          source: event.data.source,
          time: event.time,
        }),
      };

    case 'ConfigChanged':
      return { ...s, config: event.data.config };

    case 'MigrationApplied':
      return { ...s, migrations: { ...s.migrations, [event.data.id]: event.data.name } };

    default: {
      // Compile time: a new event type must be handled above. Run time: a type
      // this build does not know (a newer writer) is history too — skip it.
      const unknown: never = event;
      void unknown;
      return s;
    }
  }
}

/**
 * Folds `events` over `state` (the empty store by default).
 *
 * @example const state = foldEvents(await log.readAll());
 */
export function foldEvents(events: Iterable<EvolvableEvent>, state: QmdlStoreState = initialState()): QmdlStoreState {
  let next = state;
  for (const event of events) next = evolve(next, event);
  return next;
}
