/**
 * Little-endian integers of `bytes` at positions the caller has already checked
 * are inside it. The per-frame decoders read with these, not with Buffer's
 * readUInt16LE/readUInt32LE/readBigUInt64LE: those validate their argument and
 * carry a bounds-error path, which every decoder that inlines them has to
 * interpret and compile again (at a live capture's rate the decoders run mostly
 * cold, so that is where their CPU went).
 * @internal
 */
export function u16le(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

/** See `u16le`. @internal */
export function u32le(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

/**
 * The u64 whose little-endian halves are `lo` and `hi` (u32s), as
 * `readBigUInt64LE` gives it: `hi · 2³²` is exact as a double, so this costs two
 * conversions and one addition of BigInts, and no shift.
 * @internal
 */
export function u64OfHalves(lo: number, hi: number): bigint {
  return BigInt(hi * 4294967296) + BigInt(lo);
}
