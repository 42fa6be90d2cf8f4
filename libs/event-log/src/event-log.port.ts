import type { Observable } from 'rxjs';
import type { ActorKind, NewEvent, StoredEvent } from '@ledger/domain';
import type { EventRejectionCode } from './errors';

/** Filters shared by reads, pages, the HTTP event API and the CLI. All optional, ANDed. */
export interface EventFilter {
  /** One or more event types. */
  readonly types?: readonly string[];
  /** The recording the event names. */
  readonly recording?: string;
  /** Actor kind ('http' | 'recorder' | 'system' | 'cli'), or 'http:<remoteAddress>'. */
  readonly actor?: ActorKind | `http:${string}`;
  /** Correlation id. */
  readonly correlationId?: string;
  /** Adjusted event time, inclusive lower bound (ISO 8601). */
  readonly since?: string;
  /** Adjusted event time, exclusive upper bound (ISO 8601). */
  readonly until?: string;
}

export interface ReadOptions extends EventFilter {
  /** First sequence to include (inclusive). Default 1. */
  readonly fromSeq?: number;
  /** Last sequence to include (inclusive). Default the head. */
  readonly toSeq?: number;
  /** Newest first. */
  readonly reverse?: boolean;
  /** At most this many events. */
  readonly limit?: number;
}

export interface PageOptions extends EventFilter {
  /** Events with seq > after (oldest-first paging, or the lower bound when newest-first). */
  readonly after?: number;
  /** Events with seq < before (newest-first paging, or the upper bound when oldest-first). */
  readonly before?: number;
  readonly order?: 'asc' | 'desc';
  /** Page size, 1..1000; default 100. */
  readonly limit?: number;
}

export interface EventPage {
  readonly events: readonly StoredEvent[];
  /** Cursor for the next page in the same order (pass as `after` for asc, `before` for desc); absent at the end. */
  readonly next?: number;
  /** Head sequence when the page was read. */
  readonly head: number;
}

export interface AppendOptions {
  /** Optimistic concurrency: the append fails with `SEQUENCE_CONFLICT` unless the head is exactly this. */
  readonly expectedSeq?: number;
  /** fsync before resolving. Default true. */
  readonly sync?: boolean;
}

/** Why `append` would refuse events: the first event that breaks a rule, and the rule. */
export interface EventRejection {
  /** `MALFORMED_EVENT` (an envelope field missing or mistyped), `EVENT_NOT_REPRESENTABLE` (not JSON, or nested deeper than 256), `EVENT_TOO_LARGE` (data and metadata over 1 MiB as JSON). */
  readonly code: EventRejectionCode;
  readonly message: string;
  /** Position of that event in the array checked. */
  readonly index: number;
}

export interface ChainFinding {
  readonly seq: number;
  /** 'SEQUENCE_GAP' | 'BAD_PREV' | 'BAD_HASH' | 'UNREADABLE' | 'BAD_KEY' | 'INDEX_MISMATCH' */
  readonly code: string;
  readonly message: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly from: number;
  readonly to: number;
  readonly checked: number;
  readonly headHash: string;
  /** The first bad sequence and why; absent when ok. */
  readonly firstBad?: ChainFinding;
}

/** One event as stored: its sequence and its stored JSON text. */
export interface StoredEventText {
  readonly seq: number;
  readonly text: string;
}

export interface StoreMetadata {
  readonly storeId: string;
  readonly createdAt: string;
  readonly formatVersion: number;
}

/** Who a store is: what an import of a whole log takes from it (the log's `StoreCreated`). */
export type StoreIdentity = Pick<StoreMetadata, 'storeId' | 'createdAt'>;

export interface ImportSealedOptions {
  /**
   * The store takes this identity, in the same batch. Only with an import that
   * starts the log (its first event is seq 1): a copy of a whole log is the same store.
   */
  readonly identity?: StoreIdentity;
  /** fsync before resolving. Default true. */
  readonly sync?: boolean;
}

/** Where a tail starts, what it keeps and when it stops. */
export interface TailOptions extends EventFilter {
  /** Start after this sequence (exclusive). Default 0: the whole log. */
  readonly after?: number;
  /** Aborting ends the tail (the iterator returns), also while it waits for the next commit. */
  readonly signal?: AbortSignal;
}

export interface TailBatchOptions extends TailOptions {
  /** At most this many events per batch (what a stalled consumer can hold). Default 256. */
  readonly maxBatch?: number;
}

/** A tail of every event's stored text: where to start, when to stop, how many at once (as `TailBatchOptions`). */
export type StoredTailOptions = Pick<TailBatchOptions, 'after' | 'signal' | 'maxBatch'>;

/**
 * A named snapshot persisted beside the log (e.g. the QmdlStore projection),
 * with the sequence it reflects.
 */
export interface Snapshot<T = unknown> {
  readonly seq: number;
  readonly version: number;
  readonly value: T;
}

/**
 * The event-log port: a gapless, hash-chained, durable, totally ordered log.
 *
 * @example
 * const log = await LevelEventLog.open({ location: './data/ledger' });
 * const [e] = await log.append([{ type: 'ClockOffsetSet', v: 1, time, systemTime, data: { offsetSeconds: 3 }, metadata }]);
 * log.subscribe({ after: 0 }).subscribe((event) => console.log(event.seq, event.type));
 * await log.close();
 */
