import { craftedMessages } from '../vectors/crafted-messages';
import { decodeLteNas } from './lte-nas';

const hex = (s: string): Uint8Array => Uint8Array.from((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));

describe('LTE NAS (EMM) decoding', () => {
  test('identity request: the identity type asked for', () => {
    expect(decodeLteNas(craftedMessages.identityRequestImsi.payload, 'downlink')).toEqual({
      ok: true,
      securityHeaderType: 0,
      facts: { message: 'identityRequest', identityType: 'IMSI' },
    });
  });

  test('identity response: the type only, never the digits', () => {
    const r = decodeLteNas(hex('0756 08 29 10 32 54 76 98 10 f2'.replace(/ /g, '')), 'uplink');
    expect(r).toEqual({
      ok: true,
      securityHeaderType: 0,
      facts: { message: 'identityResponse', identityType: 'IMSI' },
    });
  });

  test('attach request: attach type, identity type, old GUTI PLMN and last visited TAI', () => {
    expect(decodeLteNas(craftedMessages.attachRequestGuti.payload, 'uplink')).toEqual({
      ok: true,
      securityHeaderType: 0,
      facts: {
        message: 'attachRequest',
        attachType: 1,
        identityType: 'GUTI',
        oldGutiPlmn: { mcc: '310', mnc: '260' },
        oldTaiPlmn: { mcc: '310', mnc: '260' },
        oldTaiTac: 42235,
      },
    });
  });

  test('security mode command: the selected ciphering and integrity algorithms', () => {
    expect(decodeLteNas(craftedMessages.nasSecurityModeCommandEea1.payload, 'downlink')).toMatchObject({
      ok: true,
      facts: { cipheringAlgorithm: 1, integrityAlgorithm: 2 },
    });
  });

  test('rejects carry their EMM cause; a network detach its type', () => {
    expect(decodeLteNas(craftedMessages.tauRejectCause3.payload, 'downlink')).toMatchObject({
      facts: { message: 'trackingAreaUpdateReject', emmCause: 3 },
    });
    expect(decodeLteNas(craftedMessages.detachRequestNetworkImsiDetach.payload, 'downlink')).toMatchObject({
      facts: { message: 'detachRequest', direction: 'downlink', detachType: 3 },
    });
    expect(decodeLteNas(craftedMessages.detachRequestUe.payload, 'uplink')).toMatchObject({
      facts: { message: 'detachRequest', direction: 'uplink', detachType: 1, switchOff: false },
    });
  });

  test('an integrity-protected (not ciphered) message is read through its security header', () => {
    expect(decodeLteNas(hex('17aabbccdd05075501'), 'downlink')).toEqual({
      ok: true,
      securityHeaderType: 1,
      facts: { message: 'identityRequest', identityType: 'IMSI' },
    });
  });

  test('a ciphered message is refused as EncryptedNASMessage', () => {
    expect(decodeLteNas(craftedMessages.ciphered.payload, 'downlink')).toEqual({
      ok: false,
      reason: 'EncryptedNASMessage',
    });
    expect(decodeLteNas(hex('47aabbccdd050102'), 'downlink')).toEqual({ ok: false, reason: 'EncryptedNASMessage' });
  });

  test('a message cut short is Truncated, an unknown protocol is refused, nothing throws', () => {
    expect(decodeLteNas(hex('0741'), 'uplink')).toEqual({ ok: false, reason: 'Truncated' });
    expect(decodeLteNas(hex('0b01'), 'uplink')).toEqual({ ok: false, reason: 'UnknownProtocolDiscriminator' });
    for (const m of Object.values(craftedMessages)) {
      if (m.kind !== 'lte-nas') continue;
      for (let n = 0; n <= m.payload.length; n++)
        expect(() => decodeLteNas(m.payload.subarray(0, n), m.direction)).not.toThrow();
    }
  });
});
