import type { StoredEvent } from '@ledger/domain';
import { LedgerError } from '@ledger/domain';
import type { EventFilter } from './event-log.port';
import { EventLogErrorCode, readError } from './errors';
import { indexKey, normalizeTime, seqOfIndexKey, SUBLEVELS, type IndexSublevel } from './layout';
import type { LevelSublevel } from './level-types';
import { encodeSequenceKey } from './sequence-key';

/** How many keys or events one iterator step (`nextv`) or `getMany` fetches. */
export const READ_CHUNK = 256;

export type IndexStores = Readonly<Record<IndexSublevel, LevelSublevel>>;

/** A range query over the log; `filter` has normalized times (see `checkFilter`). */
export interface Query {
  readonly filter: EventFilter;
  /** Inclusive bounds, already clamped to [1, head]. */
  readonly from: number;
  readonly to: number;
  readonly reverse: boolean;
  readonly limit?: number;
}

/** Which index drives a query; every other filter is checked per event. */
export type Driver =
  | { readonly kind: 'index'; readonly sublevel: IndexSublevel; readonly values: readonly string[] }
  | { readonly kind: 'time'; readonly since?: string; readonly until?: string }
  | { readonly kind: 'scan' };

/**
 * Picks the index that is most selective without looking at the data: a
 * correlation id names a handful of events, a recording a few thousand, an
 * http client address fewer than an event type, an actor kind fewer than a
 * time range (whose seqs must be sorted before use). No filter: scan the log.
 */
function chooseDriver(filter: EventFilter): Driver {
  if (filter.correlationId !== undefined)
    return { kind: 'index', sublevel: SUBLEVELS.byCorrelation, values: [filter.correlationId] };
  if (filter.recording !== undefined)
    return { kind: 'index', sublevel: SUBLEVELS.byRecording, values: [filter.recording] };
  if (filter.actor?.startsWith('http:') === true)
    return { kind: 'index', sublevel: SUBLEVELS.byActor, values: [filter.actor] };
  if (filter.types !== undefined)
    return { kind: 'index', sublevel: SUBLEVELS.byType, values: [...new Set(filter.types)] };
  if (filter.actor !== undefined) return { kind: 'index', sublevel: SUBLEVELS.byActor, values: [filter.actor] };
  if (filter.since !== undefined || filter.until !== undefined)
    return { kind: 'time', since: filter.since, until: filter.until };
  return { kind: 'scan' };
}

/** True when the (stored) event passes every filter. */
export function matchesFilter(event: StoredEvent, filter: EventFilter): boolean {
  if (filter.types !== undefined && !filter.types.includes(event.type)) return false;
  if (filter.recording !== undefined && event.recording !== filter.recording) return false;
  if (filter.correlationId !== undefined && event.metadata.correlationId !== filter.correlationId) return false;
  if (filter.actor !== undefined) {
    const actor = event.metadata.actor;
    const matches = filter.actor.startsWith('http:')
      ? actor.kind === 'http' && `http:${actor.remoteAddress}` === filter.actor
      : actor.kind === filter.actor;
    if (!matches) return false;
  }
  if (filter.since !== undefined || filter.until !== undefined) {
    const time = normalizeTime(event.time) ?? event.time;
    if (filter.since !== undefined && time < filter.since) return false;
    if (filter.until !== undefined && time >= filter.until) return false;
  }
  return true;
}

/** Parses a stored event value; a CORRUPT_EVENT LedgerError when it is not one. */
export function parseStoredEvent(raw: string, seq: number): StoredEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new LedgerError(EventLogErrorCode.CORRUPT_EVENT, `event ${seq} is not valid JSON`, {
      cause: error,
      details: { seq },
    });
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { seq?: unknown }).seq !== 'number') {
    throw new LedgerError(EventLogErrorCode.CORRUPT_EVENT, `event ${seq} is not an event envelope`, {
      details: { seq },
    });
  }
  return parsed as StoredEvent;
}

/**
 * Streams the stored (not upcast) events a query selects, in sequence order
 * (or reverse), seeking straight to `from`/`to` in the driving index: the cost
 * depends on what is read, not on how deep in the log it lies. In the chunks it
 * reads (one `nextv` or `getMany` each), not event by event: every `yield` of an
 * async generator costs a few promise jobs, which per event was half the cost of
 * a full replay, so the hot paths hand over arrays.
 */
export async function* queryEventChunks(
  events: LevelSublevel,
  indexes: IndexStores,
  query: Query,
): AsyncGenerator<StoredEvent[]> {
  const { from, to, reverse, limit, filter } = query;
  if (from > to || limit === 0) return;
  const chunk = Math.max(1, Math.min(READ_CHUNK, limit ?? READ_CHUNK));
  const driver = chooseDriver(filter);
  const source =
    driver.kind === 'scan'
      ? scanEvents(events, from, to, reverse, chunk)
      : eventsForSeqs(
          events,
          driver.kind === 'time'
            ? timeSeqs(indexes[SUBLEVELS.byTime], driver, from, to, reverse)
            : mergeSeqs(
                driver.values.map((value) => indexSeqs(indexes[driver.sublevel], value, from, to, reverse)),
                reverse,
              ),
          chunk,
        );
  const unfiltered = driver.kind === 'scan' && isEmptyFilter(filter);
  let count = 0;
  for await (const read of source) {
    let out = unfiltered ? read : read.filter((event) => matchesFilter(event, filter));
    if (limit !== undefined && count + out.length >= limit) {
      out = out.slice(0, limit - count);
      if (out.length > 0) yield out;
      return;
    }
    count += out.length;
    if (out.length > 0) yield out;
  }
}

