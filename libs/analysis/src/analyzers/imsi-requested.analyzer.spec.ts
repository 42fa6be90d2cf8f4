import { PAGING, given } from '../testing/analyzer-spec-helpers';
import { IDENTITY_REQUEST_TIMEOUT, imsiRequestedAnalyzer as analyzer } from './imsi-requested.analyzer';

describe('imsi_requested: identity requests not explained by an attach or authentication', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual([
      'imsi_requested',
      'Identity (IMSI or IMEI) requested in suspicious manner',
      4,
    ]);
  });

  test('an identity request during an attach is normal: no event', () => {
    expect(
      given(analyzer, 'rrcConnectionRequest', 'attachRequestGuti').when(
        'identityRequestImsi',
        'authenticationResponse',
      ),
    ).toEqual([undefined, undefined]);
  });

  test('an identity request after authentication completed is High', () => {
    const [event] = given(analyzer, 'attachRequestGuti', 'authenticationResponse').when('identityRequestImsi');
    expect(event?.event_type).toBe('High');
  });

  test('attach complete counts as authentication completed, too', () => {
    expect(given(analyzer, 'attachRequestGuti', 'attachComplete').when('identityRequestImei')[0]?.event_type).toBe(
      'High',
    );
  });

  test('an identity request after a disconnect, with no new attach, is High', () => {
    const [event] = given(analyzer, 'attachRequestGuti', 'serviceRejectCause22').when('identityRequestImsi');
    expect(event?.event_type).toBe('High');
  });

  test('…but not when a new connection request came between (negative twin)', () => {
    expect(given(analyzer, 'serviceRejectCause22', 'rrcConnectionRequest').when('identityRequestImsi')).toEqual([
      undefined,
    ]);
  });

  test('identity request then disconnect without authentication on the home network is High', () => {
    // SIB1 of 310-260, and the UE last registered in 310-260 (its attach request's old TAI)
    const [event] = given(analyzer, 'sib1TwoSiMessages', 'attachRequestGuti', 'identityRequestImsi').when(
      'detachRequestNetworkReattach',
    );
    expect(event?.event_type).toBe('High');
  });

  test('the same on another network is Low (a roaming artefact is likely) and names both PLMNs', () => {
    const [event] = given(analyzer, 'sib1ThreeDigitMnc', 'attachRequestGuti', 'identityRequestImsi').when(
      'tauRejectCause22',
    );
    expect(event?.event_type).toBe('Low');
    expect(event?.message).toContain('311-480');
    expect(event?.message).toContain('310-260');
  });

  test('identity request then authentication, then a disconnect, is no event (negative twin)', () => {
    expect(
      given(analyzer, 'sib1TwoSiMessages', 'attachRequestGuti', 'identityRequestImsi', 'authenticationResponse').when(
        'detachRequestNetworkReattach',
      ),
    ).toEqual([undefined]);
  });

  test('an attach reject "EPS and non-EPS services not allowed" after an identity request is Low', () => {
    expect(given(analyzer, 'attachRequestGuti', 'identityRequestImsi').when('attachRejectCause8')[0]?.event_type).toBe(
      'Low',
    );
  });

  test('an attach reject with another cause is a disconnect, judged like one (Low when the networks are unknown)', () => {
    const [event] = given(analyzer, 'attachRequestGuti', 'identityRequestImsi').when('attachRejectCause17');
    expect(event?.event_type).toBe('Low');
    expect(event?.message).toContain('cell PLMN: Unknown');
  });

  test(`an identity request with nothing after it for ${IDENTITY_REQUEST_TIMEOUT} elements is Informational`, () => {
    const events = given(analyzer, 'attachRequestGuti').when(
      'identityRequestImsi',
      ...Array<typeof PAGING>(IDENTITY_REQUEST_TIMEOUT - 1).fill(PAGING),
    );
    expect(events.slice(0, -1).every((e) => e === undefined)).toBe(true);
    expect(events.at(-1)?.event_type).toBe('Informational');
  });

  test('…and authentication within the window cancels the timeout (negative twin)', () => {
    const events = given(analyzer, 'attachRequestGuti').when(
      'identityRequestImsi',
      'authenticationResponse',
      ...Array<typeof PAGING>(IDENTITY_REQUEST_TIMEOUT).fill(PAGING),
    );
    expect(events.every((e) => e === undefined)).toBe(true);
  });

  test('SIB1s do not count towards the timeout', () => {
    const events = given(analyzer, 'attachRequestGuti').when(
      'identityRequestImsi',
      ...Array(IDENTITY_REQUEST_TIMEOUT).fill('sib1TwoSiMessages'),
    );
    expect(events.every((e) => e === undefined)).toBe(true);
  });

  test('the analysis is a pure function of the stream: the same stream gives the same events', () => {
    const stream = [
      'sib1ThreeDigitMnc',
      'attachRequestGuti',
      'identityRequestImsi',
      'tauRejectCause22',
      'identityRequestImsi',
    ] as const;
    expect(given(analyzer).when(...stream)).toEqual(given(analyzer).when(...stream));
  });
});
