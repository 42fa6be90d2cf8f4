/**
 * A small pcapng reader for specs, written from the format description and not
 * from the writer under test: it checks block framing and the checksums
 * independently of it.
 */
export interface PcapngFile {
  readonly shbOptions: Map<number, string>;
  readonly interfaces: Array<{ linkType: number; snapLen: number }>;
  readonly packets: Array<{ timeUs: bigint; data: Buffer; originalLength: number; comment?: string }>;
}

function options(block: Buffer, at: number, end: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  while (at + 4 <= end) {
    const code = block.readUInt16BE(at);
    const length = block.readUInt16BE(at + 2);
    if (code === 0) break;
    out.set(code, block.subarray(at + 4, at + 4 + length));
    at += 4 + ((length + 3) & ~3);
  }
  return out;
}

export function readPcapng(file: Buffer): PcapngFile {
  const result: PcapngFile = { shbOptions: new Map(), interfaces: [], packets: [] };
  let at = 0;
  while (at < file.length) {
    const type = file.readUInt32BE(at);
    const total = file.readUInt32BE(at + 4);
    if (total % 4 !== 0 || at + total > file.length) throw new Error(`bad block length ${total} at ${at}`);
    if (file.readUInt32BE(at + total - 4) !== total) throw new Error(`trailing length mismatch at ${at}`);
    const block = file.subarray(at, at + total);
    if (type === 0x0a0d0d0a) {
      if (block.readUInt32BE(8) !== 0x1a2b3c4d) throw new Error('not big-endian');
      if (block.readUInt16BE(12) !== 1 || block.readUInt16BE(14) !== 0) throw new Error('not version 1.0');
      if (block.readBigInt64BE(16) !== -1n) throw new Error('section length is not -1');
      for (const [code, value] of options(block, 24, total - 4)) result.shbOptions.set(code, value.toString('utf8'));
    } else if (type === 1) {
      result.interfaces.push({ linkType: block.readUInt16BE(8), snapLen: block.readUInt32BE(12) });
    } else if (type === 6) {
      const captured = block.readUInt32BE(20);
      const timeUs = (BigInt(block.readUInt32BE(12)) << 32n) | BigInt(block.readUInt32BE(16));
      const data = block.subarray(28, 28 + captured);
      const comment = options(block, 28 + ((captured + 3) & ~3), total - 4).get(1);
      result.packets.push({
        timeUs,
        data,
        originalLength: block.readUInt32BE(24),
        ...(comment === undefined ? {} : { comment: comment.toString('utf8') }),
      });
    } else {
      throw new Error(`unexpected block type ${type}`);
    }
    at += total;
  }
  return result;
}

function onesComplement(data: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < data.length; i += 2) sum += (data[i] as number) * 256 + (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The parts of a raw-IPv4 packet carrying GSMTAP, with both checksums verified. */
export function unpackGsmtap(packet: Buffer): {
  ipId: number;
  srcPort: number;
  dstPort: number;
  gsmtap: Buffer;
  ipChecksumOk: boolean;
  udpChecksumOk: boolean;
} {
  const ihl = ((packet[0] as number) & 0x0f) * 4;
  const udp = packet.subarray(ihl);
  const udpLength = udp.readUInt16BE(4);
  const pseudo = Buffer.concat([
    packet.subarray(12, 20),
    Buffer.from([0, packet[9] as number, udpLength >> 8, udpLength & 0xff]),
  ]);
  return {
    ipId: packet.readUInt16BE(4),
    srcPort: udp.readUInt16BE(0),
    dstPort: udp.readUInt16BE(2),
    gsmtap: udp.subarray(8, udpLength),
    ipChecksumOk: onesComplement(packet.subarray(0, ihl)) === 0xffff && packet.readUInt16BE(2) === packet.length,
    // 0 means "no checksum" for UDP over IPv4; any other value must verify.
    udpChecksumOk:
      udp.readUInt16BE(6) === 0 || onesComplement(Buffer.concat([pseudo, udp.subarray(0, udpLength)])) === 0xffff,
  };
}
