import {
  DIAG_EPOCH_MS,
  DIAG_LOG_CMD,
  DIAG_LOG_HEADER_BYTES,
  DIAG_MULTI_RADIO_CMD,
  DIAG_MULTI_RADIO_HEADER_BYTES,
  LOG_CODE_LTE_RRC_OTA,
  readLteRrcOtaHeader,
  u16le,
  u32le,
  u64OfHalves,
} from '@ledger/qmdl';
import { LOG_CODE_GSM_RR_SIGNALLING, parseGsmRrLog } from './gsm-rr';
import { LOG_CODE_LTE_MAC_RACH_RESPONSE, parseRachAttempt } from './lte-mac-rach';
import { lteRrcChannelOf, lteRrcDirectionOf } from './lte-rrc-channels';
import { SkipReason, type RadioMessage, type RadioMessageOrigin } from './radio-message';

/** Plain LTE NAS logs: ESM in (downlink) and out (uplink), EMM in and out. */
export const LOG_CODE_LTE_NAS_ESM_PLAIN_IN = 0xb0e2;
export const LOG_CODE_LTE_NAS_ESM_PLAIN_OUT = 0xb0e3;
export const LOG_CODE_LTE_NAS_EMM_PLAIN_IN = 0xb0ec;
export const LOG_CODE_LTE_NAS_EMM_PLAIN_OUT = 0xb0ed;
/** Bytes of the LTE NAS log header before the NAS PDU: ext version, RRC release, minor, major. */
const NAS_LOG_HEADER_BYTES = 4;

const DIAG_EPOCH_US = DIAG_EPOCH_MS * 1000;

/**
 * A raw diag timestamp as whole microseconds since the Unix epoch: upper 48 bits
 * × 1.25 ms plus lower 16 bits ÷ 40960 ms, from 1980-01-06T00:00Z, rounded down.
 * Exact in integers (1.25 ms = 1250 µs; 1/40960 ms = 25/1024 µs).
 */
export function diagTimestampToUnixMicros(timestamp: bigint): number {
  if (typeof timestamp !== 'bigint' || timestamp < 0n || timestamp > 0xffffffffffffffffn) {
    throw new TypeError('diagTimestampToUnixMicros: timestamp must be a u64 bigint');
  }
  const upper = Number(timestamp >> 16n);
  const lower = Number(timestamp & 0xffffn);
  return DIAG_EPOCH_US + upper * 1250 + Math.floor((lower * 25) / 1024);
}

/** `diagTimestampToUnixMicros` of the timestamp whose little-endian u32 halves are `lo` and `hi`. */
function timeUsOf(lo: number, hi: number): number {
  const lower = lo & 0xffff;
  return DIAG_EPOCH_US + (hi * 65536 + (lo >>> 16)) * 1250 + Math.floor((lower * 25) / 1024);
}

/** Where a diag message sits in its capture: passed in by the reader that found it. */
export interface DiagMessagePosition {
  readonly index: number;
  readonly offset: number;
}

/** One diag message's outcome: a radio message, or why there is none. */
export type DecodeOutcome =
  | { readonly message: RadioMessage; readonly skipped?: undefined; readonly logCode: number }
  | { readonly message?: undefined; readonly skipped: SkipReason; readonly logCode?: number };

/**
 * Decodes one diag message (an HDLC frame's payload) into a typed radio message.
 * Total: every input yields a message or a skip reason, never an exception, so
 * one odd message cannot stop a capture. A multi-radio wrapper (0x98) is opened
 * and its inner message decoded, with the radio id kept.
 *
 * @example
 * const outcome = decodeDiagMessage(frame.payload, { index: 1, offset: frame.offset });
 * if (outcome.message?.kind === 'lte-rrc') console.log(outcome.message.channel);
 */
export function decodeDiagMessage(payload: Buffer, position: DiagMessagePosition): DecodeOutcome {
  const result = decodeDiagAt(payload, 0, payload.length, position.index, position.offset);
  if (typeof result !== 'string') return { message: result, logCode: result.logCode };
  const logCode = diagLogCodeAt(payload, 0, payload.length);
  return logCode === undefined ? { skipped: result } : { skipped: result, logCode };
}

