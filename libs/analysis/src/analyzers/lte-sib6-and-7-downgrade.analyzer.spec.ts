import { given } from '../testing/analyzer-spec-helpers';
import { lteSib6And7DowngradeAnalyzer as analyzer } from './lte-sib6-and-7-downgrade.analyzer';

describe('lte_sib6_and_7_downgrade: 3G/2G reselection priority above LTE, judged at each SIB1', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual([
      'lte_sib6_and_7_downgrade',
      'LTE SIB 6/7 Downgrade',
      2,
    ]);
  });
  test('a GERAN (SIB7) priority above the LTE (SIB3) one is High at the next SIB1', () => {
    const [si, sib1] = given(analyzer).when('siLte3Geran5', 'sib1TwoSiMessages');
    expect(si).toBeUndefined();
    expect(sib1?.event_type).toBe('High');
    expect(sib1?.message).toContain('priority 5');
    expect(sib1?.message).toContain('priority 3');
  });
  test('a UTRA (SIB6) priority above LTE is High too', () => {
    expect(given(analyzer, 'siLte2Utra6').when('sib1TwoSiMessages')[0]?.event_type).toBe('High');
  });
  test('a GERAN priority above LTE behind SIB8 and SIB9 in the same message is High; CDMA2000 (SIB8) is not 2G/3G', () => {
    expect(given(analyzer, 'siLte3Cdma6Hnb9Geran5').when('sib1TwoSiMessages')[0]?.event_type).toBe('High');
    expect(given(analyzer, 'siLte5Cdma6Hnb9Geran2').when('sib1TwoSiMessages')).toEqual([undefined]);
  });
  test('LTE above GERAN raises nothing (negative twin)', () => {
    expect(given(analyzer, 'siLte5Geran2').when('sib1TwoSiMessages')).toEqual([undefined]);
  });
  test('legacy neighbours with no LTE priority at all are Informational', () => {
    expect(given(analyzer, 'siGeranOnly').when('sib1TwoSiMessages')[0]?.event_type).toBe('Informational');
  });
  test('each SIB1 starts over: a finding is not repeated at the following SIB1', () => {
    expect(given(analyzer, 'siLte3Geran5').when('sib1TwoSiMessages', 'sib1TwoSiMessages')[1]).toBeUndefined();
  });
  test('the highest priority of each kind counts, across SI messages', () => {
    // LTE 5 (second SI) against GERAN 5 (first SI): equal is not above
    expect(given(analyzer, 'siLte3Geran5', 'siLte5Geran2').when('sib1TwoSiMessages')).toEqual([undefined]);
  });
});
