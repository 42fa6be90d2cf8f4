import { DIAG_EPOCH_MS, LOG_CODE_LTE_RRC_OTA, buildDiagLogMessage, decodeHdlcFrame } from '@ledger/qmdl';
import { decodeDiagMessage, diagTimestampToUnixMicros } from './decode';
import { gsmtapOf } from './gsmtap';
import { LTE_RRC_KNOWN_VERSIONS, lteRrcChannelOf } from './lte-rrc-channels';
import type { LteRrcChannel, RadioMessage } from './radio-message';
import { logFrame, multiRadioFrame, rrcBody } from './testing/capture-builder';

const at = { index: 1, offset: 0 };

function decodeBody(logCode: number, body: Buffer): ReturnType<typeof decodeDiagMessage> {
  return decodeDiagMessage(buildDiagLogMessage({ logCode, body, timeMs: Date.UTC(2024, 0, 1) }), at);
}

function rrc(options: Parameters<typeof rrcBody>[0]): RadioMessage & { kind: 'lte-rrc' } {
  const outcome = decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody(options));
  if (outcome.message?.kind !== 'lte-rrc') throw new Error(`not decoded: ${outcome.skipped}`);
  return outcome.message;
}

/** The PDU-number-to-channel tables of the original daemon's GSMTAP export, one row per group of versions. */
const ORDER: LteRrcChannel[] = ['BCCH-BCH', 'BCCH-DL-SCH', 'MCCH', 'PCCH', 'DL-CCCH', 'DL-DCCH', 'UL-CCCH', 'UL-DCCH'];
const NB: LteRrcChannel[] = [
  'BCCH-BCH-NB',
  'BCCH-DL-SCH-NB',
  'PCCH-NB',
  'DL-CCCH-NB',
  'DL-DCCH-NB',
  'UL-CCCH-NB',
  'UL-DCCH-NB',
];
const EXPECTED: Array<{ versions: number[]; pdus: Array<[number, LteRrcChannel]> }> = [
  { versions: [2, 3, 4, 6, 7, 8, 13, 22], pdus: ORDER.map((c, i) => [1 + i, c]) },
  { versions: [9, 12], pdus: ORDER.map((c, i) => [8 + i, c]) },
  { versions: [14, 15, 16], pdus: [1, 2, 4, 5, 6, 7, 8, 9].map((p, i) => [p, ORDER[i] as LteRrcChannel]) },
  {
    versions: [20, 24, 25],
    pdus: [
      ...[1, 2, 4, 5, 6, 7, 8, 9].map((p, i): [number, LteRrcChannel] => [p, ORDER[i] as LteRrcChannel]),
      ...[54, 55, 56, 57, 58, 59, 61].map((p, i): [number, LteRrcChannel] => [p, NB[i] as LteRrcChannel]),
    ],
  },
  {
    versions: [19, 26, 27],
    pdus: [
      ...[1, 3, 6, 7, 8, 9, 10, 11].map((p, i): [number, LteRrcChannel] => [p, ORDER[i] as LteRrcChannel]),
      ...[45, 46, 47, 48, 49, 50, 52].map((p, i): [number, LteRrcChannel] => [p, NB[i] as LteRrcChannel]),
    ],
  },
];

