import type { Command, StoredEvent } from '@ledger/domain';
import type { CommandContext, CommandResult } from './ledger';
import type { EventLog, StoredEventText } from '@ledger/event-log';
import { silentLogger, type LedgerLogger } from './logger';
import { abortableSleep } from './abortable-sleep';
import { systemClock, type Clock } from './host';

/** What a reactor's handler may do besides reading its batch. */
export interface ReactorBatchContext {
  /** The reactor's name. */
  readonly name: string;
  /** Aborted when the reactor stops: a long handler should give up (its batch is handled again after a restart). */
  readonly signal: AbortSignal;
  /**
   * Only for a reactor with an external `position`: the batch is done, and the
   * next one starts after `seq` instead of after this batch's last event —
   * behind it (the outside holds less than it was sent: a rewind), inside it
   * (only a prefix was taken: the rest comes again) or past it (a skip).
   * The last call of a batch wins. A TypeError on a reactor with its own checkpoint
   * (which only moves forward, with its output).
   */
  resumeAfter(seq: number): void;
}

/**
 * A reactor's handler: called once per batch of committed events, in log
 * order. It returns the commands it wants recorded (or nothing); they are
 * executed as one unit, and the reactor's checkpoint travels with them, so a
 * crash either records all of a batch's output and its checkpoint or none of
 * it. A handler that throws is retried with backoff on the same batch.
 * Its own output events come back to it in later batches (ignore them by
 * `metadata.correlationId === reactorCorrelationId(name)` if they matter).
 */
export type ReactorHandler = (
  events: readonly StoredEvent[],
  context: ReactorBatchContext,
) => Promise<readonly Command[] | void> | readonly Command[] | void;

/**
 * The position of a reactor whose progress something outside the log holds
 * (a central service's head, say), instead of a checkpoint in the store.
 *
 * @example
 * const position: ReactorPosition = { load: async () => (await central.head()).seq };
 */
export interface ReactorPosition {
  /**
   * The last sequence handled, as the outside holds it: asked at start and
   * again after every failure (the answer to a lost request may have been
   * applied, or the outside may have lost what it had). It may be behind what
   * the reactor handled before; a rejection is a failure, retried with backoff.
   */
  load(signal: AbortSignal): Promise<number>;
}

/** What a reactor needs from the store: its log, and atomic execution of several commands. */
export interface ReactorLedger {
  readonly log: EventLog;
  /** The ledger's clock, for the status's error times (the system clock when absent). */
  readonly clock?: Clock;
  executeAll(commands: readonly Command[], context: CommandContext): Promise<readonly CommandResult[]>;
}

export interface ReactorOptions {
  readonly ledger: ReactorLedger;
  /** Unique per store, `[A-Za-z0-9._-]{1,64}`: names its checkpoint and correlation id. */
  readonly name: string;
  /** Called per batch of events; required unless `handleStored` is given instead. */
  readonly handle?: ReactorHandler;
  /**
   * Instead of `handle`, for a reactor with an external `position` that passes the events on as
   * they are stored (shipping): each batch as its stored text (`EventLog.tailStoredBatches`), never
   * parsed or upcast, so the batch is not read a second time in that form. It records nothing.
   */
  readonly handleStored?: (events: readonly StoredEventText[], context: ReactorBatchContext) => Promise<void>;
  /** Events per batch (default 100). */
  readonly batchSize?: number;
  /** Retry backoff after a failed batch: from `minMs` doubling to `maxMs` (defaults 100 ms, 30 s). */
  readonly backoff?: {
    readonly minMs?: number;
    readonly maxMs?: number;
    /** The wait after this failure (`failures`: consecutive, from 1) instead of the doubling one; undefined keeps that. */
    readonly delayMs?: (error: unknown, failures: number) => number | undefined;
  };
  /**
   * Where the reactor stands is held outside the store (see `ReactorPosition`):
   * no checkpoint is written, the position is loaded at start and after every
   * failure, and it moves to each handled batch's end or to where the handler
   * says (`resumeAfter`), so it may move back. The handler's effect on the outside is
   * what records its progress; it returns no commands (a handler that does stops the
   * reactor, `failed`: output could not travel atomically with a position the store does not hold).
   */
  readonly position?: ReactorPosition;
  readonly logger?: LedgerLogger;
  /** Called with each refused command of the output (the rest of the batch's output is recorded). */
  readonly onRefused?: (command: Command, result: CommandResult) => void;
}

/** A reactor as `Ledger.runReactor` and `openLedger({ reactors })` take it: the options without the ledger. */
export type ReactorDefinition = Omit<ReactorOptions, 'ledger'>;

