import { given } from '../testing/analyzer-spec-helpers';
import { testAnalyzer as analyzer } from './test.analyzer';

describe('test_analyzer: every SIB1, to show analysis runs', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual(['test_analyzer', 'Test Analyzer', 1]);
  });
  test('a SIB1 is Low and carries cell id, TAC and PLMN', () => {
    expect(given(analyzer).when('sib1TwoSiMessages')[0]).toEqual({
      event_type: 'Low',
      message: 'SIB1 seen: cell id 6508556, TAC 42235, PLMN 310-260',
    });
  });
  test('anything else raises nothing (negative twin)', () => {
    expect(given(analyzer).when('siLte3Geran5', 'identityRequestImsi')).toEqual([undefined, undefined]);
  });
});
