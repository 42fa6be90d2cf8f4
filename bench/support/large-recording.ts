/** The large recording of the download and pcap benchmarks. */
import { closeSync, openSync, writeSync } from 'node:fs';
import zlib from 'node:zlib';
import type { RecordingTotals } from '@ledger/domain';
import { syntheticContainers } from './synthetic';

/**
 * A large .qmdl.gz made fast: one block of synthetic frames is deflated once
 * (level 6, ending in a sync flush) and repeated — each copy is a valid
 * stretch of deflate data because it refers to nothing before it — then a
 * final empty block and the gzip trailer over the whole input.
 */
export function writeLargeRecording(file: string, uncompressedTarget: number): RecordingTotals {
  const parts = syntheticContainers(16 * 1024 * 1024, { seed: 11, rateMessagesPerSecond: 0 });
  const block = Buffer.concat(parts);
  const deflated = zlib.deflateRawSync(block, { level: 6, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const copies = Math.max(1, Math.round(uncompressedTarget / block.length));
  const fd = openSync(file, 'wx');
  let crc = 0;
  let size = 0;
  const write = (b: Buffer): void => {
    writeSync(fd, b);
    size += b.length;
  };
  write(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]));
  for (let i = 0; i < copies; i++) {
    write(deflated);
    crc = zlib.crc32(block, crc);
  }
  write(Buffer.from([0x03, 0x00])); // final, empty fixed-Huffman block
  const total = block.length * copies;
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(total % 0x100000000, 4);
  write(trailer);
  closeSync(fd);
  return { qmdlSizeBytes: size, uncompressedBytes: total, containers: parts.length * copies };
}
