import { LOG_CODE_LTE_RRC_OTA, buildDiagLogMessage } from '@ledger/qmdl';
import { decodeDiagMessage } from './decode';
import { encodeGsmtap, gsmtapLengthOf, gsmtapOf, writeGsmtapOf } from './gsmtap';
import type { RadioMessage } from './radio-message';
import { hex, rrcBody } from './testing/capture-builder';

function message(logCode: number, body: Buffer): RadioMessage {
  const outcome = decodeDiagMessage(buildDiagLogMessage({ logCode, body, timeMs: Date.UTC(2024, 0, 1) }), {
    index: 1,
    offset: 0,
  });
  if (outcome.message === undefined) throw new Error(`not decoded: ${outcome.skipped}`);
  return outcome.message;
}

const um = (channelByte: number, l3: Buffer): RadioMessage =>
  message(0x512f, Buffer.concat([Buffer.from([channelByte, 0x1c, l3.length]), l3]));

/** One message of every kind and GSMTAP shape: RRC down- and uplink (EARFCN above 14 bits), NAS both ways, a RACH response, GSM Um with and without LAPDm. */
const EVERY_KIND: ReadonlyArray<readonly [string, RadioMessage]> = [
  ['LTE RRC PCCH', message(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 24, pdu: 5, sfnSubfn: 56329, earfcn: 54540 }))],
  ['LTE RRC UL-DCCH', message(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 19, pdu: 11, earfcn: 6300 }))],
  ['LTE NAS EMM downlink', message(0xb0ec, Buffer.from('0101000007420102', 'hex'))],
  ['LTE NAS ESM uplink', message(0xb0e3, Buffer.from('01010000d20101', 'hex'))],
  [
    'LTE MAC RAR',
    message(0xb062, hex('0101a06906022400010001071BFF98FF000001231A0400181C010007000600465C80BD0648000000')),
  ],
  ['GSM Um BCCH', um(0x81, Buffer.from('31061c64f00011d6e54db90000b700432b2b2b2b2b2b2b', 'hex'))],
  ['GSM Um DCCH', um(0x00, Buffer.from('060d00', 'hex'))],
  ['GSM Um SACCH', um(0x84, Buffer.from('060d00', 'hex'))],
];

describe('writeGsmtapOf (the export writes packets without building them)', () => {
  it.each(EVERY_KIND)('%s: writes exactly the bytes of encodeGsmtap(gsmtapOf(message)), at any offset', (_name, m) => {
    const expected = encodeGsmtap(gsmtapOf(m));
    expect(gsmtapLengthOf(m)).toBe(expected.length);
    const out = Buffer.alloc(expected.length + 7, 0xaa);
    expect(writeGsmtapOf(m, out, 3)).toBe(3 + expected.length);
    expect(out.subarray(3, 3 + expected.length).toString('hex')).toBe(expected.toString('hex'));
    expect([...out.subarray(0, 3), ...out.subarray(3 + expected.length)]).toEqual([
      0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
    ]);
  });
});
