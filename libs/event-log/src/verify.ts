import { GENESIS_HASH, type StoredEvent } from '@ledger/domain';
import type { ChainFinding, VerifyResult } from './event-log.port';
import { hashEvent } from './canonical';
import { readError } from './errors';
import { INDEX_SEPARATOR, indexEntries, indexKey, seqOfIndexKey, type IndexSublevel } from './layout';
import type { LevelSublevel } from './level-types';
import { chunksOf, READ_CHUNK } from './reader';
import { decodeSequenceKey, encodeSequenceKey } from './sequence-key';

/** The codes a `ChainFinding` can carry. */
export const ChainCode = {
  /** An event is missing: reported at the first seq after the hole (or at the first missing seq at the tail). */
  SEQUENCE_GAP: 'SEQUENCE_GAP',
  /** `prev` is not the previous event's hash (edited link, reordered or re-chained history). */
  BAD_PREV: 'BAD_PREV',
  /** The stored hash does not match the canonical encoding of the stored event. */
  BAD_HASH: 'BAD_HASH',
  /** The value is not JSON, or not an event envelope. */
  UNREADABLE: 'UNREADABLE',
  /** A key that is not a sequence key, or one that disagrees with the event's `seq`. */
  BAD_KEY: 'BAD_KEY',
  /** The head pointer's hash differs from the hash of the event it points at. */
  BAD_HEAD: 'BAD_HEAD',
  /** An index lacks an entry an event gives, or holds one no event gives (queries by type, recording, actor, correlation or time would be wrong). */
  INDEX_MISMATCH: 'INDEX_MISMATCH',
} as const;

export interface VerifyRange {
  readonly from: number;
  readonly to: number;
  readonly head: { readonly seq: number; readonly hash: string };
  readonly onProgress?: (seq: number) => void;
}

/** Events per round of index lookups in `verifyIndexes`. */
const INDEX_CHECK_CHUNK = 2048;
/** Index keys per step of `verifyIndexes`' walks. */
const KEY_CHUNK = 4096;

/** How often `onProgress` is called, in events. */
const VERIFY_PROGRESS_EVERY = 1024;

interface Envelope {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

function parseEnvelope(raw: string): Envelope | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
  const e = parsed as Record<string, unknown>;
  if (typeof e['seq'] !== 'number' || typeof e['prev'] !== 'string' || typeof e['hash'] !== 'string')
    return 'missing seq, prev or hash';
  return parsed as Envelope;
}

/**
 * Streams the stored (never upcast) events of [from, to] and checks, in this
 * order per event: the key is a sequence key; no sequence is missing; the value
 * parses; the key agrees with `seq`; the hash recomputes; `prev` links to the
 * previous event's hash (for `from > 1`, event `from - 1` is read for that).
 * Stops at the first finding.
 */
export async function verifyEvents(events: LevelSublevel, range: VerifyRange): Promise<VerifyResult> {
  const { from, to, head, onProgress } = range;
  let checked = 0;
  let prevHash = GENESIS_HASH;
  const result = (firstBad?: ChainFinding): VerifyResult => ({
    ok: firstBad === undefined,
    from,
    to,
    checked,
    headHash: prevHash,
    ...(firstBad ? { firstBad } : {}),
  });

  if (from > 1) {
    let raw: string | undefined;
    try {
      raw = await events.get(encodeSequenceKey(from - 1));
    } catch (error) {
      throw readError(error);
    }
    if (raw === undefined)
      return result({
        seq: from - 1,
        code: ChainCode.SEQUENCE_GAP,
        message: `event ${from - 1} (the link into the range) is missing`,
      });
    const before = parseEnvelope(raw);
    if (typeof before === 'string')
      return result({
        seq: from - 1,
        code: ChainCode.UNREADABLE,
        message: `event ${from - 1} (the link into the range) is ${before}`,
      });
    prevHash = before.hash;
  }
  if (from > to) return result();

  let expected = from;
  for await (const entries of chunksOf(
    events.iterator({ gte: encodeSequenceKey(from), lte: encodeSequenceKey(to) }),
    READ_CHUNK,
  )) {
    for (const [key, raw] of entries) {
      const seq = decodeSequenceKey(key);
      if (seq === undefined)
        return result({
          seq: expected,
          code: ChainCode.BAD_KEY,
          message: `key ${JSON.stringify(key)} is not a sequence key`,
        });
      if (seq !== expected) {
        return result({ seq, code: ChainCode.SEQUENCE_GAP, message: `events ${expected}..${seq - 1} are missing` });
      }
      const event = parseEnvelope(raw);
      if (typeof event === 'string')
        return result({ seq, code: ChainCode.UNREADABLE, message: `event ${seq} is ${event}` });
      if (event.seq !== seq)
        return result({ seq, code: ChainCode.BAD_KEY, message: `key says ${seq} but the event says ${event.seq}` });
      let hash: string;
      try {
        hash = hashEvent(event as unknown as Parameters<typeof hashEvent>[0]);
      } catch (error) {
        return result({
          seq,
          code: ChainCode.UNREADABLE,
          message: `event ${seq} cannot be encoded: ${(error as Error).message}`,
        });
      }
      if (hash !== event.hash)
        return result({ seq, code: ChainCode.BAD_HASH, message: `event ${seq} does not match its hash` });
      if (event.prev !== prevHash)
        return result({
          seq,
          code: ChainCode.BAD_PREV,
          message: `event ${seq} does not link to the hash of event ${seq - 1}`,
        });
      prevHash = event.hash;
      checked += 1;
      expected += 1;
      if (onProgress !== undefined && checked % VERIFY_PROGRESS_EVERY === 0) onProgress(seq);
    }
  }
  if (expected <= to)
    return result({ seq: expected, code: ChainCode.SEQUENCE_GAP, message: `events ${expected}..${to} are missing` });
  if (to === head.seq && prevHash !== head.hash) {
    return result({
      seq: to,
      code: ChainCode.BAD_HEAD,
      message: `the head pointer's hash differs from event ${to}'s`,
    });
  }
  onProgress?.(to);
  return result();
}

