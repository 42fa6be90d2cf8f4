import { given } from '../testing/analyzer-spec-helpers';
import { nullCipherAnalyzer as analyzer } from './null-cipher.analyzer';

describe('null_cipher: RRC selecting EEA0', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual(['null_cipher', 'Null Cipher', 1]);
  });
  test('a security mode command with EEA0 is High', () => {
    expect(given(analyzer).when('securityModeCommandEea0')[0]?.event_type).toBe('High');
  });
  test('a security mode command with EEA2 raises nothing (negative twin)', () => {
    expect(given(analyzer).when('securityModeCommandEea2')).toEqual([undefined]);
  });
  test('a handover security configuration with EEA0 is High', () => {
    expect(given(analyzer).when('handoverSecurityEea0')[0]?.event_type).toBe('High');
  });
  test('a handover security configuration with EEA1 raises nothing (negative twin)', () => {
    expect(given(analyzer).when('handoverSecurityEea1')).toEqual([undefined]);
  });
  test('a real-shaped handover (measConfig, mobilityControlInfo, radioResourceConfigDedicated) with EEA0 is High', () => {
    expect(given(analyzer).when('handoverEea0WithMeasMobilityAndRadioConfig')[0]?.event_type).toBe('High');
  });
  test('the same handover with EEA1 raises nothing (negative twin)', () => {
    expect(given(analyzer).when('handoverEea1WithMeasMobilityAndRadioConfig')).toEqual([undefined]);
  });
});
