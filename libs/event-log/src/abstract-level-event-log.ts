import { randomUUID } from 'node:crypto';
import type {
  AbstractBatchOperation,
  AbstractBatchOptions,
  AbstractChainedBatchWriteOptions,
  AbstractPutOptions,
} from 'abstract-level';
import type { Observable } from 'rxjs';
import { GENESIS_HASH, isLedgerError, LedgerError, type NewEvent, type StoredEvent } from '@ledger/domain';
import type {
  AppendOptions,
  EventFilter,
  EventLog,
  EventPage,
  EventRejection,
  ImportSealedOptions,
  PageOptions,
  ReadOptions,
  Snapshot,
  StoredEventText,
  StoreIdentity,
  StoreMetadata,
  StoredTailOptions,
  TailBatchOptions,
  TailOptions,
  VerifyResult,
} from './event-log.port';
import { EventLogErrorCode, EventRejectedError, logClosedError, openError, readError, writeError } from './errors';
import { GroupCommit, type Outcome } from './group-commit';
import { INDEX_SEPARATOR, indexEntries, META_KEYS, KEY_LAYOUT_VERSION, SUBLEVELS, type IndexSublevel } from './layout';
import type { LevelDatabase, LevelSublevel } from './level-types';
import { chunksOf, parseStoredEvent, queryEventChunks, READ_CHUNK, type IndexStores } from './reader';
import { encodeSequenceKey, isSequence } from './sequence-key';
import {
  subscribeToLog,
  tailLog,
  type LiveListener,
  type LiveSource,
  type TailQuery,
  type TailSource,
} from './subscription';
import { UpcasterRegistry } from './upcasters';
import { checkSealedEvent, firstImportDefect, type CheckedSealedEvent } from './sealed-import';
import { sealEvent, type SealedEvent } from './sealing';
import { checkFilter, checkOptionalSequence, prepareEvent, type PreparedEvent } from './validation';
import { verifyEvents, verifyIndexes } from './verify';

/** Options every adapter accepts. */
export interface EventLogOptions {
  /** Applied on every read path; stored bytes are never rewritten. */
  readonly upcasters?: UpcasterRegistry;
}

/** Counters of the write path (for tests, metrics and benchmarks). */
export interface EventLogStats {
  /** Batches committed (one per group commit). */
  readonly batches: number;
  /** Batches that failed (their appends rejected, nothing written). */
  readonly failedBatches: number;
  /** Append calls committed. */
  readonly appends: number;
  /** Events committed. */
  readonly events: number;
}

/** Page size bounds of `page()`. */
export const PAGE_LIMIT = { default: 100, max: 1000 } as const;

interface Head {
  readonly seq: number;
  readonly hash: string;
}

interface AppendRequest {
  readonly kind: 'append';
  readonly events: readonly PreparedEvent[];
  readonly expectedSeq?: number;
  readonly sync: boolean;
}

interface ImportRequest {
  readonly kind: 'import';
  readonly events: readonly CheckedSealedEvent[];
  /** The identity the store takes with an import from seq 1. */
  readonly identity?: StoreIdentity;
  readonly sync: boolean;
}

type WriteRequest = AppendRequest | ImportRequest;

interface Sublevels {
  readonly meta: LevelSublevel;
  readonly events: LevelSublevel;
  readonly snapshots: LevelSublevel;
  readonly indexes: IndexStores;
}

/** What `prepareStore` found or created. */
interface StoreState {
  readonly metadata: StoreMetadata;
  readonly head: Head;
}

type BatchOp = AbstractBatchOperation<LevelDatabase, string, string>;

/**
 * classic-level's `sync` write option (fsync before the write resolves). The
 * abstract-level types do not declare it; other databases ignore it.
 */
interface SyncWriteOptions
  extends AbstractBatchOptions<string, string>, AbstractPutOptions<string, string>, AbstractChainedBatchWriteOptions {
  readonly sync?: boolean;
}