describe('LTE RRC OTA: every layout version the original knows', () => {
  it('knows exactly the versions of the original tables', () => {
    expect(LTE_RRC_KNOWN_VERSIONS).toEqual(EXPECTED.flatMap((g) => g.versions).sort((a, b) => a - b));
  });

  for (const group of EXPECTED) {
    it(`maps every PDU number of versions ${group.versions.join(', ')} to its channel, in the version's own body layout`, () => {
      for (const version of group.versions) {
        for (const [pdu, channel] of group.pdus) {
          expect([version, pdu, rrc({ version, pdu, earfcn: 1850, sfnSubfn: 0x1234 }).channel]).toEqual([
            version,
            pdu,
            channel,
          ]);
          expect(lteRrcChannelOf(version, pdu)).toBe(channel);
        }
        const fields = rrc({
          version,
          pdu: group.pdus[0]?.[0] as number,
          earfcn: 1850,
          sfnSubfn: 0x1234,
          pci: 321,
          payload: Buffer.from([1, 2, 3]),
        });
        expect([fields.earfcn, fields.sfn, fields.subframe, fields.phyCellId, fields.payload.toString('hex')]).toEqual([
          1850,
          0x123,
          4,
          321,
          '010203',
        ]);
      }
    });
  }

  it("v24: sfn_subfn 56329 gives frame number 3520, sub-slot 9; PDU 5 is PCCH, GSMTAP sub-type 6 (the original's vector)", () => {
    const gsmtap = gsmtapOf(rrc({ version: 24, pdu: 5, sfnSubfn: 56329 }));
    expect({ frame: gsmtap.frameNumber, subslot: gsmtap.subslot, type: gsmtap.type, subtype: gsmtap.subtype }).toEqual({
      frame: 3520,
      subslot: 9,
      type: 0x0d,
      subtype: 6,
    });
  });

  it("v19: PDU 50 is UL-CCCH-NB, GSMTAP sub-type 16 (the original's vector)", () => {
    expect(gsmtapOf(rrc({ version: 19, pdu: 50 })).subtype).toBe(16);
  });

  it('EARFCN 54540 (above 14 bits) becomes ARFCN 54540 & 0x3FFF, in the u32 and the NR-release layouts', () => {
    expect(gsmtapOf(rrc({ version: 24, pdu: 2, earfcn: 54540 })).arfcn).toBe(54540 & 0x3fff);
    expect(gsmtapOf(rrc({ version: 26, pdu: 3, earfcn: 54540 })).arfcn).toBe(54540 & 0x3fff);
  });

  it('gives the libosmocore sub-types for every channel', () => {
    const subtypes = [1, 2, 3, 4, 5, 6, 7, 8].map((pdu) => gsmtapOf(rrc({ version: 8, pdu })).subtype);
    // BCCH-BCH 4, BCCH-DL-SCH 5, MCCH 7, PCCH 6, DL-CCCH 0, DL-DCCH 1, UL-CCCH 2, UL-DCCH 3
    expect(subtypes).toEqual([4, 5, 7, 6, 0, 1, 2, 3]);
    const nb = [54, 55, 56, 57, 58, 59, 61].map((pdu) => gsmtapOf(rrc({ version: 20, pdu })).subtype);
    expect(nb).toEqual([18, 20, 21, 14, 15, 16, 17]);
  });

  it('counts an unknown version or PDU number as a skip reason instead of failing', () => {
    expect(decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 10, pdu: 1 })).skipped).toBe('LTE_RRC_UNKNOWN_VERSION');
    expect(decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 28, pdu: 1 })).skipped).toBe('LTE_RRC_UNKNOWN_VERSION');
    expect(decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 20, pdu: 3 })).skipped).toBe('LTE_RRC_UNKNOWN_PDU');
    expect(decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 9, pdu: 1 })).skipped).toBe('LTE_RRC_UNKNOWN_PDU');
    expect(decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 20, pdu: 2 }).subarray(0, 12)).skipped).toBe(
      'MESSAGE_TRUNCATED',
    );
    expect(decodeBody(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 20, pdu: 2, payload: Buffer.alloc(0) })).skipped).toBe(
      'EMPTY_PAYLOAD',
    );
  });

  it('reads the 39-byte test frame of the QMDL test vectors: v20, PDU 5 → PCCH, EARFCN 2050, PCI 160', () => {
    const frame = Buffer.from([
      16, 0, 32, 0, 32, 0, 192, 176, 26, 165, 245, 135, 118, 35, 2, 1, 20, 14, 48, 0, 160, 0, 2, 8, 0, 0, 217, 15, 5, 0,
      0, 0, 0, 1, 0, 10, 13, 196, 126,
    ]);
    const message = decodeDiagMessage(decodeHdlcFrame(frame), at).message;
    expect(message).toMatchObject({
      kind: 'lte-rrc',
      channel: 'PCCH',
      earfcn: 2050,
      phyCellId: 160,
      sfn: 4057 >> 4,
      subframe: 4057 & 0xf,
    });
    const raw = 72659535985485082n; // bytes 8–15 of the frame, little-endian
    expect(message?.timestamp).toBe(raw);
    expect(BigInt(message?.timeUs ?? 0)).toBe(
      BigInt(DIAG_EPOCH_MS) * 1000n + (raw >> 16n) * 1250n + ((raw & 0xffffn) * 1000n) / 40960n,
    );
    expect(Math.floor((message?.timeUs ?? 0) / 1000)).toBe(Date.UTC(2023, 11, 6, 4, 4, 26, 227));
  });
});

