import {
  DIAG_EPOCH_MS,
  LOG_CODE_LTE_RRC_OTA,
  buildDiagLogMessage,
  buildLteRrcOtaBody,
  diagLogTimeMs,
  diagTimestampToEpochMs,
  epochMsToDiagTimestamp,
  parseDiagLogMessage,
  parseLteRrcOtaBody,
  parseLteRrcOtaBodyAnyVersion,
  unwrapMultiRadio,
  type LteRrcOtaPacket,
} from './diag-message';
import { decodeHdlcFrame, encodeHdlcFrame } from './hdlc';
import { DIAG_FRAME_VECTOR } from './test-vectors';
import { errorCodeOf } from '@ledger/domain';

describe('diag log messages', () => {
  it('parses the 39-byte vector as an LTE RRC OTA log message (0xB0C0) of 2023-12-06T04:04:26.227Z', () => {
    const message = parseDiagLogMessage(decodeHdlcFrame(DIAG_FRAME_VECTOR));
    expect(message).toMatchObject({ pending: 0, outerLength: 32, innerLength: 32, logCode: LOG_CODE_LTE_RRC_OTA });
    expect(message.timestamp).toBe(0x0102237687f5a51an);
    expect(new Date(message.timeMs).toISOString()).toBe('2023-12-06T04:04:26.227Z');
    expect(message.body.length).toBe(20);
    expect(parseLteRrcOtaBody(message.body)).toEqual({
      extHeaderVersion: 20,
      rrcRelMaj: 14,
      rrcRelMin: 48,
      bearerId: 0,
      phyCellId: 160,
      earfcn: 2050,
      sfnSubfn: 4057,
      pduNum: 5,
      sibMask: 0,
      payload: Buffer.from([0x0a]),
    });
  });

  it('rebuilds the vector byte for byte from its parsed fields', () => {
    const message = parseDiagLogMessage(decodeHdlcFrame(DIAG_FRAME_VECTOR));
    const body = buildLteRrcOtaBody(parseLteRrcOtaBody(message.body));
    const rebuilt = buildDiagLogMessage({ logCode: message.logCode, timestamp: message.timestamp, body });
    expect(encodeHdlcFrame(rebuilt)).toEqual(DIAG_FRAME_VECTOR);
  });

  it('converts timestamps: upper 48 bits x 1.25 ms + lower 16 bits / 40960 ms since 1980-01-06', () => {
    expect(DIAG_EPOCH_MS).toBe(Date.parse('1980-01-06T00:00:00Z'));
    expect(diagTimestampToEpochMs(0n)).toBe(DIAG_EPOCH_MS);
    expect(diagTimestampToEpochMs(1n << 16n)).toBe(DIAG_EPOCH_MS + 1.25);
    expect(diagTimestampToEpochMs(40960n)).toBe(DIAG_EPOCH_MS + 1);
    expect(diagTimestampToEpochMs((4n << 16n) | 20480n)).toBe(DIAG_EPOCH_MS + 5.5);
    // Whole milliseconds round-trip exactly, both ways.
    for (const ms of [
      DIAG_EPOCH_MS,
      DIAG_EPOCH_MS + 1,
      DIAG_EPOCH_MS + 3,
      Date.parse('2024-05-01T12:34:56.789Z'),
      Date.parse('2031-01-01T00:00:00.001Z'),
    ]) {
      const ts = epochMsToDiagTimestamp(ms);
      expect(ts & 0xffffn).toBeLessThan(51200n);
      expect(diagTimestampToEpochMs(ts)).toBe(ms);
      expect(epochMsToDiagTimestamp(diagTimestampToEpochMs(ts))).toBe(ts);
    }
  });

  it('refuses to encode times before the diag epoch or non-finite (TypeError)', () => {
    expect(() => epochMsToDiagTimestamp(DIAG_EPOCH_MS - 1)).toThrow(TypeError);
    expect(() => epochMsToDiagTimestamp(Number.NaN)).toThrow(TypeError);
    expect(() => diagTimestampToEpochMs(-1n)).toThrow(TypeError);
  });

  it('builds messages with outer and inner length = total - 4, and reads them back', () => {
    const timeMs = Date.parse('2024-02-29T23:59:59.500Z');
    const message = buildDiagLogMessage({ logCode: 0x1234, timeMs, body: Buffer.from('hello'), pending: 3 });
    expect(message.length).toBe(21);
    expect(message.readUInt16LE(2)).toBe(17);
    expect(message.readUInt16LE(4)).toBe(17);
    const parsed = parseDiagLogMessage(message);
    expect(parsed).toMatchObject({ pending: 3, logCode: 0x1234, timeMs, body: Buffer.from('hello') });
    expect(diagLogTimeMs(message)).toBe(timeMs);
    expect(() => buildDiagLogMessage({ logCode: 1, body: Buffer.alloc(0) })).toThrow(TypeError);
  });

  it('reports non-log and short messages by code; diagLogTimeMs just says undefined', () => {
    expect(errorCodeOf(() => parseDiagLogMessage(Buffer.from([0x4b, 0, 0, 0])))).toBe('DIAG_NOT_LOG');
    expect(errorCodeOf(() => parseDiagLogMessage(Buffer.from([0x10, 0, 12, 0])))).toBe('DIAG_TRUNCATED');
    const message = decodeHdlcFrame(DIAG_FRAME_VECTOR);
    expect(errorCodeOf(() => parseDiagLogMessage(message.subarray(0, 30)))).toBe('DIAG_TRUNCATED');
    expect(diagLogTimeMs(Buffer.from([0x4b, 0, 0, 0]))).toBeUndefined();
    expect(diagLogTimeMs(message.subarray(0, 10))).toBeUndefined();
  });
});

