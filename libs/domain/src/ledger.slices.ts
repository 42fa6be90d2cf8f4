import { analysisSlice } from './analysis.slice';
import type { CommandType, Command } from './commands';
import {
  composeSlices,
  type AnySlice,
  type Decision,
  type Folder,
  type SliceBefore,
  type SliceCommand,
  type SliceEvent,
  type SliceReads,
  type SliceState,
} from './decider';
import type { DecidedEvent, LedgerEvent, LedgerEventType } from './events';
import { recordingsSlice } from './recordings.slice';
import type { LogPosition, QmdlStoreState } from './state';

/**
 * The ledger's slices, in the order their events are applied and their rules
 * reported. A new feature is a new slice: its own `<feature>.commands.ts`,
 * `.events.ts`, `.decider.ts`, `.evolve.ts`, `.invariants.ts` and
 * `.slice.ts`, one entry here, and its maps joined in `commands.ts`,
 * `events.ts` and `state.ts` — the checks below fail to compile until all of
 * that agrees.
 */
export const LEDGER_SLICES = [recordingsSlice, analysisSlice] as const;

type LedgerSlice = (typeof LEDGER_SLICES)[number];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type KeysOf<T> = T extends unknown ? keyof T : never;
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * Compile-time: the slices decide exactly the ledger's commands and events,
 * own exactly the keys of its state (beside the log position), and the state
 * gives every slice what it reads of the others.
 */
const SLICES_MAKE_THE_LEDGER: {
  readonly commands: Same<SliceCommand<LedgerSlice>['type'], CommandType>;
  readonly events: Same<SliceEvent<LedgerSlice>['type'], LedgerEventType>;
  readonly state: Same<keyof QmdlStoreState, keyof LogPosition | KeysOf<SliceState<LedgerSlice>>>;
  readonly reads: QmdlStoreState extends Intersection<SliceReads<LedgerSlice>> ? true : false;
} = { commands: true, events: true, state: true, reads: true };
void SLICES_MAKE_THE_LEDGER;

/** The ledger's slices composed: what `decide`, `evolve`, the folds and the invariant checks below run. */
export const ledgerDecider = composeSlices<QmdlStoreState, Command, DecidedEvent, TransitionBefore>(
  LEDGER_SLICES as readonly AnySlice[],
);
const ledger = ledgerDecider;

/**
 * What `checkTransition` reads of the state before a step: what every slice's
 * check reads (for the recordings slice: the active recording, the store id,
 * and the statuses of the names and the migration the event carries), with
 * the log position. A whole state is one too.
 */
export type TransitionBefore = Intersection<SliceBefore<LedgerSlice>>;

/**
 * An event `evolve` can apply: a stored event, or a decided one given its `seq`
 * (and, optionally, its adjusted time) — what tests and the processor hold
 * between the decision and the append.
 */
export type EvolvableEvent = LedgerEvent | (DecidedEvent & { readonly seq: number; readonly time?: string });

/** Applies many events at O(1) each, whatever the number of recordings, with the same rules as `evolve`. */
export type StateFolder = Folder<QmdlStoreState, EvolvableEvent>;

/**
 * Decides what `command` means in `state`, by the slice that owns the
 * command: the events to append atomically, in order, or a typed refusal with
 * a stable code. Pure: time, ids and offsets come inside the command.
 *
 * @throws LedgerError `INVARIANT_BROKEN` only when `state` itself is broken.
 * @example
 * const decision = decide({ type: 'StopRecording', data: { reason: 'requested' } }, state);
 * if (decision.ok) await log.append(decision.events); else throw toHttp(decision.refusal.code);
 */
export function decide(command: Command, state: QmdlStoreState): Decision<DecidedEvent> {
  return ledger.decide(command, state);
}

/** The QmdlStore before any event: no store id, no recordings, no names. */
export function initialState(): QmdlStoreState {
  return ledger.initialState();
}

/**
 * The state after `event`. Pure: returns a new state and never mutates its
 * input. A projection never rejects history, so it never throws on a recorded
 * event: an event that does not fit the state (data for a recording that is
 * not active, a stop with nothing active, a type this build does not know …)
 * changes nothing but `seq` and `lastEventTime`. `checkTransition` is what
 * reports such events.
 *
 * A RecordingDataAppended costs O(1) whatever the number of recordings: it only
 * replaces `current`, never copies `entries` or `names`. A start, stop, delete
 * or import copies the record it changes; to apply many events, use
 * `createFold`, which copies each record at most once.
 *
 * @example const next = evolve(state, { type: 'ClockOffsetSet', data: { offsetSeconds: 3 }, seq: state.seq + 1 });
 */
export function evolve(state: QmdlStoreState, event: EvolvableEvent): QmdlStoreState {
  return ledger.evolve(state, event);
}

/**
 * A folder starting at `state` (the empty store by default). `state` and every
 * state the folder hands out stay untouched: the folder copies each record
 * (`entries`, `names`, `migrations`, `analyses`) the first time it writes it,
 * then updates its own copy in place, so a rebuild costs O(events), not
 * O(events × recordings).
 *
 * @example
 * const fold = createFold(snapshot);
 * for await (const event of log.read({ fromSeq: snapshot.seq + 1 })) fold.apply(event);
 * const state = fold.result();
 */
export function createFold(state: QmdlStoreState = initialState()): StateFolder {
  return ledger.createFold(state);
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
