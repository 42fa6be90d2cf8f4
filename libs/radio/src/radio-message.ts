import type { FrameDamage } from '@ledger/qmdl';

/** Which way a message went over the air. */
export type Direction = 'uplink' | 'downlink';

/** LTE RRC logical channels (and their NB-IoT forms) an LTE RRC OTA log can carry. */
export type LteRrcChannel =
  | 'BCCH-BCH'
  | 'BCCH-DL-SCH'
  | 'MCCH'
  | 'PCCH'
  | 'DL-CCCH'
  | 'DL-DCCH'
  | 'UL-CCCH'
  | 'UL-DCCH'
  | 'BCCH-BCH-NB'
  | 'BCCH-DL-SCH-NB'
  | 'PCCH-NB'
  | 'DL-CCCH-NB'
  | 'DL-DCCH-NB'
  | 'UL-CCCH-NB'
  | 'UL-DCCH-NB';

/** GSM RR signalling channels of the GSM RR log (0x512F), by the log's channel number 0–4. */
export type GsmRrChannel = 'DCCH' | 'BCCH' | 'RACH' | 'CCCH' | 'SACCH';

/** What every radio message carries about the diag message it came from. */
export interface RadioMessageOrigin {
  /**
   * 1-based position of the diag message in the capture, counting every frame
   * read (valid or damaged) — the "packet N" of an analysis report.
   */
  readonly index: number;
  /** Byte offset of the message's HDLC frame in the raw (decompressed) QMDL stream. */
  readonly offset: number;
  /** The diag log code (e.g. 0xB0C0). */
  readonly logCode: number;
  /** The raw u64 diag timestamp. */
  readonly timestamp: bigint;
  /** The diag timestamp as whole microseconds since the Unix epoch (see `diagTimestampToUnixMicros`). */
  readonly timeUs: number;
  /** The radio (SIM slot) of a message that came in a multi-radio (0x98) wrapper; undefined otherwise. */
  readonly radioId?: number;
}

/** An LTE RRC message (log 0xB0C0). `payload` is the RRC PDU as logged (unaligned PER). */
export interface LteRrcMessage extends RadioMessageOrigin {
  readonly kind: 'lte-rrc';
  readonly channel: LteRrcChannel;
  readonly direction: Direction;
  readonly extHeaderVersion: number;
  readonly pduNum: number;
  readonly phyCellId: number;
  readonly earfcn: number;
  /** System frame number (sfn_subfn >> 4). */
  readonly sfn: number;
  /** Subframe number (sfn_subfn & 0xF). */
  readonly subframe: number;
  readonly payload: Buffer;
}

/** A plain (not security-protected) LTE NAS message (logs 0xB0E2/0xB0E3 ESM, 0xB0EC/0xB0ED EMM). */
export interface LteNasMessage extends RadioMessageOrigin {
  readonly kind: 'lte-nas';
  readonly protocol: 'emm' | 'esm';
  readonly direction: Direction;
  /** The NAS PDU, after the log's 4-byte header. */
  readonly payload: Buffer;
}

/** The random access response of a complete RACH attempt (log 0xB062: msg1, msg2 and msg3 all present). */
export interface LteMacRachResponse extends RadioMessageOrigin {
  readonly kind: 'lte-mac-rach-response';
  readonly direction: 'downlink';
  /** The RACH attempt subpacket's version (2, 3, 0x31 or 0x32). */
  readonly subpacketVersion: number;
  /** RAPID: the preamble index of msg1 (6 bits). */
  readonly preambleIndex: number;
  /** Timing advance of msg2 (11 bits). */
  readonly timingAdvance: number;
  /** The msg3 uplink grant (20 bits). */
  readonly ulGrant: number;
  /** Temporary C-RNTI of msg2. */
  readonly tcRnti: number;
}

/** A GSM RR signalling message (log 0x512F). `payload` is the layer-3 message as logged. */
export interface GsmRrMessage extends RadioMessageOrigin {
  readonly kind: 'gsm-rr';
  readonly channel: GsmRrChannel;
  readonly direction: Direction;
  /** The RR message type the log gives (e.g. 0x1C System Information Type 4 on BCCH). */
  readonly messageType: number;
  readonly payload: Buffer;
}

