import { craftedMessages } from '../vectors/crafted-messages';
import { PerWriter } from '../vectors/per-writer';
import { decodeLteRrc } from './lte-rrc';

describe("LTE RRC decoding of the analyzers' paths", () => {
  test('SIB1: PLMNs, TAC, cell id and scheduling list', () => {
    const r = decodeLteRrc('BCCH-DL-SCH', craftedMessages.sib1ThreeDigitMnc.payload);
    expect(r).toEqual({
      ok: true,
      channel: 'BCCH-DL-SCH',
      facts: {
        message: 'systemInformationBlockType1',
        sib1: {
          plmns: [{ mcc: '311', mnc: '480' }],
          trackingAreaCode: 58891,
          cellIdentity: 58989057,
          schedulingInfo: [
            { periodicity: 'rf16', sibs: [] },
            { periodicity: 'rf16', sibs: ['sibType3', 'sibType5'] },
          ],
        },
      },
    });
  });

  test('SystemInformation: SIB3 and SIB7 priorities', () => {
    const r = decodeLteRrc('BCCH-DL-SCH', craftedMessages.siLte3Geran5.payload);
    if (!r.ok || r.facts.message !== 'systemInformation') throw new Error('not decoded');
    const [sib3, sib7] = r.facts.sibs;
    expect(sib3?.type === 'sib3' && sib3.value.cellReselectionServingFreqInfo.cellReselectionPriority).toBe(3);
    expect(sib7?.type === 'sib7' && sib7.value.carrierFreqsInfoList?.[0]?.commonInfo.cellReselectionPriority).toBe(5);
  });

  test('an extension SIB (sib12 and later) is stepped over by its length and the SIBs after it are read', () => {
    // sib-TypeAndInfo with two entries: an extension alternative holding 2 octets, then the crafted SIB7
    const sib7Si = craftedMessages.siGeranOnly.payload;
    // re-encode: take the SIB7 entry bits from the crafted SI (after its 9-bit header) behind our extension entry
    const w = new PerWriter().bit(0).int(0, 0, 1).bit(0).bit(0).int(2, 1, 32);
    w.bit(1).bits(0, 7).length(2).octets([0x12, 0x34]);
    const bitsAfterHeader = 2 + 1 + 1 + 5;
    for (let i = bitsAfterHeader; i < sib7Si.length * 8; i++)
      w.bits(((sib7Si[i >>> 3] as number) >>> (7 - (i & 7))) & 1, 1);
    const r = decodeLteRrc('BCCH-DL-SCH', w.toBytes());
    if (!r.ok || r.facts.message !== 'systemInformation') throw new Error(`not decoded: ${JSON.stringify(r)}`);
    expect(r.facts.sibs.map((s) => s.type)).toEqual(['extension', 'sib7']);
  });

  test('SIB8 and SIB9 are decoded, so a SIB7 after them in the same message is reached', () => {
    const r = decodeLteRrc('BCCH-DL-SCH', craftedMessages.siLte3Cdma6Hnb9Geran5.payload);
    if (!r.ok || r.facts.message !== 'systemInformation') throw new Error(`not decoded: ${JSON.stringify(r)}`);
    expect(r.facts.sibs.map((s) => s.type)).toEqual(['sib3', 'sib8', 'sib9', 'sib7']);
    expect(r.facts.sibs[3]).toMatchObject({
      value: { carrierFreqsInfoList: [{ commonInfo: { cellReselectionPriority: 5 } }] },
    });
  });

  test('RRC connection release: cause and redirect target', () => {
    expect(decodeLteRrc('DL-DCCH', craftedMessages.releaseRedirectGeran.payload)).toMatchObject({
      ok: true,
      facts: { message: 'rrcConnectionRelease', releaseCause: 'other', redirectedCarrierInfo: { type: 'geran' } },
    });
  });

  test('a redirect to an extension target (utra-TDD-r10) is named, and idle-mode priorities after it are still read', () => {
    const w = new PerWriter().bit(0).int(5, 0, 15).int(0, 0, 3).bit(0).int(0, 0, 3).bit(1).bit(1).bit(0).int(1, 0, 3);
    w.bit(1).bits(0, 7).length(3).octets([0x01, 0x02, 0x03]); // redirectedCarrierInfo: extension alternative 0
    w.bit(0).bits(0b1000000, 7).int(1, 1, 8).int(1300, 0, 65535).int(6, 0, 7); // idleModeMobilityControlInfo: one EUTRA priority
    expect(decodeLteRrc('DL-DCCH', w.toBytes())).toMatchObject({
      ok: true,
      facts: {
        message: 'rrcConnectionRelease',
        redirectedCarrierInfo: { type: 'utra-TDD-r10' },
        idleModeMobilityControlInfo: { freqPriorityListEUTRA: [{ carrierFreq: 1300, cellReselectionPriority: 6 }] },
      },
    });
  });

  test('security mode command: ciphering and integrity algorithms', () => {
    expect(decodeLteRrc('DL-DCCH', craftedMessages.securityModeCommandEea0.payload)).toMatchObject({
      ok: true,
      facts: { message: 'securityModeCommand', cipheringAlgorithm: 'eea0', integrityProtAlgorithm: 'eia2' },
    });
  });

  test('reconfiguration: the handover security config, alone or behind measConfig, mobilityControlInfo and radioResourceConfigDedicated', () => {
    expect(decodeLteRrc('DL-DCCH', craftedMessages.handoverSecurityEea0.payload)).toMatchObject({
      ok: true,
      facts: {
        message: 'rrcConnectionReconfiguration',
        security: {
          securityConfigHO: { handoverType: 'intraLTE', securityAlgorithmConfig: { cipheringAlgorithm: 'eea0' } },
        },
      },
    });
    for (const [name, eea] of [
      ['handoverEea0WithMeasMobilityAndRadioConfig', 'eea0'],
      ['handoverEea1WithMeasMobilityAndRadioConfig', 'eea1'],
    ] as const)
      expect(decodeLteRrc('DL-DCCH', craftedMessages[name].payload)).toMatchObject({
        ok: true,
        facts: {
          message: 'rrcConnectionReconfiguration',
          security: {
            present: { measConfig: true, mobilityControlInfo: true, radioResourceConfigDedicated: true },
            securityConfigHO: { handoverType: 'intraLTE', securityAlgorithmConfig: { cipheringAlgorithm: eea } },
          },
        },
      });
  });

  test('a handover reconfiguration cut short is a failure with its field, never a guessed algorithm', () => {
    const full = craftedMessages.handoverEea0WithMeasMobilityAndRadioConfig.payload;
    for (const cut of [12, 30, full.length - 3]) {
      const r = decodeLteRrc('DL-DCCH', full.subarray(0, cut));
      expect(r).toMatchObject({ ok: false, failure: 'TRUNCATED' });
    }
    expect(decodeLteRrc('DL-DCCH', full.subarray(0, 12))).toMatchObject({
      field: expect.stringContaining('measConfig'),
    });
  });

  test('reconfiguration extensions: v1020 SCells, the v1250 SCG ciphering algorithm and v1530 handover security', () => {
    expect(decodeLteRrc('DL-DCCH', craftedMessages.scgAdditionEea0.payload)).toMatchObject({
      ok: true,
      facts: {
        message: 'rrcConnectionReconfiguration',
        security: {
          extensions: {
            releases: ['v890', 'v920', 'v1020', 'v1130', 'v1250'],
            sCellsAdded: [1],
            scgConfiguration: { type: 'setup', cipheringAlgorithmSCG: 'eea0' },
          },
        },
      },
    });
    expect(decodeLteRrc('DL-DCCH', craftedMessages.handoverIntra5gcEea2.payload)).toMatchObject({
      ok: true,
      facts: {
        security: {
          extensions: {
            releases: ['v890', 'v920', 'v1020', 'v1130', 'v1250', 'v1310', 'v1430', 'v1510', 'v1530'],
            nrConfig: 'setup',
            skCounter: 3,
            v1530: {
              present: ['securityConfigHO-v1530'],
              securityConfigHO: { handoverType: 'intra5GC', securityAlgorithmConfig: { cipheringAlgorithm: 'eea2' } },
            },
          },
        },
      },
    });
  });

  test('an extension chain cut short fails the whole PDU with its field, as a full decoder would', () => {
    const full = craftedMessages.handoverIntra5gcEea0.payload;
    for (const cut of [8, 20, full.length - 1]) {
      expect(decodeLteRrc('DL-DCCH', full.subarray(0, cut))).toMatchObject({
        ok: false,
        failure: 'TRUNCATED',
        field: expect.stringContaining('nonCriticalExtension'),
      });
    }
    expect(decodeLteRrc('DL-DCCH', full.subarray(0, 20))).toMatchObject({
      field: expect.stringContaining('sCellToAddModList-r10'),
    });
  });

  test('the sidelink configurations (v1250 discovery and communication, v1430 V2X) are decoded on the way to v1530', () => {
    expect(decodeLteRrc('DL-DCCH', craftedMessages.handoverEpcTo5gcBehindSidelinkEea0.payload)).toMatchObject({
      ok: true,
      facts: {
        security: {
          extensions: {
            releases: ['v890', 'v920', 'v1020', 'v1130', 'v1250', 'v1310', 'v1430', 'v1510', 'v1530'],
            v1530: {
              securityConfigHO: { handoverType: 'epc-To5GC', securityAlgorithmConfig: { cipheringAlgorithm: 'eea0' } },
            },
          },
        },
      },
    });
  });

  test('DL information transfer: the NAS PDU it carries', () => {
    const r = decodeLteRrc('DL-DCCH', craftedMessages.dlInformationTransferIdentityRequest.payload);
    expect(r.ok && r.facts.message === 'dlInformationTransfer' && Array.from(r.facts.nas ?? [])).toEqual([
      0x07, 0x55, 0x01,
    ]);
  });

  test('UL-CCCH connection request: its establishment cause, not its identity', () => {
    expect(decodeLteRrc('UL-CCCH', craftedMessages.rrcConnectionRequest.payload)).toEqual({
      ok: true,
      channel: 'UL-CCCH',
      facts: { message: 'rrcConnectionRequest', establishmentCause: 'mo-Signalling' },
    });
  });

  test('channels the analyzers do not read still give a message (it counts towards timeouts)', () => {
    expect(decodeLteRrc('PCCH', Uint8Array.of(0x40))).toEqual({
      ok: true,
      channel: 'PCCH',
      facts: { message: 'other', name: 'PCCH' },
    });
  });

  test('every truncation of a crafted PDU fails cleanly or decodes; nothing throws', () => {
    for (const m of Object.values(craftedMessages)) {
      if (m.kind !== 'lte-rrc') continue;
      for (let n = 0; n < m.payload.length; n++)
        expect(() => decodeLteRrc(m.channel, m.payload.subarray(0, n))).not.toThrow();
    }
  });
});