export interface EventLog {
  readonly metadata: StoreMetadata;
  /** Sequence of the newest committed event (0 when empty). */
  headSeq(): number;
  /** Hash of the newest committed event (GENESIS_HASH when empty). */
  headHash(): string;
  /**
   * Append events atomically (all or none, one batch) and durably. Concurrent
   * calls are group-committed: appends that arrive while a commit is in flight
   * share the next batch and its single fsync. Resolves with the stored events
   * in order (gapless sequences).
   */
  append(events: readonly NewEvent[], options?: AppendOptions): Promise<readonly StoredEvent[]>;
  /**
   * Checks events against exactly the rules `append` enforces (which reject
   * with an `EventRejectedError`, a TypeError), without appending anything:
   * `undefined` when `append` would accept them. Lets a caller that gathers
   * several callers' events into one append refuse a bad one alone, first.
   *
   * @example
   * const rejection = log.checkAppendable(decided);
   * if (rejection) return { ok: false, refusal: { code: rejection.code, message: rejection.message } };
   */
  checkAppendable(events: readonly NewEvent[]): EventRejection | undefined;
  /**
   * Writes events that are sealed already (another log's, e.g. an export) as
   * they are: their `seq`, `prev` and `hash` are kept, not assigned. They must
   * continue the chain at the head: seq contiguous from head + 1, the first
   * `prev` the head's hash, every hash the hash of its event. Written like an
   * append — events, their index entries and the head in one atomic batch —
   * serialized with appends. Refuses the whole call, writing nothing: a
   * malformed event with an `EventRejectedError` (a TypeError, as `append`),
   * a break in the chain with a LedgerError `SEQUENCE_GAP`, `BAD_HASH` or
   * `BAD_PREV` whose `details` hold the `index` and `seq` of the first bad event.
   *
   * @example
   * const fresh = await LevelEventLog.open({ location });
   * await fresh.importSealed(batch); // then the next batch, from fresh.headSeq() + 1
   */
  importSealed(events: readonly StoredEvent[], options?: ImportSealedOptions): Promise<readonly StoredEvent[]>;
  /** Read one event by sequence (upcast), or undefined. */
  get(seq: number): Promise<StoredEvent | undefined>;
  /** Stream events in sequence order (or reverse) without loading the log into memory; upcast on read. */
  read(options?: ReadOptions): AsyncIterable<StoredEvent>;
  /**
   * Stream the stored text of each event in [fromSeq, toSeq], exactly as it was
   * written (never upcast, never re-encoded): what `export` writes and what
   * shipping sends, because the hash chain is over the stored form.
   */
  readStored(options?: { readonly fromSeq?: number; readonly toSeq?: number }): AsyncIterable<StoredEventText>;
  /** One page of events with a cursor; the cost of a page does not depend on its depth. */
  page(options?: PageOptions): Promise<EventPage>;
  /**
   * Catch up from `after` (exclusive), then continue live: no gap and no
   * duplicate at the hand-over. Completes when the log closes.
   */
  subscribe(options?: { readonly after?: number } & EventFilter): Observable<StoredEvent>;
  /**
   * A pull-based tail: catch up from `after` (exclusive), then continue live,
   * read at the consumer's pace. No gap and no duplicate at the hand-over, and
   * bounded memory however far behind the consumer is (the tail holds at most
   * one batch, and no store iterator between batches).
   * Ends when the consumer returns (`break`), `signal` aborts, or the log closes;
   * read failures other than those reject the iterator.
   *
   * @example
   * const controller = new AbortController();
   * for await (const event of log.tail({ after: lastSeen, signal: controller.signal })) {
   *   await send(event); // the next event is read only when this one is done
   * }
   */
  tail(options?: TailOptions): AsyncIterable<StoredEvent>;
  /**
   * The same tail in batches: each batch is what the store had ready (at most
   * `maxBatch` events, never empty), so a consumer that writes a checkpoint per
   * batch writes one per `maxBatch` events during catch-up and about one per
   * commit live.
   *
   * @example
   * for await (const batch of log.tailBatches({ after: checkpoint, maxBatch: 100 })) {
   *   await handle(batch);
   *   checkpoint = batch[batch.length - 1].seq;
   * }
   */
  tailBatches(options?: TailBatchOptions): AsyncIterable<readonly StoredEvent[]>;
  /**
   * The same tail of every event, each as its stored text (`readStored`'s form: never parsed,
   * upcast or re-encoded), for a consumer that passes the events on as stored and would otherwise
   * read each batch twice.
   */
  tailStoredBatches(options?: StoredTailOptions): AsyncIterable<readonly StoredEventText[]>;
  /** Check sequence continuity and the hash chain over [from, to]. */
  verify(options?: {
    readonly from?: number;
    readonly to?: number;
    readonly onProgress?: (seq: number) => void;
  }): Promise<VerifyResult>;
  readSnapshot<T>(name: string): Promise<Snapshot<T> | undefined>;
  writeSnapshot<T>(name: string, snapshot: Snapshot<T>): Promise<void>;
  close(): Promise<void>;
}