function syncOption(sync: boolean): SyncWriteOptions {
  return { sync };
}

function sublevelsOf(db: LevelDatabase): Sublevels {
  const sub = (name: string): LevelSublevel =>
    db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' }) as unknown as LevelSublevel;
  const indexNames: IndexSublevel[] = [
    SUBLEVELS.byType,
    SUBLEVELS.byRecording,
    SUBLEVELS.byActor,
    SUBLEVELS.byCorrelation,
    SUBLEVELS.byTime,
  ];
  return {
    meta: sub(SUBLEVELS.meta),
    events: sub(SUBLEVELS.events),
    snapshots: sub(SUBLEVELS.snapshots),
    indexes: Object.fromEntries(indexNames.map((name) => [name, sub(name)])) as unknown as IndexStores,
  };
}

function notAStore(message: string, cause?: unknown): LedgerError {
  return new LedgerError(EventLogErrorCode.NOT_A_STORE, message, cause === undefined ? {} : { cause });
}

function parseMetadata(raw: string): StoreMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw notAStore('the store metadata is not valid JSON', error);
  }
  const m = parsed as Partial<StoreMetadata> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    typeof m.storeId !== 'string' ||
    typeof m.createdAt !== 'string' ||
    !Number.isSafeInteger(m.formatVersion)
  ) {
    throw notAStore('the store metadata is malformed');
  }
  if ((m.formatVersion as number) > KEY_LAYOUT_VERSION) {
    throw new LedgerError(
      EventLogErrorCode.UNSUPPORTED_FORMAT_VERSION,
      `the store has format version ${String(m.formatVersion)}; this build reads up to ${KEY_LAYOUT_VERSION}`,
      { details: { formatVersion: m.formatVersion, supported: KEY_LAYOUT_VERSION } },
    );
  }
  return { storeId: m.storeId, createdAt: m.createdAt, formatVersion: m.formatVersion as number };
}

/** Opens `db` if needed, then reads (or, for an empty database, writes) the store metadata and head. */
async function prepareStore(db: LevelDatabase, subs: Sublevels): Promise<StoreState> {
  // Writes go to the root database with pre-prefixed string keys and values.
  if (db.keyEncoding().commonName !== 'utf8' || db.valueEncoding().commonName !== 'utf8') {
    throw new TypeError('the database must use the utf8 key and value encodings');
  }
  if (db.status !== 'open') {
    try {
      await db.open();
    } catch (error) {
      throw openError(error);
    }
  }
  try {
    const rawMetadata = await subs.meta.get(META_KEYS.store);
    if (rawMetadata === undefined) {
      const anyKey = await db.keys({ limit: 1 }).all();
      if (anyKey.length > 0) throw notAStore('the database holds data but no event-log store metadata');
      const metadata: StoreMetadata = {
        storeId: randomUUID(),
        createdAt: new Date().toISOString(),
        formatVersion: KEY_LAYOUT_VERSION,
      };
      const head: Head = { seq: 0, hash: GENESIS_HASH };
      const ops: BatchOp[] = [
        { type: 'put', sublevel: subs.meta, key: META_KEYS.store, value: JSON.stringify(metadata) },
        { type: 'put', sublevel: subs.meta, key: META_KEYS.head, value: JSON.stringify(head) },
      ];
      await db.batch(ops, syncOption(true));
      return { metadata, head };
    }
    const metadata = parseMetadata(rawMetadata);
    return { metadata, head: await readHead(subs) };
  } catch (error) {
    await db.close().catch(() => undefined);
    if (error instanceof LedgerError) throw error;
    throw new LedgerError(EventLogErrorCode.STORE_OPEN_FAILED, 'the event store could not be read', { cause: error });
  }
}

