import type { AnyEvent, Mutable } from './decider';
import { isRecordingName, lookup } from './naming';
import { isCount } from './recording-entry';
import { RECORDINGS_EVENT_VERSIONS, type RecordingTotals } from './recordings.events';
import { recordingNamedBy, type AppliedRecordingsEvent } from './recordings.evolve';
import type { InvariantViolation, LogPosition, RecordingEntry, RecordingsState } from './state';

/**
 * Stable codes of the recordings slice's rules (API: the forensics
 * `verify`/`bisect` output and the README list them). State rules hold for
 * every state; transition rules for every step.
 */
export const RECORDINGS_STATE_RULES = [
  'ACTIVE_NOT_IN_ENTRIES',
  'ACTIVE_NAME_LIVE',
  'ENTRY_KEY_MATCHES_NAME',
  'ENTRY_NAME_LIVE',
  'LIVE_NAME_HAS_ENTRY',
  'NAME_STATUS_VALID',
  'RECORDING_NAME_FORMAT',
  'SIZES_NON_NEGATIVE',
  'BOOT_COUNTS_CONSISTENT',
] as const;

export const RECORDINGS_TRANSITION_RULES = [
  'ONE_ACTIVE_RECORDING',
  'NAME_NEVER_REUSED',
  'EVENT_NAMES_ITS_RECORDING',
  'DATA_NAMES_ACTIVE',
  'STOP_NAMES_ACTIVE',
  'SIZE_NEVER_DECREASES',
  'TOTALS_NEVER_DECREASE',
  'TOTALS_ARE_COUNTS',
  'NO_EVENT_AFTER_DELETE',
  'UNKNOWN_RECORDING',
  'DELETE_STOPS_FIRST',
  'STORE_CREATED_ONCE',
  'MIGRATION_APPLIED_ONCE',
  'SIGN_IN_FAILURES_COUNTED',
] as const;

type RecordingsRule = (typeof RECORDINGS_STATE_RULES)[number] | (typeof RECORDINGS_TRANSITION_RULES)[number];

/** The recordings slice's state, with the position its messages cite. */
type CheckedState = RecordingsState & LogPosition;

function violation(rule: RecordingsRule, message: string, seq?: number): InvariantViolation {
  return seq === undefined ? { rule, message } : { rule, message, seq };
}

function checkEntryShape(entry: RecordingEntry, where: string, seq: number, out: InvariantViolation[]): void {
  if (!isRecordingName(entry.name)) {
    out.push(
      violation(
        'RECORDING_NAME_FORMAT',
        `${where} recording name ${JSON.stringify(entry.name)} is not decimal digits`,
        seq,
      ),
    );
  }
  for (const key of ['qmdlSizeBytes', 'uncompressedBytes', 'containers'] as const) {
    if (!isCount(entry[key])) {
      out.push(
        violation(
          'SIZES_NON_NEGATIVE',
          `${where} recording ${entry.name}: ${key} = ${String(entry[key])} is not a non-negative integer`,
          seq,
        ),
      );
    }
  }
}

/** The O(1) part of the state rules: those about the active recording. */
function checkActiveInvariants(state: CheckedState, out: InvariantViolation[]): void {
  const seq = state.seq;
  const current = state.current;
  if (current !== undefined) {
    if (lookup(state.entries, current.name) !== undefined) {
      out.push(violation('ACTIVE_NOT_IN_ENTRIES', `active recording ${current.name} is also a finished entry`, seq));
    }
    const status = lookup(state.names, current.name);
    if (status !== 'live') {
      out.push(
        violation(
          'ACTIVE_NAME_LIVE',
          `active recording ${current.name} has name status ${String(status)}, not live`,
          seq,
        ),
      );
    }
    checkEntryShape(current, 'active', seq, out);
  }
}

/**
 * Violations of the recordings slice's state rules in
 * `state`; empty when it is sound. O(number of recordings and names).
 */