describe('diag time', () => {
  it('is upper 48 bits × 1.25 ms + lower 16 bits ÷ 40960 ms from 1980-01-06, in whole microseconds rounded down', () => {
    for (const raw of [0n, 1n, 40959n, 65535n, (1n << 16n) | 12345n, 72659535985485082n, 0xffffffffffffn << 16n]) {
      // Reference in exact rational arithmetic: µs = epoch + upper·1250 + lower·1000/40960.
      const upper = raw >> 16n;
      const lower = raw & 0xffffn;
      const expected = BigInt(DIAG_EPOCH_MS) * 1000n + upper * 1250n + (lower * 1000n) / 40960n;
      if (expected <= BigInt(Number.MAX_SAFE_INTEGER)) expect(BigInt(diagTimestampToUnixMicros(raw))).toBe(expected);
    }
    const decoded = decodeDiagMessage(
      buildDiagLogMessage({ logCode: 0xb0e2, body: Buffer.from([1, 2, 3, 4, 7]), timestamp: 72659535985485082n }),
      at,
    ).message;
    expect(decoded?.timeUs).toBe(diagTimestampToUnixMicros(72659535985485082n));
  });

  it('keeps the raw u64 exactly, the top bit of either half set or not', () => {
    for (const raw of [
      0n,
      0xffffffffn,
      0x100000000n,
      0x8000000000000000n,
      0x80000000ffffffffn,
      0xfedcba9876543210n,
      0xffffffffffffffffn,
    ]) {
      const message = buildDiagLogMessage({ logCode: 0xb0e2, body: Buffer.from([1, 2, 3, 4, 7]), timestamp: raw });
      const decoded = decodeDiagMessage(message, at).message;
      expect([decoded?.timestamp, decoded?.timeUs]).toEqual([raw, diagTimestampToUnixMicros(raw)]);
    }
  });
});

describe('LTE NAS plain messages', () => {
  it('take their direction and protocol from the log code and drop the 4-byte log header', () => {
    const body = Buffer.from([1, 9, 0, 0, 0x07, 0x41, 0x72]);
    const got = [0xb0e2, 0xb0e3, 0xb0ec, 0xb0ed].map((code) => {
      const m = decodeBody(code, body).message;
      return m?.kind === 'lte-nas'
        ? [m.protocol, m.direction, m.payload.toString('hex'), gsmtapOf(m).type, gsmtapOf(m).uplink]
        : undefined;
    });
    expect(got).toEqual([
      ['esm', 'downlink', '074172', 0x12, false],
      ['esm', 'uplink', '074172', 0x12, true],
      ['emm', 'downlink', '074172', 0x12, false],
      ['emm', 'uplink', '074172', 0x12, true],
    ]);
    expect(decodeBody(0xb0ec, Buffer.from([1, 2])).skipped).toBe('MESSAGE_TRUNCATED');
    expect(decodeBody(0xb0ec, Buffer.from([1, 2, 3, 4])).skipped).toBe('EMPTY_PAYLOAD');
  });

  it('skips security-protected NAS and other log codes as not converted', () => {
    expect(decodeBody(0xb0ea, Buffer.from([1, 2, 3, 4, 5])).skipped).toBe('LOG_CODE_NOT_CONVERTED');
    expect(decodeBody(0xb0c1, Buffer.from([1, 2, 3, 4, 5])).skipped).toBe('LOG_CODE_NOT_CONVERTED');
  });
});

