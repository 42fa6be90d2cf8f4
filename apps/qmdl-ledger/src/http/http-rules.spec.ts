import { isLedgerError } from '@ledger/domain';
import { answersJson, statusFor } from './error-codes';
import { parseRecordingName } from './recording-name';
import { correlationIdFrom } from './request-context';
import { humanizeBytes, humanizeKb } from './system-info';
import { readCookie, secretsEqual } from './auth.service';

describe('recording names are checked before any path is built', () => {
  it('accepts 1-20 digits, with the Rayhunter suffix stripped', () => {
    expect(parseRecordingName('1700000000')).toBe('1700000000');
    expect(parseRecordingName('1700000000.qmdl', '.qmdl')).toBe('1700000000');
    expect(parseRecordingName('1.zip', '.zip')).toBe('1');
  });

  it.each(['', '..', '../1', '1/..', '1\0', '-1', '1.5', ' 1', '１', '9'.repeat(21), 'a'.repeat(10_000)])('refuses %j as INVALID_RECORDING_NAME', (raw) => {
    try {
      parseRecordingName(raw, '.qmdl');
      throw new Error('accepted');
    } catch (error) {
      expect(isLedgerError(error, 'INVALID_RECORDING_NAME')).toBe(true);
    }
  });
});

describe('the code → status table', () => {
  it('maps codes, with the Rayhunter override for delete', () => {
    expect(statusFor('NO_SUCH_RECORDING', 'GET', '/api/qmdl/1')).toBe(404);
    expect(statusFor('NO_SUCH_RECORDING', 'POST', '/api/delete-recording/1')).toBe(400);
    expect(statusFor('INVALID_ANYTHING', 'GET', '/')).toBe(400);
    expect(statusFor('INSUFFICIENT_DISK_SPACE', 'POST', '/api/start-recording')).toBe(507);
    // A store that cannot write (full disk) or is shutting down is not an internal error.
    expect(statusFor('WRITE_FAILED', 'POST', '/api/start-recording')).toBe(507);
    expect(statusFor('PROCESSOR_CLOSED', 'POST', '/api/stop-recording')).toBe(503);
    expect(statusFor('RECORDING_NOT_ACTIVE', 'POST', '/x')).toBe(409);
    expect(statusFor('SOMETHING_NEW', 'GET', '/')).toBe(500);
  });

  it('answers JSON on our endpoints and text on Rayhunter ones', () => {
    expect(answersJson('/api/events/1')).toBe(true);
    expect(answersJson('/api/auth/session')).toBe(true);
    expect(answersJson('/healthz')).toBe(true);
    expect(answersJson('/api/qmdl/1')).toBe(false);
    expect(answersJson('/api/eventsx')).toBe(false);
  });
});

describe('request ids', () => {
  it('keeps a sane X-Request-Id and replaces anything else', () => {
    expect(correlationIdFrom('abc-123')).toBe('abc-123');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'é', '\n']) expect(correlationIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('sizes as the original prints them', () => {
  it('humanizes KiB like Rayhunter and bytes like df -h', () => {
    expect(humanizeKb(812)).toBe('812K');
    expect(humanizeKb(28_293)).toBe('27.6M');
    expect(humanizeBytes(512)).toBe('512');
    expect(humanizeBytes(1536)).toBe('1.5K');
    expect(humanizeBytes(28.3 * 1024 * 1024)).toBe('29M');
    expect(humanizeBytes(5 * 1024 ** 3)).toBe('5.0G');
  });
});

describe('auth helpers', () => {
  it('compares secrets of any length and reads one cookie', () => {
    expect(secretsEqual('a', 'a')).toBe(true);
    expect(secretsEqual('a', 'ab')).toBe(false);
    expect(readCookie('x=1; ledger_session=abc; y=2', 'ledger_session')).toBe('abc');
    expect(readCookie(undefined, 'ledger_session')).toBeUndefined();
  });
});
