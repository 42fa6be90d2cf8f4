import { GSMTAP_PORT, gsmtapLengthOf, writeGsmtapOf } from './gsmtap';
import type { RadioMessage } from './radio-message';

/** Link type of the interface: raw IPv4 (LINKTYPE_IPV4). */
export const LINKTYPE_IPV4 = 228;
export const PCAPNG_SNAPLEN = 65535;
/** The UDP source port of every packet (as the original writes). */
export const GSMTAP_SOURCE_PORT = 13337;

const SHB_TYPE = 0x0a0d0d0a;
const IDB_TYPE = 0x00000001;
const EPB_TYPE = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IPV4_HEADER_BYTES = 20;
const UDP_HEADER_BYTES = 8;
/** Bytes before the GSMTAP packet in each captured packet. */
export const IP_UDP_HEADER_BYTES = IPV4_HEADER_BYTES + UDP_HEADER_BYTES;
const LOOPBACK = 0x7f000001;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function optionBytes(value: Buffer): number {
  return 4 + pad4(value.length);
}

function writeOption(out: Buffer, at: number, code: number, value: Buffer): number {
  out.writeUInt16BE(code, at);
  out.writeUInt16BE(value.length, at + 2);
  value.copy(out, at + 4);
  out.fill(0, at + 4 + value.length, at + optionBytes(value));
  return at + optionBytes(value);
}

/** The section header's options; one left out (unknown) is not written (every pcapng option is optional). */
export interface SectionHeaderOptions {
  /** shb_hardware: the machine (e.g. `x86_64`). */
  readonly hardware?: string;
  /** shb_os: `<sysname> <release>`. */
  readonly os?: string;
  /** shb_userappl: `<app> <version>`. */
  readonly application?: string;
}

/**
 * A pcapng section header block, big-endian: byte-order magic, version 1.0,
 * section length −1 (unknown: the file is streamed), shb_hardware, shb_os,
 * shb_userappl (those given, in that order).
 */
export function encodeSectionHeader(options: SectionHeaderOptions): Buffer {
  const values = (
    [
      [SHB_HARDWARE, options.hardware],
      [SHB_OS, options.os],
      [SHB_USERAPPL, options.application],
    ] as const
  ).flatMap(([code, text]) => (text === undefined ? [] : [[code, Buffer.from(text, 'utf8')] as const]));
  for (const [, value] of values)
    if (value.length > 0xffff) throw new TypeError('encodeSectionHeader: an option is longer than 65535 bytes');
  const optionsLength = values.reduce((n, [, value]) => n + optionBytes(value), 0) + 4;
  const total = 8 + 4 + 4 + 8 + optionsLength + 4;
  const out = Buffer.alloc(total);
  out.writeUInt32BE(SHB_TYPE, 0);
  out.writeUInt32BE(total, 4);
  out.writeUInt32BE(BYTE_ORDER_MAGIC, 8);
  out.writeUInt16BE(1, 12);
  out.writeUInt16BE(0, 14);
  out.writeBigInt64BE(-1n, 16);
  let at = 24;
  for (const [code, value] of values) at = writeOption(out, at, code, value);
  out.writeUInt16BE(OPT_ENDOFOPT, at);
  out.writeUInt16BE(0, at + 2);
  out.writeUInt32BE(total, at + 4);
  return out;
}

/** The one interface description block: link type 228 (raw IPv4), snaplen 65535, no options. */
export function encodeInterfaceDescription(): Buffer {
  const out = Buffer.alloc(20);
  out.writeUInt32BE(IDB_TYPE, 0);
  out.writeUInt32BE(20, 4);
  out.writeUInt16BE(LINKTYPE_IPV4, 8);
  out.writeUInt16BE(0, 10);
  out.writeUInt32BE(PCAPNG_SNAPLEN, 12);
  out.writeUInt32BE(20, 16);
  return out;
}

/** Big-endian u16 and u32 stores, byte by byte: Buffer's write methods check their arguments on every call. */
function u16(out: Buffer, at: number, value: number): void {
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
}