/** A typed radio message decoded from one diag log message. Switch on `kind`. */
export type RadioMessage = LteRrcMessage | LteNasMessage | LteMacRachResponse | GsmRrMessage;

/**
 * A frame or diag message that holds radio data nobody can read: a damaged
 * stretch of the stream (bad CRC or escape, too short, over-long, cut at the
 * end), or a log message cut short or whose LTE RRC layout is unknown. Only
 * `RadioMessageReader.pushAll`/`endAll` hand these out (the analysis reports
 * them as skipped rows, as the original does); `push` counts them only.
 */
export interface UnreadableMessage {
  readonly kind: 'unreadable';
  /** The position it takes in the capture (frames read, valid or damaged, from 1): the report's "packet N". */
  readonly index: number;
  /** Byte offset of the stretch or frame in the raw (decompressed) QMDL stream. */
  readonly offset: number;
  readonly reason: UnreadableReason;
  /** For LTE_RRC_UNKNOWN_VERSION / LTE_RRC_UNKNOWN_PDU: the layout version and PDU number logged. */
  readonly extHeaderVersion?: number;
  readonly pduNum?: number;
}

/** Why a message is unreadable: the frame layer's damage reason, or the diag skip reasons that mean "cannot be read". */
export type UnreadableReason =
  | FrameDamage['reason']
  | typeof SkipReason.MESSAGE_TRUNCATED
  | typeof SkipReason.LTE_RRC_UNKNOWN_VERSION
  | typeof SkipReason.LTE_RRC_UNKNOWN_PDU;

/**
 * Why a diag message yielded no radio message. Stable identifiers (reports and
 * `--json` output show them); messages are never fatal, only counted.
 */
export const SkipReason = {
  /** A diag message that is not a log (command responses, F3 debug text, events…). */
  NOT_A_LOG_MESSAGE: 'NOT_A_LOG_MESSAGE',
  /** A log code this layer does not convert (measurements, NR RRC, security-protected NAS…). */
  LOG_CODE_NOT_CONVERTED: 'LOG_CODE_NOT_CONVERTED',
  /** A message shorter than its header or its declared lengths. */
  MESSAGE_TRUNCATED: 'MESSAGE_TRUNCATED',
  /** A message whose protocol payload is empty (nothing a dissector could read). */
  EMPTY_PAYLOAD: 'EMPTY_PAYLOAD',
  /** An LTE RRC OTA ext header version with no known PDU-number-to-channel mapping. */
  LTE_RRC_UNKNOWN_VERSION: 'LTE_RRC_UNKNOWN_VERSION',
  /** An LTE RRC OTA PDU number the mapping of its version does not name. */
  LTE_RRC_UNKNOWN_PDU: 'LTE_RRC_UNKNOWN_PDU',
  /** An LTE MAC RACH log with an unknown packet or subpacket version, or cut short. */
  LTE_MAC_RACH_MALFORMED: 'LTE_MAC_RACH_MALFORMED',
  /** An LTE MAC RACH log without a RACH attempt carrying msg1, msg2 and msg3 (the original writes nothing either). */
  LTE_MAC_RACH_INCOMPLETE: 'LTE_MAC_RACH_INCOMPLETE',
  /** A GSM RR log with a channel number outside 0–4. */
  GSM_RR_UNKNOWN_CHANNEL: 'GSM_RR_UNKNOWN_CHANNEL',
  /** A GSM RR log whose message length disagrees with its bytes, or a DCCH/SACCH message too long for LAPDm. */
  GSM_RR_BAD_LENGTH: 'GSM_RR_BAD_LENGTH',
  /**
   * Counted by the pcapng export only (the message itself decodes and is analysed): its GSMTAP packet
   * would not fit one IPv4 datagram (65,535 bytes with its IPv4, UDP and GSMTAP headers) — a diag log
   * may carry up to 64 KiB, a packet of the export cannot.
   */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
} as const;

export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];
