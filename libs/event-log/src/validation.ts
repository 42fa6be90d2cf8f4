import type { NewEvent } from '@ledger/domain';
import type { EventFilter } from './event-log.port';
import { canonicalEncode } from './canonical';
import { EventRejectedError, EventRejectionCode } from './errors';
import { INDEX_SEPARATOR, normalizeTime } from './layout';
import { isSequence } from './sequence-key';

const ACTOR_KINDS = new Set(['http', 'recorder', 'system', 'cli']);

/**
 * The most bytes an event's `data` and `metadata` may take together, as UTF-8
 * canonical JSON. Far above anything the domain decides (a request body is
 * capped at 64 KiB): it keeps one event from becoming a LevelDB value that
 * every read of the log has to carry.
 */
export const MAX_EVENT_BYTES = 1024 * 1024;

function fail(message: string): never {
  throw new TypeError(message);
}

// Field paths are built only when a check fails: append validates every event.
function indexable(value: unknown, what: string, at = ''): string {
  if (typeof value !== 'string' || value === '') fail(`${at}${what} must be a non-empty string`);
  if (value.includes(INDEX_SEPARATOR)) fail(`${at}${what} must not contain U+0000`);
  return value;
}

function isoTime(value: unknown, what: string, at = ''): string {
  if (typeof value !== 'string' || normalizeTime(value) === undefined) fail(`${at}${what} must be an ISO 8601 time`);
  return value;
}

/** An event checked and pre-encoded when `append` is called, sealed (seq, prev, hash) at commit time. */
export interface PreparedEvent {
  /** The envelope fields only, as they will read back from the store (what JSON keeps). */
  readonly event: NewEvent;
  /** `canonicalEncode(event.data)` and `canonicalEncode(event.metadata)`. */
  readonly dataJson: string;
  readonly metadataJson: string;
  /** The adjusted time as indexed (`normalizeTime`). */
  readonly timeKey: string;
}

/**
 * Checks one event handed to `append` and pre-encodes it. A bad event is a
 * TypeError (an EventRejectedError naming the rule it broke and its index).
 */
export function prepareEvent(event: unknown, index: number): PreparedEvent {
  try {
    return prepare(event, index);
  } catch (error) {
    if (error instanceof EventRejectedError) throw error;
    throw new EventRejectedError(EventRejectionCode.MALFORMED_EVENT, (error as Error).message, index);
  }
}

function prepare(event: unknown, index: number): PreparedEvent {
  const at = `events[${index}].`;
  if (event === null || typeof event !== 'object') fail(`events[${index}] must be an object`);
  const e = event as Record<string, unknown>;
  const type = indexable(e['type'], 'type', at);
  const v = e['v'];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${at}v must be an integer >= 1`);
  const time = e['time'];
  const timeKey = typeof time === 'string' ? normalizeTime(time) : undefined;
  if (timeKey === undefined) fail(`${at}time must be an ISO 8601 time`);
  const systemTime = isoTime(e['systemTime'], 'systemTime', at);
  const recording = e['recording'] === undefined ? undefined : indexable(e['recording'], 'recording', at);
  if (e['data'] === undefined) fail(`${at}data is required`);
  const metadata = e['metadata'];
  if (metadata === null || typeof metadata !== 'object') fail(`${at}metadata must be an object`);
  const m = metadata as Record<string, unknown>;
  const actor = m['actor'];
  if (actor === null || typeof actor !== 'object') fail(`${at}metadata.actor must be an object`);
  const kind = (actor as Record<string, unknown>)['kind'];
  if (typeof kind !== 'string' || !ACTOR_KINDS.has(kind))
    fail(`${at}metadata.actor.kind must be one of ${[...ACTOR_KINDS].join(', ')}`);
  if (kind === 'http')
    indexable((actor as Record<string, unknown>)['remoteAddress'], 'metadata.actor.remoteAddress', at);
  indexable(m['correlationId'], 'metadata.correlationId', at);
  if (typeof m['bootId'] !== 'string') fail(`${at}metadata.bootId must be a string`);
  if (typeof m['appVersion'] !== 'string') fail(`${at}metadata.appVersion must be a string`);
  let dataJson: string;
  let metadataJson: string;
  try {
    dataJson = canonicalEncode(e['data']);
    metadataJson = canonicalEncode(metadata);
  } catch (error) {
    throw new EventRejectedError(
      EventRejectionCode.EVENT_NOT_REPRESENTABLE,
      `events[${index}] is not representable as JSON: ${(error as Error).message}`,
      index,
    );
  }
  // Bytes are counted only past the cheap bound: a UTF-8 encoding takes at most 3 bytes per UTF-16 unit.
  if ((dataJson.length + metadataJson.length) * 3 > MAX_EVENT_BYTES) {
    const bytes = Buffer.byteLength(dataJson) + Buffer.byteLength(metadataJson);
    if (bytes > MAX_EVENT_BYTES) {
      throw new EventRejectedError(
        EventRejectionCode.EVENT_TOO_LARGE,
        `events[${index}] takes ${bytes} bytes as JSON, more than ${MAX_EVENT_BYTES}`,
        index,
      );
    }
  }
  // Copies as they will read back: callers may keep mutating what they passed in.
  const plain: NewEvent = {
    type,
    v,
    time: time as string,
    systemTime,
    ...(recording === undefined ? {} : { recording }),
    data: JSON.parse(dataJson) as unknown,
    metadata: JSON.parse(metadataJson) as NewEvent['metadata'],
  };
  return { event: plain, dataJson, metadataJson, timeKey };
}

export function checkOptionalSequence(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isSequence(value)) fail(`${what} must be a non-negative integer`);
  return value;
}

/** Checks a filter's shape; returns it with times normalized for comparison. */
export function checkFilter(filter: EventFilter): EventFilter {
  const { types, recording, actor, correlationId, since, until } = filter;
  if (types !== undefined) {
    if (!Array.isArray(types) || types.length === 0) fail('types must be a non-empty array of event types');
    types.forEach((t, i) => indexable(t, `types[${i}]`));
  }
  if (recording !== undefined) indexable(recording, 'recording');
  if (actor !== undefined) {
    indexable(actor, 'actor');
    if (!ACTOR_KINDS.has(actor) && !(actor.startsWith('http:') && actor.length > 5))
      fail(`actor must be an actor kind or http:<remoteAddress>`);
  }
  if (correlationId !== undefined) indexable(correlationId, 'correlationId');
  const normalized: { -readonly [K in keyof EventFilter]: EventFilter[K] } = { types, recording, actor, correlationId };
  if (since !== undefined) normalized.since = normalizeTime(isoTime(since, 'since'));
  if (until !== undefined) normalized.until = normalizeTime(isoTime(until, 'until'));
  return normalized;
}
