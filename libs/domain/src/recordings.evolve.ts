import type { AnyEvent, Positioned, SliceDraft } from './decider';
import type { DecidedEventOf } from './envelope';
import { lookup } from './naming';
import { compact, entryFromImported, entryFromStarted } from './recording-entry';
import type { RecordingsEventDataMap } from './recordings.events';
import type { RecordingEntry, RecordingsState } from './state';

/** A recordings event as `decide` produces it. */
export type RecordingsEvent = DecidedEventOf<RecordingsEventDataMap>;

/** A recordings event as `apply` receives it: decided or stored, with its place in the log. */
export type AppliedRecordingsEvent = RecordingsEvent & Positioned;

/** The recordings slice before any event: no store id, no recordings, no names. */
export function initialRecordingsState(): RecordingsState {
  return {
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
 * The recording an event of any slice names: its `recording`, or for
 * RecordingStarted and RecordingImported the name in `data` when `recording`
 * is missing.
 */
export function recordingNamedBy(event: Pick<AnyEvent, 'type' | 'recording' | 'data'>): string | undefined {
  if (event.recording !== undefined) return event.recording;
  if (event.type === 'RecordingStarted' || event.type === 'RecordingImported') {
    const name = (event.data as { readonly name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? name : undefined;
  }
  return undefined;
}

/**
 * Sets an own property as a computed key in an object literal would: a
 * recording name such as `__proto__` from a damaged log becomes a key, not the
 * record's prototype.
 */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  else record[key] = value;
}

type Draft = SliceDraft<RecordingsState>;

/** Applies `update` to the named recording, active or finished; unknown names leave the state as it is. */
function updateRecording(
  draft: Draft,
  name: string | undefined,
  update: (entry: RecordingEntry) => RecordingEntry,
): void {
  if (name === undefined) return;
  const s = draft.state;
  if (s.current !== undefined && s.current.name === name) {
    s.current = update(s.current);
    return;
  }
  const entry = lookup(s.entries, name);
  if (entry !== undefined) setOwn(draft.own('entries'), name, update(entry));
}

/**
 * The recordings slice's rules of history, in one place: applies `event` to
 * `draft` in place. `evolve` and `createFold` (`ledger.slices.ts`) both run on
 * it; only how their drafts share structure with states already handed out
 * differs. Never throws on a recorded event: one that does not fit the state
 * (data for a recording that is not active, a stop with nothing active, …)
 * changes nothing; `checkTransition` is what reports it.
 */
export function applyRecordingEvent(draft: Draft, event: AppliedRecordingsEvent): void {
  const s = draft.state;
  switch (event.type) {
    case 'StoreCreated':
      // The first StoreCreated wins; a second one is history to report, not to apply.
      if (s.storeId !== undefined) return;
      s.storeId = event.data.storeId;
      s.formatVersion = event.data.formatVersion;
      return;

    case 'ServiceStarted':
      s.runningBootId = event.data.bootId;
      s.bootCount = s.bootCount + 1;
      s.uncleanShutdowns = s.uncleanShutdowns + (event.data.previousShutdownClean ? 0 : 1);
      return;

    case 'ServiceStopped':
      delete s.runningBootId;
      return;

    case 'RecordingStarted': {
      if (s.current !== undefined) {
        // Never produced by `decide` (it stops first). Keep the orphaned recording
        // in the manifest rather than lose it; checkTransition reports the event.
        setOwn(draft.own('entries'), s.current.name, s.current);
      }
      s.current = entryFromStarted(event.data);
      setOwn(draft.own('names'), event.data.name, 'live');
      return;
    }

    case 'RecordingDataAppended': {
      const current = s.current;
      if (current === undefined || event.recording !== current.name) return;
      const d = event.data;
      s.current = compact({
        ...current,
        qmdlSizeBytes: d.qmdlSizeBytes,
        uncompressedBytes: d.uncompressedBytes,
        containers: d.containers,
        lastMessageTime: d.lastMessageTime ?? current.lastMessageTime,
      });
      return;
    }

    case 'RecordingStopped': {
      const current = s.current;
      if (current === undefined || (event.recording !== undefined && event.recording !== current.name)) return;
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
      delete s.current;
      setOwn(draft.own('entries'), current.name, stopped);
      return;
    }

    case 'RecordingDeleted': {
      const name = event.recording;
      if (name === undefined) return;
      if (s.current !== undefined && s.current.name === name) delete s.current;
      else if (lookup(s.entries, name) !== undefined) delete draft.own('entries')[name];
      setOwn(draft.own('names'), name, 'deleted');
      return;
    }

    case 'RecordingUploaded':
      updateRecording(draft, event.recording, ({ uploadTarget: _target, uploadedReport: _report, ...entry }) => ({
        ...entry,
        uploadTime: event.data.uploadTime,
        ...(event.data.target !== undefined ? { uploadTarget: event.data.target } : {}),
        ...(event.data.reportVersion !== undefined ? { uploadedReport: event.data.reportVersion } : {}),
      }));
      return;

    case 'RecordingDamaged':
      updateRecording(draft, event.recording, (entry) => ({
        ...entry,
        damaged: { missing: [...event.data.missing], detail: event.data.detail },
      }));
      return;

    case 'RecordingImported': {
      const name = event.data.name;
      setOwn(draft.own('entries'), name, entryFromImported(event.data));
      setOwn(draft.own('names'), name, 'live');
      return;
    }

    case 'ClockOffsetSet':
      s.clockOffsetSeconds = event.data.offsetSeconds;
      return;

    case 'GpsFixRecorded':
      s.lastGpsFix = compact({
        lat: event.data.lat,
        lon: event.data.lon,
        fixTime: event.data.fixTime,
        source: event.data.source,
        time: event.time,
      });
      return;

    case 'ConfigChanged':
      s.config = event.data.config;
      return;

    case 'SignInsFailed':
      // Audit only: who failed to sign in changes nothing the store holds.
      return;

    case 'MigrationApplied':
      setOwn(draft.own('migrations'), event.data.id, event.data.name);
      return;

    default: {
      // Compile time: a new recordings event type must be handled above.
      const unknown: never = event;
      void unknown;
      return;
    }
  }
}
