import { u16le, u32le } from './bytes';
import { QmdlErrorCode, qmdlError } from './errors';

/** Diag command byte of a log message. */
export const DIAG_LOG_CMD = 0x10;
/** Diag command byte of the multi-radio (multi-SIM) wrapper: an 8-byte header, then an ordinary diag message. */
export const DIAG_MULTI_RADIO_CMD = 0x98;
/** Bytes of the multi-radio header: u8 command 0x98, u8 version, u16 reserved, u32 radio id (little-endian). */
export const DIAG_MULTI_RADIO_HEADER_BYTES = 8;
/** Log code of an LTE RRC over-the-air message. */
export const LOG_CODE_LTE_RRC_OTA = 0xb0c0;
/** Bytes before a log message's body: cmd, pending, outer_length, inner_length, log_code, timestamp. */
export const DIAG_LOG_HEADER_BYTES = 16;
/** 1980-01-06T00:00:00Z (the GPS epoch), in unix milliseconds: diag timestamps count from here. */
export const DIAG_EPOCH_MS = Date.UTC(1980, 0, 6);

/** A parsed diag log message (the payload of one HDLC frame). */
export interface DiagLogMessage {
  readonly pending: number;
  readonly outerLength: number;
  readonly innerLength: number;
  readonly logCode: number;
  /** The raw u64 timestamp. */
  readonly timestamp: bigint;
  /** The timestamp as unix milliseconds (fractional). */
  readonly timeMs: number;
  /** Bytes after the 16-byte header, up to outer_length + 4. Shares memory with the input. */
  readonly body: Buffer;
}

export interface BuildDiagLogMessageOptions {
  readonly logCode: number;
  readonly body: Buffer;
  /** Unix milliseconds; exactly one of `timeMs` and `timestamp` is required. */
  readonly timeMs?: number;
  /** Raw u64 diag timestamp. */
  readonly timestamp?: bigint;
  readonly pending?: number;
}

/** Converts a raw diag timestamp (upper 48 bits × 1.25 ms + lower 16 bits ÷ 40960 ms since 1980-01-06) to unix ms. */
export function diagTimestampToEpochMs(timestamp: bigint): number {
  if (typeof timestamp !== 'bigint' || timestamp < 0n || timestamp > 0xffffffffffffffffn) {
    throw new TypeError('diagTimestampToEpochMs: timestamp must be a u64 bigint');
  }
  const upper = Number(timestamp >> 16n);
  const lower = Number(timestamp & 0xffffn);
  return DIAG_EPOCH_MS + upper * 1.25 + lower / 40960;
}

/** Converts unix ms (at or after 1980-01-06) to a raw diag timestamp; exact for multiples of 1/40960 ms below 1.25. */
export function epochMsToDiagTimestamp(timeMs: number): bigint {
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs) || timeMs < DIAG_EPOCH_MS) {
    throw new TypeError('epochMsToDiagTimestamp: timeMs must be a finite number at or after 1980-01-06');
  }
  const delta = timeMs - DIAG_EPOCH_MS;
  const upper = Math.floor(delta / 1.25);
  const lower = Math.min(0xffff, Math.round((delta - upper * 1.25) * 40960));
  return (BigInt(upper) << 16n) | BigInt(lower);
}

function readTimeMs(payload: Buffer, at: number): number {
  const lo = payload.readUInt32LE(at);
  const hi = payload.readUInt32LE(at + 4);
  return DIAG_EPOCH_MS + (hi * 65536 + (lo >>> 16)) * 1.25 + (lo & 0xffff) / 40960;
}

/** Builds a diag log message: the 16-byte header (outer and inner length = total − 4) and `body`. */
export function buildDiagLogMessage(options: BuildDiagLogMessageOptions): Buffer {
  const { logCode, body, timeMs, timestamp, pending = 0 } = options;
  if (!Number.isInteger(logCode) || logCode < 0 || logCode > 0xffff)
    throw new TypeError('buildDiagLogMessage: logCode must be a u16');
  if (!Buffer.isBuffer(body)) throw new TypeError('buildDiagLogMessage: body must be a Buffer');
  if (!Number.isInteger(pending) || pending < 0 || pending > 0xff)
    throw new TypeError('buildDiagLogMessage: pending must be a u8');
  if ((timeMs === undefined) === (timestamp === undefined))
    throw new TypeError('buildDiagLogMessage: give exactly one of timeMs and timestamp');
  const raw = timestamp ?? epochMsToDiagTimestamp(timeMs as number);
  const length = DIAG_LOG_HEADER_BYTES + body.length;
  if (length - 4 > 0xffff) throw new TypeError('buildDiagLogMessage: body too long for a u16 length');
  const out = Buffer.allocUnsafe(length);
  out[0] = DIAG_LOG_CMD;
  out[1] = pending;
  out.writeUInt16LE(length - 4, 2);
  out.writeUInt16LE(length - 4, 4);
  out.writeUInt16LE(logCode, 6);
  out.writeBigUInt64LE(raw, 8);
  body.copy(out, DIAG_LOG_HEADER_BYTES);
  return out;
}

