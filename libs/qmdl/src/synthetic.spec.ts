import { parseDiagContainer } from './diag-container';
import { LOG_CODE_LTE_RRC_OTA, parseDiagLogMessage, parseLteRrcOtaBody } from './diag-message';
import { FrameSplitter } from './frame-splitter';
import { mulberry32 } from '@ledger/domain';
import { SyntheticDiagGenerator, generateCapture } from './synthetic';

describe('synthetic captures', () => {
  it('are deterministic: same seed, same bytes; another seed, other bytes', () => {
    const one = generateCapture({ seed: 42, messages: 300 });
    expect(generateCapture({ seed: 42, messages: 300 }).equals(one)).toBe(true);
    expect(generateCapture({ seed: 43, messages: 300 }).equals(one)).toBe(false);
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });

  it('are valid LTE RRC OTA log frames (ext header 20, realistic pdu_num, 20-400 byte payloads) with escapes, at the configured rate', () => {
    const startTimeMs = Date.parse('2024-03-01T00:00:00Z');
    const capture = generateCapture({ seed: 7, messages: 500, startTimeMs, rateMessagesPerSecond: 100 });
    const splitter = new FrameSplitter();
    const frames = splitter.push(capture);
    expect(frames).toHaveLength(500);
    expect(splitter.stats().framesBad).toBe(0);
    const sizes: number[] = [];
    let escaped = 0;
    frames.forEach((frame, i) => {
      if (frame.raw.includes(0x7d)) escaped++;
      const message = parseDiagLogMessage(frame.payload);
      expect(message.logCode).toBe(LOG_CODE_LTE_RRC_OTA);
      expect(message.timeMs).toBeCloseTo(startTimeMs + i * 10, 3);
      const packet = parseLteRrcOtaBody(message.body);
      expect(packet.extHeaderVersion).toBe(20);
      expect([1, 2, 4, 5, 6, 7, 8, 9]).toContain(packet.pduNum);
      sizes.push(packet.payload.length);
    });
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(400);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeGreaterThan(300);
    expect(escaped).toBeGreaterThan(100);
  });

  it('groups messages into /dev/diag containers of a few frames', () => {
    const generator = new SyntheticDiagGenerator({ seed: 3, maxMessagesPerContainer: 4 });
    for (let i = 0; i < 50; i++) {
      const c = generator.nextContainer();
      const parsed = parseDiagContainer(c.container);
      expect(parsed.dataType).toBe(32);
      expect(parsed.messages).toHaveLength(c.frameCount);
      expect(c.frameCount).toBeGreaterThanOrEqual(1);
      expect(c.frameCount).toBeLessThanOrEqual(4);
      expect(Buffer.concat(parsed.messages as Buffer[])).toEqual(c.frames);
      const last = parsed.messages[parsed.messages.length - 1] as Buffer;
      const [frame] = new FrameSplitter().push(last);
      expect(parseDiagLogMessage(frame?.payload ?? Buffer.alloc(0)).timeMs).toBe(c.lastMessageTimeMs);
    }
  });
});
