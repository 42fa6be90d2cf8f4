import { canFormatRfc3339, civilFromDays, daysFromCivil, formatRfc3339, parseRfc3339 } from '@ledger/domain';
import { mulberry32 as prng } from './mulberry32';

describe('formatRfc3339', () => {
  it('writes the local time with its offset, without fraction when ms = 0', () => {
    expect(formatRfc3339(1717236000000, 120)).toBe('2024-06-01T12:00:00+02:00');
  });
  it('writes milliseconds only when they are not zero', () => {
    expect(formatRfc3339(1717236000123, 120)).toBe('2024-06-01T12:00:00.123+02:00');
    expect(formatRfc3339(1717236000005, 0)).toBe('2024-06-01T10:00:00.005+00:00');
  });
  it('writes offset 0 as +00:00 and negative and half-hour offsets', () => {
    expect(formatRfc3339(0, 0)).toBe('1970-01-01T00:00:00+00:00');
    expect(formatRfc3339(1717236000000, -330)).toBe('2024-06-01T04:30:00-05:30');
  });
  it('crosses day, month and leap-day boundaries by the offset', () => {
    expect(formatRfc3339(Date.UTC(2024, 1, 29, 23, 30), 60)).toBe('2024-03-01T00:30:00+01:00');
    expect(formatRfc3339(Date.UTC(2024, 2, 1, 0, 30), -60)).toBe('2024-02-29T23:30:00-01:00');
    expect(formatRfc3339(-1, 0)).toBe('1969-12-31T23:59:59.999+00:00');
  });
  it('floors sub-millisecond parts', () => {
    expect(formatRfc3339(1717236000123.9, 0)).toBe('2024-06-01T10:00:00.123+00:00');
  });
  it('refuses what RFC 3339 cannot write (RangeError)', () => {
    expect(() => formatRfc3339(Number.NaN, 0)).toThrow(RangeError);
    expect(() => formatRfc3339(0, 1440)).toThrow(RangeError);
    expect(() => formatRfc3339(0, 1.5)).toThrow(RangeError);
    expect(() => formatRfc3339(Date.UTC(10000, 0, 1), 0)).toThrow(RangeError);
    expect(canFormatRfc3339(Date.UTC(9999, 11, 31, 23, 59, 59, 999), 0)).toBe(true);
  });
  it('agrees with Date#toISOString on random instants (offset 0)', () => {
    const random = prng(42);
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor((random() - 0.3) * 8e12);
      const iso = new Date(ms).toISOString().replace('.000Z', 'Z').replace('Z', '+00:00');
      expect(formatRfc3339(ms, 0)).toBe(iso);
    }
  });
});

describe('parseRfc3339', () => {
  it('reads Z and ±hh:mm offsets', () => {
    expect(parseRfc3339('2024-06-01T12:00:00+02:00')).toBe(1717236000000);
    expect(parseRfc3339('2024-06-01T10:00:00Z')).toBe(1717236000000);
    expect(parseRfc3339('2024-06-01t10:00:00z')).toBe(1717236000000);
    expect(parseRfc3339('2024-06-01T04:30:00-05:30')).toBe(1717236000000);
    expect(parseRfc3339('2024-06-01T10:00:00-00:00')).toBe(1717236000000);
  });
  it('reads fractional seconds of any length (to the millisecond)', () => {
    expect(parseRfc3339('2024-06-01T10:00:00.1Z')).toBe(1717236000100);
    expect(parseRfc3339('2024-06-01T10:00:00.123456789+00:00')).toBe(1717236000123);
    expect(parseRfc3339('2024-06-01T10:00:00.000000001Z')).toBe(1717236000000);
  });
  it('accepts a leap day and a leap second', () => {
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339('2016-12-31T23:59:60Z')).toBe(Date.UTC(2017, 0, 1));
  });
  it.each([
    '',
    'garbage',
    '2024-06-01',
    '2024-06-01T12:00:00',
    '2024-06-01 12:00:00Z',
    '2024-06-01T12:00Z',
    '2024-06-01T12:00:00+0200',
    '2024-06-01T12:00:00+2:00',
    '2024-06-01T12:00:00.Z',
    '2024-06-01T12:00:00Z junk',
    ' 2024-06-01T12:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-00-01T00:00:00Z',
    '2024-06-00T00:00:00Z',
    '2024-06-01T24:00:00Z',
    '2024-06-01T12:60:00Z',
    '2024-06-01T12:00:61Z',
    '2024-06-01T12:00:00+24:00',
    '2024-06-01T12:00:00+02:60',
    '+2024-06-01T12:00:00Z',
  ])('rejects %j', (value) => {
    expect(parseRfc3339(value)).toBeUndefined();
  });
  it('round-trips what formatRfc3339 writes, and agrees with Date.parse', () => {
    const random = prng(7);
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(random() * 4e12);
      const offset = Math.floor((random() - 0.5) * 2 * 1439);
      const text = formatRfc3339(ms, offset);
      expect(parseRfc3339(text)).toBe(ms);
      expect(parseRfc3339(text)).toBe(Date.parse(text));
    }
  });
});

describe('civil date arithmetic', () => {
  it('daysFromCivil and civilFromDays are inverse over ±400 years', () => {
    for (let days = -146_097; days <= 146_097; days += 37) {
      const { year, month, day } = civilFromDays(days);
      expect(daysFromCivil(year, month, day)).toBe(days);
    }
  });
});