/** The head pointer; when it is missing (a damaged store), the newest event stands in. */
async function readHead(subs: Sublevels): Promise<Head> {
  const raw = await subs.meta.get(META_KEYS.head);
  if (raw !== undefined) {
    let head: Partial<Head> | null = null;
    try {
      head = JSON.parse(raw) as Partial<Head> | null;
    } catch (error) {
      throw notAStore('the head pointer is not valid JSON', error);
    }
    if (head === null || !isSequence(head.seq) || typeof head.hash !== 'string' || !/^[0-9a-f]{64}$/.test(head.hash)) {
      throw notAStore('the head pointer is malformed');
    }
    return { seq: head.seq, hash: head.hash };
  }
  const [last] = await subs.events.iterator({ reverse: true, limit: 1 }).all();
  if (last === undefined) return { seq: 0, hash: GENESIS_HASH };
  const event = parseStoredEvent(last[1], Number.parseInt(last[0], 16));
  return { seq: event.seq, hash: event.hash };
}

function checkIdentity(identity: unknown): StoreIdentity | undefined {
  if (identity === undefined) return undefined;
  const i = identity as Partial<StoreIdentity> | null;
  if (i === null || typeof i !== 'object' || typeof i.storeId !== 'string' || i.storeId === '')
    throw new TypeError('identity.storeId must be a non-empty string');
  if (typeof i.createdAt !== 'string' || !Number.isFinite(Date.parse(i.createdAt)))
    throw new TypeError('identity.createdAt must be an ISO 8601 time');
  return { storeId: i.storeId, createdAt: i.createdAt };
}

const databases = new WeakMap<AbstractLevelEventLog, LevelDatabase>();

/**
 * The database under a log. Not exported from the lib's index: for the lib's
 * own specs (fault injection, corrupted values) and `rawEventAccess`.
 */
export function databaseOf(log: AbstractLevelEventLog): LevelDatabase {
  const db = databases.get(log);
  if (db === undefined) throw new TypeError('not an AbstractLevelEventLog');
  return db;
}

/** The sublevels of a log's database, for `rawEventAccess`. */
export function eventsSublevelOf(log: AbstractLevelEventLog): LevelSublevel {
  return sublevelsOf(databaseOf(log)).events;
}

/**
 * The puts of one group commit, as root-level keys that carry their sublevel's
 * prefix (`!events!…`, `!idx-type!…`, `!meta!head`). They are written through
 * one chained batch: all or none. Chained puts of pre-prefixed keys cost a
 * fraction of an array batch of `sublevel` operations in abstract-level, which
 * matters at 6–7 keys per event.
 */
class StagedWrites {
  private readonly keys: string[] = [];
  private readonly values: string[] = [];
  private readonly eventsPrefix: string;
  private readonly indexPrefixes: Readonly<Record<IndexSublevel, string>>;

  constructor(private readonly subs: Sublevels) {
    this.eventsPrefix = subs.events.prefix;
    this.indexPrefixes = indexPrefixesOf(subs);
  }

  stage(sealed: Pick<SealedEvent, 'event' | 'value'>, timeKey: string): void {
    const { event, value } = sealed;
    const seqKey = encodeSequenceKey(event.seq);
    this.keys.push(this.eventsPrefix + seqKey);
    this.values.push(value);
    for (const [index, indexed] of indexEntries(event, timeKey)) {
      this.keys.push(`${this.indexPrefixes[index]}${indexed}${INDEX_SEPARATOR}${seqKey}`);
      this.values.push('');
    }
  }

  head(seq: number, hash: string): void {
    this.keys.push(this.subs.meta.prefix + META_KEYS.head);
    this.values.push(JSON.stringify({ seq, hash }));
  }

  metadata(metadata: StoreMetadata): void {
    this.keys.push(this.subs.meta.prefix + META_KEYS.store);
    this.values.push(JSON.stringify(metadata));
  }

  async writeTo(db: LevelDatabase, sync: boolean): Promise<void> {
    const batch = db.batch();
    try {
      for (let i = 0; i < this.keys.length; i++) batch.put(this.keys[i] as string, this.values[i] as string);
    } catch (error) {
      await batch.close();
      throw error;
    }
    await batch.write(syncOption(sync));
  }
}

