import { GSMTAP_PORT, gsmtapLength, writeGsmtap, type GsmtapPacket } from './gsmtap';

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

export interface SectionHeaderOptions {
  /** shb_hardware: the machine (e.g. `x86_64`). */
  readonly hardware: string;
  /** shb_os: `<sysname> <release>`. */
  readonly os: string;
  /** shb_userappl: `<app> <version>`. */
  readonly application: string;
}

/**
 * A pcapng section header block, big-endian: byte-order magic, version 1.0,
 * section length −1 (unknown: the file is streamed), shb_hardware, shb_os,
 * shb_userappl.
 */
export function encodeSectionHeader(options: SectionHeaderOptions): Buffer {
  const values = [
    [SHB_HARDWARE, Buffer.from(options.hardware, 'utf8')],
    [SHB_OS, Buffer.from(options.os, 'utf8')],
    [SHB_USERAPPL, Buffer.from(options.application, 'utf8')],
  ] as const;
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

/** One's-complement sum of the 16-bit big-endian words of `data[start, end)` (an even length), not folded. */
function sum16(data: Buffer, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += (data[i] as number) * 256 + (data[i + 1] as number);
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** The packet a GSMTAP message travels in: IPv4 (20 bytes) + UDP + GSMTAP. */
export function packetLength(gsmtap: GsmtapPacket): number {
  return IP_UDP_HEADER_BYTES + gsmtapLength(gsmtap);
}

/**
 * Writes IPv4 (127.0.0.1 → 127.0.0.1, DF, TTL 64, valid header checksum) +
 * UDP (13337 → 4729, checksum 0 = none) + GSMTAP into `out` at `at`.
 * @returns the offset after the packet.
 */
export function writeGsmtapPacket(gsmtap: GsmtapPacket, ipId: number, out: Buffer, at: number): number {
  const gsmtapBytes = gsmtapLength(gsmtap);
  const total = IP_UDP_HEADER_BYTES + gsmtapBytes;
  if (total > 0xffff) throw new RangeError('writeGsmtapPacket: packet longer than an IPv4 datagram');
  out[at] = 0x45;
  out[at + 1] = 0;
  out.writeUInt16BE(total, at + 2);
  out.writeUInt16BE(ipId & 0xffff, at + 4);
  out.writeUInt16BE(0x4000, at + 6);
  out[at + 8] = 64;
  out[at + 9] = 17;
  out.writeUInt16BE(0, at + 10);
  out.writeUInt32BE(LOOPBACK, at + 12);
  out.writeUInt32BE(LOOPBACK, at + 16);
  out.writeUInt16BE(fold(sum16(out, at, at + IPV4_HEADER_BYTES)), at + 10);
  const udp = at + IPV4_HEADER_BYTES;
  const udpLength = UDP_HEADER_BYTES + gsmtapBytes;
  out.writeUInt16BE(GSMTAP_SOURCE_PORT, udp);
  out.writeUInt16BE(GSMTAP_PORT, udp + 2);
  out.writeUInt16BE(udpLength, udp + 4);
  out.writeUInt16BE(0, udp + 6);
  // UDP checksum 0: "none computed", valid for UDP over IPv4. Summing every payload byte in JS
  // cost more than the rest of the packet's encoding, and the original's constant 0xFFFF is wrong.
  const end = writeGsmtap(gsmtap, out, udp + UDP_HEADER_BYTES);
  return end;
}

/** Bytes of the enhanced packet block for a packet of `packetBytes` with an optional comment. */
export function enhancedPacketLength(packetBytes: number, comment: Buffer | undefined): number {
  return 28 + pad4(packetBytes) + (comment === undefined ? 0 : optionBytes(comment) + 4) + 4;
}

/**
 * Writes an enhanced packet block around a GSMTAP packet: interface 0,
 * timestamp in microseconds since the Unix epoch, captured = original length,
 * and an opt_comment when `comment` is given.
 * @returns the offset after the block.
 */
export function writeEnhancedPacket(
  options: { readonly timeUs: number; readonly gsmtap: GsmtapPacket; readonly ipId: number; readonly comment?: Buffer },
  out: Buffer,
  at: number,
): number {
  const packetBytes = packetLength(options.gsmtap);
  const total = enhancedPacketLength(packetBytes, options.comment);
  const timeUs = Math.max(0, Math.floor(options.timeUs));
  out.writeUInt32BE(EPB_TYPE, at);
  out.writeUInt32BE(total, at + 4);
  out.writeUInt32BE(0, at + 8);
  out.writeUInt32BE(Math.floor(timeUs / 0x100000000) >>> 0, at + 12);
  out.writeUInt32BE(timeUs % 0x100000000, at + 16);
  out.writeUInt32BE(packetBytes, at + 20);
  out.writeUInt32BE(packetBytes, at + 24);
  let pos = writeGsmtapPacket(options.gsmtap, options.ipId, out, at + 28);
  const padded = at + 28 + pad4(packetBytes);
  out.fill(0, pos, padded);
  pos = padded;
  if (options.comment !== undefined) {
    pos = writeOption(out, pos, OPT_COMMENT, options.comment);
    out.writeUInt32BE(0, pos);
    pos += 4;
  }
  out.writeUInt32BE(total, pos);
  return pos + 4;
}
