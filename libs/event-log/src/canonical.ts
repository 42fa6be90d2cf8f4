import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { StoredEvent } from '@ledger/domain';

/**
 * The canonical encoding the hash chain is computed over: JSON as
 * `JSON.stringify` would write it (same `toJSON`, `undefined`, non-finite number
 * and escaping rules), except that object keys are written in ascending
 * UTF-16 code unit order (`Array.prototype.sort`) at every depth, and there is
 * no whitespace. A value read back from the store therefore re-encodes to the
 * exact same bytes as the value that was appended.
 *
 * Throws a TypeError for values JSON cannot represent (BigInt, cycles) and for
 * nesting deeper than `CANONICAL_MAX_DEPTH`.
 */
export function canonicalEncode(value: unknown): string {
  const encoded = encode(value, 0);
  if (encoded === undefined) throw new TypeError(`cannot canonically encode a value of type ${typeof value}`);
  return encoded;
}

/** Deeper nesting than this is refused (it is how a cycle shows up, too). */
const CANONICAL_MAX_DEPTH = 256;

function encode(input: unknown, depth: number): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') value = (value as { toJSON(): unknown }).toJSON();
    if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // Number#toString is what JSON.stringify writes for finite numbers (and -0 becomes "0" in both).
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('cannot canonically encode a BigInt');
    case 'object':
      return value === null ? 'null' : encodeObject(value, depth);
    default:
      // undefined, functions and symbols: left out of objects, null in arrays (as JSON.stringify does).
      return undefined;
  }
}

/**
 * The JSON text of object keys seen so far (JSON.stringify of a key is pure): an event log has a
 * small vocabulary of keys, written at every event. Bounded, for data with keys of its own.
 */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Up to this many keys are sorted by insertion (see sortKeys); more by `Array.prototype.sort`. */
const INSERTION_SORT_MAX = 16;

/**
 * Sorts in place in ascending UTF-16 code unit order, as `Array.prototype.sort` without a comparator
 * orders strings (`<` compares strings by code units too). Most objects have a few keys, and this
 * runs for every object of every event hashed: by insertion, without the work copy sort makes.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > INSERTION_SORT_MAX) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
}

/** `skip`: a top-level key left out (the event's own `hash`), so that no copy without it is made. */
function encodeObject(value: object, depth: number, skip?: string): string {
  if (depth >= CANONICAL_MAX_DEPTH)
    throw new TypeError(
      `cannot canonically encode a cyclic structure or one nested deeper than ${CANONICAL_MAX_DEPTH}`,
    );
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += encode(value[i], depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  sortKeys(keys);
  let out = '{';
  for (const key of keys) {
    if (key === skip) continue;
    const encoded = encode(record[key], depth + 1);
    if (encoded === undefined) continue;
    if (out.length > 1) out += ',';
    out += quotedKey(key);
    out += ':';
    out += encoded;
  }
  return `${out}}`;
}

// One-shot `crypto.hash` (Node >= 20.12) is several times cheaper than a Hash object per event.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return oneShotHash !== undefined
    ? oneShotHash('sha256', text, 'hex')
    : createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The hash of a stored event: hex SHA-256 over `canonicalEncode` of every
 * envelope field except `hash` itself (so `seq` and `prev` are covered).
 * Always computed over the stored form, never over an upcast one.
 */
export function hashEvent(event: Omit<StoredEvent, 'hash'> | StoredEvent): string {
  // A plain event is encoded without its hash in place; anything else (a toJSON of its own, say)
  // as the copy without it that this stands for.
  const value: object = event;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('toJSON' in value))
    return sha256Hex(encodeObject(value, 0, 'hash'));
  const { hash: _ignored, ...covered } = event as StoredEvent;
  return sha256Hex(canonicalEncode(covered));
}
