import { errorCodeOf } from '@ledger/domain';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { QmdlGzipWriter, type QmdlWriteTotals } from './qmdl-gzip-writer';
import { decompressedSize, openQmdlReadStream } from './qmdl-reader';
import { SyntheticDiagGenerator } from './synthetic';
import { bytesOf } from './test-util';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qmdl-writer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Inflates a gzip prefix that may lack its trailer (what a reader of a live or cut recording does). */
function inflatePrefix(bytes: Buffer): Buffer {
  return zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

async function readAll(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openQmdlReadStream(file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('QmdlGzipWriter', () => {
  it('leaves, at every size write() returned, a file prefix that inflates to exactly the frames written so far', async () => {
    const file = path.join(dir, '1.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 1 });
    const written: Buffer[] = [];
    const points: Array<{ totals: QmdlWriteTotals; bytes: Buffer }> = [
      { totals: writer.totals, bytes: Buffer.alloc(0) },
    ];
    for (let i = 0; i < 60; i++) {
      const { frames } = generator.nextContainer();
      written.push(frames);
      const totals = await writer.write(frames);
      points.push({ totals, bytes: Buffer.concat(written) });
    }
    const full = readFileSync(file);
    expect(full.length).toBe(writer.totals.compressedBytes);
    for (const { totals, bytes } of points) {
      expect(totals.uncompressedBytes).toBe(bytes.length);
      expect(bytesOf(inflatePrefix(full.subarray(0, totals.compressedBytes)))).toEqual(bytesOf(bytes));
    }
    // Cut the real file back to a committed size, as the recorder does after a crash.
    const mid = points[25] as { totals: QmdlWriteTotals; bytes: Buffer };
    await writer.abort();
    truncateSync(file, mid.totals.compressedBytes);
    expect(bytesOf(await readAll(file))).toEqual(bytesOf(mid.bytes));
  });

  it('finish() writes the trailer: a clean gzip member that strict gunzip accepts', async () => {
    const file = path.join(dir, '2.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file, level: 1 });
    const generator = new SyntheticDiagGenerator({ seed: 2 });
    const written: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const { frames } = generator.nextContainer();
      written.push(frames);
      await writer.write(frames, { flush: i % 5 === 4 });
    }
    const totals = await writer.finish();
    expect(statSync(file).size).toBe(totals.compressedBytes);
    expect(totals.uncompressedBytes).toBe(Buffer.concat(written).length);
    expect(bytesOf(zlib.gunzipSync(readFileSync(file)))).toEqual(bytesOf(Buffer.concat(written)));
    expect(await decompressedSize(file)).toBe(totals.uncompressedBytes);
  });

  it('without flush, returns the last flush point and coalesces input until flush()', async () => {
    const file = path.join(dir, '3.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 3 });
    const first = generator.nextContainer().frames;
    const flushed = await writer.write(first);
    const second = generator.nextContainer().frames;
    expect(await writer.write(second, { flush: false })).toEqual(flushed);
    expect(statSync(file).size).toBe(flushed.compressedBytes);
    const after = await writer.flush();
    expect(after.uncompressedBytes).toBe(first.length + second.length);
    expect(bytesOf(inflatePrefix(readFileSync(file)))).toEqual(bytesOf(Buffer.concat([first, second])));
    await writer.sync();
    await writer.abort();
  });

  it('copies the input at write(): the caller may reuse its buffer at once', async () => {
    const file = path.join(dir, '11.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 11 });
    const frames = [generator.nextContainer().frames, generator.nextContainer().frames];
    const expected = Buffer.concat(frames);
    const reused = Buffer.alloc(Math.max(...frames.map((f) => f.length)));
    const pending = frames.map((f) => {
      f.copy(reused);
      const done = writer.write(reused.subarray(0, f.length), { flush: false });
      reused.fill(0xee); // the next container's bytes, as a reading loop with one buffer would have it
      return done;
    });
    await Promise.all(pending);
    await writer.finish();
    expect(bytesOf(zlib.gunzipSync(readFileSync(file)))).toEqual(bytesOf(expected));
  });

  it('coalesces unflushed input across many staging blocks and flushes each write at its own offset', async () => {
    const file = path.join(dir, '12.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file, maxPendingBytes: 100_000 });
    const generator = new SyntheticDiagGenerator({ seed: 12 });
    const all: Buffer[] = [];
    const calls: Array<Promise<QmdlWriteTotals>> = [];
    let bytes = 0;
    for (let i = 0; bytes < 700_000; i++) {
      const f = generator.nextContainer().frames;
      all.push(f);
      bytes += f.length;
      calls.push(writer.write(f, { flush: i % 97 === 0 }));
    }
    const totals = await Promise.all(calls);
    // Every write answers at least the last flush at or before it, never bytes written after it.
    let upTo = 0;
    const checked = new Set<number>();
    const onDisk = readFileSync(file);
    totals.forEach((t, i) => {
      upTo += all[i]?.length ?? 0;
      expect(t.uncompressedBytes).toBeLessThanOrEqual(upTo);
      if (i % 97 === 0) expect(t.uncompressedBytes).toBe(upTo);
      if (checked.has(t.compressedBytes)) return;
      checked.add(t.compressedBytes);
      expect(bytesOf(inflatePrefix(onDisk.subarray(0, t.compressedBytes)))).toEqual(
        bytesOf(Buffer.concat(all).subarray(0, t.uncompressedBytes)),
      );
    });
    expect(checked.size).toBeGreaterThan(8); // flushed by size as well as by request
    await writer.finish();
    expect(bytesOf(zlib.gunzipSync(readFileSync(file)))).toEqual(bytesOf(Buffer.concat(all)));
  });

  it('abort() closes without a trailer; the file still reads to its last flush point', async () => {
    const file = path.join(dir, '4.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const frames = new SyntheticDiagGenerator({ seed: 4 }).nextContainer().frames;
    await writer.write(frames);
    await writer.write(Buffer.from('never flushed'), { flush: false });
    await writer.abort();
    await writer.abort();
    expect(() => zlib.gunzipSync(readFileSync(file))).toThrow(/unexpected end of file/);
    expect(await readAll(file)).toEqual(frames);
  });

  it('abort() during a write lets that write settle and refuses the ones queued behind it', async () => {
    const file = path.join(dir, '10.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 10 });
    const first = generator.nextContainer().frames;
    const inFlight = writer.write(first);
    const queued = writer.write(generator.nextContainer().frames);
    await new Promise((resolve) => setImmediate(resolve)); // the first write is now in zlib
    const aborting = writer.abort();
    const queuedCode = await errorCodeOf(queued);
    await aborting;
    const settled = await inFlight.then(
      (t) => t,
      (e: unknown) => e,
    );
    expect(queuedCode).toBe('QMDL_WRITER_CLOSED');
    expect(settled).toMatchObject({ uncompressedBytes: first.length });
    expect(bytesOf(await readAll(file))).toEqual(bytesOf(first));
  });

  it('refuses to overwrite an existing file: QMDL_FILE_EXISTS', async () => {
    const file = path.join(dir, '5.qmdl.gz');
    writeFileSync(file, 'precious');
    expect(await errorCodeOf(QmdlGzipWriter.create({ path: file }))).toBe('QMDL_FILE_EXISTS');
    expect(readFileSync(file, 'utf8')).toBe('precious');
    expect(await errorCodeOf(QmdlGzipWriter.create({ path: path.join(dir, 'missing', 'x.qmdl.gz') }))).toBe(
      'QMDL_WRITE_FAILED',
    );
  });

  it('refuses writes after finish or abort: QMDL_WRITER_CLOSED', async () => {
    const writer = await QmdlGzipWriter.create({ path: path.join(dir, '6.qmdl.gz') });
    await writer.finish();
    expect(await errorCodeOf(writer.write(Buffer.from([1])))).toBe('QMDL_WRITER_CLOSED');
    const other = await QmdlGzipWriter.create({ path: path.join(dir, '7.qmdl.gz') });
    await other.abort();
    expect(await errorCodeOf(other.finish())).toBe('QMDL_WRITER_CLOSED');
  });

  it('keeps call order for writes that are not awaited one by one', async () => {
    const file = path.join(dir, '8.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 8 });
    const all = Array.from({ length: 30 }, () => generator.nextContainer().frames);
    const totals = await Promise.all(all.map((f) => writer.write(f)));
    expect(totals.map((t) => t.uncompressedBytes)).toEqual(
      all.map((_, i) => Buffer.concat(all.slice(0, i + 1)).length),
    );
    await writer.finish();
    expect(bytesOf(zlib.gunzipSync(readFileSync(file)))).toEqual(bytesOf(Buffer.concat(all)));
  });

  it('treats bad arguments as programming errors (TypeError)', async () => {
    await expect(QmdlGzipWriter.create({ path: path.join(dir, 'x'), level: 12 })).rejects.toThrow(TypeError);
    const writer = await QmdlGzipWriter.create({ path: path.join(dir, '9.qmdl.gz') });
    expect(() => writer.write('frames' as unknown as Buffer)).toThrow(TypeError);
    await writer.abort();
  });
});
