import { GENESIS_HASH } from '@ledger/domain';
import type { VerifyFinding, VerifyResult } from './event-log.port';
import { hashEvent } from './canonical';
import { readError } from './errors';
import type { LevelSublevel } from './level-types';
import { READ_CHUNK } from './reader';
import { decodeSequenceKey, encodeSequenceKey } from './sequence-key';

/** The codes a `VerifyFinding` can carry. */
export const VerifyCode = {
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
} as const;

export interface VerifyRange {
  readonly from: number;
  readonly to: number;
  readonly head: { readonly seq: number; readonly hash: string };
  readonly onProgress?: (seq: number) => void;
}

/** How often `onProgress` is called, in events. */
export const VERIFY_PROGRESS_EVERY = 1024;

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
  if (typeof e['seq'] !== 'number' || typeof e['prev'] !== 'string' || typeof e['hash'] !== 'string') return 'missing seq, prev or hash';
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
  const result = (firstBad?: VerifyFinding): VerifyResult => ({ ok: firstBad === undefined, from, to, checked, headHash: prevHash, ...(firstBad ? { firstBad } : {}) });

  if (from > 1) {
    let raw: string | undefined;
    try {
      raw = await events.get(encodeSequenceKey(from - 1));
    } catch (error) {
      throw readError(error);
    }
    if (raw === undefined) return result({ seq: from - 1, code: VerifyCode.SEQUENCE_GAP, message: `event ${from - 1} (the link into the range) is missing` });
    const before = parseEnvelope(raw);
    if (typeof before === 'string') return result({ seq: from - 1, code: VerifyCode.UNREADABLE, message: `event ${from - 1} (the link into the range) is ${before}` });
    prevHash = before.hash;
  }
  if (from > to) return result();

  let expected = from;
  const iterator = events.iterator({ gte: encodeSequenceKey(from), lte: encodeSequenceKey(to) });
  try {
    for (;;) {
      let entries: Array<[string, string]>;
      try {
        entries = await iterator.nextv(READ_CHUNK);
      } catch (error) {
        throw readError(error);
      }
      if (entries.length === 0) break;
      for (const [key, raw] of entries) {
        const seq = decodeSequenceKey(key);
        if (seq === undefined) return result({ seq: expected, code: VerifyCode.BAD_KEY, message: `key ${JSON.stringify(key)} is not a sequence key` });
        if (seq !== expected) {
          return result({ seq, code: VerifyCode.SEQUENCE_GAP, message: `events ${expected}..${seq - 1} are missing` });
        }
        const event = parseEnvelope(raw);
        if (typeof event === 'string') return result({ seq, code: VerifyCode.UNREADABLE, message: `event ${seq} is ${event}` });
        if (event.seq !== seq) return result({ seq, code: VerifyCode.BAD_KEY, message: `key says ${seq} but the event says ${event.seq}` });
        let hash: string;
        try {
          hash = hashEvent(event as unknown as Parameters<typeof hashEvent>[0]);
        } catch (error) {
          return result({ seq, code: VerifyCode.UNREADABLE, message: `event ${seq} cannot be encoded: ${(error as Error).message}` });
        }
        if (hash !== event.hash) return result({ seq, code: VerifyCode.BAD_HASH, message: `event ${seq} does not match its hash` });
        if (event.prev !== prevHash) return result({ seq, code: VerifyCode.BAD_PREV, message: `event ${seq} does not link to the hash of event ${seq - 1}` });
        prevHash = event.hash;
        checked += 1;
        expected += 1;
        if (onProgress !== undefined && checked % VERIFY_PROGRESS_EVERY === 0) onProgress(seq);
      }
    }
  } finally {
    await iterator.close().catch(() => undefined);
  }
  if (expected <= to) return result({ seq: expected, code: VerifyCode.SEQUENCE_GAP, message: `events ${expected}..${to} are missing` });
  if (to === head.seq && prevHash !== head.hash) {
    return result({ seq: to, code: VerifyCode.BAD_HEAD, message: `the head pointer's hash differs from event ${to}'s` });
  }
  onProgress?.(to);
  return result();
}