/**
 * Parses a diag log message (an HDLC frame's payload).
 * @throws LedgerError DIAG_TRUNCATED | DIAG_NOT_LOG
 */
export function parseDiagLogMessage(payload: Buffer): DiagLogMessage {
  if (!Buffer.isBuffer(payload)) throw new TypeError('parseDiagLogMessage: payload must be a Buffer');
  if (payload.length >= 1 && payload[0] !== DIAG_LOG_CMD) {
    throw qmdlError(
      QmdlErrorCode.DIAG_NOT_LOG,
      `diag command 0x${(payload[0] as number).toString(16)} is not a log message`,
      {
        details: { command: payload[0] },
      },
    );
  }
  if (payload.length < DIAG_LOG_HEADER_BYTES) {
    throw qmdlError(
      QmdlErrorCode.DIAG_TRUNCATED,
      `diag log message of ${payload.length} bytes is shorter than its header`,
      {
        details: { length: payload.length },
      },
    );
  }
  const outerLength = payload.readUInt16LE(2);
  if (outerLength + 4 > payload.length || outerLength + 4 < DIAG_LOG_HEADER_BYTES) {
    throw qmdlError(
      QmdlErrorCode.DIAG_TRUNCATED,
      `diag log message declares ${outerLength + 4} bytes, has ${payload.length}`,
      {
        details: { length: payload.length, outerLength },
      },
    );
  }
  const timestamp = payload.readBigUInt64LE(8);
  return {
    pending: payload[1] as number,
    outerLength,
    innerLength: payload.readUInt16LE(4),
    logCode: payload.readUInt16LE(6),
    timestamp,
    timeMs: readTimeMs(payload, 8),
    body: payload.subarray(DIAG_LOG_HEADER_BYTES, outerLength + 4),
  };
}

/** The time of a diag log message in unix ms, or undefined when the payload is not a (complete) log message. Never throws. */
export function diagLogTimeMs(payload: Buffer): number | undefined {
  if (payload.length < DIAG_LOG_HEADER_BYTES || payload[0] !== DIAG_LOG_CMD) return undefined;
  return readTimeMs(payload, 8);
}

/** A diag message taken out of its multi-radio wrapper (command 0x98). */
export interface MultiRadioMessage {
  /** Which radio (SIM slot) the message came from, as the header gives it. */
  readonly radioId: number;
  /** The wrapped diag message (normally a 0x10 log message). Shares memory with the input. */
  readonly inner: Buffer;
}

/** The diag message inside a multi-radio wrapper, or undefined when `payload` is not one (or is too short). Never throws. */
export function unwrapMultiRadio(payload: Buffer): MultiRadioMessage | undefined {
  if (payload.length <= DIAG_MULTI_RADIO_HEADER_BYTES || payload[0] !== DIAG_MULTI_RADIO_CMD) return undefined;
  return { radioId: payload.readUInt32LE(4), inner: payload.subarray(DIAG_MULTI_RADIO_HEADER_BYTES) };
}

/**
 * LTE RRC OTA log body (log code 0xB0C0). Four layouts by ext header version:
 * 0–4 (u16 EARFCN, no SIB mask), 5–7 (u16 EARFCN), 8–24, and 25 and up (NR
 * release bytes after the LTE release). `buildLteRrcOtaBody` writes 8–24.
 */
export interface LteRrcOtaPacket {
  readonly extHeaderVersion: number;
  readonly rrcRelMaj: number;
  readonly rrcRelMin: number;
  /** NR RRC release (ext header version 25 and up only). */
  readonly nrRrcRelMaj?: number;
  readonly nrRrcRelMin?: number;
  readonly bearerId: number;
  readonly phyCellId: number;
  readonly earfcn: number;
  readonly sfnSubfn: number;
  /** Which RRC channel/message type the payload is; the numbering depends on the ext header version. */
  readonly pduNum: number;
  /** 0 for ext header versions 0–4, which carry none. */
  readonly sibMask: number;
  /** The ASN.1 (UPER) RRC message. Shares memory with the input when parsed. */
  readonly payload: Buffer;
}

