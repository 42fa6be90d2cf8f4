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
import { QmdlFileDiagSource } from './qmdl-file-source';

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
    // A virtual clock: time moves only when the replay sleeps, so the schedule is exact whatever
    // the machine's load (reading and splitting the file cost no virtual time).
    let now = 1_000_000;
    const sleeps: number[] = [];
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
        return true;
      },
    };
    const source = new QmdlFileDiagSource({
      spec: `qmdl:${file}`,
      path: file,
      pace: 'realtime',
      maxReplayGapMs: 5000,
      clock,
    });
    const chunks: DiagChunk[] = [];
    const arrivals: number[] = [];
    const started = now;
    for await (const chunk of source.chunks(new AbortController().signal)) {
      chunks.push(chunk);
      arrivals.push(now - started);
    }
    // 12 messages 20 ms apart span 220 ms: the replay sleeps exactly that in all, each sleep at
    // least the minimum wait, and every chunk comes at its last message's time, neither before nor after.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(220);
    expect(now - started).toBe(220);
    sleeps.forEach((ms) => expect(ms).toBeGreaterThanOrEqual(2));
    chunks.forEach((chunk, i) => expect(arrivals[i]).toBe((chunk.lastMessageTimeMs ?? 0) - startTimeMs));
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
