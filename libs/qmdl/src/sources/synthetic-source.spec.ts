import { parseDiagLogMessage, parseLteRrcOtaBody } from '../diag-message';
import { FrameSplitter } from '../frame-splitter';
import { createDiagSource } from './create-diag-source';
import type { DiagChunk } from './diag-source';

async function take(spec: string, count: number, options = {}): Promise<{ chunks: DiagChunk[]; ms: number }> {
  const source = createDiagSource(spec, options);
  if (!source) throw new Error('no source');
  const controller = new AbortController();
  const chunks: DiagChunk[] = [];
  const started = Date.now();
  for await (const chunk of source.chunks(controller.signal)) {
    chunks.push(chunk);
    if (chunks.length >= count) controller.abort();
  }
  return { chunks, ms: Date.now() - started };
}

describe('synthetic source', () => {
  it('yields valid frames with the stated count and last message time', async () => {
    const { chunks } = await take('synthetic:rate=0,seed=3', 50);
    expect(chunks).toHaveLength(50);
    for (const chunk of chunks) {
      const splitter = new FrameSplitter();
      const frames = splitter.push(chunk.frames);
      expect(frames).toHaveLength(chunk.frameCount);
      expect(splitter.stats().framesBad).toBe(0);
      expect(chunk.lastMessageTimeMs).toBeDefined();
    }
  });

  it('is deterministic for a seed (same frames, whatever the pace)', async () => {
    const one = await take('synthetic:rate=0,seed=9', 20);
    const two = await take('synthetic:seed=9,pace=fast', 20, { rateMessagesPerSecond: 5 });
    // Timestamps differ (they start at the wall clock); the RRC messages do not.
    const rrc = (chunks: DiagChunk[]) =>
      chunks.flatMap((c) =>
        new FrameSplitter()
          .push(c.frames)
          .map((f) => parseLteRrcOtaBody(parseDiagLogMessage(f.payload).body).payload.toString('hex')),
      );
    expect(rrc(one.chunks)).toEqual(rrc(two.chunks));
    expect(one.chunks.map((c) => c.frameCount)).toEqual(two.chunks.map((c) => c.frameCount));
  });

  it('paces messages at the configured rate in realtime', async () => {
    const started = Date.now();
    const { chunks, ms } = await take('synthetic:rate=200,seed=1', 30);
    const messages = chunks.reduce((n, c) => n + c.frameCount, 0);
    // 200 msg/s → 5 ms per message; allow generous slack for a shared machine.
    expect(ms).toBeGreaterThanOrEqual((messages - 6) * 5 * 0.8);
    const times = chunks.map((c) => c.lastMessageTimeMs ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Stamped from the wall clock of the run, and never ahead of it: a chunk comes when its time has come.
    expect(times[0]).toBeGreaterThanOrEqual(started);
    expect(times[times.length - 1]).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('stamps messages with the clock offset it is given, and paces by the same clock', async () => {
    const offset = 3_600_000;
    const started = Date.now();
    // Paced by the unshifted clock, it would wait an hour for the first message (the test's timeout fails that).
    const { chunks } = await take('synthetic:rate=200,seed=1', 10, { clockOffsetMs: offset });
    const times = chunks.map((c) => c.lastMessageTimeMs ?? 0);
    expect(times[0]).toBeGreaterThanOrEqual(started + offset);
    expect(times[times.length - 1]).toBeLessThanOrEqual(Date.now() + offset + 1);
  });

  it('stops when aborted while waiting for the next message', async () => {
    // One message every ~17 minutes: a source that did not stop on abort would outlast the test's timeout.
    const source = createDiagSource('synthetic:rate=0.001');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const chunks: DiagChunk[] = [];
    for await (const chunk of source?.chunks(controller.signal) ?? []) chunks.push(chunk);
    expect(chunks.length).toBeLessThanOrEqual(1);
  });
});
