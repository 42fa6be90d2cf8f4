import type { Command, RefusalCode } from '../commands';
import { isLedgerError } from '../errors';
import type { DecidedEvent } from '../events';
import type { Decider, Decision } from '../decider';
import { decide, evolve, initialState, type EvolvableEvent } from '../ledger.slices';
import type { QmdlStoreState } from '../state';

/**
 * Given/when/then for deciders (after emmett's `DeciderSpecification`, in
 * event-driven-io/emmett src/packages/emmett/src/testing): given the events
 * already recorded, when a command is decided, then exactly these events — or
 * this refusal code. Framework-free: a failed expectation throws a
 * `DeciderSpecificationError` whose message shows expected and actual, so it
 * works under jest, node:test or a forensics script alike.
 *
 * @example
 * const spec = deciderSpecification();
 * spec.given([started('1717236000')])
 *   .when({ type: 'StopRecording', data: { reason: 'requested' } })
 *   .then([{ type: 'RecordingStopped', recording: '1717236000', data: { reason: 'requested', qmdlSizeBytes: 0, uncompressedBytes: 0, containers: 0 } }]);
 */

/** The decider a specification runs: emmett's shape over the ledger's commands and events. */
export type SpecifiedDecider<TState = QmdlStoreState> = Decider<TState, Command, DecidedEvent, EvolvableEvent>;

/** A given event: a decided event (its `seq` follows the previous one) or one with its own `seq`/`time`. */
export type GivenEvent = DecidedEvent & { readonly seq?: number; readonly time?: string };

export class DeciderSpecificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeciderSpecificationError';
  }
}

export interface DeciderThen<TState> {
  /** Exactly these events, in this order (data compared deeply, `undefined` keys ignored). */
  then(expected: readonly DecidedEvent[]): void;
  /** Accepted, with no events. */
  thenNothingHappened(): void;
  /** Refused with this code (never the message: messages may change). */
  thenRefused(code: RefusalCode): void;
  /** `decide` threw a LedgerError with this code (only for broken states). */
  thenThrows(code: string): void;
  /** The decision itself, for assertions the helpers above do not cover. */
  decision(): Decision<DecidedEvent>;
  /** The state after the given events. */
  readonly state: TState;
}

export interface DeciderGiven<TState> {
  when(command: Command): DeciderThen<TState>;
}

export interface DeciderSpecification<TState> {
  given(events?: readonly GivenEvent[]): DeciderGiven<TState>;
  /** Start from a state instead of events (e.g. a deliberately broken one). */
  givenState(state: TState): DeciderGiven<TState>;
}

/** Deep equality of JSON-like data; a key holding `undefined` counts as absent. */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((value, i) => sameData(value, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!sameData(ra[key], rb[key])) return false;
  return true;
}

function show(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

function fail(what: string, expected: unknown, actual: unknown): never {
  throw new DeciderSpecificationError(`${what}\nexpected: ${show(expected)}\nactual:   ${show(actual)}`);
}

function whenFor<TState>(decider: SpecifiedDecider<TState>, state: TState): DeciderGiven<TState> {
  return {
    when(command: Command): DeciderThen<TState> {
      const run = (): Decision<DecidedEvent> => decider.decide(command, state);
      const accepted = (): DecidedEvent[] => {
        const decision = run();
        if (!decision.ok) fail(`${command.type} was refused`, 'events', decision.refusal);
        return decision.events;
      };
      return {
        state,
        decision: run,
        then(expected) {
          const events = accepted();
          if (!sameData(events, expected)) fail(`${command.type} decided other events`, expected, events);
        },
        thenNothingHappened() {
          const events = accepted();
          if (events.length !== 0) fail(`${command.type} decided events`, [], events);
        },
        thenRefused(code) {
          const decision = run();
          if (decision.ok) fail(`${command.type} was accepted`, { refused: code }, decision.events);
          if (decision.refusal.code !== code)
            fail(`${command.type} was refused with another code`, code, decision.refusal);
        },
        thenThrows(code) {
          let decision: Decision<DecidedEvent>;
          try {
            decision = run();
          } catch (error) {
            if (!isLedgerError(error, code)) fail(`${command.type} threw something else`, code, String(error));
            return;
          }
          fail(`${command.type} did not throw`, code, decision);
        },
      };
    },
  };
}

/** A given/when/then specification for `decider` (the ledger's, every slice composed, by default). */
export function deciderSpecification<TState = QmdlStoreState>(
  decider: SpecifiedDecider<TState> = { decide, evolve, initialState } as unknown as SpecifiedDecider<TState>,
): DeciderSpecification<TState> {
  return {
    given(events = []) {
      let state = decider.initialState();
      let seq = 0;
      for (const event of events) {
        seq = event.seq ?? seq + 1;
        state = decider.evolve(state, { ...event, seq } as EvolvableEvent);
      }
      return whenFor(decider, state);
    },
    givenState(state) {
      return whenFor(decider, state);
    },
  };
}
