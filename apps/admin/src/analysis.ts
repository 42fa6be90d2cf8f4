import { getJson } from './api';
import { h } from './dom';
import type { EventsPage, StoredEvent } from './types';

/**
 * What the analysis reactor recorded, as the viewer shows it: the severity of
 * an event (for the filter and the row colours), and a recording's analysis
 * state (for its badge). The events are RecordingAnalysisStarted /
 * RecordingAnalysisFinding / RecordingAnalysisCompleted (libs/domain/src/analysis.events.ts).
 */

export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** The severities a user is warned about (the Rayhunter UI's red badge): all but Informational. */
export const WARNING_SEVERITIES: readonly Severity[] = ['Low', 'Medium', 'High'];

export const ANALYSIS_STARTED = 'RecordingAnalysisStarted';
export const ANALYSIS_FINDING = 'RecordingAnalysisFinding';
export const ANALYSIS_COMPLETED = 'RecordingAnalysisCompleted';

export function isSeverity(value: unknown): value is Severity {
  return SEVERITIES.includes(value as Severity);
}

const rank = (severity: Severity | undefined): number => (severity === undefined ? -1 : SEVERITIES.indexOf(severity));

function dataOf(e: Pick<StoredEvent, 'data'>): Record<string, unknown> {
  return typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : {};
}

/** Counts per severity, from a completion's `severities` (missing or malformed counts stay undefined). */
export type SeverityCounts = Partial<Record<Severity, number>>;

function countsOf(value: unknown): SeverityCounts {
  const out: SeverityCounts = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const s of SEVERITIES) {
    const n = (value as Record<string, unknown>)[s];
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[s] = n;
  }
  return out;
}

/** The worst severity with a count above zero. */
function worstOf(counts: SeverityCounts): Severity | undefined {
  return [...SEVERITIES].reverse().find((s) => (counts[s] ?? 0) > 0);
}

/**
 * An event's severity, with the event API's meaning of `severity=`: a
 * finding's own, a completed analysis's worst count; none for anything else.
 */
export function eventSeverity(e: Pick<StoredEvent, 'type' | 'data'>): Severity | undefined {
  const d = dataOf(e);
  if (e.type === ANALYSIS_FINDING) return isSeverity(d.severity) ? d.severity : undefined;
  if (e.type === ANALYSIS_COMPLETED) return worstOf(countsOf(d.severities));
  return undefined;
}

/** Whether an event passes `severity=min` (at or above it). */
export function severityAtLeast(e: Pick<StoredEvent, 'type' | 'data'>, min: Severity): boolean {
  return rank(eventSeverity(e)) >= rank(min);
}

export function severityChip(severity: Severity, text: string = severity): HTMLSpanElement {
  return h('span', { class: `chip sev sev-${severity}`, 'data-severity': severity }, text);
}

/** A recording's analysis as the log tells it, at some point. */
export type AnalysisState =
  | { readonly state: 'not-analysed' }
  | {
      readonly state: 'analysing';
      readonly seq: number;
      readonly analysisId: string;
      readonly previous?: Done;
      /** The warnings its finding events recorded so far (each event counts `count` findings). */
      readonly found: SeverityCounts;
    }
  | Done;
interface Done {
  readonly state: 'analysed';
  readonly seq: number;
  readonly analysisId: string;
  readonly counts: SeverityCounts;
}

/** `counts` plus one finding event's `count` findings of its severity (a malformed event adds nothing). */
function withFinding(counts: SeverityCounts, d: Record<string, unknown>): SeverityCounts {
  const n = d.count;
  if (!isSeverity(d.severity) || typeof n !== 'number' || !Number.isInteger(n) || n < 1) return counts;
  return { ...counts, [d.severity]: (counts[d.severity] ?? 0) + n };
}

/**
 * Folds one recording's analysis events, oldest first: the newest start
 * without its completion is a running (or interrupted) analysis, with the
 * warnings its findings recorded so far; a completion ends the analysis it names.
 */
export function foldAnalysis(events: readonly StoredEvent[]): AnalysisState {
  let state: AnalysisState = { state: 'not-analysed' };
  for (const e of events) state = step(state, e);
  return state;
}

function step(state: AnalysisState, e: StoredEvent): AnalysisState {
  const d = dataOf(e);
  const analysisId = typeof d.analysisId === 'string' ? d.analysisId : '';
  if (e.type === ANALYSIS_STARTED) {
    const previous = state.state === 'analysed' ? state : state.state === 'analysing' ? state.previous : undefined;
    return { state: 'analysing', seq: e.seq, analysisId, found: {}, ...(previous ? { previous } : {}) };
  }
  if (e.type === ANALYSIS_FINDING) {
    if (state.state !== 'analysing' || state.analysisId !== analysisId) return state;
    return { ...state, found: withFinding(state.found, d) };
  }
  if (e.type === ANALYSIS_COMPLETED)
    return { state: 'analysed', seq: e.seq, analysisId, counts: countsOf(d.severities) };
  return state;
}

