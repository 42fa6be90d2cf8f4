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
 * Throws a TypeError for values JSON cannot represent (BigInt, cycles).
 */
export function canonicalEncode(value: unknown): string {
  const encoded = encode(value, new Set());
  if (encoded === undefined) throw new TypeError(`cannot canonically encode a value of type ${typeof value}`);
  return encoded;
}

function encode(input: unknown, ancestors: Set<object>): string | undefined {
  let value = input;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('cannot canonically encode a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'object':
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.has(object)) throw new TypeError('cannot canonically encode a cyclic structure');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item: unknown) => encode(item, ancestors) ?? 'null').join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const encoded = encode(record[key], ancestors);
      if (encoded !== undefined) parts.push(`${JSON.stringify(key)}:${encoded}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The hash of a stored event: hex SHA-256 over `canonicalEncode` of every
 * envelope field except `hash` itself (so `seq` and `prev` are covered).
 * Always computed over the stored form, never over an upcast one.
 */
export function hashEvent(event: Omit<StoredEvent, 'hash'> | StoredEvent): string {
  const { hash: _ignored, ...covered } = event as StoredEvent;
  return sha256Hex(canonicalEncode(covered));
}
