import { createDiagSource, diagSourceFactory } from './create-diag-source';
import { errorCodeOf } from '@ledger/domain';

describe('createDiagSource', () => {
  it("gives no source for 'none'", () => {
    expect(createDiagSource('none')).toBeUndefined();
  });

  it('accepts every documented spec and keeps it as the source spec', () => {
    for (const spec of [
      'synthetic',
      'synthetic:rate=2000,seed=7',
      'synthetic:rate=0,pace=fast',
      'qmdl:/tmp/x.qmdl.gz',
      'qmdl:/tmp/x.qmdl?pace=fast',
      'fifo:/tmp/diag.fifo',
      'tcp:127.0.0.1:4000',
      'tcp:localhost:1',
      'tcp:[::1]:65535',
    ]) {
      expect(createDiagSource(spec)?.spec).toBe(spec);
    }
  });

  it('refuses malformed specs with INVALID_SOURCE', () => {
    for (const spec of [
      '',
      'bogus',
      'none:x',
      'synthetic:rate=-1',
      'synthetic:rate=abc',
      'synthetic:speed=3',
      'synthetic:rate',
      'synthetic:seed=1.5',
      'synthetic:rate=1,rate=2',
      'qmdl:',
      'qmdl:?pace=fast',
      'qmdl:/x?pace=slow',
      'qmdl:/x?foo=1',
      'fifo:',
      'tcp:',
      'tcp:host',
      'tcp:host:0',
      'tcp:host:70000',
      'tcp::80',
      'tcp:[nothost]:80',
      'tcp:a:b',
    ]) {
      expect([spec, errorCodeOf(() => createDiagSource(spec))]).toEqual([spec, 'INVALID_SOURCE']);
    }
  });

  it('starts every source with zeroed stats', () => {
    expect(createDiagSource('tcp:127.0.0.1:9')?.stats()).toEqual({
      framesOk: 0,
      framesBad: 0,
      bytesSkipped: 0,
      reconnects: 0,
    });
  });

  it('parses a spec once into a factory of independent sources, each with its own clock offset', async () => {
    const sources = diagSourceFactory(' synthetic:rate=0,seed=3 ');
    expect(sources?.spec).toBe('synthetic:rate=0,seed=3');
    const first = sources?.create();
    const second = sources?.create({ clockOffsetMs: 3_600_000 });
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
    expect(second?.spec).toBe('synthetic:rate=0,seed=3');
    const firstTime = async (source: typeof first): Promise<number> => {
      const controller = new AbortController();
      for await (const chunk of source?.chunks(controller.signal) ?? []) {
        controller.abort();
        return chunk.lastMessageTimeMs ?? Number.NaN;
      }
      return Number.NaN;
    };
    const started = Date.now();
    expect(await firstTime(first)).toBeLessThan(started + 3_600_000);
    expect(await firstTime(second)).toBeGreaterThanOrEqual(started + 3_600_000);
    // Each source counts its own frames.
    expect(first?.stats().framesOk).toBeGreaterThan(0);
    expect(sources?.create().stats().framesOk).toBe(0);
  });

  it("refuses a malformed spec when it is parsed, and has no factory for 'none'", () => {
    expect(diagSourceFactory('none')).toBeUndefined();
    expect(errorCodeOf(() => diagSourceFactory('synthetic:rate=-1'))).toBe('INVALID_SOURCE');
    expect(errorCodeOf(() => diagSourceFactory('tcp:host:0'))).toBe('INVALID_SOURCE');
  });
});