export const LTE_RRC_OTA_HEADER_BYTES = 19;
const MIN_EXT_VERSION = 8;
const MAX_EXT_VERSION = 24;

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new TypeError(`buildLteRrcOtaBody: ${name} out of range`);
}

/** Builds an LTE RRC OTA body: u8 ext_header_version, u8 rrc_rel_maj, u8 rrc_rel_min, u8 bearer_id, u16 phy_cell_id, u32 earfcn, u16 sfn_subfn, u8 pdu_num, u32 sib_mask, u16 len, payload. */
export function buildLteRrcOtaBody(packet: LteRrcOtaPacket): Buffer {
  const p = packet;
  if (
    p.extHeaderVersion < MIN_EXT_VERSION ||
    p.extHeaderVersion > MAX_EXT_VERSION ||
    !Number.isInteger(p.extHeaderVersion)
  ) {
    throw new TypeError('buildLteRrcOtaBody: extHeaderVersion must be 8–24');
  }
  checkUint('rrcRelMaj', p.rrcRelMaj, 0xff);
  checkUint('rrcRelMin', p.rrcRelMin, 0xff);
  checkUint('bearerId', p.bearerId, 0xff);
  checkUint('phyCellId', p.phyCellId, 0xffff);
  checkUint('earfcn', p.earfcn, 0xffffffff);
  checkUint('sfnSubfn', p.sfnSubfn, 0xffff);
  checkUint('pduNum', p.pduNum, 0xff);
  checkUint('sibMask', p.sibMask, 0xffffffff);
  if (!Buffer.isBuffer(p.payload) || p.payload.length > 0xffff)
    throw new TypeError('buildLteRrcOtaBody: payload must be a Buffer of at most 65535 bytes');
  const out = Buffer.allocUnsafe(LTE_RRC_OTA_HEADER_BYTES + p.payload.length);
  out[0] = p.extHeaderVersion;
  out[1] = p.rrcRelMaj;
  out[2] = p.rrcRelMin;
  out[3] = p.bearerId;
  out.writeUInt16LE(p.phyCellId, 4);
  out.writeUInt32LE(p.earfcn, 6);
  out.writeUInt16LE(p.sfnSubfn, 10);
  out[12] = p.pduNum;
  out.writeUInt32LE(p.sibMask, 13);
  out.writeUInt16LE(p.payload.length, 17);
  p.payload.copy(out, LTE_RRC_OTA_HEADER_BYTES);
  return out;
}

/**
 * Parses an LTE RRC OTA body (ext header versions 8–24, the layout this project writes).
 * @throws LedgerError LTE_RRC_UNSUPPORTED_VERSION | LTE_RRC_TRUNCATED
 */
export function parseLteRrcOtaBody(body: Buffer): LteRrcOtaPacket {
  if (!Buffer.isBuffer(body)) throw new TypeError('parseLteRrcOtaBody: body must be a Buffer');
  if (body.length < 1) throw qmdlError(QmdlErrorCode.LTE_RRC_TRUNCATED, 'empty LTE RRC OTA body');
  const version = body[0] as number;
  if (version < MIN_EXT_VERSION || version > MAX_EXT_VERSION) {
    throw qmdlError(
      QmdlErrorCode.LTE_RRC_UNSUPPORTED_VERSION,
      `LTE RRC OTA ext header version ${version} is not supported (8–24)`,
      {
        details: { extHeaderVersion: version },
      },
    );
  }
  return parseLteRrcOtaBodyAnyVersion(body);
}

/** Where the fields of each layout sit; every offset counts from the ext header version byte. */
interface LteRrcOtaLayout {
  readonly nrRelease: boolean;
  readonly earfcnBytes: 2 | 4;
  readonly sibMask: boolean;
}

const LAYOUT_V0: LteRrcOtaLayout = { nrRelease: false, earfcnBytes: 2, sibMask: false };
const LAYOUT_V5: LteRrcOtaLayout = { nrRelease: false, earfcnBytes: 2, sibMask: true };
const LAYOUT_V8: LteRrcOtaLayout = { nrRelease: false, earfcnBytes: 4, sibMask: true };
const LAYOUT_V25: LteRrcOtaLayout = { nrRelease: true, earfcnBytes: 4, sibMask: true };

function layoutOf(version: number): LteRrcOtaLayout {
  if (version <= 4) return LAYOUT_V0;
  if (version <= 7) return LAYOUT_V5;
  if (version <= 24) return LAYOUT_V8;
  return LAYOUT_V25;
}

