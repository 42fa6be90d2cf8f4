import {
  createFold,
  createHistoryChecker,
  type InvariantViolation,
  type LedgerEvent,
  type QmdlStoreState,
  type StoredEvent,
} from '@ledger/domain';
import type { EventLog } from '@ledger/event-log';
import { readFailureOf, type ReadFailure } from '@ledger/store';
import { progressBar } from './cli-support';

/** One replay step as `onStep` sees it. */
export interface ReplayStep {
  /** The state before the step: only with `keepBefore` (it costs a copy of what each step writes). */
  readonly before?: QmdlStoreState;
  /** `seq` of the state before the step. */
  readonly beforeSeq: number;
  readonly event: StoredEvent;
  /** The state after the step. The replay folds in place: read it during the call, keep it only with `keepBefore`. */
  readonly after: QmdlStoreState;
  /** Transition and state rule violations of this step (only with `checkRules`). */
  readonly violations: readonly InvariantViolation[];
}

export interface ReplayOptions {
  readonly toSeq?: number;
  /** Stop before the first event whose adjusted time is after this instant (epoch ms). */
  readonly untilMs?: number;
  /**
   * Check every rule at every step (the domain's `createHistoryChecker`: the
   * state rules for the recordings the step touched), and every state rule
   * over the final state.
   */
  readonly checkRules?: boolean;
  /** Hand `onStep` the state before each step, and states it may keep. */
  readonly keepBefore?: boolean;
  /** Called after every step; return false to stop the walk. */
  readonly onStep?: (step: ReplayStep) => boolean | void;
  /** Label of the TTY progress bar; no bar without it. */
  readonly progress?: string;
}

export interface ReplayResult {
  /** The state after the last step taken. */
  readonly state: QmdlStoreState;
  readonly steps: number;
  /** Set when the walk stopped on an event it could not read. */
  readonly failure?: ReadFailure;
  /** True when `onStep` stopped the walk. */
  readonly stopped: boolean;
  /** With `checkRules`: state rules the final state breaks that no step reported (a full walk only). */
  readonly finalViolations?: readonly InvariantViolation[];
}

/**
 * Replays the log from seq 1, event by event, the way the projection does
 * (upcast events through `evolve`), optionally checking every rule after every
 * step. Streams; an unreadable event ends the walk with a `failure` instead of
 * throwing, so a damaged store still yields everything before the damage.
 */
export async function replay(log: EventLog, options: ReplayOptions = {}): Promise<ReplayResult> {
  const head = options.toSeq ?? log.headSeq();
  const bar = options.progress ? progressBar(options.progress, head) : undefined;
  // One in-place fold for the whole walk, O(1) per event (the checker is one too).
  const walk = options.checkRules ? createHistoryChecker() : createFold();
  const take = (event: LedgerEvent): InvariantViolation[] => {
    if ('step' in walk) return walk.step(event);
    walk.apply(event);
    return [];
  };
  // With keepBefore every state is handed out (the next step copies what it writes); otherwise peeked at.
  const state = (): QmdlStoreState => (options.keepBefore ? walk.result() : walk.peek());
  let steps = 0;
  let lastSeq = 0;
  try {
    for await (const stored of log.read({ toSeq: head })) {
      const event = stored as LedgerEvent;
      if (options.untilMs !== undefined && Date.parse(event.time) > options.untilMs) break;
      const before = state();
      const beforeSeq = before.seq; // read now: without keepBefore the step writes into `before`
      const violations = take(event).map((v) => ({ ...v, seq: v.seq ?? event.seq }));
      steps += 1;
      lastSeq = event.seq;
      bar?.update(event.seq);
      const step: ReplayStep = {
        ...(options.keepBefore ? { before } : {}),
        beforeSeq,
        event,
        after: state(),
        violations,
      };
      if (options.onStep?.(step) === false) return { state: walk.result(), steps, stopped: true };
    }
  } catch (error) {
    return { state: walk.result(), steps, stopped: false, failure: readFailureOf(error, lastSeq + 1) };
  } finally {
    bar?.finish();
  }
  // The safety net of the per-step checks: every state rule over the final state, once.
  const finalViolations = 'checkAll' in walk ? walk.checkAll() : [];
  return { state: walk.result(), steps, stopped: false, ...(finalViolations.length > 0 ? { finalViolations } : {}) };
}
