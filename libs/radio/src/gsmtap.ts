import { rachResponseMacPdu } from './lte-mac-rach';
import type { GsmRrChannel, LteRrcChannel, RadioMessage } from './radio-message';

/** The UDP port GSMTAP is sent to (IANA-assigned); Wireshark dissects it with no settings. */
export const GSMTAP_PORT = 4729;
/** The GSMTAP v2 header is 16 bytes (4 words). */
export const GSMTAP_HEADER_BYTES = 16;

/** GSMTAP payload types (libosmocore's gsmtap.h numbering). */
export const GsmtapType = { UM: 0x01, LTE_RRC: 0x0d, LTE_MAC_FRAMED: 0x0f, LTE_NAS: 0x12 } as const;

/** LTE RRC sub-types (libosmocore numbering). */
const LTE_RRC_SUBTYPE: Readonly<Record<LteRrcChannel, number>> = {
  'DL-CCCH': 0,
  'DL-DCCH': 1,
  'UL-CCCH': 2,
  'UL-DCCH': 3,
  'BCCH-BCH': 4,
  'BCCH-DL-SCH': 5,
  PCCH: 6,
  MCCH: 7,
  'DL-CCCH-NB': 14,
  'DL-DCCH-NB': 15,
  'UL-CCCH-NB': 16,
  'UL-DCCH-NB': 17,
  'BCCH-BCH-NB': 18,
  'BCCH-DL-SCH-NB': 20,
  'PCCH-NB': 21,
};

/** GSM Um channel sub-types (libosmocore's GSMTAP_CHANNEL_*); 0x80 marks the associated control channel. */
const UM_SUBTYPE: Readonly<Record<GsmRrChannel, number>> = {
  BCCH: 0x01,
  CCCH: 0x02,
  RACH: 0x03,
  DCCH: 0x08,
  SACCH: 0x88,
};

/** A GSMTAP v2 packet: header fields and the payload after the header. */
export interface GsmtapPacket {
  readonly type: number;
  readonly subtype: number;
  /** Low 14 bits of the ARFCN field. */
  readonly arfcn: number;
  readonly uplink: boolean;
  readonly frameNumber: number;
  readonly subslot: number;
  /** One or more buffers, written back to back after the header (so prefixes need no copy). */
  readonly payload: readonly Buffer[];
}

/** LAPDm address (SAPI 0, command, EA) and UI control, before a DCCH/SACCH layer-3 message. */
const LAPDM_UI = Buffer.from([0x01, 0x03]);
/** The SACCH layer-1 header (power level, timing advance) the log does not carry. */
const SACCH_L1 = Buffer.from([0x00, 0x00]);

/**
 * The GSMTAP form of a radio message, as the Rayhunter daemon writes it (LTE
 * RRC, NAS and MAC), and GSM RR as GSMTAP Um: BCCH/CCCH/RACH as logged,
 * DCCH with a LAPDm UI header and SACCH with an L1 header too, so Wireshark's
 * Um dissectors read them. ARFCN, frame number and sub-slot are only known for
 * LTE RRC (EARFCN & 0x3FFF, sfn, subframe).
 */
export function gsmtapOf(message: RadioMessage): GsmtapPacket {
  switch (message.kind) {
    case 'lte-rrc':
      return {
        type: GsmtapType.LTE_RRC,
        subtype: LTE_RRC_SUBTYPE[message.channel],
        arfcn: message.earfcn & 0x3fff,
        uplink: message.direction === 'uplink',
        frameNumber: message.sfn,
        subslot: message.subframe,
        payload: [message.payload],
      };
    case 'lte-nas':
      return {
        type: GsmtapType.LTE_NAS,
        subtype: 0,
        arfcn: 0,
        uplink: message.direction === 'uplink',
        frameNumber: 0,
        subslot: 0,
        payload: [message.payload],
      };
    case 'lte-mac-rach-response':
      return {
        type: GsmtapType.LTE_MAC_FRAMED,
        subtype: 0,
        arfcn: 0,
        uplink: false,
        frameNumber: 0,
        subslot: 0,
        payload: [rachResponseMacPdu(message)],
      };
    case 'gsm-rr':
      return {
        type: GsmtapType.UM,
        subtype: UM_SUBTYPE[message.channel],
        arfcn: 0,
        uplink: message.direction === 'uplink',
        frameNumber: 0,
        subslot: 0,
        payload: umPayload(message),
      };
    default: {
      const never: never = message;
      throw new TypeError(`gsmtapOf: unknown radio message ${JSON.stringify((never as { kind?: unknown }).kind)}`);
    }
  }
}