export function checkRecordingsState(state: CheckedState): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  checkActiveInvariants(state, out);
  for (const [key, entry] of Object.entries(state.entries)) checkEntry(state, key, entry, out);
  for (const [name, status] of Object.entries(state.names)) checkNameStatus(state, name, status, out);
  checkBootCounts(state, out);
  return out;
}

/** The state rules for the recording `name` only: its entry and its name status. */
function checkRecordingOf(state: CheckedState, name: string, out: InvariantViolation[]): void {
  const entry = lookup(state.entries, name);
  if (entry !== undefined) checkEntry(state, name, entry, out);
  const status = lookup(state.names, name);
  if (status !== undefined) checkNameStatus(state, name, status, out);
}

function checkEntry(state: CheckedState, key: string, entry: RecordingEntry, out: InvariantViolation[]): void {
  const seq = state.seq;
  if (entry.name !== key)
    out.push(violation('ENTRY_KEY_MATCHES_NAME', `entry under ${key} is named ${entry.name}`, seq));
  const status = lookup(state.names, key);
  if (status !== 'live')
    out.push(violation('ENTRY_NAME_LIVE', `entry ${key} has name status ${String(status)}, not live`, seq));
  checkEntryShape(entry, 'finished', seq, out);
}

function checkNameStatus(state: CheckedState, name: string, status: unknown, out: InvariantViolation[]): void {
  const seq = state.seq;
  if (status !== 'live' && status !== 'deleted') {
    out.push(violation('NAME_STATUS_VALID', `name ${name} has status ${JSON.stringify(status)}`, seq));
  } else if (status === 'live' && lookup(state.entries, name) === undefined && state.current?.name !== name) {
    out.push(violation('LIVE_NAME_HAS_ENTRY', `name ${name} is live but no recording has it`, seq));
  }
}

function checkBootCounts(state: CheckedState, out: InvariantViolation[]): void {
  const { bootCount, uncleanShutdowns } = state;
  if (!isCount(bootCount) || !isCount(uncleanShutdowns) || uncleanShutdowns > bootCount) {
    out.push(
      violation(
        'BOOT_COUNTS_CONSISTENT',
        `bootCount ${String(bootCount)} / uncleanShutdowns ${String(uncleanShutdowns)}`,
        state.seq,
      ),
    );
  }
}

/** Which recordings events must name their recording (`EVENT_NAMES_ITS_RECORDING`): every type, so none is forgotten. */
const NAMES_ITS_RECORDING = {
  StoreCreated: false,
  ServiceStarted: false,
  ServiceStopped: false,
  RecordingStarted: true,
  RecordingDataAppended: true,
  RecordingStopped: true,
  RecordingDeleted: true,
  RecordingUploaded: true,
  RecordingImported: true,
  RecordingDamaged: true,
  ClockOffsetSet: false,
  GpsFixRecorded: false,
  ConfigChanged: false,
  MigrationApplied: false,
  SignInsFailed: false,
} as const satisfies Record<AppliedRecordingsEvent['type'], boolean>;

/** True for an event of the recordings slice. */
function isRecordingsEvent(event: AnyEvent): event is AnyEvent & AppliedRecordingsEvent {
  return Object.prototype.hasOwnProperty.call(RECORDINGS_EVENT_VERSIONS, event.type);
}

function checkTotals(totals: RecordingTotals, current: RecordingEntry, seq: number, out: InvariantViolation[]): void {
  for (const key of ['qmdlSizeBytes', 'uncompressedBytes', 'containers'] as const) {
    const value = totals[key];
    if (!isCount(value)) {
      out.push(violation('TOTALS_ARE_COUNTS', `${key} = ${String(value)} is not a non-negative integer`, seq));
    } else if (value < current[key]) {
      out.push(
        violation(
          key === 'qmdlSizeBytes' ? 'SIZE_NEVER_DECREASES' : 'TOTALS_NEVER_DECREASE',
          `${key} of active recording ${current.name} decreased from ${String(current[key])} to ${String(value)}`,
          seq,
        ),
      );
    }
  }
}

