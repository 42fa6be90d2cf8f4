/**
 * Why a PER decode stopped. Stable identifiers: they end up in skip reasons.
 * A decode failure is data about the message, never an exception out of the stream.
 */
export type PerFailure =
  | 'TRUNCATED' // the PDU ends before the field it announces
  | 'FRAGMENTED_LENGTH' // a length of 16K or more (fragmented), which no RRC path we read uses
  | 'VALUE_OUT_OF_RANGE' // a constrained value above its upper bound (corrupt or a different schema)
  | 'POSITION_UNKNOWN'; // a field after a part we do not decode: its bit position is unknown, so it is not read

/** Thrown inside a decode and caught at the message boundary (see `decodePer`). */
export class PerDecodeError extends Error {
  readonly failure: PerFailure;
  readonly field: string;
  constructor(failure: PerFailure, field: string) {
    super(`${failure} at ${field}`);
    this.name = 'PerDecodeError';
    this.failure = failure;
    this.field = field;
  }
}

/**
 * A reader of ASN.1 unaligned PER (X.691, the "UNALIGNED" variant 36.331 uses):
 * bits most-significant first, no padding anywhere. `path` names the field being
 * read, so a failure says where it happened.
 */
export class PerReader {
  private readonly data: Uint8Array;
  private bitPos: number;
  private readonly bitEnd: number;
  /** Set once a part of the PDU was passed over without decoding: later reads would be guesses. */
  private lost = false;
  readonly path: string[] = [];

  constructor(data: Uint8Array, options: { startBit?: number; endBit?: number } = {}) {
    this.data = data;
    this.bitPos = options.startBit ?? 0;
    this.bitEnd = options.endBit ?? data.length * 8;
  }

  get position(): number {
    return this.bitPos;
  }

  get remainingBits(): number {
    return this.bitEnd - this.bitPos;
  }

  fail(failure: PerFailure): never {
    // Caught at the message boundary and turned into data: a stack trace would never be read, and capturing
    // one is most of what a failed decode costs (random or damaged payloads fail often).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const error = new PerDecodeError(failure, this.path.join('.') || '(top)');
    Error.stackTraceLimit = limit;
    throw error;
  }

  /** Marks the rest of the PDU as unreadable: used after a part we chose not to decode. */
  loseTrack(): void {
    this.lost = true;
  }

  /** Reads `count` (0–32) bits as an unsigned number. */
  bits(count: number): number {
    if (this.lost) this.fail('POSITION_UNKNOWN');
    if (count === 0) return 0;
    if (this.bitPos + count > this.bitEnd) this.fail('TRUNCATED');
    // Whole bytes at a time: the head of the first byte, full bytes, then the tail of the last one.
    let value = 0;
    let pos = this.bitPos;
    let left = count;
    while (left > 0) {
      const offset = pos & 7;
      const take = Math.min(8 - offset, left);
      const byte = this.data[pos >>> 3] as number;
      value = value * (1 << take) + ((byte >>> (8 - offset - take)) & ((1 << take) - 1));
      pos += take;
      left -= take;
    }
    this.bitPos = pos;
    return value;
  }

  bit(): boolean {
    if (this.lost) this.fail('POSITION_UNKNOWN');
    const pos = this.bitPos;
    if (pos >= this.bitEnd) this.fail('TRUNCATED');
    this.bitPos = pos + 1;
    return (((this.data[pos >>> 3] as number) >>> (7 - (pos & 7))) & 1) === 1;
  }

  /** Copies `count` bits into bytes, left-aligned (the last byte padded with zero bits). */
  bitBytes(count: number): Uint8Array {
    if (this.lost) this.fail('POSITION_UNKNOWN');
    if (this.bitPos + count > this.bitEnd) this.fail('TRUNCATED');
    const out = new Uint8Array(Math.ceil(count / 8));
    for (let i = 0; i < count; i += 8) {
      const take = Math.min(8, count - i);
      out[i >>> 3] = this.bits(take) << (8 - take);
    }
    return out;
  }

  skipBits(count: number): void {
    if (this.lost) this.fail('POSITION_UNKNOWN');
    if (this.bitPos + count > this.bitEnd) this.fail('TRUNCATED');
    this.bitPos += count;
  }

  /** X.691 10.5: a constrained whole number in lb..ub, in the fewest bits that hold the range. */
  constrainedWholeNumber(lb: number, ub: number): number {
    const range = ub - lb + 1;
    const value = lb + this.bits(bitsFor(range));
    if (value > ub) this.fail('VALUE_OUT_OF_RANGE');
    return value;
  }

  /** X.691 10.6: a normally small non-negative whole number (extension indices, bitmap sizes). */
  normallySmallNumber(): number {
    if (!this.bit()) return this.bits(6);
    return this.semiConstrainedWholeNumber();
  }

  /** X.691 10.7 (lb 0): an unconstrained length of octets, then the value in those octets. */
  semiConstrainedWholeNumber(): number {
    const octets = this.lengthDeterminant();
    if (octets > 6) this.fail('VALUE_OUT_OF_RANGE');
    return this.bits(octets * 8);
  }

  /** X.691 10.9.3.5–8 in UPER: an unconstrained length (7 or 14 bits); 16K and up is fragmented. */
  lengthDeterminant(): number {
    if (!this.bit()) return this.bits(7);
    if (!this.bit()) return this.bits(14);
    return this.fail('FRAGMENTED_LENGTH');
  }

  /** A length with a SIZE(lb..ub) constraint below 64K: no bits at all when lb = ub. */
  constrainedLength(lb: number, ub: number): number {
    return lb === ub ? lb : this.constrainedWholeNumber(lb, ub);
  }

  /** An open type (X.691 10.2): its octet length, then its octets, skipped whole. */
  skipOpenType(): void {
    this.skipBits(this.lengthDeterminant() * 8);
  }

  /** An open type's octets, as bytes (for decoding them with a nested reader). */
  openTypeBytes(): Uint8Array {
    const octets = this.lengthDeterminant();
    return this.bitBytes(octets * 8);
  }
}

/** Bits needed to encode a constrained whole number whose range holds `range` values. */
export function bitsFor(range: number): number {
  if (range <= 0x100000000) return range <= 1 ? 0 : 32 - Math.clz32(range - 1);
  let n = 0;
  while (2 ** n < range) n++;
  return n;
}
