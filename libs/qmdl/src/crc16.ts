/**
 * CRC-16/X-25 (a.k.a. CRC-16/IBM-SDLC): poly 0x1021 reflected (0x8408), init
 * 0xFFFF, reflected in and out, xorout 0xFFFF. Check value of "123456789" is 0x906E.
 *
 * Computed four bytes per step ("slicing-by-4"): T0 is the usual byte table and
 * Tk[n] is the CRC contribution of byte n followed by k zero bytes. Several times
 * the byte-at-a-time loop (bench/README.md), which matters because every frame
 * read is checked.
 */
function makeTables(): [Uint16Array, Uint16Array, Uint16Array, Uint16Array] {
  const t0 = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t0[n] = c;
  }
  const next = (prev: Uint16Array): Uint16Array => {
    const t = new Uint16Array(256);
    for (let n = 0; n < 256; n++) {
      const p = prev[n] as number;
      t[n] = (p >>> 8) ^ (t0[p & 0xff] as number);
    }
    return t;
  };
  const t1 = next(t0);
  const t2 = next(t1);
  return [t0, t1, t2, next(t2)];
}

const [T0, T1, T2, T3] = makeTables();

/** CRC-16/X-25 of `data[start, end)`. */
export function crc16X25(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  let i = start;
  for (const end4 = end - 3; i < end4; i += 4) {
    const x = crc ^ ((data[i] as number) | ((data[i + 1] as number) << 8));
    crc =
      (T3[x & 0xff] as number) ^
      (T2[x >>> 8] as number) ^
      (T1[data[i + 2] as number] as number) ^
      (T0[data[i + 3] as number] as number);
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ (T0[(crc ^ (data[i] as number)) & 0xff] as number);
  return (crc ^ 0xffff) & 0xffff;
}

/**
 * What the CRC register holds after a payload followed by its own CRC-16/X-25
 * (little-endian, as HDLC sends it): checking a frame needs no knowledge of
 * where its payload ends, so it can be done in the same pass as unescaping.
 */
export const CRC16_X25_RESIDUE = 0xf0b8;

/** One step of four bytes, `word` their little-endian u32: the register after them. */
export function crc16X25Word(crc: number, word: number): number {
  const x = crc ^ (word & 0xffff);
  return (
    (T3[x & 0xff] as number) ^
    (T2[x >>> 8] as number) ^
    (T1[(word >>> 16) & 0xff] as number) ^
    (T0[word >>> 24] as number)
  );
}

/** One step of one byte: the register after it. */
export function crc16X25Byte(crc: number, byte: number): number {
  return (crc >>> 8) ^ (T0[(crc ^ byte) & 0xff] as number);
}

/**
 * The CRC register (init 0xFFFF, not inverted) after `bytes[start, end)`, read
 * four bytes at a time through `view` (a DataView of the same bytes).
 */
export function crc16X25Register(bytes: Uint8Array, view: DataView, start: number, end: number): number {
  let crc = 0xffff;
  let i = start;
  for (const end4 = end - 3; i < end4; i += 4) crc = crc16X25Word(crc, view.getUint32(i, true));
  for (; i < end; i++) crc = crc16X25Byte(crc, bytes[i] as number);
  return crc;
}
