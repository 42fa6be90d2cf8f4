import {
  checkActiveInvariants, checkInvariants, checkTransition, evolve, initialState, isLedgerError,
  type InvariantViolation, type LedgerEvent, type QmdlStoreState, type StoredEvent,
} from '@ledger/domain';
import type { EventLog } from '@ledger/event-log';
import { progressBar } from './cli-support';

/** A stored event that could not be read back (not JSON, not an envelope, an upcaster threw). */
export interface ReadFailure {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
}

/** One replay step as `onStep` sees it. */
export interface ReplayStep {
  readonly before: QmdlStoreState;
  readonly event: StoredEvent;
  readonly after: QmdlStoreState;
  /** Transition and state rule violations of this step (only with `checkRules`). */
  readonly violations: readonly InvariantViolation[];
}

export interface ReplayOptions {
  readonly toSeq?: number;
  /** Stop before the first event whose adjusted time is after this instant (epoch ms). */
  readonly untilMs?: number;
  /** Run checkTransition and the state invariants after every event. */
  readonly checkRules?: boolean;
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
  let state = initialState();
  let steps = 0;
  let lastSeq = 0;
  try {
    for await (const stored of log.read({ toSeq: head })) {
      const event = stored as LedgerEvent;
      if (options.untilMs !== undefined && Date.parse(event.time) > options.untilMs) break;
      const before = state;
      const after = evolve(before, event);
      let violations: InvariantViolation[] = [];
      if (options.checkRules) {
        const cheap = event.type === 'RecordingDataAppended' && after.entries === before.entries && after.names === before.names;
        violations = [...checkTransition(before, event, after), ...(cheap ? checkActiveInvariants(after) : checkInvariants(after))]
          .map((v) => ({ ...v, seq: v.seq ?? event.seq }));
      }
      state = after;
      steps += 1;
      lastSeq = event.seq;
      bar?.update(event.seq);
      if (options.onStep?.({ before, event, after, violations }) === false) return { state, steps, stopped: true };
    }
  } catch (error) {
    const seq = isLedgerError(error) && typeof error.details?.['seq'] === 'number' ? (error.details['seq'] as number) : lastSeq + 1;
    const code = isLedgerError(error) ? error.code : 'READ_FAILED';
    return { state, steps, stopped: false, failure: { seq, code, message: error instanceof Error ? error.message : String(error) } };
  } finally {
    bar?.finish();
  }
  return { state, steps, stopped: false };
}