/** Where the log message inside `bytes[start, end)` begins: after a multi-radio header, if there is one. */
function logStartOf(bytes: Buffer, start: number, end: number): number {
  return end - start > DIAG_MULTI_RADIO_HEADER_BYTES && bytes[start] === DIAG_MULTI_RADIO_CMD
    ? start + DIAG_MULTI_RADIO_HEADER_BYTES
    : start;
}

/** The log code of the diag message `bytes[start, end)`, when it is a log message with a whole header. */
export function diagLogCodeAt(bytes: Buffer, start: number, end: number): number | undefined {
  const at = logStartOf(bytes, start, end);
  if (end - at < DIAG_LOG_HEADER_BYTES || bytes[at] !== DIAG_LOG_CMD) return undefined;
  return u16le(bytes, at + 6);
}

/** The layout version and PDU number of the LTE RRC OTA log `bytes[start, end)`, when its header is whole. */
export function lteRrcLayoutAt(
  bytes: Buffer,
  start: number,
  end: number,
): { readonly extHeaderVersion: number; readonly pduNum: number } | undefined {
  const at = logStartOf(bytes, start, end);
  if (end - at < DIAG_LOG_HEADER_BYTES || bytes[at] !== DIAG_LOG_CMD) return undefined;
  const packet = readLteRrcOtaHeader(bytes, at + DIAG_LOG_HEADER_BYTES, Math.min(end, at + u16le(bytes, at + 2) + 4));
  return packet === undefined ? undefined : { extHeaderVersion: packet.extHeaderVersion, pduNum: packet.pduNum };
}

/**
 * `decodeDiagMessage` of the message `bytes[start, end)` at capture position
 * `index`/`offset`, read in place: the only Buffer view made is the message's
 * payload (for messages that carry one).
 * @internal the reader's per-frame decoder; `decodeDiagMessage` is the public form.
 */
export function decodeDiagAt(
  bytes: Buffer,
  start: number,
  end: number,
  index: number,
  offset: number,
): RadioMessage | SkipReason {
  const at = logStartOf(bytes, start, end);
  const radioId = at === start ? undefined : u32le(bytes, start + 4);
  if (end - at < 1 || bytes[at] !== DIAG_LOG_CMD) return SkipReason.NOT_A_LOG_MESSAGE;
  if (end - at < DIAG_LOG_HEADER_BYTES) return SkipReason.MESSAGE_TRUNCATED;
  const declared = u16le(bytes, at + 2) + 4;
  const logCode = u16le(bytes, at + 6);
  if (declared > end - at || declared < DIAG_LOG_HEADER_BYTES) return SkipReason.MESSAGE_TRUNCATED;
  const lo = u32le(bytes, at + 8);
  const hi = u32le(bytes, at + 12);
  // Every message object is built with the same fields in the same order (radioId included, undefined
  // when absent): spreading a shared origin object made each kind megamorphic and cost most of the export's time.
  const origin: RadioMessageOrigin = {
    index,
    offset,
    logCode,
    timestamp: u64OfHalves(lo, hi),
    timeUs: timeUsOf(lo, hi),
    radioId,
  };
  return decodeLogBody(bytes, at + DIAG_LOG_HEADER_BYTES, at + declared, origin);
}

