import { crc16X25 } from './crc16';
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

/**
 * Decodes one frame without throwing: the payload, or the error code. The payload
 * shares memory with `frame` when the frame holds no escapes.
 * @internal used by the splitter, where bad frames are routine.
 */
export function tryDecodeHdlcFrame(frame: Buffer): Buffer | QmdlErrorCode {
  const flagAt = frame.length - 1;
  if (flagAt < 0 || frame[flagAt] !== HDLC_FLAG) return QmdlErrorCode.HDLC_BAD_FLAG;
  const firstFlag = frame.indexOf(HDLC_FLAG);
  if (firstFlag !== flagAt) return QmdlErrorCode.HDLC_BAD_FLAG;
  const firstEscape = frame.indexOf(HDLC_ESCAPE);
  let unescaped: Buffer;
  if (firstEscape < 0) {
    unescaped = frame.subarray(0, flagAt);
  } else {
    // Escapes are sparse: copy the runs between them natively, unescape one byte at each.
    unescaped = Buffer.allocUnsafe(flagAt);
    frame.copy(unescaped, 0, 0, firstEscape);
    let out = firstEscape;
    let i = firstEscape; // always at an escape byte, or at the flag
    while (i < flagAt) {
      const next = frame[i + 1] as number;
      if (i + 1 >= flagAt || (next !== 0x5e && next !== 0x5d)) return QmdlErrorCode.HDLC_BAD_ESCAPE;
      unescaped[out++] = next ^ ESCAPE_XOR;
      i += 2;
      let runEnd = frame.indexOf(HDLC_ESCAPE, i);
      if (runEnd < 0) runEnd = flagAt;
      if (runEnd > i) {
        frame.copy(unescaped, out, i, runEnd);
        out += runEnd - i;
        i = runEnd;
      }
    }
    unescaped = unescaped.subarray(0, out);
  }
  if (unescaped.length < 2) return QmdlErrorCode.HDLC_TOO_SHORT;
  const payloadEnd = unescaped.length - 2;
  const expected = (unescaped[payloadEnd] as number) | ((unescaped[payloadEnd + 1] as number) << 8);
  if (crc16X25(unescaped, 0, payloadEnd) !== expected) return QmdlErrorCode.HDLC_BAD_CRC;
  return unescaped.subarray(0, payloadEnd);
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
