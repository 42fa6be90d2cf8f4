import type { Refusal } from './commands';
import { LedgerError } from './errors';
import type { InvariantViolation, LogPosition } from './state';

/** What `decide` answers: the events to append (possibly none), or a typed refusal. */
export type Decision<TEvent> = { ok: true; events: TEvent[] } | { ok: false; refusal: Refusal };

/**
 * The decider shape of event-driven-io/emmett (`Decider<State, Command, Event>`):
 * `decide` turns a command into events (here: or a typed refusal), `evolve`
 * folds an event into the state, `initialState` is the state before any event.
 * `TApplied` is the event as `evolve` receives it (a decided event given its
 * place in the log).
 */
export interface Decider<TState, TCommand, TEvent, TApplied = TEvent> {
  decide(command: TCommand, state: TState): Decision<TEvent>;
  evolve(state: TState, event: TApplied): TState;
  initialState(): TState;
}

/** Anything with a `type`: commands and events alike. */
export interface Typed {
  readonly type: string;
}

/** What every event carries to `evolve`, whatever its slice: its place in the log. */
export interface Positioned {
  readonly seq: number;
  /** Adjusted time of the event, when it has one (a decided event in a test may not). */
  readonly time?: string;
}

/** An event of any slice, as the checks of another slice see it. */
export interface AnyEvent extends Typed, Positioned {
  /** The recording the event names, where it has one. */
  readonly recording?: string;
  readonly data: unknown;
}

/** `T` with its top-level keys writable: a draft of a state, or the `before` of a step being filled in. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A state being built in place by a fold (see {@link composeSlices}). Its top
 * level belongs to the draft: a slice assigns its own keys directly. A nested
 * record (e.g. `entries`) may still be shared with a state someone holds:
 * `own(key)` copies it the first time this draft writes it and returns the
 * copy to write into, so a fold of many events copies each record once.
 */
export interface SliceDraft<TState> {
  readonly state: Mutable<TState>;
  own<K extends keyof TState>(key: K): Mutable<NonNullable<TState[K]>>;
}

/**
 * A slice: one feature's decider — its own state (a set of top-level keys of
 * the ledger's state no other slice writes), its commands, its events and its
 * invariants — in the emmett shape, with what the composition needs to route
 * commands and events to it.
 *
 * **Reading another slice's state.** A slice that must know something another
 * slice owns (analysis: is this recording live?) says so in `TReads`, a type
 * naming exactly the keys it reads (e.g. `Pick<RecordingsState, 'names'>`).
 * The composition hands the whole ledger state as `reads` (no copy), and the
 * ledger's list of slices (`ledger.slices.ts`) holds the compiler to it: the
 * ledger state must provide every slice's `TReads`. A slice never writes
 * through `reads`; its own state is the only thing its `apply` changes.
 *
 * **Following another slice's events.** A slice whose state depends on
 * another's events (analysis forgets a deleted recording's analyses) lists
 * them in `follows` (`TFollowed`); its `apply` receives them after the owner's.
 * It never decides them.
 */
export interface Slice<
  TState extends object,
  TCommand extends Typed,
  TEvent extends Typed,
  TReads extends object = object,
  TFollowed extends Typed = never,
  TBefore extends object = object,