function decodeLogBody(
  bytes: Buffer,
  start: number,
  end: number,
  origin: RadioMessageOrigin,
): RadioMessage | SkipReason {
  const logCode = origin.logCode;
  switch (logCode) {
    case LOG_CODE_LTE_RRC_OTA:
      return decodeLteRrc(bytes, start, end, origin);
    case LOG_CODE_LTE_NAS_ESM_PLAIN_IN:
    case LOG_CODE_LTE_NAS_ESM_PLAIN_OUT:
    case LOG_CODE_LTE_NAS_EMM_PLAIN_IN:
    case LOG_CODE_LTE_NAS_EMM_PLAIN_OUT: {
      if (end - start < NAS_LOG_HEADER_BYTES) return SkipReason.MESSAGE_TRUNCATED;
      if (end - start === NAS_LOG_HEADER_BYTES) return SkipReason.EMPTY_PAYLOAD;
      const emm = logCode === LOG_CODE_LTE_NAS_EMM_PLAIN_IN || logCode === LOG_CODE_LTE_NAS_EMM_PLAIN_OUT;
      const uplink = logCode === LOG_CODE_LTE_NAS_ESM_PLAIN_OUT || logCode === LOG_CODE_LTE_NAS_EMM_PLAIN_OUT;
      return {
        index: origin.index,
        offset: origin.offset,
        logCode: origin.logCode,
        timestamp: origin.timestamp,
        timeUs: origin.timeUs,
        radioId: origin.radioId,
        kind: 'lte-nas',
        protocol: emm ? 'emm' : 'esm',
        direction: uplink ? 'uplink' : 'downlink',
        payload: bytes.subarray(start + NAS_LOG_HEADER_BYTES, end),
      };
    }
    case LOG_CODE_LTE_MAC_RACH_RESPONSE: {
      const attempt = parseRachAttempt(bytes.subarray(start, end));
      if (attempt === 'malformed') return SkipReason.LTE_MAC_RACH_MALFORMED;
      if (attempt === 'incomplete') return SkipReason.LTE_MAC_RACH_INCOMPLETE;
      return {
        index: origin.index,
        offset: origin.offset,
        logCode: origin.logCode,
        timestamp: origin.timestamp,
        timeUs: origin.timeUs,
        radioId: origin.radioId,
        kind: 'lte-mac-rach-response',
        direction: 'downlink',
        subpacketVersion: attempt.subpacketVersion,
        preambleIndex: attempt.preambleIndex,
        timingAdvance: attempt.timingAdvance,
        ulGrant: attempt.ulGrant,
        tcRnti: attempt.tcRnti,
      };
    }
    case LOG_CODE_GSM_RR_SIGNALLING: {
      const log = parseGsmRrLog(bytes.subarray(start, end));
      if (log === 'truncated') return SkipReason.MESSAGE_TRUNCATED;
      if (log === 'unknown-channel') return SkipReason.GSM_RR_UNKNOWN_CHANNEL;
      if (log === 'bad-length') return SkipReason.GSM_RR_BAD_LENGTH;
      if (log.payload.length === 0) return SkipReason.EMPTY_PAYLOAD;
      // DCCH and SACCH get a LAPDm header whose length field has 6 bits.
      if ((log.channel === 'DCCH' || log.channel === 'SACCH') && log.payload.length > 63)
        return SkipReason.GSM_RR_BAD_LENGTH;
      return {
        index: origin.index,
        offset: origin.offset,
        logCode: origin.logCode,
        timestamp: origin.timestamp,
        timeUs: origin.timeUs,
        radioId: origin.radioId,
        kind: 'gsm-rr',
        channel: log.channel,
        direction: log.direction,
        messageType: log.messageType,
        payload: log.payload,
      };
    }
    default:
      return SkipReason.LOG_CODE_NOT_CONVERTED;
  }
}

function decodeLteRrc(
  bytes: Buffer,
  start: number,
  end: number,
  origin: RadioMessageOrigin,
): RadioMessage | SkipReason {
  // The codec's only refusal for any version is a truncated body.
  const packet = readLteRrcOtaHeader(bytes, start, end);
  if (packet === undefined) return SkipReason.MESSAGE_TRUNCATED;
  const channel = lteRrcChannelOf(packet.extHeaderVersion, packet.pduNum);
  if (channel === 'unknown-version') return SkipReason.LTE_RRC_UNKNOWN_VERSION;
  if (channel === 'unknown-pdu') return SkipReason.LTE_RRC_UNKNOWN_PDU;
  if (packet.payloadEnd === packet.payloadStart) return SkipReason.EMPTY_PAYLOAD;
  return {
    index: origin.index,
    offset: origin.offset,
    logCode: origin.logCode,
    timestamp: origin.timestamp,
    timeUs: origin.timeUs,
    radioId: origin.radioId,
    kind: 'lte-rrc',
    channel,
    direction: lteRrcDirectionOf(channel),
    extHeaderVersion: packet.extHeaderVersion,
    pduNum: packet.pduNum,
    phyCellId: packet.phyCellId,
    earfcn: packet.earfcn,
    sfn: packet.sfnSubfn >> 4,
    subframe: packet.sfnSubfn & 0xf,
    payload: bytes.subarray(packet.payloadStart, packet.payloadEnd),
  };
}
