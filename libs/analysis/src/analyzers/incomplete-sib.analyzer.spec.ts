import { given } from '../testing/analyzer-spec-helpers';
import { incompleteSibAnalyzer as analyzer } from './incomplete-sib.analyzer';

describe('incomplete_sib: SIB1 scheduling fewer than two SI messages', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual(['incomplete_sib', 'Incomplete SIB', 2]);
  });
  test('a SIB1 with one scheduling entry is Informational', () => {
    expect(given(analyzer).when('sib1OneSiMessage')[0]?.event_type).toBe('Informational');
  });
  test('a SIB1 with two entries raises nothing (negative twin)', () => {
    expect(given(analyzer).when('sib1TwoSiMessages')).toEqual([undefined]);
  });
});