> {
  readonly name: string;
  /** The commands it decides: the keys (`satisfies Record<TCommand['type'], true>`, so none is missed or extra). */
  readonly commandTypes: Readonly<Record<TCommand['type'], true>>;
  /** The events it decides, with the current schema version of each one's `data`. */
  readonly eventVersions: Readonly<Record<TEvent['type'], number>>;
  /** Other slices' events its state follows. */
  readonly follows: Readonly<Record<TFollowed['type'], true>>;
  /** Its keys of the state before any event. */
  initialState(): TState;
  /**
   * O(1) checks of what any decision relies on, run before every command of
   * every slice: a state that fails them was not built by evolving a valid
   * history, and deciding on it could only make things worse, so this throws
   * (`INVARIANT_BROKEN`). Optional.
   */
  assertDecidable?(state: TState): void;
  /** Pure: the events `command` means in `state`, or a typed refusal. */
  decide(command: TCommand, state: TState, reads: TReads): Decision<TEvent>;
  /**
   * The rules of history for its own and followed events: applies `event` to
   * the draft in place. Never throws on a recorded event: one that does not
   * fit changes nothing.
   */
  apply(draft: SliceDraft<TState>, event: (TEvent | TFollowed) & Positioned, reads: TReads): void;
  /** Stable codes of the rules its checks report (API: forensics `verify`/`bisect`). */
  readonly stateRules: readonly string[];
  readonly transitionRules: readonly string[];
  /**
   * Which events its per-step checks (`transitionBefore`, `checkTransition`,
   * `checkStep`) look at: `'every event'` of any slice (the default: a rule
   * such as "no event names a deleted recording" is about every event, even
   * one of a type this build does not know), or only `'its own events'` (those
   * it decides or follows). The composition routes each event type to the
   * checks that look at it once, when it composes the slices.
   */
  readonly checks?: 'every event' | 'its own events';
  /**
   * Writes into `before` what its `checkTransition` and `checkStep` need of
   * the state before a step (its keys of `TBefore`), so an in-place fold can
   * take the step. What the step leaves as it is may be the state's own
   * (a record no write of this event touches): `before` is valid for this step,
   * until the fold takes the next one. Optional: without it, the checks read
   * nothing of the state before the step.
   */
  transitionBefore?(state: TState & TReads, event: AnyEvent, before: Mutable<TBefore>): void;
  /**
   * Pushes onto `out` the violations of its transition rules by `event` (any
   * slice's, unless `checks` says its own only). `before` is what every
   * slice's `transitionBefore` wrote: `TBefore` names what this check reads of
   * it (its own keys, or another slice's, as with `TReads`).
   */
  checkTransition?(before: TBefore & LogPosition, event: AnyEvent, out: InvariantViolation[]): void;
  /** Violations of its state rules in the whole state. O(state). */
  checkState?(state: TState & TReads & LogPosition): InvariantViolation[];
  /** Pushes onto `out` its state rules a step can have broken: those about what `event` touched (`before`: what the step read). */
  checkStep?(
    after: TState & TReads & LogPosition,
    event: AnyEvent,
    before: TBefore & LogPosition,
    out: InvariantViolation[],
  ): void;
}

/** A slice of any types, as the list the ledger composes holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySlice = Slice<any, any, any, any, any, any>;

/** The state a slice owns. */
export type SliceState<S extends AnySlice> = ReturnType<S['initialState']>;
/** The commands a slice decides. */
export type SliceCommand<S extends AnySlice> = Parameters<S['decide']>[0];
/** What a slice reads of the others' states. */
export type SliceReads<S extends AnySlice> = Parameters<S['decide']>[2];
/** What a slice's transition check reads of the state before a step. */
export type SliceBefore<S extends AnySlice> = Parameters<NonNullable<S['checkTransition']>>[0];
/** The events a slice decides. */
export type SliceEvent<S extends AnySlice> = Extract<ReturnType<S['decide']>, { ok: true }>['events'][number];

/** Folds many events in place at O(1) each; see {@link ComposedDecider.createFold}. */
export interface Folder<TState, TEvent extends AnyEvent = AnyEvent> {
  /** Apply one event; the same result as `state = evolve(state, event)`. */
  apply(event: TEvent): void;
  /** Apply every event, in order. */
  applyAll(events: Iterable<TEvent>): void;
  /** `seq` of the last event applied (or of the starting state). */
  readonly seq: number;
  /**
   * The state so far: an ordinary immutable state. The folder never writes
   * into an object it has handed out — the next `apply` starts a new copy
   * (the records it writes are copied again, once, on first write).
   */
  result(): TState;
  /**
   * The state so far without handing it out: the folder keeps writing into it,
   * so it is valid only until the next `apply`. For reading between steps at no
   * cost (`result()` makes the next write of a record copy it again).
   */
  peek(): TState;
}