describe('LTE RRC OTA bodies', () => {
  const packet: LteRrcOtaPacket = {
    extHeaderVersion: 20,
    rrcRelMaj: 15,
    rrcRelMin: 48,
    bearerId: 2,
    phyCellId: 503,
    earfcn: 66486,
    sfnSubfn: 0xabcd,
    pduNum: 8,
    sibMask: 0x12345678,
    payload: Buffer.from([0x7e, 0x7d, 1, 2, 3]),
  };

  it('round-trips every field', () => {
    const body = buildLteRrcOtaBody(packet);
    expect(body.length).toBe(19 + 5);
    expect(parseLteRrcOtaBody(body)).toEqual(packet);
  });

  it('reads u16 and u32 fields whole when their top bits are set, and payload lengths above 255', () => {
    const wide: LteRrcOtaPacket = {
      ...packet,
      phyCellId: 0xfedc,
      earfcn: 0xfedcba98,
      sfnSubfn: 0x8765,
      sibMask: 0x89abcdef,
      payload: Buffer.alloc(0x1a5, 0xa5),
    };
    expect(parseLteRrcOtaBody(buildLteRrcOtaBody(wide))).toEqual(wide);
  });

  it('refuses ext header versions outside 8-24 and truncated bodies, by code', () => {
    const body = buildLteRrcOtaBody(packet);
    const old = Buffer.from(body);
    old[0] = 7;
    expect(errorCodeOf(() => parseLteRrcOtaBody(old))).toBe('LTE_RRC_UNSUPPORTED_VERSION');
    expect(errorCodeOf(() => parseLteRrcOtaBody(body.subarray(0, 10)))).toBe('LTE_RRC_TRUNCATED');
    expect(errorCodeOf(() => parseLteRrcOtaBody(body.subarray(0, body.length - 1)))).toBe('LTE_RRC_TRUNCATED');
    expect(() => buildLteRrcOtaBody({ ...packet, extHeaderVersion: 25 })).toThrow(TypeError);
    expect(() => buildLteRrcOtaBody({ ...packet, phyCellId: 70000 })).toThrow(TypeError);
  });
});

describe('LTE RRC OTA bodies of other ext header versions', () => {
  it('reads each version in its own layout: u16 EARFCN and no SIB mask (0–4), u16 EARFCN (5–7), NR release bytes (25+)', () => {
    const payload = [0xaa, 0xbb];
    // version, rel maj/min, [nr maj/min], bearer, pci u16, earfcn u16|u32, sfn_subfn u16, pdu, [sib_mask u32], len u16, payload
    const v3 = Buffer.from([3, 9, 1, 2, 0x10, 0x00, 0x34, 0x12, 0x21, 0x43, 5, 2, 0, ...payload]);
    const v6 = Buffer.from([6, 9, 1, 2, 0x10, 0x00, 0x34, 0x12, 0x21, 0x43, 5, 1, 0, 0, 0, 2, 0, ...payload]);
    const v26 = Buffer.from([
      26,
      15,
      1,
      16,
      2,
      3,
      0x10,
      0x00,
      0x0c,
      0xd5,
      0,
      0,
      0x21,
      0x43,
      7,
      0,
      0,
      0,
      0,
      2,
      0,
      ...payload,
    ]);
    const pick = (p: LteRrcOtaPacket): unknown[] => [
      p.extHeaderVersion,
      p.bearerId,
      p.phyCellId,
      p.earfcn,
      p.sfnSubfn,
      p.pduNum,
      p.sibMask,
      p.nrRrcRelMaj,
      p.nrRrcRelMin,
      p.payload.toString('hex'),
    ];
    expect(pick(parseLteRrcOtaBodyAnyVersion(v3))).toEqual([
      3,
      2,
      16,
      0x1234,
      0x4321,
      5,
      0,
      undefined,
      undefined,
      'aabb',
    ]);
    expect(pick(parseLteRrcOtaBodyAnyVersion(v6))).toEqual([
      6,
      2,
      16,
      0x1234,
      0x4321,
      5,
      1,
      undefined,
      undefined,
      'aabb',
    ]);
    expect(pick(parseLteRrcOtaBodyAnyVersion(v26))).toEqual([26, 3, 16, 54540, 0x4321, 7, 0, 16, 2, 'aabb']);
    expect(errorCodeOf(() => parseLteRrcOtaBodyAnyVersion(v26.subarray(0, 20)))).toBe('LTE_RRC_TRUNCATED');
    expect(errorCodeOf(() => parseLteRrcOtaBody(v26))).toBe('LTE_RRC_UNSUPPORTED_VERSION');
  });

  it('opens the multi-radio wrapper (0x98) and nothing else', () => {
    const inner = buildDiagLogMessage({
      logCode: LOG_CODE_LTE_RRC_OTA,
      body: Buffer.from([1]),
      timeMs: Date.UTC(2024, 0, 1),
    });
    const wrapped = Buffer.concat([Buffer.from([0x98, 1, 0, 0, 2, 0, 0, 0]), inner]);
    expect(unwrapMultiRadio(wrapped)).toEqual({ radioId: 2, inner });
    expect(unwrapMultiRadio(inner)).toBeUndefined();
    expect(unwrapMultiRadio(wrapped.subarray(0, 8))).toBeUndefined();
  });
});