const indexPrefixCache = new WeakMap<Sublevels, Readonly<Record<IndexSublevel, string>>>();

function indexPrefixesOf(subs: Sublevels): Readonly<Record<IndexSublevel, string>> {
  let prefixes = indexPrefixCache.get(subs);
  if (prefixes === undefined) {
    const entries = (Object.keys(subs.indexes) as IndexSublevel[]).map(
      (name) => [name, subs.indexes[name].prefix] as const,
    );
    prefixes = Object.fromEntries(entries) as Record<IndexSublevel, string>;
    indexPrefixCache.set(subs, prefixes);
  }
  return prefixes;
}

/**
 * The event log over any abstract-level database: gapless sequences, atomic and
 * durable group-committed appends, index-driven reads, catch-up-then-live
 * subscriptions, a SHA-256 hash chain and named snapshots. The key layout is in
 * the README. Use an adapter (`LevelEventLog`, `MemoryEventLog`) or
 * `AbstractLevelEventLog.fromDatabase` for another abstract-level database.
 *
 * @example
 * const log = await AbstractLevelEventLog.fromDatabase(new MemoryLevel());
 * await log.append([event], { expectedSeq: log.headSeq() });
 * for await (const e of log.read({ recording: '1700000000' })) console.log(e.seq, e.type);
 * await log.close();
 */
/** A tail's start, end and batch size, checked. */
function tailQuery(options: StoredTailOptions): Omit<TailQuery, 'filter'> {
  const { after, signal, maxBatch } = options;
  const from = checkOptionalSequence(after, 'after') ?? 0;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (maxBatch !== undefined && (!Number.isSafeInteger(maxBatch) || maxBatch < 1))
    throw new TypeError('maxBatch must be a positive integer');
  return { after: from, maxBatch: maxBatch ?? READ_CHUNK, ...(signal !== undefined ? { signal } : {}) };
}

export class AbstractLevelEventLog implements EventLog {
  private storeMetadata: StoreMetadata;
  private head: Head;
  private readonly subs: Sublevels;
  private readonly upcasters: UpcasterRegistry;
  private readonly writer: GroupCommit<WriteRequest, readonly StoredEvent[]>;
  private readonly listeners = new Set<LiveListener>();
  private counters = { batches: 0, failedBatches: 0, appends: 0, events: 0 };
  private closing = false;
  private closed?: Promise<void>;

  /**
   * Opens the store in `db` (opening `db` itself if needed). An empty database
   * becomes a new store; anything else must be one (`NOT_A_STORE`,
   * `UNSUPPORTED_FORMAT_VERSION`). `db` must use the default utf8 encodings.
   */
  static async fromDatabase(db: LevelDatabase, options: EventLogOptions = {}): Promise<AbstractLevelEventLog> {
    const subs = sublevelsOf(db);
    return new AbstractLevelEventLog(db, subs, await prepareStore(db, subs), options);
  }

  /** For adapters: opens the store in `db` and returns what their constructor needs. */
  protected static async prepare(db: LevelDatabase): Promise<{ readonly subs: Sublevels; readonly state: StoreState }> {
    const subs = sublevelsOf(db);
    return { subs, state: await prepareStore(db, subs) };
  }

  protected constructor(
    private readonly db: LevelDatabase,
    subs: Sublevels,
    state: StoreState,
    options: EventLogOptions,
  ) {
    databases.set(this, db);
    this.subs = subs;
    this.storeMetadata = state.metadata;
    this.head = state.head;
    this.upcasters = options.upcasters ?? new UpcasterRegistry();
    this.writer = new GroupCommit((requests) => this.commit(requests));
  }

  get metadata(): StoreMetadata {
    return this.storeMetadata;
  }

  headSeq(): number {
    return this.head.seq;
  }

