import type { AnyEvent } from './decider';
import { initialState, ledgerDecider, type EvolvableEvent, type TransitionBefore } from './ledger.slices';
import type { InvariantViolation, LogPosition, QmdlStoreState } from './state';

/**
 * The ledger's invariants: every slice's rules, composed (each slice's own are
 * in its `*.invariants.ts`). Stable rule codes (API: the forensics
 * `verify`/`bisect` output and the README list them). State rules hold for
 * every state; transition rules for every step.
 */
export const STATE_RULES: readonly string[] = ledgerDecider.stateRules;
export const TRANSITION_RULES: readonly string[] = ledgerDecider.transitionRules;

/**
 * Violations of every slice's state invariants in `state`; empty
 * when it is sound. O(number of recordings and names).
 */
export function checkInvariants(state: QmdlStoreState): InvariantViolation[] {
  return ledgerDecider.checkState(state);
}

/**
 * The part of `state` `checkTransition` needs for `event`, so that an
 * in-place fold can take the step (for the recordings slice: the active
 * recording, the store id, and the statuses of the names and the migration id
 * the event carries, copied out when the event writes them). Valid for that
 * step: what the step leaves as it is may be the state's own record.
 */
export function transitionBefore(state: QmdlStoreState, event: EvolvableEvent | AnyEvent): TransitionBefore {
  return ledgerDecider.transitionBefore(state, event);
}

/**
 * Violations of the transition rules by the step `before` —`event`→ `after`.
 * Meant for replaying recorded history (forensics `verify`/`bisect`), so it
 * reports events that `decide` would never have produced.
 */
export function checkTransition(
  before: TransitionBefore,
  event: EvolvableEvent | AnyEvent,
  after: LogPosition,
): InvariantViolation[] {
  return ledgerDecider.checkTransition(before, event, after);
}

/** The outcome of replaying a history with every check on. */
export interface HistoryCheck {
  readonly state: QmdlStoreState;
  /** In log order; each carries the `seq` of the event (or state) that broke a rule. */
  readonly violations: InvariantViolation[];
}

/** Steps through a history checking every rule, at O(1) per event. */
export interface HistoryChecker {
  /** Applies `event` (as `evolve` would); the transition and state violations of this step. */
  step(event: EvolvableEvent): InvariantViolation[];
  /** The state so far. */
  result(): QmdlStoreState;
  /** The state so far, valid until the next step (see `StateFolder.peek`). */
  peek(): QmdlStoreState;
  /** `checkInvariants` of the state so far, O(recordings): the safety net at the end of a replay. */
  checkAll(): InvariantViolation[];
}

/**
 * A checker starting at `state` (assumed checked), on the composition's
 * checked fold: each step folds the event in place, runs `checkTransition`
 * against what the step read of the state before it ({@link transitionBefore}),
 * and every slice's state rules for what the step touched (for the recordings
 * slice: the event's recording and the active one before and after): a sound
 * state stays sound elsewhere, since a step changes nothing else. Each event
 * type goes only to the checks that look at it (routed once, by
 * `composeSlices`). Replaying 1M events over 10,000 recordings no longer
 * copies and re-checks every recording at every start and stop.
 *
 * @example
 * const checker = createHistoryChecker();
 * for await (const e of log.read()) if (checker.step(e).length > 0) break;
 */
export function createHistoryChecker(state: QmdlStoreState = initialState()): HistoryChecker {
  const fold = ledgerDecider.createCheckedFold(state);
  return {
    step: (event) => fold.step(event),
    result: () => fold.result(),
    peek: () => fold.peek(),
    checkAll: () => checkInvariants(fold.peek()),
  };
}

const STATE_RULE_SET: ReadonlySet<string> = new Set(STATE_RULES);

/**
 * Replays `events` over `state`, checking every rule at every step with
 * {@link createHistoryChecker} (and every state rule over the whole state at
 * the start and the end). A broken state persists, so each distinct state
 * violation is reported once, at the first `seq` it appears; transition
 * violations are reported at every step that breaks a rule. The first
 * violation's `seq` is where history first went wrong.
 *
 * @example const { violations } = checkHistory(events); if (violations[0]) console.log('broken at', violations[0].seq);
 */
export function checkHistory(events: Iterable<EvolvableEvent>, state: QmdlStoreState = initialState()): HistoryCheck {
  const violations: InvariantViolation[] = [];
  const seen = new Set<string>();
  const report = (found: InvariantViolation[]): void => {
    for (const v of found) {
      if (!STATE_RULE_SET.has(v.rule)) {
        violations.push(v);
        continue;
      }
      const key = `${v.rule}\u0000${v.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        violations.push(v);
      }
    }
  };
  report(checkInvariants(state));
  const checker = createHistoryChecker(state);
  for (const event of events) report(checker.step(event));
  report(checker.checkAll());
  return { state: checker.result(), violations };
}
