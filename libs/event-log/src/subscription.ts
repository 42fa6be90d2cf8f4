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
