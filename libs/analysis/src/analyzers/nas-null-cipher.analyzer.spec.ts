import { given } from '../testing/analyzer-spec-helpers';
import { nasNullCipherAnalyzer as analyzer } from './nas-null-cipher.analyzer';

describe('nas_null_cipher: NAS security mode command selecting EEA0', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual([
      'nas_null_cipher',
      'NAS Null Cipher Requested',
      1,
    ]);
  });
  test('EEA0 is High', () => {
    expect(given(analyzer).when('nasSecurityModeCommandEea0')[0]?.event_type).toBe('High');
  });
  test('EEA1 raises nothing (negative twin), nor does the RRC security mode command', () => {
    expect(given(analyzer).when('nasSecurityModeCommandEea1', 'securityModeCommandEea0')).toEqual([
      undefined,
      undefined,
    ]);
  });
});