/** A reactor's position, for `/metrics` and `GET /api/reactors`. */
export interface ReactorStatus {
  readonly name: string;
  readonly state: 'starting' | 'catching-up' | 'live' | 'backoff' | 'stopped' | 'failed';
  /** The last sequence handled (its checkpoint, or the external position it was given and moved). */
  readonly position: number;
  readonly headSeq: number;
  /** Committed events not handled yet. */
  readonly lagEvents: number;
  readonly batches: number;
  readonly failures: number;
  readonly lastError?: { readonly message: string; readonly at: string };
}

/** A running reactor. */
export interface Reactor {
  readonly name: string;
  status(): ReactorStatus;
  /** Stops after the batch in hand (its output, if any, is recorded or not at all); idempotent. */
  stop(): Promise<void>;
  /** Settles when the reactor has stopped. */
  readonly done: Promise<void>;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The correlation id of every event a reactor records (its output is indexed by it). */
export function reactorCorrelationId(name: string): string {
  return `reactor:${name}`;
}

/** The snapshot that holds a reactor's checkpoint between outputs. */
function reactorCheckpointName(name: string): string {
  return `reactor:${name}`;
}

function checkedPosition(seq: number): number {
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new TypeError(`an external position must be a non-negative sequence (got ${String(seq)})`);
  return seq;
}

const CAUSATION = /^reactor:[A-Za-z0-9._-]{1,64}@([0-9]{1,16})$/;

/**
 * Where a reactor resumes: after the newer of its checkpoint snapshot and the
 * batch its newest output event was caused by. The output carries the
 * checkpoint (`causationId: reactor:<name>@<last seq of the batch>`) in the
 * same atomic append, so a crash between the output and the snapshot write
 * neither repeats nor skips that batch.
 */
export async function reactorCheckpoint(log: EventLog, name: string): Promise<number> {
  const snapshot = await log.readSnapshot<null>(reactorCheckpointName(name));
  const newest = (await log.page({ correlationId: reactorCorrelationId(name), order: 'desc', limit: 1 })).events[0];
  const caused = CAUSATION.exec(newest?.metadata.causationId ?? '');
  return Math.max(snapshot?.seq ?? 0, caused?.[1] !== undefined ? Number(caused[1]) : 0);
}

/** A batch read by the tail, bound to the handler of its form (events or their stored text). */
interface TailBatch {
  readonly last: number;
  handle(context: ReactorBatchContext): Promise<readonly Command[] | void> | readonly Command[] | void;
}

async function* bound<T extends { readonly seq: number }>(
  batches: AsyncIterable<readonly T[]>,
  handle: (batch: readonly T[], context: ReactorBatchContext) => ReturnType<TailBatch['handle']>,
): AsyncGenerator<TailBatch> {
  for await (const batch of batches)
    yield { last: (batch[batch.length - 1] as T).seq, handle: (context) => handle(batch, context) };
}

/** A misuse no retry can mend: the reactor stops (`failed`). */
class ReactorMisuse extends TypeError {}

/**
 * Runs a reactor: a checkpointed consumer of the log outside the commit loop.
 * It reads the log with the pull-based tail from its durable checkpoint
 * (catch-up, then live) at its own pace — a slow handler never holds a command
 * back — calls `handle` per batch, records the returned commands with the
 * checkpoint atomically (`executeAll`, one append), then writes the checkpoint
 * snapshot (for batches without output). A failed batch is retried with
 * exponential backoff; `stop()` ends it after the batch in hand.
 *
 * With `position`, the checkpoint is held outside (e.g. a central head): it is
 * loaded at start and after each failure, moved by each handled batch or by
 * the handler's `resumeAfter` (the tail restarts there, behind or ahead), and
 * never written to the store.
 *
 * @example
 * const reactor = runReactor({
 *   ledger,
 *   name: 'gps-audit',
 *   handle: (events) => events
 *     .filter((e) => e.type === 'RecordingStopped')
 *     .map((e) => ({ type: 'RecordGpsFix', data: { lat: 0, lon: 0, fixTime: e.time } })),
 * });
 * reactor.status(); // { name: 'gps-audit', state: 'live', position, lagEvents, … }
 * await reactor.stop();
 */
export function runReactor(options: ReactorOptions): Reactor {
  const { ledger, name, handle, handleStored } = options;
  const clock = ledger.clock ?? systemClock;
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError('reactor name must match [A-Za-z0-9._-]{1,64}');
  if ((typeof handle === 'function') === (typeof handleStored === 'function'))
    throw new TypeError('a reactor needs one function: handle or handleStored');
  if (handleStored !== undefined && options.position === undefined)
    throw new TypeError('handleStored needs an external position: it records no output to carry a checkpoint');
  const batchSize = options.batchSize ?? 100;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TypeError('batchSize must be a positive integer');
  const minMs = options.backoff?.minMs ?? 100;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const external = options.position;
  if (external !== undefined && typeof external.load !== 'function')
    throw new TypeError('position must have a load function');
  const log = ledger.log;
  const stopping = new AbortController();
  let state: ReactorStatus['state'] = 'starting';
  let position = 0;
  let batches = 0;
  let failures = 0;
  let lastError: ReactorStatus['lastError'];

  /** The batches after `after`, each as its handler takes it. */
  const tail = (after: number): AsyncIterable<TailBatch> => {
    const query = { after, maxBatch: batchSize, signal: stopping.signal };
    return handleStored !== undefined
      ? bound(log.tailStoredBatches(query), handleStored)
      : bound(log.tailBatches(query), handle as ReactorHandler);
  };

  /** Handles one batch; the position after it (the batch's last seq unless the handler said otherwise). */
  const handleBatch = async (batch: TailBatch): Promise<number> => {
    const { last } = batch;
    let resume: number | undefined;
    const resumeAfter = (seq: number): void => {
      if (external === undefined)
        throw new TypeError('resumeAfter needs an external position: a reactor checkpoint only moves forward');
      if (!Number.isSafeInteger(seq) || seq < 0) throw new TypeError('resumeAfter takes a non-negative sequence');
      resume = seq;
    };
    const commands = (await batch.handle({ name, signal: stopping.signal, resumeAfter })) ?? [];
    if (stopping.signal.aborted) return position;
    if (external !== undefined) {
      if (commands.length > 0)
        throw new ReactorMisuse('a reactor with an external position records no commands (its handler returned some)');
      position = resume ?? last;
      batches += 1;
      return position;
    }
    if (commands.length > 0) {
      const context: CommandContext = {
        actor: { kind: 'system' },
        correlationId: reactorCorrelationId(name),
        causationId: `${reactorCorrelationId(name)}@${last}`,
      };
      const results = await ledger.executeAll(commands, context);
      results.forEach((result, i) => {
        if (!result.ok) options.onRefused?.(commands[i] as Command, result);
      });
    }
    await log.writeSnapshot(reactorCheckpointName(name), { seq: last, version: 1, value: null });
    position = last;
    batches += 1;
    return last;
  };

  /**
   * Where to resume. An external position is the outside's word, even when it is
   * behind. A checkpoint is the newer of the one in hand and the stored one: a failure
   * may have come after the output was recorded (e.g. writing the snapshot), and that
   * batch must not be handled twice.
   */
  const load = async (): Promise<number> =>
    external !== undefined
      ? checkedPosition(await external.load(stopping.signal))
      : Math.max(position, await reactorCheckpoint(log, name));

  const loop = async (): Promise<void> => {
    let delay = minMs;
    let consecutive = 0;
    let loaded = false;
    while (!stopping.signal.aborted) {
      try {
        if (!loaded) {
          const at = await load();
          if (stopping.signal.aborted) return;
          position = at;
          loaded = true;
        }
        let restart = false;
        state = position < log.headSeq() ? 'catching-up' : 'live';
        for await (const batch of tail(position)) {
          const { last } = batch;
          const next = await handleBatch(batch);
          delay = minMs;
          consecutive = 0;
          if (stopping.signal.aborted) break;
          state = position < log.headSeq() ? 'catching-up' : 'live';
          // Resumed elsewhere than after this batch: the tail starts again from there.
          if (next !== last) {
            restart = true;
            break;
          }
        }
        // Else the tail ended: stopped, or the log closed.
        if (!restart) return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (error instanceof ReactorMisuse) throw error;
        failures += 1;
        consecutive += 1;
        const wait = options.backoff?.delayMs?.(error, consecutive) ?? delay;
        lastError = {
          message: error instanceof Error ? error.message : String(error),
          at: new Date(clock.now()).toISOString(),
        };
        logger.warn(`reactor ${name}: batch after ${position} failed (${lastError.message}); retrying in ${wait} ms`);
        state = 'backoff';
        await abortableSleep(wait, stopping.signal);
        delay = Math.min(maxMs, delay * 2);
        loaded = false;
      }
    }
  };

  const done = loop().then(
    () => {
      state = 'stopped';
    },
    (error: unknown) => {
      state = 'failed';
      lastError = {
        message: error instanceof Error ? error.message : String(error),
        at: new Date(clock.now()).toISOString(),
      };
      logger.error(`reactor ${name} stopped: ${lastError.message}`);
    },
  );

  return {
    name,
    done,
    status: () => {
      const headSeq = log.headSeq();
      return {
        name,
        state,
        position,
        headSeq,
        lagEvents: Math.max(0, headSeq - position),
        batches,
        failures,
        ...(lastError ? { lastError } : {}),
      };
    },
    stop: async () => {
      stopping.abort();
      await done;
    },
  };
}
