import { FrameSplitter, joinFrames, type HdlcFrame, type ScannedFrame } from './frame-splitter';
import { encodeHdlcFrame } from './hdlc';
import { mulberry32 } from '@ledger/domain';
import { generateCapture } from './synthetic';

function payloads(frames: ReadonlyArray<Pick<HdlcFrame, 'raw' | 'payload'>>): string[] {
  return frames.map((f) => f.payload.toString('hex'));
}

const a = encodeHdlcFrame(Buffer.from('first frame'));
const b = encodeHdlcFrame(Buffer.from([0x7e, 0x7d, 0x7e, 1, 2]));
const c = encodeHdlcFrame(Buffer.from('third'));

describe('FrameSplitter', () => {
  it('splits frames back to back, in any chunking, and keeps the raw bytes', () => {
    const capture = generateCapture({ seed: 5, messages: 200 });
    const whole = new FrameSplitter().push(capture);
    expect(whole).toHaveLength(200);
    expect(joinFrames(whole).equals(capture)).toBe(true);
    const random = mulberry32(9);
    const splitter = new FrameSplitter();
    const pieces: HdlcFrame[] = [];
    for (let at = 0; at < capture.length;) {
      const n = 1 + Math.floor(random() * 700);
      pieces.push(...splitter.push(capture.subarray(at, at + n)));
      at += n;
    }
    splitter.end();
    expect(payloads(pieces)).toEqual(payloads(whole));
    expect(Buffer.concat(pieces.map((f) => f.raw)).equals(capture)).toBe(true);
    expect(splitter.stats()).toEqual({ framesOk: 200, framesBad: 0, bytesSkipped: 0 });
  });

  it('keeps every payload it returned intact while later frames are unescaped', () => {
    const random = mulberry32(3);
    const expected: Buffer[] = [];
    const stream: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      // Escape-heavy payloads of up to 2 KiB: every one takes the unescaping path.
      const payload = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 2048) }, () =>
          random() < 0.2 ? 0x7d + Math.floor(random() * 2) : Math.floor(random() * 256),
        ),
      );
      expected.push(payload);
      stream.push(encodeHdlcFrame(payload));
      if (random() < 0.01) stream.push(Buffer.from([0x7d, 0x7d, 0x7e])); // a bad escape between them
    }
    const capture = Buffer.concat(stream);
    const splitter = new FrameSplitter();
    const got: HdlcFrame[] = [];
    for (let at = 0; at < capture.length; at += 4096) got.push(...splitter.push(capture.subarray(at, at + 4096)));
    expect(got.map((f) => f.payload.toString('hex'))).toEqual(expected.map((p) => p.toString('hex')));
    expect(splitter.stats().framesOk).toBe(3000);
  });

  it('re-synchronises at the next 0x7E after garbage, counting what it skipped', () => {
    const garbage = Buffer.from([0x01, 0x02, 0x7d, 0x99, 0x7e]);
    const splitter = new FrameSplitter();
    const frames = splitter.push(Buffer.concat([a, garbage, b, Buffer.from([0xaa, 0xbb, 0xcc, 0x7e]), c]));
    expect(payloads(frames)).toEqual(
      payloads([
        { raw: a, payload: Buffer.from('first frame') },
        { raw: b, payload: Buffer.from([0x7e, 0x7d, 0x7e, 1, 2]) },
        { raw: c, payload: Buffer.from('third') },
      ]),
    );
    expect(splitter.stats()).toEqual({ framesOk: 3, framesBad: 2, bytesSkipped: garbage.length + 4 });
  });

  it('loses only the frame that garbage runs into (no leading flag to resync on)', () => {
    const splitter = new FrameSplitter();
    const frames = splitter.push(Buffer.concat([Buffer.from([9, 9, 9]), a, b]));
    expect(frames.map((f) => f.raw)).toEqual([b]);
    expect(splitter.stats()).toEqual({ framesOk: 1, framesBad: 1, bytesSkipped: 3 + a.length });
  });

  it('skips lone flags without counting a bad frame', () => {
    const splitter = new FrameSplitter();
    expect(splitter.push(Buffer.concat([Buffer.from([0x7e, 0x7e]), a]))).toHaveLength(1);
    expect(splitter.stats()).toEqual({ framesOk: 1, framesBad: 0, bytesSkipped: 2 });
  });

  it('counts a partial last frame as bad at end of stream, never throws', () => {
    const splitter = new FrameSplitter();
    expect(splitter.push(Buffer.concat([a, b.subarray(0, 4)]))).toHaveLength(1);
    expect(splitter.bufferedBytes).toBe(4);
    expect(splitter.end()).toEqual([]);
    expect(splitter.stats()).toEqual({ framesOk: 1, framesBad: 1, bytesSkipped: 4 });
    // Reusable after end(): the next stream starts clean.
    expect(splitter.push(c)).toHaveLength(1);
  });

  it('bounds memory: a run longer than maxFrameBytes is dropped up to the next flag', () => {
    const splitter = new FrameSplitter({ maxFrameBytes: 100 });
    const junk = Buffer.alloc(1000, 0x55);
    for (let i = 0; i < 10; i++) {
      expect(splitter.push(junk.subarray(i * 100, i * 100 + 100))).toEqual([]);
      expect(splitter.bufferedBytes).toBeLessThanOrEqual(100);
    }
    const frames = splitter.push(Buffer.concat([Buffer.from([0x7e]), a]));
    expect(frames.map((f) => f.raw)).toEqual([a]);
    expect(splitter.stats()).toEqual({ framesOk: 1, framesBad: 1, bytesSkipped: 1001 });
    // An over-long run ending inside a single chunk is dropped too.
    splitter.push(Buffer.concat([Buffer.alloc(150, 1), Buffer.from([0x7e]), c]));
    expect(splitter.stats()).toEqual({ framesOk: 2, framesBad: 2, bytesSkipped: 1001 + 151 });
  });

  it('scan hands each frame over as positions, and the bytes they point to stay intact after later chunks', () => {
    const random = mulberry32(11);
    const expected: Array<{ payload: string; raw: string; offset: number }> = [];
    const stream: Buffer[] = [];
    let offset = 0;
    for (let i = 0; i < 400; i++) {
      // Escapes in about half of the payloads; damage between them now and then.
      const payload = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)),
      );
      const frame = encodeHdlcFrame(payload);
      expected.push({ payload: payload.toString('hex'), raw: frame.toString('hex'), offset });
      stream.push(frame);
      offset += frame.length;
      if (random() < 0.05) {
        stream.push(Buffer.from([0x01, 0x7d, 0x02, 0x7e]));
        offset += 4;
      }
    }
    const capture = Buffer.concat(stream);
    for (const size of [1, 5, 333, 4096, capture.length]) {
      const scanned: Array<{ payload: Buffer; raw: Buffer; offset: number }> = [];
      const scanDamage: unknown[] = [];
      const scanning = new FrameSplitter({ onDamage: (d) => scanDamage.push(d) });
      const pushDamage: unknown[] = [];
      const pushing = new FrameSplitter({ onDamage: (d) => pushDamage.push(d) });
      for (let at = 0; at < capture.length; at += size) {
        const chunk = capture.subarray(at, at + size);
        pushing.push(chunk);
        scanning.scan(chunk, (f: ScannedFrame) =>
          scanned.push({
            payload: f.bytes.subarray(f.start, f.end),
            raw: f.raw.subarray(f.rawStart, f.rawEnd),
            offset: f.offset,
          }),
        );
      }
      scanning.end();
      pushing.end();
      // Compared only now: every payload taken during a call survived the chunks after it.
      expect(
        scanned.map((f) => ({ payload: f.payload.toString('hex'), raw: f.raw.toString('hex'), offset: f.offset })),
      ).toEqual(expected);
      expect(scanDamage).toHaveLength(stream.length - expected.length);
      expect(scanDamage).toEqual(pushDamage);
      expect(scanning.stats()).toEqual(pushing.stats());
      // Within a chunk, a frame without escapes is read where it lies.
      if (size >= 4096) expect(scanned.some((f) => f.payload.buffer === capture.buffer)).toBe(true);
    }
  });

  it('rejects a bad maxFrameBytes or chunk as a programming error', () => {
    expect(() => new FrameSplitter({ maxFrameBytes: 2 })).toThrow(TypeError);
    expect(() => new FrameSplitter().push('x' as unknown as Buffer)).toThrow(TypeError);
    expect(() => new FrameSplitter().scan('x' as unknown as Buffer, () => undefined)).toThrow(TypeError);
  });
});

