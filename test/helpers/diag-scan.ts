/**
 * An independent count of what a QMDL capture holds, for checking the pcap
 * export against real captures: a plain split on 0x7E, its own unescaping and
 * CRC-16/X-25, and the GSMTAP channel each message must become, written from
 * the layouts the original daemon reads and writes (https://github.com/EFForg/rayhunter,
 * its diag and GSMTAP code) — none of the code under test.
 */

/** Bitwise CRC-16/X-25 (reflected poly 0x8408, init and xorout 0xFFFF). */
function crc16x25(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc ^ 0xffff;
}

function unescape(piece: Buffer): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < piece.length; i++) {
    const b = piece[i] as number;
    if (b !== 0x7d) {
      out.push(b);
      continue;
    }
    const next = piece[++i];
    if (next !== 0x5e && next !== 0x5d) return undefined;
    out.push(next ^ 0x20);
  }
  return Buffer.from(out);
}

const RRC_ORDER = ['BCCH-BCH', 'BCCH-DL-SCH', 'MCCH', 'PCCH', 'DL-CCCH', 'DL-DCCH', 'UL-CCCH', 'UL-DCCH'];
const NB_ORDER = ['BCCH-BCH-NB', 'BCCH-DL-SCH-NB', 'PCCH-NB', 'DL-CCCH-NB', 'DL-DCCH-NB', 'UL-CCCH-NB', 'UL-DCCH-NB'];

/** The PDU-number-to-channel tables of the original daemon's GSMTAP export. */
function rrcChannel(version: number, pdu: number): string | undefined {
  const pick = (pdus: number[], names: string[]): string | undefined => names[pdus.indexOf(pdu)];
  if ([2, 3, 4, 6, 7, 8, 13, 22].includes(version)) return pick([1, 2, 3, 4, 5, 6, 7, 8], RRC_ORDER);
  if ([9, 12].includes(version)) return pick([8, 9, 10, 11, 12, 13, 14, 15], RRC_ORDER);
  if ([14, 15, 16].includes(version)) return pick([1, 2, 4, 5, 6, 7, 8, 9], RRC_ORDER);
  if ([20, 24, 25].includes(version))
    return pick([1, 2, 4, 5, 6, 7, 8, 9, 54, 55, 56, 57, 58, 59, 61], [...RRC_ORDER, ...NB_ORDER]);
  if ([19, 26, 27].includes(version))
    return pick([1, 3, 6, 7, 8, 9, 10, 11, 45, 46, 47, 48, 49, 50, 52], [...RRC_ORDER, ...NB_ORDER]);
  return undefined;
}

/** GSM RR log channel number → GSMTAP Um channel type (libosmocore numbering; 0x80 = ACCH). */
const UM_CHANNEL = [0x08, 0x01, 0x03, 0x02, 0x88];

export interface ExpectedPacket {
  /** `RRC:<channel>`, `NAS:uplink|downlink`, `UM:<GSMTAP channel type>`. */
  readonly key: string;
  /** The diag time in µs since the Unix epoch, exact. */
  readonly timeUs: bigint;
}

export interface CaptureScan {
  readonly frames: number;
  readonly badFrames: number;
  readonly logCodes: Map<number, number>;
  /** The packets a GSMTAP export must contain, in capture order. */
  readonly packets: ExpectedPacket[];
}

export function scanCapture(bytes: Buffer): CaptureScan {
  const logCodes = new Map<number, number>();
  const packets: ExpectedPacket[] = [];
  let frames = 0;
  let badFrames = 0;
  let start = 0;
  for (let end = bytes.indexOf(0x7e); end >= 0; start = end + 1, end = bytes.indexOf(0x7e, start)) {
    if (end === start) continue;
    const frame = unescape(bytes.subarray(start, end));
    if (
      frame === undefined ||
      frame.length < 3 ||
      crc16x25(frame.subarray(0, frame.length - 2)) !== frame.readUInt16LE(frame.length - 2)
    ) {
      badFrames++;
      continue;
    }
    frames++;
    let message = frame.subarray(0, frame.length - 2);
    if (message[0] === 0x98) message = message.subarray(8);
    if (message[0] !== 0x10 || message.length < 16) continue;
    const code = message.readUInt16LE(6);
    logCodes.set(code, (logCodes.get(code) ?? 0) + 1);
    const raw = message.readBigUInt64LE(8);
    const timeUs = BigInt(Date.UTC(1980, 0, 6)) * 1000n + (raw >> 16n) * 1250n + ((raw & 0xffffn) * 1000n) / 40960n;
    const body = message.subarray(16, message.readUInt16LE(2) + 4);
    const key = expectedKey(code, body);
    if (key !== undefined) packets.push({ key, timeUs });
  }
  return { frames, badFrames, logCodes, packets };
}

function expectedKey(code: number, body: Buffer): string | undefined {
  if (code === 0xb0c0) {
    const version = body[0] as number;
    const pduAt = version < 8 ? 10 : version < 25 ? 12 : 14;
    const lenAt = pduAt + 1 + (version >= 5 ? 4 : 0);
    const channel = rrcChannel(version, body[pduAt] as number);
    return channel !== undefined && body.readUInt16LE(lenAt) > 0 ? `RRC:${channel}` : undefined;
  }
  if (code === 0xb0e2 || code === 0xb0ec) return body.length > 4 ? 'NAS:downlink' : undefined;
  if (code === 0xb0e3 || code === 0xb0ed) return body.length > 4 ? 'NAS:uplink' : undefined;
  if (code === 0x512f) {
    const channel = UM_CHANNEL[(body[0] as number) & 0x7f];
    return channel !== undefined && body.length - 3 === body[2] ? `UM:${channel}` : undefined;
  }
  return undefined;
}

/** Counts of keys, for readable assertions. */
export function countKeys(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** A diag log frame built by hand: header, body, CRC-16/X-25, HDLC escapes, flag. */
export function logFrameByHand(logCode: number, body: Buffer, timeUs: bigint): Buffer {
  const payload = logMessageByHand(logCode, body, timeUs);
  const crc = crc16x25(payload);
  const raw = [...payload, crc & 0xff, crc >> 8];
  const escaped = raw.flatMap((b) => (b === 0x7e || b === 0x7d ? [0x7d, b ^ 0x20] : [b]));
  return Buffer.from([...escaped, 0x7e]);
}

/** A diag log message (a frame's payload) built by hand: the 16-byte header (time in whole 1.25 ms ticks) and the body. */
export function logMessageByHand(logCode: number, body: Buffer, timeUs: bigint): Buffer {
  const sinceEpochUs = timeUs - BigInt(Date.UTC(1980, 0, 6)) * 1000n;
  const ticks = sinceEpochUs / 1250n;
  const header = Buffer.alloc(16);
  header[0] = 0x10;
  header.writeUInt16LE(12 + body.length, 2);
  header.writeUInt16LE(12 + body.length, 4);
  header.writeUInt16LE(logCode, 6);
  header.writeBigUInt64LE(ticks << 16n, 8);
  return Buffer.concat([header, body]);
}