  headHash(): string {
    return this.head.hash;
  }

  /** Write-path counters since open. */
  stats(): EventLogStats {
    return { ...this.counters };
  }

  append(events: readonly NewEvent[], options: AppendOptions = {}): Promise<readonly StoredEvent[]> {
    let request: AppendRequest;
    try {
      if (!Array.isArray(events)) throw new TypeError('events must be an array');
      const expectedSeq = checkOptionalSequence(options.expectedSeq, 'expectedSeq');
      if (options.sync !== undefined && typeof options.sync !== 'boolean')
        throw new TypeError('sync must be a boolean');
      request = {
        kind: 'append',
        events: events.map((event: unknown, i) => prepareEvent(event, i)),
        expectedSeq,
        sync: options.sync ?? true,
      };
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closing) return Promise.reject(logClosedError());
    if (request.events.length === 0) return Promise.resolve([]);
    return this.writer.submit(request);
  }

  importSealed(events: readonly StoredEvent[], options: ImportSealedOptions = {}): Promise<readonly StoredEvent[]> {
    let request: ImportRequest;
    try {
      if (!Array.isArray(events)) throw new TypeError('events must be an array');
      if (options.sync !== undefined && typeof options.sync !== 'boolean')
        throw new TypeError('sync must be a boolean');
      const identity = checkIdentity(options.identity);
      const checked = events.map((event: unknown, i) => checkSealedEvent(event, i));
      if (identity !== undefined && checked[0]?.event.seq !== 1)
        throw new TypeError('identity is taken only with an import that starts the log (seq 1)');
      request = {
        kind: 'import',
        events: checked,
        ...(identity === undefined ? {} : { identity }),
        sync: options.sync ?? true,
      };
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closing) return Promise.reject(logClosedError());
    if (request.events.length === 0) return Promise.resolve([]);
    return this.writer.submit(request);
  }

  checkAppendable(events: readonly NewEvent[]): EventRejection | undefined {
    if (!Array.isArray(events)) throw new TypeError('events must be an array');
    try {
      events.forEach((event: unknown, i) => prepareEvent(event, i));
      return undefined;
    } catch (error) {
      if (error instanceof EventRejectedError) return { code: error.code, message: error.message, index: error.index };
      throw error;
    }
  }

  /**
   * One group commit: seals every accepted append's events on top of the head,
   * places every import that continues the chain there, and writes them in one batch.
   */
  private async commit(requests: readonly WriteRequest[]): Promise<Array<Outcome<readonly StoredEvent[]>>> {
    let seq = this.head.seq;
    let hash = this.head.hash;
    let sync = false;
    let metadata: StoreMetadata | undefined;
    const writes = new StagedWrites(this.subs);
    const outcomes: Array<Outcome<readonly StoredEvent[]>> = [];
    const committed: StoredEvent[] = [];
    let accepted = 0;
    for (const request of requests) {
      if (request.kind === 'import') {
        const defect = firstImportDefect(request.events, { seq, hash });
        if (defect !== undefined) {
          outcomes.push({ ok: false, error: defect });
          continue;
        }
        const stored = request.events.map((checked) => checked.event);
        for (const checked of request.events) writes.stage(checked, checked.timeKey);
        const last = stored[stored.length - 1] as StoredEvent;
        seq = last.seq;
        hash = last.hash;
        if (request.identity !== undefined) {
          metadata = { ...this.storeMetadata, ...request.identity };
          writes.metadata(metadata);
        }
        sync ||= request.sync;
        accepted += 1;
        committed.push(...stored);
        outcomes.push({ ok: true, value: stored });
        continue;
      }
      if (request.expectedSeq !== undefined && request.expectedSeq !== seq) {
        outcomes.push({
          ok: false,
          error: new LedgerError(
            EventLogErrorCode.SEQUENCE_CONFLICT,
            `expected the head at ${request.expectedSeq}, but it is at ${seq}`,
            {
              details: { expectedSeq: request.expectedSeq, actualSeq: seq },
            },
          ),
        });
        continue;
      }
      const stored: StoredEvent[] = [];
      for (const prepared of request.events) {
        seq += 1;
        const sealed = sealEvent(prepared, seq, hash);
        hash = sealed.event.hash;
        stored.push(sealed.event);
        writes.stage(sealed, prepared.timeKey);
      }
      sync ||= request.sync;
      accepted += 1;
      committed.push(...stored);
      outcomes.push({ ok: true, value: stored });
    }
    if (committed.length === 0) return outcomes;
    writes.head(seq, hash);
    try {
      await writes.writeTo(this.db, sync);
    } catch (error) {
      this.counters.failedBatches += 1;
      const failure = writeError(error);
      return outcomes.map((outcome) => (outcome.ok ? { ok: false, error: failure } : outcome));
    }
    this.head = { seq, hash };
    if (metadata !== undefined) this.storeMetadata = metadata;
    this.counters.batches += 1;
    this.counters.appends += accepted;
    this.counters.events += committed.length;
    this.publish(committed);
    return outcomes;
  }

