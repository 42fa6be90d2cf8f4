/**
 * Sequence numbers as LevelDB keys: 16 lowercase hex digits, zero-padded, so
 * that byte order equals numeric order for every safe integer (2^53 - 1 needs
 * 14 digits; 16 leaves room and reads as a 64-bit value in hex dumps).
 */

/** Length of an encoded sequence key. */
export const SEQUENCE_KEY_LENGTH = 16;

const SEQUENCE_KEY_PATTERN = /^[0-9a-f]{16}$/;

/** True for an integer a sequence may take (0 is the empty log's head). */
export function isSequence(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Encodes a sequence as its key, e.g. `1` → `0000000000000001`. */
export function encodeSequenceKey(seq: number): string {
  if (!isSequence(seq)) throw new TypeError(`sequence must be a non-negative safe integer, got ${String(seq)}`);
  return seq.toString(16).padStart(SEQUENCE_KEY_LENGTH, '0');
}

/** Decodes a sequence key; undefined when `key` is not a well-formed sequence key. */
export function decodeSequenceKey(key: string): number | undefined {
  if (!SEQUENCE_KEY_PATTERN.test(key)) return undefined;
  const seq = Number.parseInt(key, 16);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
