import { given } from '../testing/analyzer-spec-helpers';
import { diagnosticAnalyzer as analyzer } from './diagnostic.analyzer';

describe('diagnostic_analyzer: messages that may lead to IMSI exposure', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual([
      'diagnostic_analyzer',
      'Diagnostic detector for messages which might lead to IMSI exposure',
      1,
    ]);
  });
  test.each([
    ['identityRequestImsi', 'IMSI'],
    ['identityRequestImei', 'IMEI'],
    ['attachRejectCause8', 'EPS services and non-EPS services not allowed'],
    ['tauRejectCause3', 'Illegal UE'],
    ['serviceRejectCause9', 'UE identity cannot be derived by the network'],
    ['detachRequestNetworkReattach', 'network detach'],
  ] as const)('%s is Informational and says why (%s)', (name, why) => {
    const [event] = given(analyzer).when(name);
    expect(event?.event_type).toBe('Informational');
    expect(event?.message).toContain(why);
  });
  test.each([
    'attachRejectCause17',
    'tauRejectCause22',
    'serviceRejectCause22',
    'detachRequestNetworkImsiDetach',
    'detachRequestUe',
    'attachRequestGuti',
    'releaseRedirectGeran',
  ] as const)('%s raises nothing (negative twin)', (name) => {
    expect(given(analyzer).when(name)).toEqual([undefined]);
  });
});
