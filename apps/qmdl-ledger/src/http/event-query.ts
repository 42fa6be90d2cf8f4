import { SEVERITIES, type Severity } from '@ledger/analysis';
import {
  LEDGER_EVENT_TYPES,
  LedgerError,
  parseRfc3339,
  unknownEventTypes,
  type AnalysisEventDataMap,
  type StoredEvent,
} from '@ledger/domain';
import { PAGE_LIMIT, type EventFilter, type EventPage, type PageOptions } from '@ledger/event-log';
import { parseRecordingName } from './recording-name';

/** At most this many events are examined per `q` (free-text) or `severity` page request; `next` continues the scan. */
export const Q_SCAN_BUDGET = 10_000;

export interface EventQuery {
  readonly filter: EventFilter;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly after?: number;
  readonly before?: number;
  /** Free text, matched case-insensitively against each event's JSON. */
  readonly q?: string;
  /** Only analysis events at or above this severity (see {@link eventSeverity}). */
  readonly severity?: Severity;
}

/** Whether each analysis event carries a severity: every analysis event type is named, so a new one must be placed. */
const CARRIES_SEVERITY = {
  RecordingAnalysisRequested: false,
  RecordingAnalysisStarted: false,
  RecordingAnalysisFinding: true,
  RecordingAnalysisCompleted: true,
} as const satisfies Record<keyof AnalysisEventDataMap, boolean>;

/** The event types that carry a severity (see {@link eventSeverity}). */
export const SEVERITY_EVENT_TYPES: readonly string[] = Object.entries(CARRIES_SEVERITY)
  .filter(([, carries]) => carries)
  .map(([type]) => type);

const rank = (severity: unknown): number => SEVERITIES.indexOf(severity as Severity);

/**
 * An event's severity, for the `severity` filter: a finding's own, and for a
 * completed analysis the worst severity it counted (Informational included),
 * so a recording's report can be found by what it holds. Every other event,
 * and a completion that counted nothing, has none.
 */
export function eventSeverity(event: Pick<StoredEvent, 'type' | 'data'>): Severity | undefined {
  const data = event.data as Record<string, unknown> | null;
  if (data === null || typeof data !== 'object') return undefined;
  if (event.type === 'RecordingAnalysisFinding')
    return rank(data.severity) >= 0 ? (data.severity as Severity) : undefined;
  if (event.type !== 'RecordingAnalysisCompleted' || data.severities === null || typeof data.severities !== 'object')
    return undefined;
  const counts = data.severities as Record<string, unknown>;
  return [...SEVERITIES].reverse().find((s) => typeof counts[s] === 'number' && counts[s] > 0);
}

/** Whether an event passes the query's post-filters (`q`, `severity`), which the log's indexes cannot answer. */
export function queryMatches(event: StoredEvent, query: Pick<EventQuery, 'q' | 'severity'>): boolean {
  if (query.severity !== undefined && !(rank(eventSeverity(event)) >= rank(query.severity))) return false;
  return query.q === undefined || eventMatches(event, query.q);
}

type Query = Readonly<Record<string, unknown>>;

function one(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new LedgerError('INVALID_QUERY', `${name} must be given once, as a string`);
  return value;
}

function seqParam(query: Query, name: string): number | undefined {
  const value = one(query, name);
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value)) throw new LedgerError('INVALID_QUERY', `${name} must be a non-negative integer`);
  return Number(value);
}

function timeParam(query: Query, name: string): string | undefined {
  const value = one(query, name);
  if (value === undefined) return undefined;
  const ms = value.length <= 64 ? parseRfc3339(value) : undefined;
  if (ms === undefined) throw new LedgerError('INVALID_QUERY', `${name} must be an RFC 3339 time`);
  // Normalised to the UTC form stored in events, so comparisons are exact.
  return new Date(ms).toISOString();
}

/** A page size: the log's own limits (1..1000, default 100), so a page asked over HTTP is one page of the log. */
function limitParam(query: Query): number {
  const value = one(query, 'limit');
  if (value === undefined) return PAGE_LIMIT.default;
  if (!/^[0-9]{1,4}$/.test(value) || Number(value) < 1 || Number(value) > PAGE_LIMIT.max) {
    throw new LedgerError('INVALID_QUERY', `limit must be an integer in 1..${PAGE_LIMIT.max}`);
  }
  return Number(value);
}

/**
 * The page of a recording's history: `after` (the previous page's `next`) and
 * `limit`, as `GET /api/events?order=asc` reads them.
 */
export function parseHistoryPage(query: Query): { readonly after?: number; readonly limit: number } {
  // Oldest first only: a `before` or a `desc` would be silently ignored otherwise.
  if (one(query, 'before') !== undefined || (one(query, 'order') ?? 'asc') !== 'asc')
    throw new LedgerError('INVALID_QUERY', 'a history is paged oldest first: pass the previous next as after');
  const after = seqParam(query, 'after');
  return { limit: limitParam(query), ...(after !== undefined ? { after } : {}) };
}

