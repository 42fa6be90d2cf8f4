import { Observable } from 'rxjs';
import type { StoredEvent } from '@ledger/domain';
import type { EventFilter } from './event-log.port';
import { matchesFilter } from './reader';

/** Receives every committed group of events, in sequence order, synchronously after the commit. */
export interface LiveListener {
  next(events: readonly StoredEvent[]): void;
  /** The log closed: no more events will come. */
  close(): void;
}

/** What a subscription needs from the log. */
export interface LiveSource {
  readonly closed: boolean;
  headSeq(): number;
  /** Registers a listener; returns its removal. */
  listen(listener: LiveListener): () => void;
  /** Streams upcast events in (from, to] that pass `filter`. */
  catchUp(after: number, to: number, filter: EventFilter): AsyncIterable<StoredEvent>;
  /** The same, at most `limit` events, in the chunks the store reads (each non-empty). */
  catchUpChunks(after: number, to: number, filter: EventFilter, limit: number): AsyncIterable<readonly StoredEvent[]>;
  upcast(event: StoredEvent): StoredEvent;
}

/**
 * Catch-up-then-live. The live listener is registered before the head is
 * sampled, so every event after that head reaches the listener, and every
 * event up to it is in the store: the catch-up reads (after, head] while live
 * events are buffered, then the buffer is drained. Each delivery advances
 * `lastSeq` and anything at or below it is dropped, so the hand-over has no
 * gap and no duplicate.
 */
export function subscribeToLog(source: LiveSource, after: number, filter: EventFilter): Observable<StoredEvent> {
  return new Observable<StoredEvent>((subscriber) => {
    if (source.closed) {
      subscriber.complete();
      return undefined;
    }
    let lastSeq = after;
    let live = false;
    let stopped = false;
    let buffer: StoredEvent[] = [];

    const deliver = (event: StoredEvent): void => {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      if (matchesFilter(event, filter)) subscriber.next(source.upcast(event));
    };

    const unlisten = source.listen({
      next: (events) => {
        if (stopped) return;
        if (live) events.forEach(deliver);
        else buffer.push(...events);
      },
      close: () => {
        stopped = true;
        subscriber.complete();
      },
    });
    const catchUpTo = source.headSeq();

    const run = async (): Promise<void> => {
      if (after < catchUpTo) {
        for await (const event of source.catchUp(after, catchUpTo, filter)) {
          if (stopped) return;
          if (event.seq <= lastSeq) continue;
          lastSeq = event.seq;
          subscriber.next(event);
        }
        if (stopped) return;
        lastSeq = Math.max(lastSeq, catchUpTo);
      }
      const pending = buffer;
      buffer = [];
      live = true;
      pending.forEach(deliver);
    };
    run().catch((error: unknown) => {
      if (stopped || source.closed) subscriber.complete();
      else subscriber.error(error);
    });

    return () => {
      stopped = true;
      buffer = [];
      unlisten();
    };
  });
}

/** What a tail needs from the log: its live side, and reads of what it holds in chunks (of events, or of their stored text). */
export type TailSource<T> = Pick<LiveSource, 'closed' | 'headSeq' | 'listen'> & {
  catchUpChunks(after: number, to: number, filter: EventFilter, limit: number): AsyncIterable<readonly T[]>;
};

/** What a pull-based tail reads: where to start, what to keep, when to stop, how much at once. */
export interface TailQuery {
  readonly after: number;
  readonly filter: EventFilter;
  readonly signal?: AbortSignal;
  readonly maxBatch: number;
}

/**
 * A pull-based catch-up-then-live tail. It never holds an event the consumer
 * has not asked for: each batch is read from the store when the consumer asks
 * for it (at most `maxBatch` events after the last sequence read, up to the
 * head sampled at that moment, its iterator closed before the batch is
 * handed over), and the live listener only says "something was committed" (a
 * flag, no events). So the hand-over has no gap and no duplicate, memory is
 * one batch whatever the consumer's pace, and a consumer that stops pulling
 * holds neither events nor a store iterator. Ends (returns) when the consumer
 * returns, `signal` aborts, or the log closes.
 */
export async function* tailLog<T extends { readonly seq: number } = StoredEvent>(
  source: TailSource<T>,
  query: TailQuery,
): AsyncGenerator<readonly T[], void, undefined> {
  const { filter, signal, maxBatch } = query;
  if (source.closed || signal?.aborted === true) return;
  let position = query.after;
  let committed = false;
  let closed = false;
  let wake: (() => void) | undefined;
  const rouse = (): void => {
    committed = true;
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const unlisten = source.listen({
    next: rouse,
    close: () => {
      closed = true;
      rouse();
    },
  });
  signal?.addEventListener('abort', rouse);
  const ended = (): boolean => closed || source.closed || signal?.aborted === true;
  try {
    while (!ended()) {
      // Cleared before the head is sampled: a commit after this point sets it again, so no wake-up is lost.
      committed = false;
      const head = source.headSeq();
      if (position < head) {
        const batch: T[] = [];
        for await (const chunk of source.catchUpChunks(position, head, filter, maxBatch)) batch.push(...chunk);
        // A full batch may stop short of the head; otherwise everything up to it was read, filtered out or not.
        const last = batch[batch.length - 1];
        position = batch.length === maxBatch && last !== undefined ? last.seq : head;
        if (ended()) return;
        if (batch.length > 0) yield batch;
        continue;
      }
      if (!committed) await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (error) {
    // A read racing close() or an abort fails inside Level: that is the end of the tail, not an error.
    if (!ended()) throw error;
  } finally {
    signal?.removeEventListener('abort', rouse);
    unlisten();
  }
}
