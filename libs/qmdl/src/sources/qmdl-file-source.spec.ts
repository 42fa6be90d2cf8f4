import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { FrameSplitter } from '../frame-splitter';
import { QmdlGzipWriter } from '../qmdl-gzip-writer';
import { SyntheticDiagGenerator, generateCapture } from '../synthetic';
import { bytesOf } from '../test-util';
import { createDiagSource } from './create-diag-source';
import type { DiagChunk, DiagSource } from './diag-source';

/** The replay does not wait less than 2 ms, and Date.now() and timers are good to about a millisecond. */
const MIN_WAIT_SLACK_MS = 5;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qmdl-source-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function drain(source: DiagSource | undefined, signal = new AbortController().signal): Promise<DiagChunk[]> {
  if (!source) throw new Error('no source');
  const chunks: DiagChunk[] = [];
  for await (const chunk of source.chunks(signal)) chunks.push(chunk);
  return chunks;
}

describe('qmdl replay source', () => {
  it('replays fast exactly the frames of a .qmdl.gz (gzip by magic), then ends', async () => {
    const capture = generateCapture({ seed: 11, messages: 2000 });
    const file = path.join(dir, 'recording.qmdl');
    writeFileSync(file, zlib.gzipSync(capture));
    const source = createDiagSource(`qmdl:${file}?pace=fast`);
    const chunks = await drain(source);
    const replayed = Buffer.concat(chunks.map((c) => c.frames));
    expect(bytesOf(replayed)).toEqual(bytesOf(capture));
    expect(chunks.reduce((n, c) => n + c.frameCount, 0)).toBe(2000);
    expect(source?.stats()).toEqual({ framesOk: 2000, framesBad: 0, bytesSkipped: 0, reconnects: 0 });
  });

  it('replays a live (trailer-less) recording, skipping garbage and a partial last frame', async () => {
    const file = path.join(dir, 'live.qmdl.gz');
    const writer = await QmdlGzipWriter.create({ path: file });
    const generator = new SyntheticDiagGenerator({ seed: 12 });
    const good: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      const { frames } = generator.nextContainer();
      good.push(frames);
      await writer.write(frames);
    }
    await writer.write(Buffer.from([1, 2, 3, 0x7e]));
    const tail = generator.nextFrame().frame;
    await writer.write(tail.subarray(0, 10));
    await writer.abort();
    const source = createDiagSource(`qmdl:${file}`, { pace: 'fast' });
    const chunks = await drain(source);
    expect(bytesOf(Buffer.concat(chunks.map((c) => c.frames)))).toEqual(bytesOf(Buffer.concat(good)));
    expect(source?.stats()).toMatchObject({ framesBad: 2, bytesSkipped: 4 + 10 });
  });

  it('replays at the recorded pace by message time, with the last message time of each chunk', async () => {
    const startTimeMs = Date.parse('2024-01-01T00:00:00Z');
    const capture = generateCapture({ seed: 13, messages: 12, startTimeMs, rateMessagesPerSecond: 50 });
    const file = path.join(dir, 'paced.qmdl');
    writeFileSync(file, capture);
    // The same file replayed fast, in this run: what reading and splitting it costs on this machine now.
    const fastStarted = Date.now();
    await drain(createDiagSource(`qmdl:${file}`, { pace: 'fast' }));
    const fastElapsed = Date.now() - fastStarted;
    const started = Date.now();
    const arrivals: number[] = [];
    const source = createDiagSource(`qmdl:${file}`);
    const chunks: DiagChunk[] = [];
    for await (const chunk of source?.chunks(new AbortController().signal) ?? []) {
      chunks.push(chunk);
      arrivals.push(Date.now() - started);
    }
    const elapsed = Date.now() - started;
    // 12 messages 20 ms apart span 220 ms. No chunk comes before its message time (a bound a slow
    // machine cannot break)...
    expect(elapsed).toBeGreaterThanOrEqual(200);
    chunks.forEach((chunk, i) =>
      expect(arrivals[i]).toBeGreaterThanOrEqual((chunk.lastMessageTimeMs ?? 0) - startTimeMs - MIN_WAIT_SLACK_MS),
    );
    // ...and the replay takes the span, not more: beyond it only what the fast replay of the same
    // file took in this run (scaled, as pacing reads the file in smaller steps) and timer slack.
    expect(elapsed).toBeLessThan(220 + 4 * fastElapsed + 1000);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks[chunks.length - 1]?.lastMessageTimeMs).toBeCloseTo(startTimeMs + 11 * 20, 3);
    const frames = new FrameSplitter().push(Buffer.concat(chunks.map((c) => c.frames)));
    expect(frames).toHaveLength(12);
  });

  it('caps long gaps (device clocks jump) and stops on abort while it waits', async () => {
    const a = generateCapture({ seed: 1, messages: 1, startTimeMs: Date.parse('2024-01-01T00:00:00Z') });
    const b = generateCapture({ seed: 2, messages: 1, startTimeMs: Date.parse('2024-01-01T01:00:00Z') });
    const file = path.join(dir, 'gap.qmdl');
    writeFileSync(file, Buffer.concat([a, b]));
    const capped = await drain(createDiagSource(`qmdl:${file}`, { maxReplayGapMs: 50 }));
    expect(capped.reduce((n, c) => n + c.frameCount, 0)).toBe(2);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // The gap is capped at an hour here: a source that did not stop on abort would outlast the test's timeout.
    const chunks = await drain(createDiagSource(`qmdl:${file}`, { maxReplayGapMs: 3_600_000 }), controller.signal);
    expect(chunks).toHaveLength(1);
  });

  it('fails on a missing file with QMDL_READ_FAILED', async () => {
    await expect(drain(createDiagSource(`qmdl:${path.join(dir, 'missing.qmdl')}`))).rejects.toMatchObject({
      code: 'QMDL_READ_FAILED',
    });
  });
});
