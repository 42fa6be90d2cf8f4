import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** A GPS fix as a packet comment needs it. */
export interface GpsFix {
  /** Unix seconds of the newest packet when the fix arrived (the recording's `latest_packet_timestamp`). */
  readonly unixTs: number;
  readonly lat: number;
  readonly lon: number;
}

/**
 * One line of a recording's `-gps.ndjson` (`latest_packet_timestamp`,
 * `system_time`, `lat`, `lon`) as a fix, or undefined for a line that is not
 * one — malformed JSON, missing coordinates, or no packet timestamp (a fix taken
 * before any packet cannot be placed in the capture's time).
 */
export function parseGpsFixLine(line: string): GpsFix | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { latest_packet_timestamp: unixTs, lat, lon } = value as Record<string, unknown>;
  if (typeof unixTs !== 'number' || !Number.isFinite(unixTs) || typeof lat !== 'number' || typeof lon !== 'number')
    return undefined;
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  return { unixTs: Math.trunc(unixTs), lat, lon };
}

/** The fixes of a `-gps.ndjson` stream, line by line (bounded memory); lines that are not fixes are skipped. */
export async function* readGpsFixes(input: Readable): AsyncGenerator<GpsFix, void, undefined> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const fix = parseGpsFixLine(line);
      if (fix !== undefined) yield fix;
    }
  } finally {
    lines.close();
  }
}

/** A fix as serde writes a float: integral values keep a `.0`, so comments read as the original's. */
function jsonFloat(n: number): string {
  const text = JSON.stringify(n);
  return Number.isInteger(n) && !text.includes('e') ? `${text}.0` : text;
}

/** The packet comment of a fix: `{"unix_ts":…,"lat":…,"lon":…}`. */
export function gpsComment(fix: GpsFix): string {
  return `{"unix_ts":${fix.unixTs},"lat":${jsonFloat(fix.lat)},"lon":${jsonFloat(fix.lon)}}`;
}

/** Of two fixes around second `t` (before ≤ t < after), the nearer; a tie goes to the earlier. */
function nearer(before: GpsFix | undefined, after: GpsFix | undefined, t: number): GpsFix | undefined {
  if (before === undefined) return after;
  if (after === undefined) return before;
  return t - before.unixTs <= after.unixTs - t ? before : after;
}

/**
 * Picks, for each packet second, the fix whose time is nearest (ties: the
 * earlier), as the original does.
 *
 * - From an array: sorted once, then a binary search per packet — exact for
 *   any packet order.
 * - From an async iterable: read forward only, holding two fixes, so memory is
 *   bounded whatever the file size. The fixes must be in ascending time (as a
 *   recording writes them); a packet earlier than the current window (a clock
 *   that jumped back) gets the earliest fix still held.
 *
 * Call `advance(t)` (await it when it returns a promise) before `nearest(t)`.
 */
export class GpsFixMatcher {
  private readonly sorted: readonly GpsFix[] | undefined;
  private readonly iterator: AsyncIterator<GpsFix> | undefined;
  private before: GpsFix | undefined;
  private after: GpsFix | undefined;
  private started = false;
  private exhausted = false;

  constructor(fixes: Iterable<GpsFix> | AsyncIterable<GpsFix>) {
    if (Symbol.asyncIterator in fixes) {
      this.iterator = (fixes as AsyncIterable<GpsFix>)[Symbol.asyncIterator]();
    } else {
      this.sorted = [...(fixes as Iterable<GpsFix>)].sort((a, b) => a.unixTs - b.unixTs);
    }
  }

  /** Reads fixes until the window covers second `t`; undefined when nothing needs reading. */
  advance(t: number): Promise<void> | undefined {
    if (this.iterator === undefined || this.exhausted) return undefined;
    if (this.started && (this.after === undefined || this.after.unixTs > t)) return undefined;
    return this.pull(t);
  }

  /** The fix nearest second `t` among those read so far (all of them for an array); undefined when there are none. */
  nearest(t: number): GpsFix | undefined {
    const sorted = this.sorted;
    if (sorted === undefined) return nearer(this.before, this.after, t);
    // The first fix later than t; the one before it is the last at or before t.
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as GpsFix).unixTs <= t) lo = mid + 1;
      else hi = mid;
    }
    return nearer(sorted[lo - 1], sorted[lo], t);
  }

  /** Stops reading the fixes (closes a file behind an async iterable). */
  async close(): Promise<void> {
    this.exhausted = true;
    await this.iterator?.return?.();
  }

  private async pull(t: number): Promise<void> {
    const iterator = this.iterator as AsyncIterator<GpsFix>;
    if (!this.started) {
      this.started = true;
      const first = await iterator.next();
      if (first.done === true) {
        this.exhausted = true;
        return;
      }
      this.after = first.value;
    }
    while (this.after !== undefined && this.after.unixTs <= t) {
      const next = await iterator.next();
      if (next.done === true) {
        this.exhausted = true;
        // The last fix stays the nearest for every later packet.
        this.before = this.after;
        this.after = undefined;
        return;
      }
      this.before = this.after;
      this.after = next.value;
    }
  }
}
