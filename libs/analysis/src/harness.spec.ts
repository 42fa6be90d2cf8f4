import { ANALYZER_KEYS } from './analyzers/analyzer';
import { AnalysisHarness, formatPacketTimestamp, type AnalysisMessage } from './harness';
import { craftedMessages, type CraftedName } from './vectors/crafted-messages';

const RUNTIME = { rayhunter_version: 'qmdl-ledger 0.1.0', system_os: 'Linux 6.1', arch: 'x86_64' };
const T0 = 1_700_000_000_000_000;

/** A capture of crafted messages, diag message i at index i+1, one second apart. */
function capture(...names: CraftedName[]): AnalysisMessage[] {
  return names.map((name, i) => ({ ...craftedMessages[name], index: i + 1, timeUs: T0 + i * 1_000_000 }));
}

function analyse(harness: AnalysisHarness, messages: readonly AnalysisMessage[]) {
  return messages.flatMap((m) => harness.analyze(m));
}

describe('the report harness (format v2)', () => {
  test('the metadata line lists the enabled analyzers in report order, the test analyzer off by default', () => {
    const meta = new AnalysisHarness().metadata(RUNTIME);
    expect(meta.report_version).toBe(2);
    expect(meta.rayhunter).toEqual(RUNTIME);
    expect(meta.analyzers.map((a) => [a.name, a.version])).toEqual([
      ['Identity (IMSI or IMEI) requested in suspicious manner', 4],
      ['Connection Release/Redirected Carrier 2G Downgrade', 1],
      ['LTE SIB 6/7 Downgrade', 2],
      ['Null Cipher', 1],
      ['NAS Null Cipher Requested', 1],
      ['Incomplete SIB', 2],
      ['Diagnostic detector for messages which might lead to IMSI exposure', 1],
    ]);
    expect(new AnalysisHarness({ config: { test_analyzer: true } }).analyzerKeys).toEqual(ANALYZER_KEYS);
  });

  test('a disabled analyzer is absent from the metadata and from every row', () => {
    const harness = new AnalysisHarness({ config: { null_cipher: false, imsi_requested: false } });
    expect(harness.analyzerKeys).not.toContain('null_cipher');
    const rows = analyse(harness, capture('securityModeCommandEea0', 'releaseRedirectGeran'));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.events).toHaveLength(harness.analyzerKeys.length);
    expect(rows[0]?.events[0]?.message).toBe('Connection released with a redirect to 2G (packet 2)');
  });

  test('only rows with a finding above Informational or a skip reason are written; events[i] belongs to analyzers[i]', () => {
    const harness = new AnalysisHarness();
    const rows = analyse(
      harness,
      capture('sib1OneSiMessage', 'identityRequestImsi', 'securityModeCommandEea0', 'siLte5Geran2'),
    );
    // the SIB1 (incomplete: Informational) and the identity request (diagnostic: Informational) write nothing
    expect(rows).toEqual([
      {
        packet_timestamp: formatPacketTimestamp(T0 + 2_000_000),
        skipped_message_reason: null,
        events: [
          null,
          null,
          null,
          { event_type: 'High', message: 'The cell chose the null cipher (EEA0) for RRC (packet 3)' },
          null,
          null,
          null,
        ],
      },
    ]);
    expect(harness.stats().events).toEqual({ Informational: 2, Low: 0, Medium: 0, High: 1 });
  });

  test("a row written for one analyzer's finding carries the Informational events of the others on the same message", () => {
    const harness = new AnalysisHarness();
    const rows = analyse(harness, capture('attachRequestGuti', 'authenticationResponse', 'identityRequestImsi'));
    expect(rows).toHaveLength(1);
    const events = rows[0]?.events ?? [];
    expect(events).toHaveLength(7);
    expect(events[0]).toEqual({
      event_type: 'High',
      message: 'The network asked for an identity after the UE had already authenticated (packet 3)',
    });
    expect(events[6]).toMatchObject({ event_type: 'Informational' });
    expect(events[6]?.message).toMatch(/^Diagnostic: identity request .* \(packet 3\)$/);
    expect(events.slice(1, 6)).toEqual([null, null, null, null, null]);
  });

  test("packet N is the diag message's position in the capture, counting messages the analysis never sees", () => {
    const [m] = capture('releaseRedirectGeran');
    const rows = new AnalysisHarness().analyze({ ...(m as AnalysisMessage), index: 4711 });
    expect(rows[0]?.events.find((e) => e !== null)?.message).toMatch(/ \(packet 4711\)$/);
  });

  test("a ciphered NAS message is a skipped row with the original's reason, and counted", () => {
    const harness = new AnalysisHarness();
    const rows = analyse(harness, capture('ciphered'));
    expect(rows).toEqual([
      {
        packet_timestamp: formatPacketTimestamp(T0),
        skipped_message_reason: 'NASDecodingError(EncryptedNASMessage)',
        events: [],
      },
    ]);
    expect(harness.stats().skipped).toEqual({ 'NASDecodingError(EncryptedNASMessage)': 1 });
  });

  test("a damaged frame or unreadable log message is a skipped row in the original's words, with no time, and counted", () => {
    const harness = new AnalysisHarness();
    const unreadable = (index: number, reason: string, layout: { extHeaderVersion?: number; pduNum?: number } = {}) =>
      harness.analyze({ kind: 'unreadable', index, reason, ...layout });
    const rows = [
      ...unreadable(1, 'HDLC_BAD_CRC'),
      ...unreadable(2, 'HDLC_BAD_ESCAPE'),
      ...unreadable(3, 'HDLC_TOO_SHORT'),
      ...unreadable(4, 'HDLC_BAD_FLAG'),
      ...unreadable(5, 'FRAME_TOO_LONG'),
      ...unreadable(6, 'MESSAGE_TRUNCATED'),
      ...unreadable(7, 'LTE_RRC_UNKNOWN_VERSION', { extHeaderVersion: 5, pduNum: 2 }),
      ...unreadable(8, 'LTE_RRC_UNKNOWN_PDU', { extHeaderVersion: 15, pduNum: 3 }),
      ...harness.analyze({ ...craftedMessages.securityModeCommandEea0, index: 9, timeUs: T0 }),
      ...unreadable(10, 'FRAME_CUT'),
      ...unreadable(11, 'HDLC_BAD_CRC'),
    ];
    const reasons = [
      'HdlcDecapsulationError(InvalidChecksum)',
      'HdlcDecapsulationError(InvalidEscapeSequence)',
      'HdlcDecapsulationError(TooShort)',
      'HdlcDecapsulationError(NoTrailingCharacter)',
      'HdlcDecapsulationError(FrameTooLong)',
      'MessageParsingError(Incomplete)',
      'InvalidLteRrcOtaExtHeaderVersion(5)',
      'InvalidLteRrcOtaHeaderPduNum(15, 3)',
    ];
    const skipped = (reason: string) => ({ packet_timestamp: null, skipped_message_reason: reason, events: [] });
    expect(
      rows.map((r) => (r.skipped_message_reason === null ? r.events.find((e) => e !== null)?.message : r)),
    ).toEqual([
      ...reasons.map(skipped),
      expect.stringMatching(/ \(packet 9\)$/),
      skipped('HdlcDecapsulationError(NoTrailingCharacter)'),
      skipped('HdlcDecapsulationError(InvalidChecksum)'),
    ]);
    const stats = harness.stats();
    expect(stats.skipped).toEqual({
      ...Object.fromEntries(reasons.map((r) => [r, 1])),
      'HdlcDecapsulationError(InvalidChecksum)': 2,
      'HdlcDecapsulationError(NoTrailingCharacter)': 2,
    });
    expect(stats).toMatchObject({ messages: 11, elements: 1 });
  });

  test('an RRC message that does not decode is a skipped row with where it stopped, and the stream goes on', () => {
    const harness = new AnalysisHarness();
    const cut: AnalysisMessage = {
      kind: 'lte-rrc',
      channel: 'BCCH-DL-SCH',
      payload: craftedMessages.sib1TwoSiMessages.payload.subarray(0, 3),
      index: 1,
      timeUs: T0,
    };
    const [skipped] = harness.analyze(cut);
    expect(skipped?.skipped_message_reason).toMatch(/^RRCDecodingError\(TRUNCATED at /);
    expect(harness.analyze({ ...craftedMessages.securityModeCommandEea0, index: 2, timeUs: T0 })).toHaveLength(1);
  });

  test("NAS carried in RRC is analysed when the device logs no NAS, and the NAS log's copy of it is not analysed again", () => {
    // an identity request that arrives in a DL information transfer and again in the NAS log
    const fresh = new AnalysisHarness();
    const viaRrc = analyse(fresh, [
      { ...craftedMessages.rrcConnectionRequest, index: 1, timeUs: T0 },
      { ...craftedMessages.releaseNoRedirect, index: 2, timeUs: T0 },
      { ...craftedMessages.dlInformationTransferIdentityRequest, index: 3, timeUs: T0 },
      { ...craftedMessages.identityRequestImsi, index: 4, timeUs: T0 },
    ]);
    expect(fresh.stats().duplicateNas).toBe(1);
    expect(fresh.stats().elements).toBe(4); // three RRC messages and one NAS message, not two
    expect(fresh.stats().events.Informational).toBe(1); // the diagnostic analyzer saw one identity request
    expect(viaRrc).toEqual([]);
  });

  test('once the NAS log has been seen, NAS inside RRC is not analysed (the log holds every NAS message)', () => {
    const harness = new AnalysisHarness();
    analyse(harness, capture('attachRequestGuti', 'authenticationResponse'));
    const rows = harness.analyze({ ...craftedMessages.dlInformationTransferIdentityRequest, index: 3, timeUs: T0 });
    expect(rows).toEqual([]); // the High "identity after authentication" would fire if the carried copy were analysed
    expect(
      harness.analyze({ ...craftedMessages.identityRequestImsi, index: 4, timeUs: T0 })[0]?.events[0]?.event_type,
    ).toBe('High');
  });

  test('MAC random access responses are skipped as the original skips them; GSM RR gives no row', () => {
    const harness = new AnalysisHarness();
    expect(harness.analyze({ kind: 'lte-mac-rach-response', index: 1, timeUs: T0 })[0]?.skipped_message_reason).toBe(
      'UnsupportedGsmtapType(LteMac)',
    );
    expect(harness.analyze({ kind: 'gsm-rr', index: 2, timeUs: T0 })).toEqual([]);
  });

  test('the same messages give the same report (analysis is deterministic)', () => {
    const messages = capture(
      'sib1ThreeDigitMnc',
      'attachRequestGuti',
      'identityRequestImsi',
      'tauRejectCause22',
      'siLte3Geran5',
      'sib1TwoSiMessages',
      'ciphered',
    );
    expect(analyse(new AnalysisHarness(), messages)).toEqual(analyse(new AnalysisHarness(), messages));
  });
});

describe('packet timestamps', () => {
  test('are RFC 3339 with a +00:00 offset and the fraction trimmed to 0, 3 or 6 digits', () => {
    expect(formatPacketTimestamp(Date.UTC(2020, 4, 8, 17, 24, 13) * 1000)).toBe('2020-05-08T17:24:13+00:00');
    expect(formatPacketTimestamp(Date.UTC(2020, 4, 8, 17, 24, 13, 345) * 1000)).toBe('2020-05-08T17:24:13.345+00:00');
    expect(formatPacketTimestamp(Date.UTC(2020, 4, 8, 17, 24, 13, 345) * 1000 + 678)).toBe(
      '2020-05-08T17:24:13.345678+00:00',
    );
  });
});
