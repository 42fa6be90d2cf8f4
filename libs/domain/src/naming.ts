import { canFormatRfc3339, formatRfc3339, parseRfc3339 } from './rfc3339';

/**
 * Recording names are Rayhunter's: the decimal unix seconds of the start. Unlike
 * the original daemon, a name is never issued twice for the life of a store
 * (RAYHUNTER.md "Known defects"): two starts in one second, or a clock that went
 * backwards, get the next free second instead of truncating an older recording.
 */

const RECORDING_NAME = /^[0-9]+$/;

/** True for a name made of decimal digits only (Rayhunter's `<unix seconds>`). */
export function isRecordingName(value: string): boolean {
  return typeof value === 'string' && RECORDING_NAME.test(value);
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
