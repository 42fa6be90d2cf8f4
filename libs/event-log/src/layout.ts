import type { StoredEvent } from '@ledger/domain';
import { encodeSequenceKey, decodeSequenceKey, SEQUENCE_KEY_LENGTH } from './sequence-key';

/**
 * The on-disk layout (README "Key layout"), private to this lib. Every name
 * here is part of the store format.
 */

/**
 * The version of this key layout: the `formatVersion` of `!meta!store`. A
 * store of a newer one is refused (UNSUPPORTED_FORMAT_VERSION).
 */
export const KEY_LAYOUT_VERSION = 1;

/** Sublevel names; abstract-level prefixes their keys with `!<name>!`. */
export const SUBLEVELS = {
  meta: 'meta',
  events: 'events',
  snapshots: 'snapshots',
  byType: 'idx-type',
  byRecording: 'idx-recording',
  byActor: 'idx-actor',
  byCorrelation: 'idx-correlation',
  byTime: 'idx-time',
} as const;

export type IndexSublevel =
  | typeof SUBLEVELS.byType
  | typeof SUBLEVELS.byRecording
  | typeof SUBLEVELS.byActor
  | typeof SUBLEVELS.byCorrelation
  | typeof SUBLEVELS.byTime;

/** Keys in the `meta` sublevel. */
export const META_KEYS = { store: 'store', head: 'head' } as const;

/** Separates an index value from the sequence key; indexed values may not contain it. */
export const INDEX_SEPARATOR = '\u0000';

/** `<value>\0<16 hex digits of seq>`: entries of one value are contiguous and in sequence order. */
export function indexKey(value: string, seq: number): string {
  return `${value}${INDEX_SEPARATOR}${encodeSequenceKey(seq)}`;
}

/** The sequence at the end of an index key, or undefined when malformed. */
export function seqOfIndexKey(key: string): number | undefined {
  if (key.length <= SEQUENCE_KEY_LENGTH || key[key.length - SEQUENCE_KEY_LENGTH - 1] !== INDEX_SEPARATOR)
    return undefined;
  return decodeSequenceKey(key.slice(-SEQUENCE_KEY_LENGTH));
}

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Adjusted time as it is indexed and compared: `Date#toISOString()` form
 * (fixed width, so byte order is time order). Undefined when unparseable or
 * outside years 0000–9999.
 */
export function normalizeTime(time: string): string | undefined {
  const ms = Date.parse(time);
  if (CANONICAL_TIME.test(time)) return Number.isFinite(ms) ? time : undefined;
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return iso.length === 24 ? iso : undefined;
}

/** The index entries one event gets: `[sublevel, value]` pairs. */
export function indexEntries(
  event: StoredEvent,
  timeKey = normalizeTime(event.time) ?? event.time,
): Array<readonly [IndexSublevel, string]> {
  const entries: Array<readonly [IndexSublevel, string]> = [[SUBLEVELS.byType, event.type]];
  if (event.recording !== undefined) entries.push([SUBLEVELS.byRecording, event.recording]);
  const actor = event.metadata.actor;
  entries.push([SUBLEVELS.byActor, actor.kind]);
  if (actor.kind === 'http') entries.push([SUBLEVELS.byActor, `http:${actor.remoteAddress}`]);
  entries.push([SUBLEVELS.byCorrelation, event.metadata.correlationId]);
  entries.push([SUBLEVELS.byTime, timeKey]);
  return entries;
}
