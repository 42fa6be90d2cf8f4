import { buildDiagLogMessage } from '@ledger/qmdl';
import { decodeDiagMessage } from './decode';
import { encodeGsmtap, gsmtapOf } from './gsmtap';
import { hex } from './testing/capture-builder';

/**
 * RACH attempt vectors (SCAT's unit tests, as the original's tests use them)
 * and the MAC-LTE framed payloads the original expects for them; undefined
 * where the attempt has no msg3 and so no response.
 */
const VECTORS: Array<{ body: string; payload?: string }> = [
  {
    body: '0101a06906022400010001071BFF98FF000001231A0400181C010007000600465C80BD0648000000',
    payload: '010102015b00411c181a23',
  },
  {
    body: '0101a0690603280001000100010718ffa4ff000001c6610b00b4a2000012000120061f423f8d95075800',
    payload: '0101020158 00b0a2b4 61c6',
  },
  {
    body: '0101739e063134000100010000033f0098ff0000013c6b070058ac010007000000468f47e2d446000000644b0000180001000000d5040000',
  },
  {
    body: '01010000063134000100010001070aff98ff0000011c48070018e2000007000000523b7dfd69b6000000f5540000ff0001000000d6040000',
    payload: '010102014a0070e218481c',
  },
  {
    body: '01010000063238000100010000032900a4ffeb000000000195b603000000a0b412000420061f425dc9be41b800885e000017000100000065050000',
  },
  {
    body: '010100000632380001000100010713ffa0ffeb0000000001ad5a0500000146b412000420061f425dc9be41b400665300001800010000001a050000',
    payload: '0101020153005146b45aad',
  },
];

function decode(body: Buffer): ReturnType<typeof decodeDiagMessage> {
  return decodeDiagMessage(buildDiagLogMessage({ logCode: 0xb062, body, timeMs: Date.UTC(2024, 0, 1) }), {
    index: 1,
    offset: 0,
  });
}

describe('LTE MAC RACH response (0xB062)', () => {
  it.each(VECTORS.map((v, i) => [i, v] as const))(
    'vector %i gives the random access response the original writes, or none without msg3',
    (_i, vector) => {
      const outcome = decode(hex(vector.body));
      if (vector.payload === undefined) {
        expect(outcome.skipped).toBe('LTE_MAC_RACH_INCOMPLETE');
        return;
      }
      expect(outcome.message?.kind).toBe('lte-mac-rach-response');
      const gsmtap = gsmtapOf(outcome.message!);
      expect(gsmtap.type).toBe(0x0f);
      expect(encodeGsmtap(gsmtap).subarray(16).toString('hex')).toBe(hex(vector.payload).toString('hex'));
    },
  );

  it('reads the msg2 and msg3 fields of each subpacket version (2, 3, 0x31, 0x32)', () => {
    const fields = [0, 1, 3, 5].map((i) => {
      const m = decode(hex((VECTORS[i] as { body: string }).body)).message;
      return m?.kind === 'lte-mac-rach-response'
        ? [m.subpacketVersion, m.preambleIndex, m.tcRnti, m.timingAdvance, m.ulGrant]
        : undefined;
    });
    expect(fields).toEqual([
      [0x02, 27, 6691, 4, 72728],
      [0x03, 24, 25030, 11, 41652],
      [0x31, 10, 18460, 7, 57880],
      [0x32, 19, 23213, 5, 83636],
    ]);
  });

  it('skips an unknown packet or subpacket version, a cut body and a subpacket that is not a RACH attempt', () => {
    const good = hex((VECTORS[0] as { body: string }).body);
    const badVersion = Buffer.from(good);
    badVersion[0] = 2;
    const badSubVersion = Buffer.from(good);
    badSubVersion[5] = 0x07;
    const notAttempt = Buffer.from(good);
    notAttempt[4] = 0x05;
    expect(decode(badVersion).skipped).toBe('LTE_MAC_RACH_MALFORMED');
    expect(decode(badSubVersion).skipped).toBe('LTE_MAC_RACH_MALFORMED');
    expect(decode(good.subarray(0, 20)).skipped).toBe('LTE_MAC_RACH_MALFORMED');
    expect(decode(notAttempt).skipped).toBe('LTE_MAC_RACH_INCOMPLETE');
  });
});
