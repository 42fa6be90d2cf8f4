import { BufferGovernor, exposeGc } from './buffer-governor';

const MB = 1024 * 1024;

function governed(samples: number[], options: { minMajorIntervalMs?: number } = {}) {
  const calls: string[] = [];
  let clock = 0;
  const governor = new BufferGovernor({
    limitBytes: 16 * MB,
    arrayBufferBytes: () => samples.shift() ?? 0,
    collect: (o) => calls.push(o.type),
    now: () => clock,
    ...options,
  });
  return { governor, calls, advance: (ms: number) => (clock += ms) };
}

describe('BufferGovernor', () => {
  it('does nothing under the limit, and samples slowly while far under it', () => {
    const { governor, calls } = governed([0, 3 * MB, 5 * MB, 16 * MB]);
    expect([governor.tick(), governor.tick(), governor.tick(), governor.tick()]).toEqual([100, 100, 20, 20]);
    expect(calls).toEqual([]);
  });

  it('scavenges above the limit; a mark-compact only when a scavenge did not bring the bytes down', () => {
    const { governor, calls, advance } = governed([20 * MB, 4 * MB, 20 * MB, 19 * MB, 18 * MB, 2 * MB]);
    governor.tick(); // young garbage: scavenge
    governor.tick(); // it helped
    governor.tick(); // over again: scavenge first
    advance(20);
    governor.tick(); // still over: old garbage, mark-compact
    advance(20);
    governor.tick(); // the (incremental) mark-compact is under way: scavenge meanwhile
    governor.tick();
    expect(calls).toEqual(['minor', 'minor', 'major', 'minor']);
    expect(governor.stats).toEqual({
      limitBytes: 16 * MB,
      lastSampleBytes: 2 * MB,
      minor: 3,
      major: 1,
      failedSamples: 0,
    });
  });

  it('starts at most one mark-compact per interval', () => {
    const { governor, calls, advance } = governed(
      Array.from({ length: 8 }, () => 40 * MB),
      { minMajorIntervalMs: 250 },
    );
    for (let i = 0; i < 8; i++) {
      governor.tick();
      advance(20);
    }
    expect(calls.filter((c) => c === 'major')).toHaveLength(1);
    expect(calls.filter((c) => c === 'minor')).toHaveLength(7);
  });

  it('really frees dead buffers through V8', async () => {
    const gc = exposeGc();
    const before = process.memoryUsage().arrayBuffers;
    let garbage: Buffer[] | undefined = Array.from({ length: 64 }, () => Buffer.allocUnsafe(256 * 1024));
    expect(garbage).toHaveLength(64);
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(16 * MB);
    garbage = undefined;
    const governor = new BufferGovernor({ limitBytes: before + 8 * MB, collect: gc });
    // A generous deadline for the condition, not a speed: a loaded machine's background sweeper can take long.
    const deadline = Date.now() + 30_000;
    while (process.memoryUsage().arrayBuffers - before >= 8 * MB && Date.now() < deadline) {
      governor.tick();
      await new Promise((resolve) => setTimeout(resolve, 20)); // V8 frees backing stores on a background sweeper
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MB);
    expect(governor.stats.minor + governor.stats.major).toBeGreaterThan(0);
  });

  it('refuses a limit that is not positive', () => {
    expect(() => new BufferGovernor({ limitBytes: 0, collect: () => undefined })).toThrow(TypeError);
  });

  it('keeps sampling when a sample throws (EMFILE from process.memoryUsage), reporting each failure', async () => {
    const errors: unknown[] = [];
    let samples = 0;
    const governor = new BufferGovernor({
      limitBytes: 16 * MB,
      idleIntervalMs: 1,
      busyIntervalMs: 1,
      arrayBufferBytes: () => {
        samples += 1;
        if (samples <= 3)
          throw Object.assign(new Error('EMFILE: too many open files, uv_resident_set_memory'), { code: 'EMFILE' });
        return 0;
      },
      collect: () => undefined,
      onError: (error) => errors.push(error),
    }).start();
    try {
      for (let waited = 0; samples < 6 && waited < 10_000; waited += 5)
        await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      governor.stop();
    }
    expect(samples).toBeGreaterThanOrEqual(6);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['EMFILE', 'EMFILE', 'EMFILE']);
    expect(governor.stats.failedSamples).toBe(3);
  });
});