/** The filters shared by the page, export and stream endpoints. */
export function parseEventFilter(query: Query): EventFilter {
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  const type = one(query, 'type');
  if (type !== undefined) {
    const types = type
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    if (types.length === 0 || types.length > 32 || types.some((t) => !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(t))) {
      throw new LedgerError('INVALID_QUERY', 'type must be a comma-separated list of event types');
    }
    const unknown = unknownEventTypes(types);
    if (unknown.length > 0) {
      throw new LedgerError(
        'UNKNOWN_EVENT_TYPE',
        `unknown event type ${unknown.join(', ')}; the known types are ${LEDGER_EVENT_TYPES.join(', ')}`,
        {
          details: { unknown, known: [...LEDGER_EVENT_TYPES] },
        },
      );
    }
    filter.types = types;
  }
  const recording = one(query, 'recording');
  if (recording !== undefined) filter.recording = parseRecordingName(recording);
  const actor = one(query, 'actor');
  if (actor !== undefined) {
    if (!/^(http|recorder|system|cli)$/.test(actor) && !/^http:[0-9A-Za-z.:%_-]{1,100}$/.test(actor)) {
      throw new LedgerError('INVALID_QUERY', 'actor must be http, recorder, system, cli or http:<remote address>');
    }
    filter.actor = actor as EventFilter['actor'];
  }
  const correlation = one(query, 'correlation');
  if (correlation !== undefined) {
    if (!/^[A-Za-z0-9._:@+=/-]{1,128}$/.test(correlation))
      throw new LedgerError('INVALID_QUERY', 'correlation must be a request id');
    filter.correlationId = correlation;
  }
  const since = timeParam(query, 'since');
  if (since !== undefined) filter.since = since;
  const until = timeParam(query, 'until');
  if (until !== undefined) filter.until = until;
  return filter;
}

export function parseEventQuery(query: Query): EventQuery {
  let filter = parseEventFilter(query);
  const orderRaw = one(query, 'order') ?? 'desc';
  if (orderRaw !== 'asc' && orderRaw !== 'desc') throw new LedgerError('INVALID_QUERY', 'order must be asc or desc');
  const limit = limitParam(query);
  const after = seqParam(query, 'after');
  const before = seqParam(query, 'before');
  const q = one(query, 'q');
  if (q !== undefined && q.length > 256) throw new LedgerError('INVALID_QUERY', 'q must be at most 256 characters');
  const severityRaw = one(query, 'severity');
  let severity: Severity | undefined;
  if (severityRaw !== undefined) {
    severity = SEVERITIES.find((s) => s === severityRaw);
    if (severity === undefined)
      throw new LedgerError('INVALID_QUERY', `severity must be one of ${SEVERITIES.join(', ')}`);
    // Only these types can match: asking the log for them alone keeps the scan to analysis events.
    const types = (filter.types ?? SEVERITY_EVENT_TYPES).filter((t) => SEVERITY_EVENT_TYPES.includes(t));
    if (types.length === 0) {
      throw new LedgerError(
        'INVALID_QUERY',
        `severity filters analysis events: type must name ${SEVERITY_EVENT_TYPES.join(' or ')} with it`,
      );
    }
    filter = { ...filter, types };
  }
  return {
    filter,
    order: orderRaw,
    limit,
    ...(after !== undefined ? { after } : {}),
    ...(before !== undefined ? { before } : {}),
    ...(q !== undefined ? { q } : {}),
    ...(severity !== undefined ? { severity } : {}),
  };
}

export function pageOptions(
  query: EventQuery,
  overrides: { limit?: number; after?: number; before?: number } = {},
): PageOptions {
  const after = overrides.after ?? query.after;
  const before = overrides.before ?? query.before;
  return {
    ...query.filter,
    order: query.order,
    limit: overrides.limit ?? query.limit,
    ...(after !== undefined ? { after } : {}),
    ...(before !== undefined ? { before } : {}),
  };
}

/**
 * A free-text or severity search (`q`, `severity`): scans pages of the filtered log from `page`
 * (the device's log, or the fleet service's copy of a device's), keeps the matches, and stops at
 * `limit` matches or after {@link Q_SCAN_BUDGET} events, with `next` to continue — so the device
 * and the fleet service answer the same search with the same page.
 */
export async function searchEvents(
  page: (options: PageOptions) => Promise<EventPage>,
  parsed: EventQuery,
): Promise<{ events: StoredEvent[]; next?: number; head: number }> {
  const events: StoredEvent[] = [];
  let scanned = 0;
  let cursor: { after?: number; before?: number } = {};
  for (;;) {
    const room = Math.min(1000, Q_SCAN_BUDGET - scanned);
    const read = await page(pageOptions(parsed, { ...cursor, limit: room }));
    const head = read.head;
    for (const event of read.events) {
      scanned += 1;
      if (queryMatches(event, parsed)) {
        events.push(event);
        if (events.length === parsed.limit) {
          const last = read.events[read.events.length - 1];
          // More may follow: in this page after the match, or beyond it.
          const more = event !== last || read.next !== undefined;
          return { events, ...(more ? { next: event.seq } : {}), head };
        }
      }
    }
    if (read.next === undefined) return { events, head };
    if (scanned >= Q_SCAN_BUDGET) return { events, next: read.next, head };
    cursor = parsed.order === 'asc' ? { after: read.next } : { before: read.next };
  }
}

/** Case-insensitive match of free text against the event's JSON. */
function eventMatches(event: StoredEvent, q: string): boolean {
  return JSON.stringify(event).toLowerCase().includes(q.toLowerCase());
}