function umPayload(message: Extract<RadioMessage, { kind: 'gsm-rr' }>): Buffer[] {
  if (message.channel !== 'DCCH' && message.channel !== 'SACCH') return [message.payload];
  const length = Buffer.from([(message.payload.length << 2) | 0x01]);
  return message.channel === 'SACCH'
    ? [SACCH_L1, LAPDM_UI, length, message.payload]
    : [LAPDM_UI, length, message.payload];
}

/** Total bytes of a GSMTAP packet, header included. */
export function gsmtapLength(packet: GsmtapPacket): number {
  let n = GSMTAP_HEADER_BYTES;
  for (const part of packet.payload) n += part.length;
  return n;
}

/**
 * Writes the GSMTAP v2 header into `out` at `at` (big-endian: version 2, header
 * length 4 words, type, timeslot 0, u16 uplink bit 14 + ARFCN, signal 0, SNR 0,
 * u32 frame number, sub-type, antenna 0, sub-slot, reserved 0), byte by byte:
 * Buffer's write methods check their arguments on every call, once per packet.
 * @returns the offset after the header.
 */
function writeGsmtapHeader(
  out: Buffer,
  at: number,
  type: number,
  subtype: number,
  arfcn: number,
  uplink: boolean,
  frameNumber: number,
  subslot: number,
): number {
  const arfcnField = (uplink ? 0x4000 : 0) | (arfcn & 0x3fff);
  out[at] = 2;
  out[at + 1] = GSMTAP_HEADER_BYTES / 4;
  out[at + 2] = type;
  out[at + 3] = 0;
  out[at + 4] = arfcnField >>> 8;
  out[at + 5] = arfcnField & 0xff;
  out[at + 6] = 0;
  out[at + 7] = 0;
  out[at + 8] = frameNumber >>> 24;
  out[at + 9] = (frameNumber >>> 16) & 0xff;
  out[at + 10] = (frameNumber >>> 8) & 0xff;
  out[at + 11] = frameNumber & 0xff;
  out[at + 12] = subtype;
  out[at + 13] = 0;
  out[at + 14] = subslot;
  out[at + 15] = 0;
  return at + GSMTAP_HEADER_BYTES;
}

/**
 * Writes the GSMTAP v2 header and payload into `out` at `at`.
 * @returns the offset after the packet.
 */
export function writeGsmtap(packet: GsmtapPacket, out: Buffer, at: number): number {
  let pos = writeGsmtapHeader(
    out,
    at,
    packet.type,
    packet.subtype,
    packet.arfcn,
    packet.uplink,
    packet.frameNumber,
    packet.subslot,
  );
  for (const part of packet.payload) {
    // TypedArray#set: Buffer#copy's argument checks cost more than the copy of a payload this small.
    out.set(part, pos);
    pos += part.length;
  }
  return pos;
}

/**
 * Bytes of the GSMTAP form of `message`, header included: `gsmtapLength(gsmtapOf(message))`
 * without building the packet for the common kinds (LTE RRC and NAS).
 */
export function gsmtapLengthOf(message: RadioMessage): number {
  if (message.kind === 'lte-rrc' || message.kind === 'lte-nas') return GSMTAP_HEADER_BYTES + message.payload.length;
  return gsmtapLength(gsmtapOf(message));
}

/**
 * Writes the GSMTAP form of `message` into `out` at `at`: the bytes of
 * `writeGsmtap(gsmtapOf(message), …)`, without building the packet object for
 * LTE RRC and NAS (one of them per message of a capture).
 * @returns the offset after the packet.
 */
export function writeGsmtapOf(message: RadioMessage, out: Buffer, at: number): number {
  let pos: number;
  if (message.kind === 'lte-rrc') {
    pos = writeGsmtapHeader(
      out,
      at,
      GsmtapType.LTE_RRC,
      LTE_RRC_SUBTYPE[message.channel],
      message.earfcn,
      message.direction === 'uplink',
      message.sfn,
      message.subframe,
    );
  } else if (message.kind === 'lte-nas') {
    pos = writeGsmtapHeader(out, at, GsmtapType.LTE_NAS, 0, 0, message.direction === 'uplink', 0, 0);
  } else {
    return writeGsmtap(gsmtapOf(message), out, at);
  }
  out.set(message.payload, pos);
  return pos + message.payload.length;
}

/** A GSMTAP packet as bytes. */
export function encodeGsmtap(packet: GsmtapPacket): Buffer {
  const out = Buffer.allocUnsafe(gsmtapLength(packet));
  writeGsmtap(packet, out, 0);
  return out;
}
