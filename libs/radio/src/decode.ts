import {
  DIAG_EPOCH_MS,
  DIAG_LOG_CMD,
  DIAG_LOG_HEADER_BYTES,
  LOG_CODE_LTE_RRC_OTA,
  parseLteRrcOtaBodyAnyVersion,
  unwrapMultiRadio,
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

function readTimeUs(payload: Buffer, at: number): number {
  const lo = payload.readUInt32LE(at);
  const hi = payload.readUInt32LE(at + 4);
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
  let radioId: number | undefined;
  let message = payload;
  const wrapped = unwrapMultiRadio(payload);
  if (wrapped !== undefined) {
    radioId = wrapped.radioId;
    message = wrapped.inner;
  }
  if (message.length < 1 || message[0] !== DIAG_LOG_CMD) return { skipped: SkipReason.NOT_A_LOG_MESSAGE };
  if (message.length < DIAG_LOG_HEADER_BYTES) return { skipped: SkipReason.MESSAGE_TRUNCATED };
  const declared = message.readUInt16LE(2) + 4;
  const logCode = message.readUInt16LE(6);
  if (declared > message.length || declared < DIAG_LOG_HEADER_BYTES)
    return { skipped: SkipReason.MESSAGE_TRUNCATED, logCode };
  // Every message object is built with the same fields in the same order (radioId included, undefined
  // when absent): spreading a shared origin object made each kind megamorphic and cost most of the export's time.
  const origin: RadioMessageOrigin = {
    index: position.index,
    offset: position.offset,
    logCode,
    timestamp: message.readBigUInt64LE(8),
    timeUs: readTimeUs(message, 8),
    radioId,
  };
  const body = message.subarray(DIAG_LOG_HEADER_BYTES, declared);
  const result = decodeLogBody(logCode, body, origin);
  return typeof result === 'string' ? { skipped: result, logCode } : { message: result, logCode };
}

function decodeLogBody(logCode: number, body: Buffer, origin: RadioMessageOrigin): RadioMessage | SkipReason {
  switch (logCode) {
    case LOG_CODE_LTE_RRC_OTA:
      return decodeLteRrc(body, origin);
    case LOG_CODE_LTE_NAS_ESM_PLAIN_IN:
    case LOG_CODE_LTE_NAS_ESM_PLAIN_OUT:
    case LOG_CODE_LTE_NAS_EMM_PLAIN_IN:
    case LOG_CODE_LTE_NAS_EMM_PLAIN_OUT: {
      if (body.length < NAS_LOG_HEADER_BYTES) return SkipReason.MESSAGE_TRUNCATED;
      if (body.length === NAS_LOG_HEADER_BYTES) return SkipReason.EMPTY_PAYLOAD;
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
        payload: body.subarray(NAS_LOG_HEADER_BYTES),
      };
    }
    case LOG_CODE_LTE_MAC_RACH_RESPONSE: {
      const attempt = parseRachAttempt(body);
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
      const log = parseGsmRrLog(body);
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

function decodeLteRrc(body: Buffer, origin: RadioMessageOrigin): RadioMessage | SkipReason {
  let packet;
  try {
    packet = parseLteRrcOtaBodyAnyVersion(body);
  } catch {
    // The codec's only refusal for any version is LTE_RRC_TRUNCATED.
    return SkipReason.MESSAGE_TRUNCATED;
  }
  const channel = lteRrcChannelOf(packet.extHeaderVersion, packet.pduNum);
  if (channel === 'unknown-version') return SkipReason.LTE_RRC_UNKNOWN_VERSION;
  if (channel === 'unknown-pdu') return SkipReason.LTE_RRC_UNKNOWN_PDU;
  if (packet.payload.length === 0) return SkipReason.EMPTY_PAYLOAD;
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
    payload: packet.payload,
  };
}