/** A fold that checks every rule at every step; see {@link ComposedDecider.createCheckedFold}. */
export interface CheckedFolder<TState, TEvent extends AnyEvent = AnyEvent> {
  /**
   * Applies `event` (as `Folder.apply`) and returns this step's violations:
   * what `checkTransition` and then `checkStep` report for it.
   */
  step(event: TEvent): InvariantViolation[];
  /** `seq` of the last event applied (or of the starting state). */
  readonly seq: number;
  /** As `Folder.result`. */
  result(): TState;
  /** As `Folder.peek`. */
  peek(): TState;
}

/** The slices composed into one decider over the ledger's state, commands and events. */
export interface ComposedDecider<
  TState extends LogPosition,
  TCommand extends Typed,
  TEvent extends Typed,
  TBefore extends LogPosition = LogPosition,
> extends Decider<TState, TCommand, TEvent, AnyEvent> {
  readonly slices: readonly AnySlice[];
  /** Every event type a slice decides, with its current schema version, in the slices' order. */
  readonly eventVersions: Readonly<Record<string, number>>;
  /** The rule codes of the composition (`SEQ_VALID`, `SEQ_GAPLESS`) and of every slice, in the slices' order. */
  readonly stateRules: readonly string[];
  readonly transitionRules: readonly string[];
  /** A folder starting at `state` (the initial state by default); `state` and every state handed out stay untouched. */
  createFold(state?: TState): Folder<TState>;
  /**
   * A fold starting at `state` that checks every rule at every step: per
   * event, what the checks read of the state before it (`transitionBefore`),
   * the step in place, `checkTransition` and `checkStep` — each only for the
   * slices whose checks look at the event's type.
   */
  createCheckedFold(state?: TState): CheckedFolder<TState>;
  /** What every slice's checks need of `state` before `event`: valid for that step (see `Slice.transitionBefore`). */
  transitionBefore(state: TState, event: AnyEvent): TBefore;
  /** Every slice's transition violations, after the composition's own (`SEQ_GAPLESS`). */
  checkTransition(before: TBefore, event: AnyEvent, after: LogPosition): InvariantViolation[];
  /** Every slice's state violations in the whole state, after the composition's own (`SEQ_VALID`). */
  checkState(state: TState): InvariantViolation[];
  /** Every slice's state rules the step `before` —`event`→ `after` can have broken. */
  checkStep(after: TState, event: AnyEvent, before: TBefore): InvariantViolation[];
}

class Draft<TState extends object> implements SliceDraft<TState> {
  readonly state: Mutable<TState>;
  private readonly owned = new Set<PropertyKey>();

  constructor(from: TState) {
    this.state = { ...from };
  }

  own<K extends keyof TState>(key: K): Mutable<NonNullable<TState[K]>> {
    if (!this.owned.has(key)) {
      this.state[key] = { ...this.state[key] } as TState[K];
      this.owned.add(key);
    }
    return this.state[key] as Mutable<NonNullable<TState[K]>>;
  }
}

function claim(owners: Map<string, AnySlice>, types: object, slice: AnySlice, what: string): void {
  for (const type of Object.keys(types)) {
    const owner = owners.get(type);
    if (owner !== undefined)
      throw new TypeError(`${what} ${type} is claimed by two slices: ${owner.name} and ${slice.name}`);
    owners.set(type, slice);
  }
}

/** What the composition runs for one event type, worked out once when it composes the slices. */
interface Route {
  /** The slices that apply it: its owner, then its followers, in list order. */
  readonly appliers: readonly AnySlice[];
  /** The slices whose checks look at it, in list order, by what they check. */
  readonly befores: readonly AnySlice[];
  readonly transitionCheckers: readonly AnySlice[];
  readonly stepCheckers: readonly AnySlice[];
}