function u32(out: Buffer, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/**
 * The one's-complement sum of the IPv4 header's fixed words: version/IHL 0x4500,
 * flags DF 0x4000, TTL 64 / protocol UDP 0x4011, source and destination
 * 127.0.0.1 (0x7F00, 0x0001 each); the checksum word counts as 0. Only the
 * total length and the id vary per packet.
 */
const IPV4_FIXED_SUM = 0x4500 + 0x4000 + 0x4011 + 2 * (0x7f00 + 0x0001);

function ipv4Checksum(totalLength: number, ipId: number): number {
  let sum = IPV4_FIXED_SUM + totalLength + ipId;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** The largest IPv4 datagram (its total length is a u16): a longer packet cannot be written. */
export const MAX_PACKET_BYTES = 0xffff;

/** The packet a radio message travels in: IPv4 (20 bytes) + UDP + its GSMTAP form. */
export function packetLengthOf(message: RadioMessage): number {
  return IP_UDP_HEADER_BYTES + gsmtapLengthOf(message);
}

/**
 * Writes IPv4 (127.0.0.1 → 127.0.0.1, DF, TTL 64, valid header checksum) +
 * UDP (13337 → 4729, checksum 0 = none) + the GSMTAP form of `message` into
 * `out` at `at`; `packetBytes` is `packetLengthOf(message)`.
 * @returns the offset after the packet.
 */
function writeGsmtapPacket(message: RadioMessage, packetBytes: number, ipId: number, out: Buffer, at: number): number {
  if (packetBytes > MAX_PACKET_BYTES) throw new RangeError('writeGsmtapPacket: packet longer than an IPv4 datagram');
  const id = ipId & 0xffff;
  out[at] = 0x45;
  out[at + 1] = 0;
  u16(out, at + 2, packetBytes);
  u16(out, at + 4, id);
  u16(out, at + 6, 0x4000);
  out[at + 8] = 64;
  out[at + 9] = 17;
  u16(out, at + 10, ipv4Checksum(packetBytes, id));
  u32(out, at + 12, LOOPBACK);
  u32(out, at + 16, LOOPBACK);
  const udp = at + IPV4_HEADER_BYTES;
  u16(out, udp, GSMTAP_SOURCE_PORT);
  u16(out, udp + 2, GSMTAP_PORT);
  u16(out, udp + 4, packetBytes - IPV4_HEADER_BYTES);
  // UDP checksum 0: "none computed", valid for UDP over IPv4. Summing every payload byte in JS
  // cost more than the rest of the packet's encoding, and the original's constant 0xFFFF is wrong.
  u16(out, udp + 6, 0);
  return writeGsmtapOf(message, out, udp + UDP_HEADER_BYTES);
}

/** Bytes of the enhanced packet block for a packet of `packetBytes` with an optional comment. */
export function enhancedPacketLength(packetBytes: number, comment: Buffer | undefined): number {
  return 28 + pad4(packetBytes) + (comment === undefined ? 0 : optionBytes(comment) + 4) + 4;
}

/**
 * Writes the enhanced packet block of a radio message: interface 0, timestamp
 * (its diag time) in microseconds since the Unix epoch, captured = original
 * length, its IPv4/UDP/GSMTAP packet, and an opt_comment when `comment` is
 * given. `packetBytes` is `packetLengthOf(message)` (the caller sized `out` with it).
 * @returns the offset after the block.
 */
export function writeEnhancedPacket(
  message: RadioMessage,
  packetBytes: number,
  ipId: number,
  comment: Buffer | undefined,
  out: Buffer,
  at: number,
): number {
  const total = enhancedPacketLength(packetBytes, comment);
  const timeUs = Math.max(0, Math.floor(message.timeUs));
  u32(out, at, EPB_TYPE);
  u32(out, at + 4, total);
  u32(out, at + 8, 0);
  u32(out, at + 12, Math.floor(timeUs / 0x100000000) >>> 0);
  u32(out, at + 16, timeUs % 0x100000000);
  u32(out, at + 20, packetBytes);
  u32(out, at + 24, packetBytes);
  let pos = writeGsmtapPacket(message, packetBytes, ipId, out, at + 28);
  const padded = at + 28 + pad4(packetBytes);
  while (pos < padded) out[pos++] = 0;
  if (comment !== undefined) {
    pos = writeOption(out, pos, OPT_COMMENT, comment);
    u32(out, pos, 0);
    pos += 4;
  }
  u32(out, pos, total);
  return pos + 4;
}
