/**
 * A minimal unaligned PER writer, for building test PDUs field by field (the
 * inverse of PerReader's primitives). Not used by the decoders.
 */
export class PerWriter {
  private readonly out: number[] = [];

  /** Appends `count` bits of `value` (most significant first); `count` ≤ 32. */
  bits(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) this.out.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  bit(value: boolean | 0 | 1): this {
    return this.bits(value ? 1 : 0, 1);
  }

  /** A constrained whole number in lb..ub. */
  int(value: number, lb: number, ub: number): this {
    let n = 0;
    while (2 ** n < ub - lb + 1) n++;
    return this.bits(value - lb, n);
  }

  /** An unconstrained length determinant (below 16K). */
  length(n: number): this {
    return n < 128 ? this.bits(n, 8) : this.bits(0b10, 2).bits(n, 14);
  }

  octets(bytes: Uint8Array | readonly number[]): this {
    for (const b of bytes) this.bits(b, 8);
    return this;
  }

  /** The PDU, zero-padded to whole octets. */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(Math.ceil(this.out.length / 8));
    this.out.forEach((bit, i) => {
      if (bit === 1) bytes[i >>> 3] = (bytes[i >>> 3] as number) | (0x80 >>> (i & 7));
    });
    return bytes;
  }
}
