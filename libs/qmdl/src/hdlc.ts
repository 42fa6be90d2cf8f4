import { CRC16_X25_RESIDUE, crc16X25, crc16X25Byte, crc16X25Register, crc16X25Word } from './crc16';
import { QmdlErrorCode, qmdlError } from './errors';

/** Frame delimiter: ends every HDLC frame of a QMDL stream (there is no leading flag). */
export const HDLC_FLAG = 0x7e;
/** Escape byte: `0x7E` is sent as `7D 5E`, `0x7D` as `7D 5D`. */
export const HDLC_ESCAPE = 0x7d;
const ESCAPE_XOR = 0x20;

function escapedLength(bytes: Uint8Array, start: number, end: number): number {
  let n = end - start;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b === HDLC_FLAG || b === HDLC_ESCAPE) n++;
  }
  return n;
}

function putEscaped(out: Buffer, at: number, b: number): number {
  if (b === HDLC_FLAG || b === HDLC_ESCAPE) {
    out[at] = HDLC_ESCAPE;
    out[at + 1] = b ^ ESCAPE_XOR;
    return at + 2;
  }
  out[at] = b;
  return at + 1;
}

/**
 * Encapsulates `payload` as one HDLC frame: escaped payload, escaped CRC-16/X-25
 * (little-endian) of the unescaped payload, then `0x7E`.
 *
 * @example encodeHdlcFrame(Buffer.from([1, 2, 3, 4])) // <01 02 03 04 91 39 7e>
 */
export function encodeHdlcFrame(payload: Buffer): Buffer {
  if (!Buffer.isBuffer(payload)) throw new TypeError('encodeHdlcFrame: payload must be a Buffer');
  const crc = crc16X25(payload);
  const crcLo = crc & 0xff;
  const crcHi = crc >>> 8;
  const crcExtra =
    (crcLo === HDLC_FLAG || crcLo === HDLC_ESCAPE ? 1 : 0) + (crcHi === HDLC_FLAG || crcHi === HDLC_ESCAPE ? 1 : 0);
  const bodyLength = escapedLength(payload, 0, payload.length);
  const out = Buffer.allocUnsafe(bodyLength + 2 + crcExtra + 1);
  let at: number;
  if (bodyLength === payload.length) {
    payload.copy(out, 0);
    at = payload.length;
  } else {
    at = 0;
    for (let i = 0; i < payload.length; i++) at = putEscaped(out, at, payload[i] as number);
  }
  at = putEscaped(out, at, crcLo);
  at = putEscaped(out, at, crcHi);
  out[at] = HDLC_FLAG;
  return out;
}

/** A byte of `word` is 0x7D (the classic has-zero-byte test on `word ^ 0x7D7D7D7D`). */
function hasEscape(word: number): boolean {
  const x = word ^ 0x7d7d7d7d;
  return ((x - 0x01010101) & ~x & 0x80808080) !== 0;
}

/** Two views of one buffer: its bytes, and a DataView for reading and writing four bytes at a time. */
export interface ByteViews {
  readonly bytes: Buffer;
  readonly view: DataView;
}

export function byteViews(bytes: Buffer): ByteViews {
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length) };
}

/**
 * Checks the frame `src[start, end)` (its bytes before the closing flag) when
 * it holds no escapes: its payload is then `src[start, result)`.
 * @returns the end of the payload (the CRC removed), or HDLC_TOO_SHORT / HDLC_BAD_CRC.
 * @internal the splitter's in-place decoding (see `FrameSplitter.scan`).
 */
export function checkPlainHdlc(src: ByteViews, start: number, end: number): number | QmdlErrorCode {
  if (end - start < 2) return QmdlErrorCode.HDLC_TOO_SHORT;
  return crc16X25Register(src.bytes, src.view, start, end) === CRC16_X25_RESIDUE ? end - 2 : QmdlErrorCode.HDLC_BAD_CRC;
}

