import { given } from '../testing/analyzer-spec-helpers';
import type { CraftedName } from '../vectors/crafted-messages';
import { nullCipherAnalyzer as analyzer } from './null-cipher.analyzer';

describe('null_cipher: RRC selecting EEA0', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual(['null_cipher', 'Null Cipher', 1]);
  });

  // Each path the original reads, with EEA0 (High) and its negative twin with EEA1/EEA2 (nothing).
  test.each<[string, CraftedName, CraftedName]>([
    ['a security mode command', 'securityModeCommandEea0', 'securityModeCommandEea2'],
    ['a handover security configuration (r8 securityConfigHO)', 'handoverSecurityEea0', 'handoverSecurityEea1'],
    [
      'a real-shaped handover (measConfig, mobilityControlInfo, radioResourceConfigDedicated before securityConfigHO)',
      'handoverEea0WithMeasMobilityAndRadioConfig',
      'handoverEea1WithMeasMobilityAndRadioConfig',
    ],
    [
      'an SCG addition (v1250 cipheringAlgorithmSCG-r12, behind an SCell addition)',
      'scgAdditionEea0',
      'scgAdditionEea2',
    ],
    ['an intra-5GC handover (securityConfigHO-v1530)', 'handoverIntra5gcEea0', 'handoverIntra5gcEea2'],
    ['a 5GC-to-EPC handover (securityConfigHO-v1530)', 'handover5gcToEpcEea0', 'handover5gcToEpcEea1'],
    [
      'an EPC-to-5GC handover (securityConfigHO-v1530) behind the sidelink configurations',
      'handoverEpcTo5gcBehindSidelinkEea0',
      'handoverEpcTo5gcBehindSidelinkEea2',
    ],
  ])('%s with EEA0 is High; the same with a real cipher raises nothing', (_path, eea0, ciphered) => {
    expect(given(analyzer).when(eea0)[0]?.event_type).toBe('High');
    expect(given(analyzer).when(ciphered)).toEqual([undefined]);
  });
});