/**
 * What the recordings slice's transition check reads of the state before a
 * step: the active recording, the store id, and the statuses of the names and
 * the migration the event carries (looked up by those keys only; see
 * {@link recordingsTransitionBefore}).
 */
export type RecordingsBefore = Pick<RecordingsState, 'current' | 'storeId' | 'names' | 'migrations'>;

/** Which recordings events write a name's status (`names`): the statuses they read are copied out before the step. */
const WRITES_NAMES = {
  StoreCreated: false,
  ServiceStarted: false,
  ServiceStopped: false,
  RecordingStarted: true,
  RecordingDataAppended: false,
  RecordingStopped: false,
  RecordingDeleted: true,
  RecordingUploaded: false,
  RecordingImported: true,
  RecordingDamaged: false,
  ClockOffsetSet: false,
  GpsFixRecorded: false,
  ConfigChanged: false,
  MigrationApplied: false,
  SignInsFailed: false,
} as const satisfies Record<AppliedRecordingsEvent['type'], boolean>;

/** The values `from` has under `keys`, as a record of their own. */
function copiedOut<T>(from: Readonly<Record<string, T>>, keys: readonly (string | undefined)[]): Record<string, T> {
  const copied = Object.create(null) as Record<string, T>;
  for (const key of keys) {
    if (key === undefined) continue;
    const value = lookup(from, key);
    if (value !== undefined) copied[key] = value;
  }
  return copied;
}

/**
 * Writes into `before` what the recordings checks need of `state` for
 * `event` (of any slice), so that an in-place fold can take the step: the
 * active recording (entries are never mutated, only replaced), the store id,
 * and the name statuses and migrations the checks look up. Only a start, a
 * delete or an import writes a name's status, and only a MigrationApplied a
 * migration: those copy out the statuses of the names the event names and
 * carries, or the migration it applies. Any other step leaves `names` and
 * `migrations` as they are (no other slice writes them), so `before` holds the
 * state's own records, valid until the next step.
 */
export function recordingsTransitionBefore(
  state: RecordingsState,
  event: AnyEvent,
  before: Mutable<RecordingsBefore>,
): void {
  before.current = state.current;
  before.storeId = state.storeId;
  before.names = state.names;
  before.migrations = state.migrations;
  if (!isRecordingsEvent(event)) return;
  if (WRITES_NAMES[event.type]) {
    // A start or import may name one recording and carry another (EVENT_NAMES_ITS_RECORDING): both are looked up.
    const carried =
      event.type === 'RecordingStarted' || event.type === 'RecordingImported' ? event.data.name : undefined;
    before.names = copiedOut(state.names, [recordingNamedBy(event), carried]);
  } else if (event.type === 'MigrationApplied') {
    before.migrations = copiedOut(state.migrations, [event.data.id]);
  }
}

/**
 * Violations of the recordings slice's transition rules by `event`, an event
 * of any slice (no event names a deleted recording, whatever its slice).
 * Meant for replaying recorded history (forensics `verify`/`bisect`), so it
 * reports events that `decide` would never have produced.
 */
