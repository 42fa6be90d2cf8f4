import { LedgerError } from './errors';
import { canFormatRfc3339, formatRfc3339, parseRfc3339 } from './rfc3339';

/**
 * Recording names are Rayhunter's: the decimal unix seconds of the start. Unlike
 * the original daemon (which reuses a name, and so truncates the older recording's
 * files, when two starts fall in one second or the clock went backwards), a name
 * is never issued twice for the life of a store: such a start gets the next free
 * second.
 */

/**
 * The most digits a recording name may have. Unix seconds need 10 until 2286;
 * 20 holds any unsigned 64-bit number (the original's names) and keeps a name
 * short enough to check before it becomes part of a path.
 */
export const RECORDING_NAME_MAX_DIGITS = 20;

/**
 * The recording-name rule as an unanchored regex source, to build the patterns
 * that contain a name (file names, OpenAPI parameters) from this one rule.
 */
export const RECORDING_NAME_PATTERN = `[0-9]{1,${RECORDING_NAME_MAX_DIGITS}}`;

const RECORDING_NAME = new RegExp(`^${RECORDING_NAME_PATTERN}$`);

/** True for a recording name: 1 to {@link RECORDING_NAME_MAX_DIGITS} decimal digits (Rayhunter's `<unix seconds>`). */
export function isRecordingName(value: unknown): value is string {
  return typeof value === 'string' && RECORDING_NAME.test(value);
}

/**
 * `value` as a recording name, or a LedgerError INVALID_RECORDING_NAME. Every
 * name that arrives from outside (a URL, a CLI argument, a file name) passes
 * here before a path is built from it, so `../`, NUL and the like never become one.
 */
export function parseRecordingName(value: unknown): string {
  if (isRecordingName(value)) return value;
  const text = typeof value === 'string' ? value : '';
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  throw new LedgerError(
    'INVALID_RECORDING_NAME',
    `invalid recording name ${JSON.stringify(shown)}: expected 1 to ${RECORDING_NAME_MAX_DIGITS} decimal digits`,
  );
}

/**
 * Own-property lookup in a plain record: a name read from a damaged log such as
 * `constructor` must not find `Object.prototype`'s members.
 */
export function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/**
 * The name for a recording started at `atMs`: its unix second (floored), or the
 * next second not in `names` — which holds every name ever issued or imported.
 */
export function nextFreeName(names: Readonly<Record<string, unknown>>, atMs: number): string {
  let seconds = Math.floor(atMs / 1000);
  while (lookup(names, String(seconds)) !== undefined) seconds += 1;
  return String(seconds);
}

/** Compares decimal names by value (shorter digit strings first), other strings by code unit. */
export function compareRecordingNames(a: string, b: string): number {
  if (isRecordingName(a) && isRecordingName(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The start time a recording's name encodes (unix seconds), as RFC 3339 UTC —
 * what a file found without a manifest entry tells. Undefined when the name is
 * not a recording name or its seconds are no representable time.
 */
export function startTimeOfName(name: string): string | undefined {
  if (!isRecordingName(name)) return undefined;
  const ms = Number(name) * 1000;
  return canFormatRfc3339(ms, 0) ? formatRfc3339(ms, 0) : undefined;
}

/** The instant a recording started: its start time, or else the seconds its name encodes. */
export function startInstantMs(recording: { readonly name: string; readonly startTime: string }): number {
  const parsed = parseRfc3339(recording.startTime);
  if (parsed !== undefined) return parsed;
  return isRecordingName(recording.name) ? Number(recording.name) * 1000 : Number.POSITIVE_INFINITY;
}

/** Start order (ascending start instant, ties by name): the manifest's and delete-all's order. */
export function compareRecordingsByStart(
  a: { readonly name: string; readonly startTime: string },
  b: { readonly name: string; readonly startTime: string },
): number {
  const ta = startInstantMs(a);
  const tb = startInstantMs(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareRecordingNames(a.name, b.name);
}