/**
 * Unescapes the frame `src[start, end)` (its bytes before the closing flag)
 * into `out` from `at`, checking its CRC in the same pass. Four bytes at a time
 * between escapes: a byte loop cost about 3x as much, and native copies of the
 * runs between escapes need a Buffer view each, which cost more than the copy.
 * @returns the end of the payload in `out` (the CRC removed), or HDLC_BAD_ESCAPE / HDLC_TOO_SHORT / HDLC_BAD_CRC.
 * @internal the splitter's in-place decoding (see `FrameSplitter.scan`).
 */
export function unescapeHdlc(
  src: ByteViews,
  start: number,
  end: number,
  out: ByteViews,
  at: number,
): number | QmdlErrorCode {
  const bytes = src.bytes;
  const view = src.view;
  const outBytes = out.bytes;
  const outView = out.view;
  let crc = 0xffff;
  let o = at;
  let i = start;
  while (i < end) {
    for (; i + 4 <= end; i += 4, o += 4) {
      const word = view.getUint32(i, true);
      if (hasEscape(word)) break;
      outView.setUint32(o, word, true);
      crc = crc16X25Word(crc, word);
    }
    if (i >= end) break;
    let b = bytes[i] as number;
    if (b === HDLC_ESCAPE) {
      if (++i >= end) return QmdlErrorCode.HDLC_BAD_ESCAPE;
      b = bytes[i] as number;
      if (b !== 0x5e && b !== 0x5d) return QmdlErrorCode.HDLC_BAD_ESCAPE;
      b ^= ESCAPE_XOR;
    }
    outBytes[o++] = b;
    crc = crc16X25Byte(crc, b);
    i++;
  }
  if (o - at < 2) return QmdlErrorCode.HDLC_TOO_SHORT;
  return crc === CRC16_X25_RESIDUE ? o - 2 : QmdlErrorCode.HDLC_BAD_CRC;
}

/**
 * Decodes one frame without throwing: the payload, or the error code. The payload
 * shares memory with `frame` when the frame holds no escapes.
 * @internal `decodeHdlcFrame`'s core (the splitter decodes in place, see `FrameSplitter.scan`).
 */
export function tryDecodeHdlcFrame(frame: Buffer): Buffer | QmdlErrorCode {
  const flagAt = frame.length - 1;
  if (flagAt < 0 || frame[flagAt] !== HDLC_FLAG) return QmdlErrorCode.HDLC_BAD_FLAG;
  if (frame.indexOf(HDLC_FLAG) !== flagAt) return QmdlErrorCode.HDLC_BAD_FLAG;
  const src = byteViews(frame);
  if (frame.indexOf(HDLC_ESCAPE) < 0) {
    const payloadEnd = checkPlainHdlc(src, 0, flagAt);
    return typeof payloadEnd === 'string' ? payloadEnd : frame.subarray(0, payloadEnd);
  }
  const out = Buffer.allocUnsafe(flagAt);
  const payloadEnd = unescapeHdlc(src, 0, flagAt, byteViews(out), 0);
  return typeof payloadEnd === 'string' ? payloadEnd : out.subarray(0, payloadEnd);
}

/**
 * Decodes one HDLC frame (ending with its `0x7E` flag) to its payload, checking
 * escapes and the CRC. The result may share memory with `frame`.
 *
 * @throws LedgerError HDLC_BAD_FLAG | HDLC_BAD_ESCAPE | HDLC_TOO_SHORT | HDLC_BAD_CRC
 */
export function decodeHdlcFrame(frame: Buffer): Buffer {
  if (!Buffer.isBuffer(frame)) throw new TypeError('decodeHdlcFrame: frame must be a Buffer');
  const result = tryDecodeHdlcFrame(frame);
  if (typeof result === 'string') {
    throw qmdlError(result, `invalid HDLC frame (${result}) of ${frame.length} bytes`, {
      details: { length: frame.length },
    });
  }
  return result;
}