describe('joinFrames', () => {
  it('returns adjacent frames of one buffer without copying, others concatenated', () => {
    const capture = Buffer.concat([a, b, c]);
    const frames = new FrameSplitter().push(capture);
    const joined = joinFrames(frames);
    expect(joined).toEqual(capture);
    expect(joined.buffer).toBe(capture.buffer);
    expect(joinFrames([frames[2] as HdlcFrame, frames[0] as HdlcFrame])).toEqual(Buffer.concat([c, a]));
    expect(joinFrames([]).length).toBe(0);
  });
});

describe('FrameSplitter positions', () => {
  it('gives every frame its stream offset and reports each damaged stretch with offset, length and reason, in any chunking', () => {
    const bad = Buffer.from(b);
    bad[0] = (bad[0] as number) ^ 0x01; // CRC no longer matches
    const long = Buffer.concat([Buffer.alloc(40, 0x11), Buffer.from([0x7e])]);
    const cut = a.subarray(0, 5);
    const stream = Buffer.concat([a, bad, c, long, a, cut]);
    const expectedFrames = [0, a.length + bad.length, a.length + bad.length + c.length + long.length];
    const expectedDamage = [
      { offset: a.length, length: bad.length, reason: 'HDLC_BAD_CRC' },
      { offset: a.length + bad.length + c.length, length: long.length, reason: 'FRAME_TOO_LONG' },
      { offset: stream.length - cut.length, length: cut.length, reason: 'FRAME_CUT' },
    ];
    for (const size of [1, 3, 17, stream.length]) {
      const damage: unknown[] = [];
      const splitter = new FrameSplitter({ maxFrameBytes: 32, onDamage: (d) => damage.push(d) });
      const frames: HdlcFrame[] = [];
      for (let at = 0; at < stream.length; at += size) frames.push(...splitter.push(stream.subarray(at, at + size)));
      splitter.end();
      expect(frames.map((f) => f.offset)).toEqual(expectedFrames);
      expect(damage).toEqual(expectedDamage);
    }
  });
});
