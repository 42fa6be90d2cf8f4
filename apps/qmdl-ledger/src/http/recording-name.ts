import { LedgerError } from '@ledger/domain';

/** Recording names are unix seconds: digits only, bounded, checked before any path is built. */
const RECORDING_NAME = /^[0-9]{1,20}$/;

/**
 * The recording name of a URL parameter, with the Rayhunter suffix (`.qmdl`,
 * `.zip`) stripped, or INVALID_RECORDING_NAME. Nothing reaches the filesystem
 * before this check, so `../`, `%2e%2e`, NUL and the like never become a path.
 */
export function parseRecordingName(raw: unknown, suffix?: string): string {
  let name = typeof raw === 'string' ? raw : '';
  if (suffix !== undefined && name.endsWith(suffix)) name = name.slice(0, -suffix.length);
  if (!RECORDING_NAME.test(name)) {
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    throw new LedgerError(
      'INVALID_RECORDING_NAME',
      `invalid recording name ${JSON.stringify(shown)}: expected 1-20 decimal digits`,
    );
  }
  return name;
}
