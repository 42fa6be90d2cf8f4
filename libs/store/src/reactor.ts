import type { Command, StoredEvent } from '@ledger/domain';
import type { CommandContext, CommandResult } from './ledger';
import type { EventLog } from '@ledger/event-log';
import { silentLogger, type LedgerLogger } from './logger';
import { abortableSleep } from './abortable-sleep';

/** What a reactor's handler may do besides reading its batch. */
export interface ReactorBatchContext {
  /** The reactor's name. */
  readonly name: string;
  /** Aborted when the reactor stops: a long handler should give up (its batch is handled again after a restart). */
  readonly signal: AbortSignal;
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

/** What a reactor needs from the store: its log, and atomic execution of several commands. */
export interface ReactorLedger {
  readonly log: EventLog;
  executeAll(commands: readonly Command[], context: CommandContext): Promise<readonly CommandResult[]>;
}

export interface ReactorOptions {
  readonly ledger: ReactorLedger;
  /** Unique per store, `[A-Za-z0-9._-]{1,64}`: names its checkpoint and correlation id. */
  readonly name: string;
  readonly handle: ReactorHandler;
  /** Events per batch (default 100). */
  readonly batchSize?: number;
  /** Retry backoff after a failed batch: from `minMs` doubling to `maxMs` (defaults 100 ms, 30 s). */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
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
  /** The last sequence handled (its checkpoint). */
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

/**
 * Runs a reactor: a checkpointed consumer of the log outside the commit loop.
 * It reads the log with the pull-based tail from its durable checkpoint
 * (catch-up, then live) at its own pace — a slow handler never holds a command
 * back — calls `handle` per batch, records the returned commands with the
 * checkpoint atomically (`executeAll`, one append), then writes the checkpoint
 * snapshot (for batches without output). A failed batch is retried with
 * exponential backoff; `stop()` ends it after the batch in hand.
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
  const { ledger, name, handle } = options;
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError('reactor name must match [A-Za-z0-9._-]{1,64}');
  if (typeof handle !== 'function') throw new TypeError('handle must be a function');
  const batchSize = options.batchSize ?? 100;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TypeError('batchSize must be a positive integer');
  const minMs = options.backoff?.minMs ?? 100;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const log = ledger.log;
  const stopping = new AbortController();
  let state: ReactorStatus['state'] = 'starting';
  let position = 0;
  let batches = 0;
  let failures = 0;
  let lastError: ReactorStatus['lastError'];

  const handleBatch = async (batch: readonly StoredEvent[]): Promise<void> => {
    const last = (batch[batch.length - 1] as StoredEvent).seq;
    const commands = (await handle(batch, { name, signal: stopping.signal })) ?? [];
    if (stopping.signal.aborted) return;
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
  };

  const loop = async (): Promise<void> => {
    position = await reactorCheckpoint(log, name);
    let delay = minMs;
    while (!stopping.signal.aborted) {
      try {
        state = position < log.headSeq() ? 'catching-up' : 'live';
        for await (const batch of log.tailBatches({ after: position, maxBatch: batchSize, signal: stopping.signal })) {
          await handleBatch(batch);
          delay = minMs;
          if (stopping.signal.aborted) break;
          state = position < log.headSeq() ? 'catching-up' : 'live';
        }
        // The tail ended: stopped, or the log closed.
        return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        failures += 1;
        lastError = { message: error instanceof Error ? error.message : String(error), at: new Date().toISOString() };
        logger.warn(`reactor ${name}: batch after ${position} failed (${lastError.message}); retrying in ${delay} ms`);
        state = 'backoff';
        await abortableSleep(delay, stopping.signal);
        delay = Math.min(maxMs, delay * 2);
        // The failure may have come after the output was recorded (e.g. writing the snapshot):
        // resume from what the log says, so that batch is not handled twice.
        try {
          position = Math.max(position, await reactorCheckpoint(log, name));
        } catch {
          // Read again on the next attempt.
        }
      }
    }
  };

  const done = loop().then(
    () => {
      state = 'stopped';
    },
    (error: unknown) => {
      state = 'failed';
      lastError = { message: error instanceof Error ? error.message : String(error), at: new Date().toISOString() };
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