export function checkRecordingsTransition(before: RecordingsBefore, event: AnyEvent, out: InvariantViolation[]): void {
  const seq = event.seq;
  const name = recordingNamedBy(event);
  const current = before.current;
  const own = isRecordingsEvent(event);

  if (own && NAMES_ITS_RECORDING[event.type]) {
    if (event.recording === undefined) {
      out.push(violation('EVENT_NAMES_ITS_RECORDING', `${event.type} names no recording`, seq));
    } else if (
      (event.type === 'RecordingStarted' || event.type === 'RecordingImported') &&
      event.recording !== event.data.name
    ) {
      out.push(
        violation(
          'EVENT_NAMES_ITS_RECORDING',
          `${event.type} names ${event.recording} but carries ${event.data.name}`,
          seq,
        ),
      );
    }
  }
  if (name !== undefined && lookup(before.names, name) === 'deleted') {
    out.push(violation('NO_EVENT_AFTER_DELETE', `${event.type} names ${name}, deleted earlier`, seq));
  }
  if (!own) return;

  switch (event.type) {
    case 'RecordingStarted':
    case 'RecordingImported': {
      if (event.type === 'RecordingStarted' && current !== undefined) {
        out.push(violation('ONE_ACTIVE_RECORDING', `${event.data.name} started while ${current.name} is active`, seq));
      }
      const status = lookup(before.names, event.data.name);
      if (status !== undefined)
        out.push(violation('NAME_NEVER_REUSED', `${event.type} reuses name ${event.data.name} (${status})`, seq));
      if (event.type === 'RecordingImported' && !isCount(event.data.qmdlSizeBytes)) {
        out.push(violation('TOTALS_ARE_COUNTS', `imported qmdlSizeBytes = ${String(event.data.qmdlSizeBytes)}`, seq));
      }
      break;
    }
    case 'RecordingDataAppended':
    case 'RecordingStopped': {
      const stopping = event.type === 'RecordingStopped';
      // Mirrors evolve: a stop without a name stops the active recording; data without one is ignored.
      const applies =
        current !== undefined && (event.recording === current.name || (stopping && event.recording === undefined));
      if (!applies || current === undefined) {
        out.push(
          violation(
            stopping ? 'STOP_NAMES_ACTIVE' : 'DATA_NAMES_ACTIVE',
            `${event.type} names ${String(event.recording)} but the active recording is ${current?.name ?? 'none'}`,
            seq,
          ),
        );
      } else {
        checkTotals(event.data, current, seq, out);
      }
      break;
    }
    case 'RecordingDeleted':
    case 'RecordingUploaded':
    case 'RecordingDamaged':
      if (name !== undefined && lookup(before.names, name) === undefined) {
        out.push(violation('UNKNOWN_RECORDING', `${event.type} names ${name}, never issued`, seq));
      }
      if (event.type === 'RecordingDeleted' && current !== undefined && current.name === name) {
        out.push(
          violation('DELETE_STOPS_FIRST', `active recording ${name} deleted without RecordingStopped first`, seq),
        );
      }
      break;
    case 'StoreCreated':
      if (before.storeId !== undefined)
        out.push(violation('STORE_CREATED_ONCE', `store ${before.storeId} created again`, seq));
      break;
    case 'MigrationApplied':
      if (lookup(before.migrations, event.data.id) !== undefined) {
        out.push(violation('MIGRATION_APPLIED_ONCE', `migration ${event.data.id} applied again`, seq));
      }
      break;
    case 'ServiceStarted':
    case 'ServiceStopped':
    case 'ClockOffsetSet':
    case 'GpsFixRecorded':
    case 'ConfigChanged':
      break;
    case 'SignInsFailed':
      if (
        !isCount(event.data.count) ||
        event.data.count < 1 ||
        !isCount(event.data.throttled) ||
        event.data.throttled > event.data.count
      ) {
        out.push(
          violation(
            'SIGN_IN_FAILURES_COUNTED',
            `SignInsFailed counts ${String(event.data.count)} failures (${String(event.data.throttled)} throttled): a report counts at least one, at most all throttled`,
            seq,
          ),
        );
      }
      break;
    default: {
      const unknown: never = event;
      void unknown;
    }
  }
}

/**
 * Pushes onto `out` the recordings state rules a step can have broken: the
 * O(1) rules, and those of the recordings it touched — the event's own, and
 * the active one before and after (each once). O(1).
 */
export function checkRecordingsStep(
  after: CheckedState,
  event: AnyEvent,
  before: RecordingsBefore,
  out: InvariantViolation[],
): void {
  checkActiveInvariants(after, out);
  const named = recordingNamedBy(event);
  const wasActive = before.current?.name;
  const isActive = after.current?.name;
  if (named !== undefined) checkRecordingOf(after, named, out);
  if (wasActive !== undefined && wasActive !== named) checkRecordingOf(after, wasActive, out);
  if (isActive !== undefined && isActive !== named && isActive !== wasActive) checkRecordingOf(after, isActive, out);
  checkBootCounts(after, out);
}