/**
 * The analysis state of each named recording as of `before` (exclusive; the
 * head when absent): the log's starts, findings and completions read newest
 * first, only until every name is settled (a running analysis gets the
 * findings recorded after its start). A name with neither is not analysed.
 */
export async function loadAnalysisStates(
  names: readonly string[],
  options: { before?: number; signal?: AbortSignal } = {},
): Promise<Map<string, AnalysisState>> {
  const states = new Map<string, AnalysisState>();
  const open = new Set(names);
  /** Findings seen (newer than anything settled) per recording, by analysis id. */
  const found = new Map<string, Map<string, SeverityCounts>>();
  let before = options.before;
  while (open.size > 0) {
    const p = new URLSearchParams({
      type: `${ANALYSIS_STARTED},${ANALYSIS_FINDING},${ANALYSIS_COMPLETED}`,
      order: 'desc',
      limit: '1000',
    });
    if (before !== undefined) p.set('before', String(before));
    const page = await getJson<EventsPage>(`/api/events?${p}`, options.signal);
    for (const e of page.events) {
      if (e.recording === undefined || !open.has(e.recording)) continue;
      const d = dataOf(e);
      const id = typeof d.analysisId === 'string' ? d.analysisId : '';
      if (e.type === ANALYSIS_FINDING) {
        const byId = found.get(e.recording) ?? new Map<string, SeverityCounts>();
        byId.set(id, withFinding(byId.get(id) ?? {}, d));
        found.set(e.recording, byId);
        continue;
      }
      open.delete(e.recording);
      const settled = step({ state: 'not-analysed' }, e);
      const so = found.get(e.recording)?.get(id);
      states.set(e.recording, settled.state === 'analysing' && so ? { ...settled, found: so } : settled);
    }
    if (typeof page.next !== 'number' || (before !== undefined && page.next >= before)) break;
    before = page.next;
  }
  for (const name of open) states.set(name, { state: 'not-analysed' });
  return states;
}

/** "2 Low, 1 High, 40 Informational": every non-zero count, worst first. */
export function countsText(counts: SeverityCounts): string {
  const parts = [...SEVERITIES]
    .reverse()
    .filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'nothing';
}

/** A completed analysis that counted no warning: every warning severity's count present and zero. */
export function isClean(state: AnalysisState): boolean {
  return state.state === 'analysed' && WARNING_SEVERITIES.every((s) => state.counts[s] === 0);
}

/**
 * The badge: the worst warning and how many of it, "clean" only when a
 * completed analysis counted no warning at all (its counts all present and
 * zero), and otherwise "not analysed" or "analysing" — never an all-clear it
 * cannot back.
 */
export function analysisBadge(state: AnalysisState, options: { recording?: boolean } = {}): HTMLSpanElement {
  const badge = (tone: string, text: string, title: string, severity?: Severity): HTMLSpanElement =>
    h(
      'span',
      {
        class: `abadge abadge-${tone}`,
        'data-testid': 'analysis-badge',
        'data-state': state.state,
        'data-severity': severity,
        title,
      },
      text,
    );
  switch (state.state) {
    case 'not-analysed':
      return badge(
        'none',
        'not analysed',
        options.recording
          ? 'Still recording, and no analysis of it is in the log yet: the live analysis starts soon after the recording (none runs with serve --no-analysis).'
          : 'No analysis of this recording is in the log (yet): it has not been checked.',
      );
    case 'analysing': {
      // The warnings recorded so far (a live analysis records them while the recording is written).
      const worst = worstOf(Object.fromEntries(WARNING_SEVERITIES.map((s) => [s, state.found[s] ?? 0])));
      const title = `An analysis started at #${state.seq} has not completed${worst ? `; so far it found ${countsText(state.found)}` : ''}.${state.previous ? ` The previous one found ${countsText(state.previous.counts)}.` : ''}`;
      if (worst === undefined) return badge('running', 'analysing', title);
      const others = WARNING_SEVERITIES.filter((s) => s !== worst).reduce((n, s) => n + (state.found[s] ?? 0), 0);
      return badge(
        `running sev sev-${worst}`,
        `analysing · ${worst} ×${state.found[worst]}${others ? ` +${others}` : ''}`,
        title,
        worst,
      );
    }
    case 'analysed': {
      const worst = worstOf(Object.fromEntries(WARNING_SEVERITIES.map((s) => [s, state.counts[s] ?? 0])));
      const title = `Analysis completed at #${state.seq}: ${countsText(state.counts)}.`;
      if (worst !== undefined) {
        const others = WARNING_SEVERITIES.filter((s) => s !== worst).reduce((n, s) => n + (state.counts[s] ?? 0), 0);
        return badge(
          `sev sev-${worst}`,
          `${worst} ×${state.counts[worst]}${others ? ` +${others}` : ''}`,
          title,
          worst,
        );
      }
      if (isClean(state)) return badge('clean', 'clean', title);
      return badge('none', 'analysed (no counts)', `${title} The counts per severity are missing.`);
    }
  }
}