  private publish(events: readonly StoredEvent[]): void {
    for (const listener of this.listeners) {
      try {
        listener.next(events);
      } catch {
        // A failing subscriber must not fail the commit; rxjs reports consumer errors itself.
      }
    }
  }

  async get(seq: number): Promise<StoredEvent | undefined> {
    if (!isSequence(seq)) throw new TypeError('seq must be a non-negative integer');
    if (this.closing) throw logClosedError();
    if (seq === 0) return undefined;
    let raw: string | undefined;
    try {
      raw = await this.subs.events.get(encodeSequenceKey(seq));
    } catch (error) {
      throw this.closing ? logClosedError() : readError(error);
    }
    return raw === undefined ? undefined : this.upcasters.upcast(parseStoredEvent(raw, seq));
  }

  read(options: ReadOptions = {}): AsyncIterable<StoredEvent> {
    const filter = checkFilter(options);
    const fromSeq = checkOptionalSequence(options.fromSeq, 'fromSeq');
    const toSeq = checkOptionalSequence(options.toSeq, 'toSeq');
    const limit = checkOptionalSequence(options.limit, 'limit');
    const reverse = options.reverse === true;
    return { [Symbol.asyncIterator]: () => this.stream(filter, fromSeq ?? 1, toSeq, reverse, limit) };
  }

  readStored(options: { readonly fromSeq?: number; readonly toSeq?: number } = {}): AsyncIterable<StoredEventText> {
    const fromSeq = Math.max(1, checkOptionalSequence(options.fromSeq, 'fromSeq') ?? 1);
    const toSeq = checkOptionalSequence(options.toSeq, 'toSeq');
    return { [Symbol.asyncIterator]: () => this.storedTexts(fromSeq, toSeq) };
  }

  private async *storedTexts(fromSeq: number, toSeq: number | undefined): AsyncGenerator<StoredEventText> {
    for await (const chunk of this.storedChunks(fromSeq, toSeq)) yield* chunk;
  }

  /** The stored texts of [fromSeq, toSeq] in the chunks the store reads (each non-empty). */
  private async *storedChunks(fromSeq: number, toSeq: number | undefined): AsyncGenerator<StoredEventText[]> {
    if (this.closing) throw logClosedError();
    const to = Math.min(toSeq ?? this.head.seq, this.head.seq);
    if (to < fromSeq) return;
    try {
      const iterator = this.subs.events.iterator({ gte: encodeSequenceKey(fromSeq), lte: encodeSequenceKey(to) });
      for await (const entries of chunksOf(iterator, READ_CHUNK)) {
        if (entries.length > 0)
          yield (entries as Array<[string, string]>).map(([key, text]) => ({ seq: Number.parseInt(key, 16), text }));
      }
    } catch (error) {
      throw this.closing && isLedgerError(error, EventLogErrorCode.READ_FAILED) ? logClosedError() : error;
    }
  }