function isEmptyFilter(filter: EventFilter): boolean {
  return (
    filter.types === undefined &&
    filter.recording === undefined &&
    filter.correlationId === undefined &&
    filter.actor === undefined &&
    filter.since === undefined &&
    filter.until === undefined
  );
}

/**
 * What a Level iterator yields, one `nextv` at a time (`first` entries, then
 * `size` each): no promise per entry. Read errors become READ_FAILED; the
 * iterator is closed when the walk ends or its consumer stops.
 */
export async function* chunksOf<T>(
  iterator: { nextv(size: number): Promise<T[]>; close(): Promise<void> },
  size: number,
  first = size,
): AsyncGenerator<T[]> {
  try {
    for (let n = first; ; n = size) {
      let chunk: T[];
      try {
        chunk = await iterator.nextv(n);
      } catch (error) {
        throw readError(error);
      }
      if (chunk.length === 0) return;
      yield chunk;
    }
  } finally {
    await iterator.close().catch(() => undefined);
  }
}

async function* scanEvents(
  events: LevelSublevel,
  from: number,
  to: number,
  reverse: boolean,
  chunk: number,
): AsyncGenerator<StoredEvent[]> {
  const iterator = events.iterator({ gte: encodeSequenceKey(from), lte: encodeSequenceKey(to), reverse });
  for await (const entries of chunksOf(iterator, READ_CHUNK, chunk)) {
    const out: StoredEvent[] = new Array<StoredEvent>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [key, value] = entries[i] as [string, string];
      out[i] = parseStoredEvent(value, Number.parseInt(key, 16));
    }
    yield out;
  }
}

/** Sequences listed in one value's range of an index, in order. */
async function* indexSeqs(
  index: LevelSublevel,
  value: string,
  from: number,
  to: number,
  reverse: boolean,
): AsyncGenerator<number> {
  const iterator = index.keys({ gte: indexKey(value, from), lte: indexKey(value, to), reverse });
  for await (const keys of chunksOf(iterator, READ_CHUNK)) {
    for (const key of keys) {
      const seq = seqOfIndexKey(key);
      if (seq !== undefined) yield seq;
    }
  }
}

/** Merges sorted sequence streams (one per event type) into one sorted stream without duplicates. */
async function* mergeSeqs(sources: Array<AsyncGenerator<number>>, reverse: boolean): AsyncGenerator<number> {
  const [only] = sources;
  if (sources.length === 1 && only !== undefined) {
    yield* only;
    return;
  }
  try {
    const heads = await Promise.all(sources.map((source) => source.next()));
    let last: number | undefined;
    for (;;) {
      let best = -1;
      let bestSeq = 0;
      heads.forEach((head, i) => {
        if (head.done === true) return;
        if (best < 0 || (reverse ? head.value > bestSeq : head.value < bestSeq)) {
          best = i;
          bestSeq = head.value;
        }
      });
      const source = sources[best];
      if (source === undefined) return;
      if (bestSeq !== last) yield bestSeq;
      last = bestSeq;
      heads[best] = await source.next();
    }
  } finally {
    await Promise.all(sources.map((source) => source.return(undefined)));
  }
}

/**
 * Sequences of the events whose adjusted time is in [since, until), within
 * [from, to]. Time is not monotonic in seq (clocks move), so the matching seqs
 * are collected (keys only) and sorted: cost grows with the time range.
 */
async function* timeSeqs(
  index: LevelSublevel,
  range: { readonly since?: string; readonly until?: string },
  from: number,
  to: number,
  reverse: boolean,
): AsyncGenerator<number> {
  const seqs: number[] = [];
  const iterator = index.keys({
    ...(range.since !== undefined ? { gte: range.since } : {}),
    ...(range.until !== undefined ? { lt: range.until } : {}),
  });
  for await (const keys of chunksOf(iterator, READ_CHUNK * 4)) {
    for (const key of keys) {
      const seq = seqOfIndexKey(key);
      if (seq !== undefined && seq >= from && seq <= to) seqs.push(seq);
    }
  }
  seqs.sort(reverse ? (a, b) => b - a : (a, b) => a - b);
  yield* seqs;
}

/** Fetches the events of a sequence stream in chunks (`getMany`). A dangling index entry is skipped. */
async function* eventsForSeqs(
  events: LevelSublevel,
  seqs: AsyncIterable<number>,
  chunk: number,
): AsyncGenerator<StoredEvent[]> {
  let pending: number[] = [];
  let size = chunk;
  const fetch = async (batch: readonly number[]): Promise<StoredEvent[]> => {
    let values: Array<string | undefined>;
    try {
      values = await events.getMany(batch.map(encodeSequenceKey));
    } catch (error) {
      throw readError(error);
    }
    const out: StoredEvent[] = [];
    values.forEach((value, i) => {
      if (value !== undefined) out.push(parseStoredEvent(value, batch[i] ?? 0));
    });
    return out;
  };
  for await (const seq of seqs) {
    pending.push(seq);
    if (pending.length >= size) {
      const batch = pending;
      pending = [];
      size = READ_CHUNK;
      yield await fetch(batch);
    }
  }
  if (pending.length > 0) yield await fetch(pending);
}
