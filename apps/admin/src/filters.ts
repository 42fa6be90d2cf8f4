import { isSeverity, severityAtLeast, type Severity } from './analysis';
import type { StoredEvent } from './types';

/**
 * The event table's filter, as the URL carries it (so a view can be shared)
 * and as `/api/events` and `/api/events/export` take it. Live events are
 * matched here, client-side, with the same meaning.
 */
export interface Filters {
  readonly types: readonly string[];
  readonly recording: string;
  /** http | recorder | system | cli | http:ADDR */
  readonly actor: string;
  readonly correlation: string;
  /** RFC 3339 */
  readonly since: string;
  /** RFC 3339, exclusive */
  readonly until: string;
  readonly q: string;
  /** Analysis events at or above this severity ('' for every event). */
  readonly severity: Severity | '';
}

export const NO_FILTERS: Filters = {
  types: [],
  recording: '',
  actor: '',
  correlation: '',
  since: '',
  until: '',
  q: '',
  severity: '',
};

export function filtersFromQuery(params: URLSearchParams): Filters {
  const text = (key: string): string => (params.get(key) ?? '').trim();
  const types = text('type')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return {
    types: [...new Set(types)],
    recording: text('recording'),
    actor: text('actor'),
    correlation: text('correlation'),
    since: text('since'),
    until: text('until'),
    q: text('q'),
    severity: isSeverity(text('severity')) ? (text('severity') as Severity) : '',
  };
}

/** Only the set filters, in a stable order. */
export function filtersToQuery(f: Filters): URLSearchParams {
  const params = new URLSearchParams();
  if (f.types.length > 0) params.set('type', f.types.join(','));
  if (f.recording) params.set('recording', f.recording);
  if (f.actor) params.set('actor', f.actor);
  if (f.correlation) params.set('correlation', f.correlation);
  if (f.since) params.set('since', f.since);
  if (f.until) params.set('until', f.until);
  if (f.q) params.set('q', f.q);
  if (f.severity) params.set('severity', f.severity);
  return params;
}

export function isFiltered(f: Filters): boolean {
  return filtersToQuery(f).toString() !== '';
}

function actorMatches(filter: string, e: StoredEvent): boolean {
  const actor = e.metadata.actor;
  const colon = filter.indexOf(':');
  if (colon < 0) return actor.kind === filter;
  return actor.kind === 'http' && filter.slice(0, colon) === 'http' && actor.remoteAddress === filter.slice(colon + 1);
}

/** Whether a live event belongs in the table under this filter. */
export function matches(f: Filters, e: StoredEvent): boolean {
  if (f.types.length > 0 && !f.types.includes(e.type)) return false;
  if (f.recording && e.recording !== f.recording) return false;
  if (f.actor && !actorMatches(f.actor, e)) return false;
  if (f.correlation && e.metadata.correlationId !== f.correlation) return false;
  const time = Date.parse(e.time);
  if (f.since && !(time >= Date.parse(f.since))) return false;
  // `until` is exclusive on the server (time < until): same here.
  if (f.until && !(time < Date.parse(f.until))) return false;
  if (f.q && !JSON.stringify(e).toLowerCase().includes(f.q.toLowerCase())) return false;
  if (f.severity && !severityAtLeast(e, f.severity)) return false;
  return true;
}

/** RFC 3339 (any offset) → the value a `datetime-local` input shows, in local time. */
export function toLocalInput(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A `datetime-local` value (local time) → RFC 3339 UTC, or '' when empty/invalid. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
}