/** The fixed fields of an LTE RRC OTA body, and where its payload is (see `readLteRrcOtaHeader`). */
export interface LteRrcOtaHeader extends Omit<LteRrcOtaPacket, 'payload'> {
  /** The payload is `bytes[payloadStart, payloadEnd)` of the bytes the header was read from. */
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

function headerBytesOf(layout: LteRrcOtaLayout): number {
  return 1 + 2 + (layout.nrRelease ? 2 : 0) + 1 + 2 + layout.earfcnBytes + 2 + 1 + (layout.sibMask ? 4 : 0) + 2;
}

/**
 * Reads the LTE RRC OTA body `bytes[start, end)` of any ext header version in
 * place: the fields, and the payload as positions (no Buffer view), for
 * decoders that run once per message.
 * @returns undefined when the body is shorter than its header or its payload length.
 */
export function readLteRrcOtaHeader(bytes: Buffer, start: number, end: number): LteRrcOtaHeader | undefined {
  if (end - start < 1) return undefined;
  const version = bytes[start] as number;
  const layout = layoutOf(version);
  if (end - start < headerBytesOf(layout)) return undefined;
  let at = start + 3;
  // One object shape for every layout (absent fields undefined): a conditional spread made callers megamorphic.
  const nrRrcRelMaj = layout.nrRelease ? (bytes[at] as number) : undefined;
  const nrRrcRelMin = layout.nrRelease ? (bytes[at + 1] as number) : undefined;
  if (layout.nrRelease) at += 2;
  const bearerId = bytes[at] as number;
  const phyCellId = u16le(bytes, at + 1);
  at += 3;
  const earfcn = layout.earfcnBytes === 4 ? u32le(bytes, at) : u16le(bytes, at);
  at += layout.earfcnBytes;
  const sfnSubfn = u16le(bytes, at);
  const pduNum = bytes[at + 2] as number;
  at += 3;
  const sibMask = layout.sibMask ? u32le(bytes, at) : 0;
  if (layout.sibMask) at += 4;
  const len = u16le(bytes, at);
  at += 2;
  if (at + len > end) return undefined;
  return {
    extHeaderVersion: version,
    rrcRelMaj: bytes[start + 1] as number,
    rrcRelMin: bytes[start + 2] as number,
    nrRrcRelMaj,
    nrRrcRelMin,
    bearerId,
    phyCellId,
    earfcn,
    sfnSubfn,
    pduNum,
    sibMask,
    payloadStart: at,
    payloadEnd: at + len,
  };
}

/**
 * Parses an LTE RRC OTA body of any ext header version, in the layout that
 * version uses (0–4, 5–7, 8–24, 25+). Which channel `pduNum` names is a
 * separate, version-dependent question (see `@ledger/radio`).
 * @throws LedgerError LTE_RRC_TRUNCATED
 */
export function parseLteRrcOtaBodyAnyVersion(body: Buffer): LteRrcOtaPacket {
  if (!Buffer.isBuffer(body)) throw new TypeError('parseLteRrcOtaBodyAnyVersion: body must be a Buffer');
  if (body.length < 1) throw qmdlError(QmdlErrorCode.LTE_RRC_TRUNCATED, 'empty LTE RRC OTA body');
  const header = readLteRrcOtaHeader(body, 0, body.length);
  if (header === undefined) throw lteRrcTruncated(body);
  return {
    extHeaderVersion: header.extHeaderVersion,
    rrcRelMaj: header.rrcRelMaj,
    rrcRelMin: header.rrcRelMin,
    nrRrcRelMaj: header.nrRrcRelMaj,
    nrRrcRelMin: header.nrRrcRelMin,
    bearerId: header.bearerId,
    phyCellId: header.phyCellId,
    earfcn: header.earfcn,
    sfnSubfn: header.sfnSubfn,
    pduNum: header.pduNum,
    sibMask: header.sibMask,
    payload: body.subarray(header.payloadStart, header.payloadEnd),
  };
}

/** Why a (non-empty) body failed `readLteRrcOtaHeader`: shorter than its header, or than its payload length. */
function lteRrcTruncated(body: Buffer): Error {
  const version = body[0] as number;
  const headerBytes = headerBytesOf(layoutOf(version));
  if (body.length < headerBytes) {
    return qmdlError(
      QmdlErrorCode.LTE_RRC_TRUNCATED,
      `LTE RRC OTA body of ${body.length} bytes is shorter than its header (${headerBytes}, version ${version})`,
      {
        details: { extHeaderVersion: version },
      },
    );
  }
  const len = body.readUInt16LE(headerBytes - 2);
  return qmdlError(
    QmdlErrorCode.LTE_RRC_TRUNCATED,
    `LTE RRC OTA payload declares ${len} bytes, has ${body.length - headerBytes}`,
    {
      details: { extHeaderVersion: version },
    },
  );
}