describe('the multi-radio wrapper (0x98)', () => {
  it('opens the 8-byte header and decodes the log message inside, keeping the radio id', () => {
    const wrapped = decodeHdlcFrame(multiRadioFrame(2, 0xb0ed, Buffer.from([1, 9, 0, 0, 0x07, 0x48])));
    expect(decodeDiagMessage(wrapped, at).message).toMatchObject({ kind: 'lte-nas', radioId: 2, direction: 'uplink' });
    const plain = decodeDiagMessage(
      decodeHdlcFrame(logFrame(0xb0ed, Buffer.from([1, 9, 0, 0, 0x07, 0x48]))),
      at,
    ).message;
    expect(plain?.radioId).toBeUndefined();
  });

  it('reads the radio id as a little-endian u32, top bit included', () => {
    const inner = buildDiagLogMessage({ logCode: 0xb0ed, body: Buffer.from([1, 9, 0, 0, 0x07, 0x48]), timestamp: 1n });
    const header = Buffer.from([0x98, 1, 0, 0, 0x04, 0x03, 0x02, 0x81]);
    expect(decodeDiagMessage(Buffer.concat([header, inner]), at).message?.radioId).toBe(0x81020304);
  });

  it('counts other diag commands as not log messages, and cut headers as truncated', () => {
    expect(decodeDiagMessage(Buffer.from([0x4b, 0x12, 0x0f, 0x02]), at).skipped).toBe('NOT_A_LOG_MESSAGE');
    expect(decodeDiagMessage(Buffer.from([0x98, 1, 0, 0, 1, 0, 0, 0, 0x7d, 0]), at).skipped).toBe('NOT_A_LOG_MESSAGE');
    expect(decodeDiagMessage(Buffer.from([0x10, 0, 20, 0, 20, 0]), at).skipped).toBe('MESSAGE_TRUNCATED');
    expect(decodeDiagMessage(Buffer.alloc(0), at).skipped).toBe('NOT_A_LOG_MESSAGE');
  });
});

describe('GSM RR signalling (0x512F) as GSMTAP Um', () => {
  const si4 = Buffer.from('31061c64f00011d6e54db90000b700432b2b2b2b2b2b2b', 'hex');

  function um(channelByte: number, payload: Buffer): ReturnType<typeof gsmtapOf> | string {
    const outcome = decodeBody(0x512f, Buffer.concat([Buffer.from([channelByte, 0x1c, payload.length]), payload]));
    return outcome.message === undefined ? outcome.skipped : gsmtapOf(outcome.message);
  }

  it('sends BCCH and CCCH as logged (with their L2 pseudo length), RACH as logged, downlink by bit 7', () => {
    expect(um(0x81, si4)).toMatchObject({ type: 1, subtype: 0x01, uplink: false, payload: [si4] });
    expect(um(0x83, si4)).toMatchObject({ type: 1, subtype: 0x02, uplink: false });
    expect(um(0x02, Buffer.from([0x1f]))).toMatchObject({ type: 1, subtype: 0x03, uplink: true });
  });

  it('gives DCCH a LAPDm UI header and SACCH an L1 header before it, with the length in LAPDm form', () => {
    const l3 = Buffer.from('060d00', 'hex');
    const dcch = um(0x00, l3);
    const sacch = um(0x84, l3);
    expect(
      typeof dcch === 'string' ? dcch : [dcch.subtype, dcch.uplink, Buffer.concat(dcch.payload).toString('hex')],
    ).toEqual([0x08, true, '01030d060d00']);
    expect(
      typeof sacch === 'string' ? sacch : [sacch.subtype, sacch.uplink, Buffer.concat(sacch.payload).toString('hex')],
    ).toEqual([0x88, false, '000001030d060d00']);
  });

  it('skips unknown channels, lengths that disagree with the bytes, and DCCH messages too long for LAPDm', () => {
    expect(um(0x85, si4)).toBe('GSM_RR_UNKNOWN_CHANNEL');
    expect(decodeBody(0x512f, Buffer.concat([Buffer.from([0x81, 0x1c, 30]), si4])).skipped).toBe('GSM_RR_BAD_LENGTH');
    expect(um(0x00, Buffer.alloc(64, 1))).toBe('GSM_RR_BAD_LENGTH');
    expect(decodeBody(0x512f, Buffer.from([0x81, 0x1c])).skipped).toBe('MESSAGE_TRUNCATED');
  });
});
