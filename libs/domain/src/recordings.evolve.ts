import { evolveAnalyses, forgetAnalyses } from './analysis.evolve';
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

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A state being built by `applyInPlace`. Its top-level object belongs to the
 * draft; `entries`, `names` and `migrations` may still be shared with a state
 * someone holds, until the first write copies them (`owns*` says which are
 * the draft's own). Recording entries, `config` and `lastGpsFix` are never
 * written into: they are replaced.
 */
interface Draft {
  state: Writable<QmdlStoreState>;
  ownsEntries: boolean;
  ownsNames: boolean;
  ownsMigrations: boolean;
}

function draftOf(state: QmdlStoreState): Draft {
  return { state: { ...state }, ownsEntries: false, ownsNames: false, ownsMigrations: false };
}

function writableEntries(draft: Draft): Record<string, RecordingEntry> {
  if (!draft.ownsEntries) {
    draft.state.entries = { ...draft.state.entries };
    draft.ownsEntries = true;
  }
  return draft.state.entries as Record<string, RecordingEntry>;
}

function writableNames(draft: Draft): Record<string, 'live' | 'deleted'> {
  if (!draft.ownsNames) {
    draft.state.names = { ...draft.state.names };
    draft.ownsNames = true;
  }
  return draft.state.names as Record<string, 'live' | 'deleted'>;
}

function writableMigrations(draft: Draft): Record<string, string> {
  if (!draft.ownsMigrations) {
    draft.state.migrations = { ...draft.state.migrations };
    draft.ownsMigrations = true;
  }
  return draft.state.migrations as Record<string, string>;
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
  if (entry !== undefined) setOwn(writableEntries(draft), name, update(entry));
}

/**
 * The rules of history, in one place: applies `event` to `draft` in place.
 * `evolve` and `createFold` both run on it; only how their drafts share
 * structure with states already handed out differs.
 */
function applyInPlace(draft: Draft, event: EvolvableEvent): void {
  const s = draft.state;
  s.seq = event.seq;
  if (event.time !== undefined) s.lastEventTime = event.time;
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
        setOwn(writableEntries(draft), s.current.name, s.current);
      }
      s.current = entryFromStarted(event.data);
      setOwn(writableNames(draft), event.data.name, 'live');
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
      setOwn(writableEntries(draft), current.name, stopped);
      return;
    }

    case 'RecordingDeleted': {
      const name = event.recording;
      if (name === undefined) return;
      if (s.current !== undefined && s.current.name === name) delete s.current;
      else if (lookup(s.entries, name) !== undefined) delete writableEntries(draft)[name];
      setOwn(writableNames(draft), name, 'deleted');
      if (s.analyses !== undefined) {
        const analyses = forgetAnalyses(s.analyses, name);
        if (analyses !== undefined) s.analyses = analyses;
      }
      return;
    }

    case 'RecordingUploaded':
      updateRecording(draft, event.recording, (entry) => ({ ...entry, uploadTime: event.data.uploadTime }));
      return;

    case 'RecordingDamaged':
      updateRecording(draft, event.recording, (entry) => ({
        ...entry,
        damaged: { missing: [...event.data.missing], detail: event.data.detail },
      }));
      return;

    case 'RecordingImported': {
      const name = event.data.name;
      setOwn(writableEntries(draft), name, entryFromImported(event.data));
      setOwn(writableNames(draft), name, 'live');
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
      setOwn(writableMigrations(draft), event.data.id, event.data.name);
      return;

    case 'RecordingAnalysisStarted':
    case 'RecordingAnalysisFinding':
    case 'RecordingAnalysisCompleted': {
      // The analysis slice's own rules (analysis.evolve.ts); only `analyses` changes.
      const analyses = evolveAnalyses(s, event);
      if (analyses !== undefined) s.analyses = analyses;
      return;
    }

    default: {
      // Compile time: a new event type must be handled above. Run time: a type
      // this build does not know (a newer writer) is history too — skip it.
      const unknown: never = event;
      void unknown;
      return;
    }
  }
}

/**
 * The state after `event`. Pure: returns a new state and never mutates its
 * input. A projection never rejects history, so it never throws on a recorded
 * event: an event that does not fit the state (data for a recording that is not
 * active, a stop with nothing active, …) changes nothing but `seq` and
 * `lastEventTime`. `checkTransition` is what reports such events.
 *
 * A RecordingDataAppended costs O(1) whatever the number of recordings: it only
 * replaces `current`, never copies `entries` or `names`. A start, stop, delete
 * or import copies the record it changes; to apply many events, use
 * `createFold`, which copies each record at most once.
 *
 * @example const next = evolve(state, { type: 'ClockOffsetSet', data: { offsetSeconds: 3 }, seq: state.seq + 1 });
 */
export function evolve(state: QmdlStoreState, event: EvolvableEvent): QmdlStoreState {
  const draft = draftOf(state);
  applyInPlace(draft, event);
  return draft.state;
}

/**
 * Applies many events at O(1) each, whatever the number of recordings, with
 * the same rules as `evolve` (the same code runs both). See `createFold`.
 */
export interface StateFolder {
  /** Apply one event; the same result as `state = evolve(state, event)`. */
  apply(event: EvolvableEvent): void;
  /** Apply every event, in order. */
  applyAll(events: Iterable<EvolvableEvent>): void;
  /** `seq` of the last event applied (or of the starting state). */
  readonly seq: number;
  /**
   * The state so far: an ordinary immutable state. The folder never writes
   * into an object it has handed out — the next `apply` starts a new copy
   * (the records it writes are copied again, once, on first write).
   */
  result(): QmdlStoreState;
  /**
   * The state so far without handing it out: the folder keeps writing into it,
   * so it is valid only until the next `apply`. For reading between steps at no
   * cost (`result()` makes the next write of a record copy it again).
   */
  peek(): QmdlStoreState;
}

/**
 * A folder starting at `state` (the empty store by default). `state` and every
 * state the folder hands out stay untouched: the folder copies `entries`,
 * `names` and `migrations` the first time it writes each, then updates its own
 * copies in place, so a rebuild costs O(events), not O(events × recordings).
 *
 * @example
 * const fold = createFold(snapshot);
 * for await (const event of log.read({ fromSeq: snapshot.seq + 1 })) fold.apply(event);
 * const state = fold.result();
 */
export function createFold(state: QmdlStoreState = initialState()): StateFolder {
  let draft = draftOf(state);
  let handedOut = false;
  const apply = (event: EvolvableEvent): void => {
    if (handedOut) {
      draft = draftOf(draft.state);
      handedOut = false;
    }
    applyInPlace(draft, event);
  };
  return {
    apply,
    applyAll(events) {
      for (const event of events) apply(event);
    },
    get seq() {
      return draft.state.seq;
    },
    result() {
      handedOut = true;
      return draft.state;
    },
    peek() {
      return draft.state;
    },
  };
}

/**
 * Folds `events` over `state` (the empty store by default): `evolve` event by
 * event, at the cost of `createFold`.
 *
 * @example const state = foldEvents(await log.readAll());
 */
export function foldEvents(events: Iterable<EvolvableEvent>, state: QmdlStoreState = initialState()): QmdlStoreState {
  const fold = createFold(state);
  fold.applyAll(events);
  return fold.result();
}
