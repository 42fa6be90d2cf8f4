/** Log code of the LTE MAC RACH response log (a RACH attempt: msg1–msg3). */
export const LOG_CODE_LTE_MAC_RACH_RESPONSE = 0xb062;

/** The fields of a RACH attempt the random access response is rebuilt from. */
export interface RachAttempt {
  readonly subpacketVersion: number;
  readonly preambleIndex: number;
  readonly timingAdvance: number;
  readonly ulGrant: number;
  readonly tcRnti: number;
}

const RACH_ATTEMPT_SUBPACKET_ID = 0x06;
const MSG1 = 0x01;
const MSG2 = 0x02;
const MSG3 = 0x04;

/**
 * Parses the body of an LTE MAC RACH response log (0xB062): u8 version (1),
 * u8 subpacket count, 2 bytes reserved, then subpackets `{u8 id, u8 version,
 * u16 size, body}`. Only the first subpacket is read, as the original does; it
 * gives a response only when it is a RACH attempt (id 6) whose bitmask has
 * msg1, msg2 and msg3.
 *
 * A RACH attempt (little-endian unless noted): a header (version 2: num_attempt,
 * rach_result, contention, msg_bitmask; versions 3/0x31/0x32: sub_id and cell_id
 * first), msg1 (u8 preamble index, u8 mask, i16 power offset; version 0x32 adds
 * u16 and i8), msg2 (u16 backoff, u8 result, u16 TC-RNTI, u16 TA), msg3 (u32
 * grant, low 20 bits — big-endian from version 0x32 — then u16, u8 HARQ id, 10
 * bytes MAC PDU). The msg fields are present whatever the bitmask says; the
 * subpacket's own size field is not reliable (one vector declares a byte more
 * than it has), so the layout, not the size, bounds the read.
 *
 * @returns the attempt, `'incomplete'` (no attempt with msg1–msg3) or `'malformed'`.
 */
export function parseRachAttempt(body: Buffer): RachAttempt | 'incomplete' | 'malformed' {
  if (body.length < 4 || body[0] !== 1) return 'malformed';
  if (body[1] === 0) return 'malformed';
  const at = 4;
  if (body.length < at + 4) return 'malformed';
  const id = body[at] as number;
  const version = body[at + 1] as number;
  if (id !== RACH_ATTEMPT_SUBPACKET_ID) return 'incomplete';
  if (version !== 0x02 && version !== 0x03 && version !== 0x31 && version !== 0x32) return 'malformed';
  const headerBytes = version === 0x02 ? 4 : 6;
  const msg1Bytes = version === 0x32 ? 7 : 4;
  const msg2Bytes = 7;
  const msg3Bytes = 17;
  const start = at + 4;
  if (body.length < start + headerBytes + msg1Bytes + msg2Bytes + msg3Bytes) return 'malformed';
  const bitmask = body[start + headerBytes - 1] as number;
  if ((bitmask & (MSG1 | MSG2 | MSG3)) !== (MSG1 | MSG2 | MSG3)) return 'incomplete';
  const msg1 = start + headerBytes;
  const msg2 = msg1 + msg1Bytes;
  const msg3 = msg2 + msg2Bytes;
  const grant = version >= 0x32 ? body.readUInt32BE(msg3) : body.readUInt32LE(msg3);
  return {
    subpacketVersion: version,
    preambleIndex: (body[msg1] as number) & 0x3f,
    tcRnti: body.readUInt16LE(msg2 + 3),
    timingAdvance: body.readUInt16LE(msg2 + 5) & 0x7ff,
    ulGrant: grant & 0xfffff,
  };
}

/**
 * The MAC-LTE "framed" payload of a random access response (Wireshark's
 * mac-lte-framed layout): radio type FDD, direction downlink, RNTI type RA,
 * the payload tag, then the MAC RAR PDU — one E/T/RAPID subheader (E 0, T 1)
 * and the RAR (1 reserved bit, 11-bit TA, 20-bit UL grant, 16-bit TC-RNTI),
 * big-endian.
 */
export function rachResponseMacPdu(
  attempt: Pick<RachAttempt, 'preambleIndex' | 'timingAdvance' | 'ulGrant' | 'tcRnti'>,
): Buffer {
  const out = Buffer.allocUnsafe(11);
  out[0] = 1; // FDD
  out[1] = 1; // downlink
  out[2] = 2; // RA-RNTI
  out[3] = 0x01; // payload tag: the MAC PDU follows
  out[4] = 0x40 | (attempt.preambleIndex & 0x3f);
  out.writeUInt32BE((((attempt.timingAdvance & 0x7ff) << 20) | (attempt.ulGrant & 0xfffff)) >>> 0, 5);
  out.writeUInt16BE(attempt.tcRnti & 0xffff, 9);
  return out;
}