/**
 * The index entries of the events in [from, to]: each event has every entry
 * `indexEntries` gives it (one `getMany` per index and chunk of events). With
 * `strays` (a check of the whole log), no index holds an entry for a sequence in
 * range that its event does not give, nor one past the head: counted per
 * index, and on a difference the first stray is found by a second walk of that
 * index. Meant to run once the chain of the range is intact (the events parse).
 */
export async function verifyIndexes(
  events: LevelSublevel,
  indexes: Readonly<Record<IndexSublevel, LevelSublevel>>,
  range: { readonly from: number; readonly to: number; readonly strays: boolean; readonly head: () => number },
): Promise<ChainFinding | undefined> {
  const { from, to } = range;
  const expected = new Map<IndexSublevel, number>();
  for await (const entries of chunksOf(
    events.iterator({ gte: encodeSequenceKey(from), lte: encodeSequenceKey(to) }),
    INDEX_CHECK_CHUNK,
  )) {
    const wanted = new Map<IndexSublevel, Array<{ readonly key: string; readonly seq: number }>>();
    for (const [, raw] of entries) {
      const event = JSON.parse(raw) as StoredEvent;
      for (const [index, value] of indexEntries(event)) {
        let keys = wanted.get(index);
        if (keys === undefined) wanted.set(index, (keys = []));
        keys.push({ key: indexKey(value, event.seq), seq: event.seq });
        expected.set(index, (expected.get(index) ?? 0) + 1);
      }
    }
    // The indexes are looked up together: one thread-pool round trip per chunk, not one per index.
    let found: Array<Array<string | undefined>>;
    try {
      found = await Promise.all([...wanted].map(([index, keys]) => indexes[index].getMany(keys.map((k) => k.key))));
    } catch (error) {
      throw readError(error);
    }
    let first: ChainFinding | undefined;
    [...wanted].forEach(([index, keys], n) => {
      found[n]?.forEach((value, i) => {
        const k = keys[i];
        if (value === undefined && k !== undefined && (first === undefined || k.seq < first.seq)) {
          first = {
            seq: k.seq,
            code: ChainCode.INDEX_MISMATCH,
            message: `event ${k.seq} has no ${index} entry ${JSON.stringify(k.key.split(INDEX_SEPARATOR)[0])}`,
          };
        }
      });
    });
    if (first !== undefined) return first;
  }
  if (!range.strays) return undefined;
  for (const index of Object.keys(indexes) as IndexSublevel[]) {
    let count = 0;
    let malformed: string | undefined;
    let beyond: string | undefined;
    for await (const keys of chunksOf(indexes[index].keys(), KEY_CHUNK)) {
      for (const key of keys) {
        const seq = seqOfIndexKey(key);
        if (seq === undefined) malformed ??= key;
        else if (seq > to) {
          if (beyond === undefined || seq > (seqOfIndexKey(beyond) ?? 0)) beyond = key;
        } else if (seq >= from) count += 1;
      }
    }
    // Appends go on during a check: past `to` only an entry past the head as it is now (read
    // after the walk, whose iterator saw only committed batches) names no event.
    const head = range.head();
    if (beyond !== undefined && (seqOfIndexKey(beyond) ?? 0) <= head) beyond = undefined;
    malformed ??= beyond;
    if (malformed !== undefined) {
      return {
        seq: seqOfIndexKey(malformed) ?? to,
        code: ChainCode.INDEX_MISMATCH,
        message: `${index} holds ${JSON.stringify(malformed)}, which names no event of the log`,
      };
    }
    if (count === (expected.get(index) ?? 0)) continue;
    // More entries than the events give: find the first one no event gives (a walk in
    // chunks, each entry against its event; bounded memory whatever the size of the index).
    let stray: ChainFinding | undefined;
    for await (const keys of chunksOf(indexes[index].keys(), KEY_CHUNK)) {
      const candidates = keys.flatMap((key) => {
        const seq = seqOfIndexKey(key);
        return seq !== undefined && seq >= from && seq <= to ? [{ key, seq }] : [];
      });
      if (candidates.length === 0) continue;
      let raws: Array<string | undefined>;
      try {
        raws = await events.getMany(candidates.map((c) => encodeSequenceKey(c.seq)));
      } catch (error) {
        throw readError(error);
      }
      candidates.forEach(({ key, seq }, i) => {
        const raw = raws[i];
        const gives =
          raw === undefined
            ? []
            : indexEntries(JSON.parse(raw) as StoredEvent)
                .filter(([e]) => e === index)
                .map(([, value]) => indexKey(value, seq));
        if (!gives.includes(key) && (stray === undefined || seq < stray.seq)) {
          stray = {
            seq,
            code: ChainCode.INDEX_MISMATCH,
            message: `${index} entry ${JSON.stringify(key.split(INDEX_SEPARATOR)[0])} for event ${seq}, which does not give it`,
          };
        }
      });
    }
    if (stray !== undefined) return stray;
    return {
      seq: to,
      code: ChainCode.INDEX_MISMATCH,
      message: `${index} holds ${count} entries for events ${from}..${to}; the events give ${expected.get(index) ?? 0}`,
    };
  }
  return undefined;
}