function routeOf(slices: readonly AnySlice[], appliers: readonly AnySlice[]): Route {
  // A slice checking its own events only looks at those it applies; one checking every event, at all.
  const checking = slices.filter((slice) => slice.checks !== 'its own events' || appliers.includes(slice));
  return {
    appliers,
    befores: checking.filter((slice) => slice.transitionBefore !== undefined),
    transitionCheckers: checking.filter((slice) => slice.checkTransition !== undefined),
    stepCheckers: checking.filter((slice) => slice.checkStep !== undefined),
  };
}

/**
 * One decider over the ledger's state from a list of slices. A command goes
 * to the slice that decides its type (after every slice's `assertDecidable`);
 * an event is applied by the slice that decides its type, then by the slices
 * that follow it, in list order; `seq` and `lastEventTime` are the
 * composition's own. Types claimed twice are a TypeError here, at start-up.
 * The slices' states sit side by side at the top level of the ledger's state,
 * each slice writing only its own keys. Which slices apply and check each
 * event type is worked out here, once: a step looks its route up by type.
 *
 * @example
 * const ledger = composeSlices<QmdlStoreState, Command, DecidedEvent>([recordingsSlice, analysisSlice]);
 * const decision = ledger.decide({ type: 'StopRecording', data: { reason: 'requested' } }, state);
 */
export function composeSlices<
  TState extends LogPosition,
  TCommand extends Typed,
  TEvent extends Typed,
  TBefore extends LogPosition = LogPosition,
