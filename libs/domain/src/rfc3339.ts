/**
 * Pure RFC 3339 helpers. The domain has no clock: epoch milliseconds arrive inside
 * commands, and these turn them into the strings the Rayhunter manifest shows
 * (and back) by calendar arithmetic alone — no `Date`, so no host time zone.
 *
 * Civil-date conversions follow Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms" (https://howardhinnant.github.io/date_algorithms.html).
 */

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_DAY = 86_400_000;

/** Largest UTC offset RFC 3339 can write (±23:59). */
const MAX_UTC_OFFSET_MINUTES = 23 * 60 + 59;

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the four-digit years RFC 3339 can write. */
const MIN_LOCAL_MS = daysFromCivil(0, 1, 1) * MS_PER_DAY;
const MAX_LOCAL_MS = daysFromCivil(10000, 1, 1) * MS_PER_DAY - 1;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The proleptic Gregorian date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True when `utcOffsetMinutes` is a whole number of minutes RFC 3339 can write. */
export function isValidUtcOffsetMinutes(utcOffsetMinutes: number): boolean {
  return Number.isInteger(utcOffsetMinutes) && Math.abs(utcOffsetMinutes) <= MAX_UTC_OFFSET_MINUTES;
}

/** True when `formatRfc3339(epochMs, utcOffsetMinutes)` would succeed (finite, four-digit local year). */
export function canFormatRfc3339(epochMs: number, utcOffsetMinutes: number): boolean {
  if (!Number.isFinite(epochMs) || !isValidUtcOffsetMinutes(utcOffsetMinutes)) return false;
  const local = Math.floor(epochMs) + utcOffsetMinutes * MS_PER_MINUTE;
  return local >= MIN_LOCAL_MS && local <= MAX_LOCAL_MS;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * RFC 3339 of `epochMs` seen at a fixed UTC offset, as Rayhunter writes it:
 * `2024-06-01T12:00:00+02:00`, with `.123` only when the millisecond is not 0,
 * and `+00:00` (not `Z`) for offset 0 — it is a local time that happens to be UTC.
 * Sub-millisecond parts of `epochMs` are floored.
 *
 * @throws RangeError when `canFormatRfc3339` is false (a programmer's error).
 * @example formatRfc3339(1717236000123, 120) // '2024-06-01T12:00:00.123+02:00'
 */
export function formatRfc3339(epochMs: number, utcOffsetMinutes: number): string {
  if (!canFormatRfc3339(epochMs, utcOffsetMinutes)) {
    throw new RangeError(`cannot format ${String(epochMs)} ms at offset ${String(utcOffsetMinutes)} min as RFC 3339`);
  }
  const local = Math.floor(epochMs) + utcOffsetMinutes * MS_PER_MINUTE;
  const days = Math.floor(local / MS_PER_DAY);
  const msOfDay = local - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hours = Math.floor(msOfDay / 3_600_000);
  const minutes = Math.floor((msOfDay % 3_600_000) / MS_PER_MINUTE);
  const seconds = Math.floor((msOfDay % MS_PER_MINUTE) / MS_PER_SECOND);
  const millis = msOfDay % MS_PER_SECOND;
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const offset = Math.abs(utcOffsetMinutes);
  return (
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}` +
    (millis === 0 ? '' : `.${pad(millis, 3)}`) +
    `${sign}${pad(Math.floor(offset / 60), 2)}:${pad(offset % 60, 2)}`
  );
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Epoch milliseconds of an RFC 3339 date-time (section 5.6), or `undefined` when
 * the string is not one: `Z` or `±hh:mm` required, fractional seconds of any
 * length (truncated to the millisecond), calendar-checked day, leap second 60
 * accepted (it counts as the next second, as arithmetic gives).
 *
 * @example parseRfc3339('2024-06-01T12:00:00+02:00') // 1717236000000
 */
export function parseRfc3339(value: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (m === null) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zulu, sign, ohs, oms] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (zulu === undefined) {
    const oh = Number(ohs);
    const om = Number(oms);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * 3_600_000 +
    minute * MS_PER_MINUTE +
    second * MS_PER_SECOND +
    millis -
    offsetMinutes * MS_PER_MINUTE
  );
}
