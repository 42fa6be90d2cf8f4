import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { errorCodeOf } from '@ledger/domain';
import { FrameSplitter } from './frame-splitter';
import { QmdlGzipWriter } from './qmdl-gzip-writer';
import { decompressedSize, detectQmdlEncoding, openQmdlReadStream } from './qmdl-reader';
import { SyntheticDiagGenerator, generateCapture } from './synthetic';
import { bytesOf } from './test-util';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qmdl-reader-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves once `ready()` is true, checking it every few ms; a throw from `ready` fails at once. Generous timeout: this waits for a state, not a speed. */
async function waitFor(ready: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function readAll(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openQmdlReadStream(file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('openQmdlReadStream', () => {
  it('detects gzip by magic, not by name', async () => {
    const capture = generateCapture({ seed: 1, messages: 100 });
    const gzipNamedPlain = path.join(dir, 'a.qmdl');
    const plainNamedGzip = path.join(dir, 'b.qmdl.gz');
    writeFileSync(gzipNamedPlain, zlib.gzipSync(capture));
    writeFileSync(plainNamedGzip, capture);
    expect(await detectQmdlEncoding(gzipNamedPlain)).toBe('gzip');
    expect(await detectQmdlEncoding(plainNamedGzip)).toBe('plain');
    expect(bytesOf(await readAll(gzipNamedPlain))).toEqual(bytesOf(capture));
    expect(bytesOf(await readAll(plainNamedGzip))).toEqual(bytesOf(capture));
    expect(await decompressedSize(gzipNamedPlain)).toBe(capture.length);
  });

  it('ends normally at a missing trailer: a file cut mid-block still yields the intact prefix of frames', async () => {
    const file = path.join(dir, 'live.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 5 });
    const written: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const { frames } = generator.nextContainer();
      written.push(frames);
      await writer.write(frames, { flush: i === 9 });
    }
    const afterTen = Buffer.concat(written.slice(0, 10));
    const flushedAt = (await writer.flush()).compressedBytes;
    await writer.abort();
    const full = readFileSync(file);
    expect(full.length).toBe(flushedAt);
    const all = Buffer.concat(written);
    const allFrames = new FrameSplitter().push(all).map((f) => f.raw.toString('hex'));
    for (const cut of [
      10,
      11,
      40,
      Math.floor(full.length / 3),
      Math.floor(full.length / 2),
      full.length - 7,
      full.length - 1,
    ]) {
      const cutFile = path.join(dir, `cut-${cut}.qmdl.gz`);
      writeFileSync(cutFile, full.subarray(0, cut));
      const out = await readAll(cutFile); // must not throw
      expect(bytesOf(all.subarray(0, out.length))).toEqual(bytesOf(out));
      const splitter = new FrameSplitter();
      const frames = splitter.push(out).map((f) => f.raw.toString('hex'));
      splitter.end();
      expect(frames).toEqual(allFrames.slice(0, frames.length));
      expect(splitter.stats().framesBad).toBeLessThanOrEqual(1);
    }
    // A cut before the first flush of data (inside or right after the header) is an empty recording.
    writeFileSync(path.join(dir, 'header.qmdl.gz'), full.subarray(0, 5));
    expect((await readAll(path.join(dir, 'header.qmdl.gz'))).length).toBe(0);
    expect(afterTen.length).toBeGreaterThan(0);
  });

  it('reports a missing file and corrupt gzip data as QMDL_READ_FAILED', async () => {
    expect(await errorCodeOf(readAll(path.join(dir, 'nope.qmdl.gz')))).toBe('QMDL_READ_FAILED');
    const corrupt = Buffer.from(zlib.gzipSync(generateCapture({ seed: 2, messages: 50 })));
    corrupt.fill(0xff, 20, 60);
    writeFileSync(path.join(dir, 'bad.qmdl.gz'), corrupt);
    expect(await errorCodeOf(readAll(path.join(dir, 'bad.qmdl.gz')))).toBe('QMDL_READ_FAILED');
  });

  it('reads in chunks of at most chunkSize, the same bytes at any size', async () => {
    const capture = generateCapture({ seed: 3, messages: 3000 });
    const file = path.join(dir, 'c.qmdl.gz');
    writeFileSync(file, zlib.gzipSync(capture));
    for (const chunkSize of [1024, 64 * 1024, 256 * 1024]) {
      const chunks: Buffer[] = [];
      for await (const chunk of openQmdlReadStream(file, { chunkSize })) chunks.push(chunk as Buffer);
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(chunkSize);
      expect(bytesOf(Buffer.concat(chunks))).toEqual(bytesOf(capture));
    }
    expect(() => openQmdlReadStream(file, { chunkSize: 100 })).toThrow(TypeError);
  });

  it('holds only a few chunks when its consumer stops reading (backpressure reaches the file)', async () => {
    const file = path.join(dir, 'big.qmdl.gz');
    // Eight copies of one capture: as large a file, at an eighth of the cost to generate.
    const one = generateCapture({ seed: 4, messages: 2000 });
    const capture = Buffer.concat(Array.from({ length: 8 }, () => one));
    writeFileSync(file, zlib.gzipSync(capture, { level: 1 }));
    const chunkSize = 16 * 1024;
    expect(capture.length).toBeGreaterThan(40 * chunkSize);
    const stream = openQmdlReadStream(file, { chunkSize });
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      stream.pause();
    });
    // Wait for the state, not for a time: the gunzip stage between the file and the stream (read
    // here only to know when the pipeline has stalled) is paused, and its input is full, so the
    // file is no longer read. If backpressure did not hold, the stream's buffer would outgrow the
    // bound first (or everything would be decompressed): that fails at once.
    const inner = (): Duplex | undefined => (stream as unknown as { inner?: Duplex }).inner;
    await waitFor(() => {
      if (stream.readableLength > 2 * chunkSize)
        throw new Error(`${stream.readableLength} bytes buffered while paused`);
      const gunzip = inner();
      return gunzip !== undefined && gunzip.isPaused() && gunzip.writableNeedDrain;
    });
    // The first chunk was delivered, then nothing more is read than the buffers in between can hold.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(chunkSize);
    expect(stream.readableLength).toBeLessThanOrEqual(2 * chunkSize);
    const gunzip = inner();
    expect(gunzip?.readableLength).toBeLessThanOrEqual(2 * chunkSize);
    expect(gunzip?.writableLength).toBeLessThanOrEqual(2 * chunkSize);
    stream.destroy();
  }, 60_000);

  it('reports progress in bytes of the file read (compressed for gzip), up to its size, without changing the bytes', async () => {
    const capture = generateCapture({ seed: 6, messages: 3000 });
    for (const [name, content] of [
      ['p.qmdl', capture],
      ['p.qmdl.gz', zlib.gzipSync(capture)],
    ] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      const progress: number[] = [];
      const chunks: Buffer[] = [];
      for await (const chunk of openQmdlReadStream(file, { chunkSize: 4096, onFileProgress: (n) => progress.push(n) }))
        chunks.push(chunk as Buffer);
      expect(bytesOf(Buffer.concat(chunks))).toEqual(bytesOf(capture));
      expect(progress.at(-1)).toBe(content.length);
      expect(progress.every((n, i) => i === 0 || n > (progress[i - 1] as number))).toBe(true);
    }
  });

  it('reads an empty file as an empty capture', async () => {
    writeFileSync(path.join(dir, 'empty.qmdl'), Buffer.alloc(0));
    expect(await decompressedSize(path.join(dir, 'empty.qmdl'))).toBe(0);
  });
});
