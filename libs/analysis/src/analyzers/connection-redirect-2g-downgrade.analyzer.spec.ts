import { given } from '../testing/analyzer-spec-helpers';
import { connectionRedirect2gDowngradeAnalyzer as analyzer } from './connection-redirect-2g-downgrade.analyzer';

describe('connection_redirect_2g_downgrade: a release redirecting to GERAN', () => {
  test('keeps the original name, version and key', () => {
    expect([analyzer.key, analyzer.name, analyzer.version]).toEqual([
      'connection_redirect_2g_downgrade',
      'Connection Release/Redirected Carrier 2G Downgrade',
      1,
    ]);
  });
  test('a release redirecting to a GERAN carrier is High', () => {
    expect(given(analyzer).when('releaseRedirectGeran')[0]?.event_type).toBe('High');
  });
  test('a release redirecting to LTE or UTRA is Informational and names the target', () => {
    const [eutra, utra] = given(analyzer).when('releaseRedirectEutra', 'releaseRedirectUtra');
    expect(eutra).toMatchObject({ event_type: 'Informational' });
    expect(eutra?.message).toContain('eutra');
    expect(utra).toMatchObject({ event_type: 'Informational' });
    expect(utra?.message).toContain('utra-FDD');
  });
  test('a release without a redirect, and any other message, raise nothing', () => {
    expect(given(analyzer).when('releaseNoRedirect', 'securityModeCommandEea0', 'sib1TwoSiMessages')).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
