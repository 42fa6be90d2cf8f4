import { LedgerError, type StoredEvent } from '@ledger/domain';
import { canonicalEncode, sha256Hex } from './canonical';
import { EventRejectedError, EventRejectionCode } from './errors';
import { INDEX_SEPARATOR, indexEntries, normalizeTime } from './layout';
import { isSequence } from './sequence-key';
import { ChainCode } from './verify';

/** Why `importSealed` refuses events that are well-formed: they do not continue the chain at the head. */
export type SealedImportRefusal = typeof ChainCode.SEQUENCE_GAP | typeof ChainCode.BAD_HASH | typeof ChainCode.BAD_PREV;

declare module '@ledger/domain' {
  interface LedgerErrorCodes {
    sealedImport: SealedImportRefusal;
  }
}

/** A sealed event checked for what does not depend on where it lands, and encoded as it will be stored. */
export interface CheckedSealedEvent {
  readonly event: StoredEvent;
  /** The stored value, as the append path stores every event: the canonical encoding with `hash` last. */
  readonly value: string;
  /** The adjusted time as indexed. */
  readonly timeKey: string;
  /** False when `hash` is not the hash of the event's canonical encoding. */
  readonly hashOk: boolean;
  /** A malformed event: refused, in order, when the import reaches it. */
  readonly malformed?: EventRejectedError;
}

const HASH = /^[0-9a-f]{64}$/;

function malformed(code: EventRejectionCode, message: string, index: number): EventRejectedError {
  return new EventRejectedError(code, message, index);
}

/**
 * Checks one sealed event handed to `importSealed` for its shape (an envelope
 * whose index entries can be written) and its hash. Unlike `append`, the size
 * bound is not applied: the event was sealed already, and an import keeps
 * history as it was.
 */
export function checkSealedEvent(input: unknown, index: number): CheckedSealedEvent {
  const at = `events[${index}]`;
  const bad = (message: string): CheckedSealedEvent => ({
    event: input as StoredEvent,
    value: '',
    timeKey: '',
    hashOk: false,
    malformed: malformed(EventRejectionCode.MALFORMED_EVENT, `${at}${message}`, index),
  });
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return bad(' must be an object');
  const event = input as StoredEvent;
  if (!isSequence(event.seq) || event.seq < 1) return bad('.seq must be an integer >= 1');
  if (typeof event.prev !== 'string' || !HASH.test(event.prev)) return bad('.prev must be 64 hex digits');
  if (typeof event.hash !== 'string' || !HASH.test(event.hash)) return bad('.hash must be 64 hex digits');
  if (typeof event.time !== 'string') return bad('.time must be a string');
  const timeKey = normalizeTime(event.time) ?? event.time;
  try {
    for (const [sublevel, value] of indexEntries(event, timeKey)) {
      if (typeof value !== 'string' || value === '' || value.includes(INDEX_SEPARATOR))
        return bad(`: its ${sublevel} index value must be a non-empty string without U+0000`);
    }
  } catch {
    return bad(': type, metadata.actor and metadata.correlationId are required');
  }
  let covered: string;
  try {
    const { hash: _hash, ...rest } = event;
    covered = canonicalEncode(rest);
  } catch (error) {
    return {
      event,
      value: '',
      timeKey,
      hashOk: false,
      malformed: malformed(
        EventRejectionCode.EVENT_NOT_REPRESENTABLE,
        `${at} is not representable as JSON: ${(error as Error).message}`,
        index,
      ),
    };
  }
  const value = `${covered.slice(0, -1)},"hash":"${event.hash}"}`;
  return { event: JSON.parse(value) as StoredEvent, value, timeKey, hashOk: sha256Hex(covered) === event.hash };
}

/**
 * The first reason, in order, why `events` do not continue a chain whose head
 * is `head`: per event its shape, then its seq (head + 1), its hash, its link
 * to the previous hash. Undefined when they all do.
 */
export function firstImportDefect(
  events: readonly CheckedSealedEvent[],
  head: { readonly seq: number; readonly hash: string },
): Error | undefined {
  let seq = head.seq;
  let hash = head.hash;
  for (const [index, checked] of events.entries()) {
    if (checked.malformed !== undefined) return checked.malformed;
    const { event } = checked;
    const details = { index, seq: event.seq };
    if (event.seq !== seq + 1)
      return refusal(ChainCode.SEQUENCE_GAP, `events[${index}] has seq ${event.seq}, expected ${seq + 1}`, details);
    if (!checked.hashOk) return refusal(ChainCode.BAD_HASH, `event ${event.seq} does not match its hash`, details);
    if (event.prev !== hash)
      return refusal(ChainCode.BAD_PREV, `event ${event.seq} does not link to the hash of event ${seq}`, details);
    seq = event.seq;
    hash = event.hash;
  }
  return undefined;
}

function refusal(
  code: SealedImportRefusal,
  message: string,
  details: { readonly index: number; readonly seq: number },
): LedgerError {
  return new LedgerError(code, message, { details });
}