>(slices: readonly AnySlice[]): ComposedDecider<TState, TCommand, TEvent, TBefore> {
  const deciders = new Map<string, AnySlice>();
  const owners = new Map<string, AnySlice>();
  for (const slice of slices) {
    claim(deciders, slice.commandTypes, slice, 'command');
    claim(owners, slice.eventVersions, slice, 'event');
  }
  const appliers = new Map<string, AnySlice[]>();
  for (const [type, owner] of owners) appliers.set(type, [owner]);
  for (const slice of slices) {
    for (const type of Object.keys(slice.follows)) {
      const list = appliers.get(type);
      if (list === undefined) throw new TypeError(`slice ${slice.name} follows ${type}, which no slice decides`);
      list.push(slice);
    }
  }
  const routes = new Map<string, Route>();
  for (const [type, list] of appliers) routes.set(type, routeOf(slices, list));
  // A type no slice knows (a newer writer's) is history too: only the position moves, and the checks of every event look at it.
  const unknownType = routeOf(slices, []);
  const route = (type: string): Route => routes.get(type) ?? unknownType;

  const eventVersions: Record<string, number> = {};
  for (const slice of slices) Object.assign(eventVersions, slice.eventVersions);
  const guards = slices.filter((slice) => slice.assertDecidable !== undefined);
  const stateCheckers = slices.filter((slice) => slice.checkState !== undefined);

  const initialState = (): TState => {
    let state: object = { seq: 0 };
    for (const slice of slices) state = { ...state, ...(slice.initialState() as object) };
    return state as TState;
  };

  const applyInPlace = (draft: Draft<TState>, event: AnyEvent, via: Route): void => {
    const s = draft.state as Mutable<LogPosition>;
    s.seq = event.seq;
    if (event.time !== undefined) s.lastEventTime = event.time;
    for (const slice of via.appliers) slice.apply(draft as SliceDraft<object>, event, draft.state);
  };

  const before = (state: TState, event: AnyEvent, via: Route): TBefore => {
    const out = { seq: state.seq } as Mutable<TBefore>;
    for (const slice of via.befores) slice.transitionBefore?.(state, event, out);
    return out;
  };

  const checkTransition = (
    prior: TBefore,
    event: AnyEvent,
    after: LogPosition,
    via: Route,
    out: InvariantViolation[],
  ): void => {
    const seq = event.seq;
    if (seq !== prior.seq + 1 || after.seq !== seq) {
      out.push({
        rule: 'SEQ_GAPLESS',
        message: `event seq ${String(seq)} after ${String(prior.seq)} (state now at ${String(after.seq)})`,
        seq,
      });
    }
    for (const slice of via.transitionCheckers) slice.checkTransition?.(prior, event, out);
  };

  const checkStep = (after: TState, event: AnyEvent, prior: TBefore, via: Route, out: InvariantViolation[]): void => {
    checkSeq(after, out);
    for (const slice of via.stepCheckers) slice.checkStep?.(after, event, prior, out);
  };

  /** The in-place fold both folders run on: a new draft after a state was handed out. */
  const folding = (from: TState) => {
    let draft = new Draft(from);
    let handedOut = false;
    return {
      apply(event: AnyEvent, via: Route): void {
        if (handedOut) {
          draft = new Draft(draft.state as TState);
          handedOut = false;
        }
        applyInPlace(draft, event, via);
      },
      get state(): TState {
        return draft.state as TState;
      },
      result(): TState {
        handedOut = true;
        return draft.state as TState;
      },
    };
  };

  const createFold = (from: TState = initialState()): Folder<TState> => {
    const fold = folding(from);
    const apply = (event: AnyEvent): void => fold.apply(event, route(event.type));
    return {
      apply,
      applyAll(events) {
        for (const event of events) apply(event);
      },
      get seq() {
        return fold.state.seq;
      },
      result: () => fold.result(),
      peek: () => fold.state,
    };
  };

  const createCheckedFold = (from: TState = initialState()): CheckedFolder<TState> => {
    const fold = folding(from);
    return {
      step(event) {
        const via = route(event.type);
        const prior = before(fold.state, event, via);
        fold.apply(event, via);
        const after = fold.state;
        const out: InvariantViolation[] = [];
        checkTransition(prior, event, after, via, out);
        checkStep(after, event, prior, via, out);
        return out;
      },
      get seq() {
        return fold.state.seq;
      },
      result: () => fold.result(),
      peek: () => fold.state,
    };
  };

  return {
    slices,
    eventVersions,
    stateRules: ['SEQ_VALID', ...slices.flatMap((slice) => slice.stateRules)],
    transitionRules: ['SEQ_GAPLESS', ...slices.flatMap((slice) => slice.transitionRules)],
    initialState,
    decide(command, state) {
      for (const slice of guards) slice.assertDecidable?.(state);
      const slice = deciders.get(command.type);
      if (slice === undefined) throw new TypeError(`unknown command type ${JSON.stringify(command.type)}`);
      return slice.decide(command, state, state) as Decision<TEvent>;
    },
    evolve(state, event) {
      const draft = new Draft(state);
      applyInPlace(draft, event, route(event.type));
      return draft.state as TState;
    },
    createFold,
    createCheckedFold,
    transitionBefore: (state, event) => before(state, event, route(event.type)),
    checkTransition(prior, event, after) {
      const out: InvariantViolation[] = [];
      checkTransition(prior, event, after, route(event.type), out);
      return out;
    },
    checkState(state) {
      const out: InvariantViolation[] = [];
      checkSeq(state, out);
      for (const slice of stateCheckers) out.push(...(slice.checkState?.(state) ?? []));
      return out;
    },
    checkStep(after, event, prior) {
      const out: InvariantViolation[] = [];
      checkStep(after, event, prior, route(event.type), out);
      return out;
    },
  };
}

/** The composition's own state rule: `seq` is a position in the log. */
function checkSeq(state: LogPosition, out: InvariantViolation[]): void {
  const seq = state.seq;
  if (!Number.isSafeInteger(seq) || seq < 0)
    out.push({ rule: 'SEQ_VALID', message: `seq ${String(seq)} is not a non-negative integer`, seq });
}

/** Throws the one error `assertDecidable` throws: the state was not built from a valid history. */
export function invariantBroken(rule: string, message: string, details: Record<string, unknown>): never {
  throw new LedgerError('INVARIANT_BROKEN', message, { details: { rule, ...details } });
}