  private async *stream(
    filter: EventFilter,
    fromSeq: number,
    toSeq: number | undefined,
    reverse: boolean,
    limit?: number,
  ): AsyncGenerator<StoredEvent> {
    for await (const chunk of this.streamChunks(filter, fromSeq, toSeq, reverse, limit)) yield* chunk;
  }

  /** Upcast events in the chunks the store reads them (non-empty). */
  private async *streamChunks(
    filter: EventFilter,
    fromSeq: number,
    toSeq: number | undefined,
    reverse: boolean,
    limit?: number,
  ): AsyncGenerator<StoredEvent[]> {
    if (this.closing) throw logClosedError();
    const head = this.head.seq;
    const query = { filter, from: Math.max(1, fromSeq), to: Math.min(toSeq ?? head, head), reverse, limit };
    try {
      for await (const chunk of queryEventChunks(this.subs.events, this.subs.indexes, query)) {
        if (chunk.length > 0) yield chunk.map((event) => this.upcasters.upcast(event));
      }
    } catch (error) {
      // Reads racing close() fail inside Level; report them as what they are.
      throw this.closing && isLedgerError(error, EventLogErrorCode.READ_FAILED) ? logClosedError() : error;
    }
  }

  async page(options: PageOptions = {}): Promise<EventPage> {
    const { after, before, order = 'asc', limit = PAGE_LIMIT.default, ...rest } = options;
    if (order !== 'asc' && order !== 'desc') throw new TypeError("order must be 'asc' or 'desc'");
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE_LIMIT.max)
      throw new TypeError(`limit must be an integer in 1..${PAGE_LIMIT.max}`);
    checkOptionalSequence(after, 'after');
    checkOptionalSequence(before, 'before');
    const head = this.head.seq;
    const fromSeq = (after ?? 0) + 1;
    const toSeq = before === undefined ? head : before - 1;
    const events: StoredEvent[] = [];
    if (fromSeq <= toSeq) {
      for await (const event of this.read({ ...rest, fromSeq, toSeq, reverse: order === 'desc', limit: limit + 1 }))
        events.push(event);
    }
    const more = events.length > limit;
    if (more) events.length = limit;
    const last = events[events.length - 1];
    return { events, head, ...(more && last !== undefined ? { next: last.seq } : {}) };
  }

  subscribe(options: { readonly after?: number } & EventFilter = {}): Observable<StoredEvent> {
    const { after, ...rest } = options;
    const filter = checkFilter(rest);
    const from = checkOptionalSequence(after, 'after') ?? 0;
    return subscribeToLog(this.liveSource(), from, filter);
  }

  tail(options: TailOptions = {}): AsyncIterable<StoredEvent> {
    const batches = this.tailBatches(options);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const batch of batches) yield* batch;
      },
    };
  }

  tailBatches(options: TailBatchOptions = {}): AsyncIterable<readonly StoredEvent[]> {
    const { after, signal, maxBatch, ...rest } = options;
    const query = { ...tailQuery({ after, signal, maxBatch }), filter: checkFilter(rest) };
    return { [Symbol.asyncIterator]: () => tailLog(this.liveSource(), query) };
  }

  tailStoredBatches(options: StoredTailOptions = {}): AsyncIterable<readonly StoredEventText[]> {
    const query = { ...tailQuery(options), filter: {} };
    const source: TailSource<StoredEventText> = {
      ...this.liveSource(),
      // Every event is kept (no filter) and the sequence has no gaps: at most `limit` is up to after + limit.
      catchUpChunks: (afterSeq, to, _filter, limit) => ({
        [Symbol.asyncIterator]: () => this.storedChunks(afterSeq + 1, Math.min(to, afterSeq + limit)),
      }),
    };
    return { [Symbol.asyncIterator]: () => tailLog(source, query) };
  }

  /** What subscriptions and tails need from the log. */
  private liveSource(): LiveSource {
    const isClosing = (): boolean => this.closing;
    return {
      get closed() {
        return isClosing();
      },
      headSeq: () => this.head.seq,
      listen: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      catchUp: (afterSeq, to, f) => ({ [Symbol.asyncIterator]: () => this.stream(f, afterSeq + 1, to, false) }),
      catchUpChunks: (afterSeq, to, f, limit) => ({
        [Symbol.asyncIterator]: () => this.streamChunks(f, afterSeq + 1, to, false, limit),
      }),
      upcast: (event) => this.upcasters.upcast(event),
    };
  }

  async verify(
    options: { readonly from?: number; readonly to?: number; readonly onProgress?: (seq: number) => void } = {},
  ): Promise<VerifyResult> {
    const from = checkOptionalSequence(options.from, 'from') ?? 1;
    const to = checkOptionalSequence(options.to, 'to') ?? this.head.seq;
    if (from < 1) throw new TypeError('from must be >= 1');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
      throw new TypeError('onProgress must be a function');
    if (this.closing) throw logClosedError();
    const chain = await verifyEvents(this.subs.events, { from, to, head: this.head, onProgress: options.onProgress });
    if (!chain.ok || from > to) return chain;
    // Once the chain holds: the indexes queries run on (strays only on a whole-log check, which walks every index).
    const firstBad = await verifyIndexes(this.subs.events, this.subs.indexes, {
      from,
      to,
      strays: from === 1,
      head: () => this.head.seq,
    });
    return firstBad === undefined ? chain : { ...chain, ok: false, firstBad };
  }

  async readSnapshot<T>(name: string): Promise<Snapshot<T> | undefined> {
    if (typeof name !== 'string' || name === '') throw new TypeError('snapshot name must be a non-empty string');
    if (this.closing) throw logClosedError();
    let raw: string | undefined;
    try {
      raw = await this.subs.snapshots.get(name);
    } catch (error) {
      throw readError(error);
    }
    if (raw === undefined) return undefined;
    try {
      const snapshot = JSON.parse(raw) as Snapshot<T>;
      if (!isSequence(snapshot.seq) || !Number.isSafeInteger(snapshot.version))
        throw new Error('missing seq or version');
      return snapshot;
    } catch (error) {
      throw new LedgerError(EventLogErrorCode.CORRUPT_SNAPSHOT, `snapshot ${JSON.stringify(name)} cannot be read`, {
        cause: error,
        details: { name },
      });
    }
  }

  async writeSnapshot<T>(name: string, snapshot: Snapshot<T>): Promise<void> {
    if (typeof name !== 'string' || name === '') throw new TypeError('snapshot name must be a non-empty string');
    if (snapshot === null || typeof snapshot !== 'object') throw new TypeError('snapshot must be an object');
    if (!isSequence(snapshot.seq)) throw new TypeError('snapshot.seq must be a non-negative integer');
    if (!Number.isSafeInteger(snapshot.version)) throw new TypeError('snapshot.version must be an integer');
    const value = JSON.stringify({ seq: snapshot.seq, version: snapshot.version, value: snapshot.value });
    if (this.closing) throw logClosedError();
    try {
      await this.subs.snapshots.put(name, value, syncOption(true));
    } catch (error) {
      throw new LedgerError(EventLogErrorCode.WRITE_FAILED, `snapshot ${JSON.stringify(name)} was not written`, {
        cause: error,
      });
    }
  }

  /**
   * Stops new appends (`LOG_CLOSED`), waits for the appends already accepted to
   * commit, completes every subscription, then closes the database. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    await this.writer.drain();
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener.close();
    try {
      await this.db.close();
    } catch (error) {
      throw new LedgerError(EventLogErrorCode.CLOSE_FAILED, 'the event store did not close cleanly', { cause: error });
    }
  }
}
