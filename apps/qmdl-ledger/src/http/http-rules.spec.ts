import { errorCodeOf } from '@ledger/domain';
import { answersJson, statusFor } from './error-codes';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-body';
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

  it.each(['', '..', '../1', '1/..', '1\0', '-1', '1.5', ' 1', '１', '9'.repeat(21), 'a'.repeat(10_000)])(
    'refuses %j as INVALID_RECORDING_NAME',
    (raw) => {
      expect(errorCodeOf(() => parseRecordingName(raw, '.qmdl'))).toBe('INVALID_RECORDING_NAME');
    },
  );
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

  it("refuses what the event log cannot store as the client's fault: 400 for a body nested too deep, 413 for a too large event", () => {
    expect(statusFor('JSON_TOO_DEEP', 'POST', '/api/config')).toBe(400);
    expect(statusFor('EVENT_NOT_REPRESENTABLE', 'POST', '/api/config')).toBe(400);
    expect(statusFor('EVENT_TOO_LARGE', 'POST', '/api/config')).toBe(413);
  });

  it('answers JSON on our endpoints and text on Rayhunter ones', () => {
    expect(answersJson('/api/events/1')).toBe(true);
    expect(answersJson('/api/auth/session')).toBe(true);
    expect(answersJson('/healthz')).toBe(true);
    expect(answersJson('/api/qmdl/1')).toBe(false);
    expect(answersJson('/api/eventsx')).toBe(false);
  });
});

describe('request bodies nest at most MAX_JSON_DEPTH levels', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
    return value;
  };
  it('counts arrays and objects, not scalars', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({ a: 'deep' }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: null }] }, 2)).toBe(true);
    expect(nestsDeeperThan({ a: [1, { b: null }] }, 3)).toBe(false);
  });
  it('accepts MAX_JSON_DEPTH levels and refuses one more, at any depth JSON.parse accepts', () => {
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    const veryDeep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(nestsDeeperThan(veryDeep, MAX_JSON_DEPTH)).toBe(true);
  });
});

describe('request ids', () => {
  it('keeps a sane X-Request-Id and replaces anything else', () => {
    expect(correlationIdFrom('abc-123')).toBe('abc-123');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'é', '\n'])
      expect(correlationIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
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
