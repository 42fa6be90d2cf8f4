import {
  ANALYSIS_COMPLETED,
  ANALYSIS_FINDING,
  ANALYSIS_STARTED,
  analysisBadge,
  eventSeverity,
  foldAnalysis,
  isClean,
  severityChip,
  type AnalysisState,
} from './analysis';
import { API_PAGE_MAX, ApiError, errorText, getJson, isAbort, pageSizeParam, seg } from './api';
import { h, replaceChildren, svg, tableHead } from './dom';
import { BASE, formatActor, formatBytes, formatTime, summarize, typeChip } from './format';
import { manifestTable } from './time-travel';
import type { RecordingHistory, StoredEvent } from './types';
import { liveReload, type Ctx, type View } from './view';

interface Point {
  readonly t: number;
  readonly size: number;
}

function sizeOf(e: StoredEvent): number | undefined {
  const d = e.data as { qmdlSizeBytes?: unknown } | null;
  return d && typeof d.qmdlSizeBytes === 'number' ? d.qmdlSizeBytes : undefined;
}

/** A small inline chart of qmdl_size_bytes over time: no library, one polyline. */
export function growthChart(points: readonly Point[]): SVGSVGElement {
  const W = 360;
  const H = 72;
  const PAD = 4;
  const t0 = points[0]?.t ?? 0;
  const t1 = points[points.length - 1]?.t ?? t0;
  const max = Math.max(1, ...points.map((p) => p.size));
  const x = (p: Point, i: number): number =>
    PAD + (W - 2 * PAD) * (t1 > t0 ? (p.t - t0) / (t1 - t0) : points.length > 1 ? i / (points.length - 1) : 1);
  const y = (p: Point): number => H - PAD - (H - 2 * PAD) * (p.size / max);
  const coords = points.map((p, i) => `${x(p, i).toFixed(1)},${y(p).toFixed(1)}`);
  const first = points[0];
  const last = points[points.length - 1];
  const label = `qmdl_size_bytes grew from ${formatBytes(first?.size)} to ${formatBytes(last?.size)} over ${points.length} points`;
  return svg(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: 'img',
      'aria-label': label,
      'data-testid': 'growth-chart',
    },
    svg('title', null, label),
    svg('line', { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD, class: 'axis' }),
    coords.length > 1
      ? svg('polygon', { points: `${PAD},${H - PAD} ${coords.join(' ')} ${W - PAD},${H - PAD}`, class: 'area' })
      : null,
    svg('polyline', { points: coords.join(' '), class: 'line' }),
    svg('text', { x: PAD + 2, y: 12, class: 'tick' }, formatBytes(max)),
  );
}

type Item = { kind: 'event'; event: StoredEvent } | { kind: 'data'; events: StoredEvent[] };

/** Consecutive data appends become one timeline item with a chart. */
function group(events: readonly StoredEvent[]): Item[] {
  const items: Item[] = [];
  for (const e of events) {
    const last = items[items.length - 1];
    if (e.type === 'RecordingDataAppended') {
      if (last?.kind === 'data') last.events.push(e);
      else items.push({ kind: 'data', events: [e] });
    } else items.push({ kind: 'event', event: e });
  }
  return items;
}

function timelineItem(ctx: Ctx, item: Item, allPoints: readonly Point[]): HTMLLIElement {
  if (item.kind === 'event') {
    const e = item.event;
    const severity = eventSeverity(e);
    return h(
      'li',
      {
        'data-testid': 'timeline-item',
        'data-type': e.type,
        'data-severity': severity,
        class: `tl tl-${e.type}${severity ? ` tl-sev-${severity}` : ''}`,
      },
      h(
        'div',
        { class: 'tl-head' },
        typeChip(e.type),
        severity ? severityChip(severity) : null,
        ' ',
        ctx.link(ctx.eventHref(e.seq), null, `#${e.seq}`),
        ' ',
        h('span', { class: 'time' }, formatTime(e.time)),
        ' ',
        h('span', { class: 'muted' }, `by ${formatActor(e.metadata?.actor)}`),
      ),
      h('div', { class: 'tl-body' }, summarize(e)),
    );
  }
  const first = item.events[0];
  const last = item.events[item.events.length - 1];
  const lastData = (last?.data ?? {}) as { containers?: unknown; uncompressedBytes?: unknown };
  return h(
    'li',
    { 'data-testid': 'timeline-item', 'data-type': 'RecordingDataAppended', class: 'tl tl-data' },
    h(
      'div',
      { class: 'tl-head' },
      typeChip('RecordingDataAppended'),
      ` ×${item.events.length} `,
      first ? ctx.link(ctx.eventHref(first.seq), null, `#${first.seq}`) : '',
      last && last !== first ? ['–', ctx.link(ctx.eventHref(last.seq), null, `#${last.seq}`)] : '',
      ' ',
      h('span', { class: 'time' }, `${formatTime(first?.time)} → ${formatTime(last?.time)}`),
    ),
    h(
      'div',
      { class: 'tl-body' },
      `${formatBytes(first ? sizeOf(first) : undefined)} → ${formatBytes(last ? sizeOf(last) : undefined)} on disk · ${String(lastData.containers ?? '?')} containers · ${formatBytes(lastData.uncompressedBytes as number)} uncompressed`,
      growthChart(allPoints),
    ),
  );
}

function dataOf(e: StoredEvent | undefined): Record<string, unknown> {
  return e && typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : {};
}

/** "key v4, key v2": the analyzers an analysis ran with. */
function analyzersText(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return '?';
  return value
    .map((a) => {
      const x = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
      return `${String(x.key ?? '?')} v${String(x.version ?? '?')}`;
    })
    .join(', ');
}

/** The warnings of one analysis: its finding events (each stands for `count` findings of one analyzer in one window of packets). */
function warningsTable(ctx: Ctx, findings: readonly StoredEvent[]): HTMLTableElement {
  const cols = ['Severity', 'Analyzer', 'Message', 'Packets', 'Packet time', 'Event'];
  return h(
    'table',
    { class: 'events warnings', 'data-testid': 'warnings-table' },
    tableHead(cols),
    h(
      'tbody',
      null,
      findings.map((e) => {
        const d = dataOf(e);
        const severity = eventSeverity(e);
        const count = typeof d.count === 'number' ? d.count : 1;
        return h(
          'tr',
          {
            'data-testid': 'warning-row',
            'data-severity': severity,
            'data-analyzer': String(d.analyzer ?? ''),
            class: severity ? `sev-row-${severity}` : undefined,
          },
          h('td', null, severity ? severityChip(severity) : '?'),
          h('td', { title: String(d.analyzerName ?? '') }, String(d.analyzer ?? '?')),
          h('td', { class: 'msg', 'data-testid': 'warning-message' }, String(d.message ?? '')),
          h(
            'td',
            { class: 'num' },
            count > 1
              ? `${count} in ${String(d.packet ?? '?')}–${String(d.lastPacket ?? '?')}`
              : String(d.packet ?? '?'),
          ),
          h('td', { class: 'time' }, formatTime(typeof d.packetTime === 'string' ? d.packetTime : undefined)),
          h('td', { class: 'num' }, ctx.link(ctx.eventHref(e.seq), null, `#${e.seq}`)),
        );
      }),
    ),
  );
}

/** What the analyses of this recording found: its badge, the run's facts, the warnings of the newest analysis. */
function analysisSection(
  ctx: Ctx,
  name: string,
  events: readonly StoredEvent[],
  state: AnalysisState,
  active: boolean,
): HTMLElement {
  const shownId = state.state === 'not-analysed' ? undefined : state.analysisId;
  const findings = events.filter((e) => e.type === ANALYSIS_FINDING && dataOf(e).analysisId === shownId);
  const started = events.find((e) => e.type === ANALYSIS_STARTED && dataOf(e).analysisId === shownId);
  const completed = events.find((e) => e.type === ANALYSIS_COMPLETED && dataOf(e).analysisId === shownId);
  const runs = events.filter((e) => e.type === ANALYSIS_STARTED).length;
  const c = dataOf(completed);
  const skipped = (typeof c.skipped === 'object' && c.skipped !== null ? c.skipped : {}) as Record<string, unknown>;
  const facts: string[] = [];
  if (state.state === 'analysing')
    facts.push(
      `An analysis started at #${state.seq} (${String(dataOf(started).reason ?? '?')}) has not completed: the warnings below are those recorded so far.`,
    );
  if (started || completed) facts.push(`Analyzers: ${analyzersText(c.analyzers ?? dataOf(started).analyzers)}.`);
  if (completed) {
    facts.push(`${String(c.analysed ?? '?')} of ${String(c.messages ?? '?')} messages analysed`);
    const reasons = Object.entries(skipped).map(([reason, n]) => `${reason}: ${String(n)}`);
    if (reasons.length) facts.push(`skipped — ${reasons.join(', ')}`);
  }
  if (runs > 1) facts.push(`${runs} analyses in the log (the older ones are in the timeline).`);
  let warnings: HTMLElement;
  if (findings.length) warnings = warningsTable(ctx, findings);
  else if (isClean(state)) warnings = h('p', { class: 'muted', 'data-testid': 'no-warnings' }, 'No warnings.');
  else
    warnings = h(
      'p',
      { class: 'muted' },
      state.state === 'not-analysed' ? 'Not analysed yet.' : 'No warnings recorded so far.',
    );
  return h(
    'section',
    { class: 'analysis', 'data-testid': 'recording-analysis', 'aria-labelledby': 'analysis-title' },
    h('h3', { id: 'analysis-title' }, 'Analysis ', analysisBadge(state, { recording: active })),
    facts.length ? h('p', { class: 'analysis-facts', 'data-testid': 'analysis-facts' }, facts.join(' · ')) : null,
    warnings,
    active || state.state === 'not-analysed'
      ? null
      : h(
          'p',
          null,
          h(
            'a',
            { href: `/api/analysis-report/${seg(name)}`, download: `${name}.ndjson`, 'data-testid': 'analysis-report' },
            'Analysis report (NDJSON, every finding)',
          ),
        ),
  );
}

/** At most one reload of a recording's page per this many ms. */
const REFRESH_MS = 1000;

/**
 * The recording's history from the point already read: its pages (`?limit=` of the view's URL, else the API's
 * largest) are followed to the end, oldest first, and added to `events`. The answer is the last page's, for its
 * `exists` and `entry`.
 */
async function readHistory(
  name: string,
  events: StoredEvent[],
  limit: number,
  signal: AbortSignal,
): Promise<RecordingHistory> {
  for (;;) {
    const after = events[events.length - 1]?.seq;
    const query = new URLSearchParams({
      limit: String(limit),
      ...(after !== undefined ? { after: String(after) } : {}),
    });
    const page = await getJson<RecordingHistory>(`/api/recordings/${seg(name)}/history?${query}`, signal);
    events.push(...page.events);
    if (page.next === undefined) return page;
  }
}

/** One recording's whole life, from the log, with its files while they exist; kept current from the live tail. */
export function recordingView(ctx: Ctx, name: string, params: URLSearchParams): View {
  const abort = new AbortController();
  const limit = pageSizeParam(params, API_PAGE_MAX);
  // Every event of the recording read so far: the log only grows, so a redraw reads just the pages after it.
  const events: StoredEvent[] = [];
  const body = h('div', null, h('p', { class: 'status' }, 'Loading history…'));
  const el = h(
    'section',
    { class: 'page', 'data-testid': 'recording-view', 'aria-labelledby': 'rec-title' },
    h(
      'p',
      { class: 'crumbs' },
      ctx.link(`${BASE}/`, null, '← Events'),
      ' · ',
      ctx.link(`${BASE}/?${new URLSearchParams({ recording: name })}`, null, 'this recording in the event table'),
    ),
    h('h2', { id: 'rec-title' }, 'Recording ', h('span', { class: 'mono' }, name)),
    body,
  );

  async function render(): Promise<void> {
    try {
      const hist = await readHistory(name, events, limit, abort.signal);
      const deleted = events.find((e) => e.type === 'RecordingDeleted');
      const lastOf = (type: string): StoredEvent | undefined => [...events].reverse().find((e) => e.type === type);
      const stopped = lastOf('RecordingStopped');
      const active = hist.exists && (lastOf('RecordingStarted')?.seq ?? 0) > (stopped?.seq ?? 0);
      const state = active ? 'recording' : hist.exists ? 'stored' : deleted ? 'deleted' : 'not found';
      const analysis = foldAnalysis(events);
      const points: Point[] = events
        .filter(
          (e) => e.type === 'RecordingStarted' || e.type === 'RecordingDataAppended' || e.type === 'RecordingStopped',
        )
        .map((e) => ({ t: Date.parse(e.time), size: e.type === 'RecordingStarted' ? 0 : (sizeOf(e) ?? 0) }));
      replaceChildren(
        body,
        h(
          'p',
          { class: 'summary' },
          h('span', { class: `pill state-${state.replace(' ', '-')}`, 'data-testid': 'recording-state' }, state),
          ' ',
          `${events.length} events`,
          deleted ? ` · deleted ${formatTime(deleted.time)} by ${formatActor(deleted.metadata?.actor)}` : '',
          !active && stopped ? ` · stopped (${summarize(stopped)})` : '',
        ),
        hist.exists
          ? h(
              'p',
              { class: 'downloads' },
              h(
                'a',
                {
                  class: 'button',
                  href: `/api/qmdl/${seg(name)}`,
                  download: `${name}.qmdl`,
                  'data-testid': 'download-qmdl',
                },
                'Download QMDL',
              ),
              ' ',
              h(
                'a',
                {
                  class: 'button',
                  href: `/api/zip/${seg(name)}`,
                  download: `${name}.zip`,
                  'data-testid': 'download-zip',
                },
                'Download ZIP',
              ),
            )
          : h('p', { class: 'muted' }, 'The files are gone: no downloads.'),
        hist.exists ? analysisSection(ctx, name, events, analysis, active) : null,
        hist.entry
          ? [
              h('h3', null, 'Manifest entry now'),
              manifestTable(ctx, [hist.entry], 'recording-entry', {
                analyses: new Map([[name, analysis]]),
                current: active,
              }),
            ]
          : null,
        h('h3', null, 'Timeline'),
        events.length
          ? h(
              'ol',
              { class: 'timeline', 'data-testid': 'recording-timeline' },
              group(events).map((item) => timelineItem(ctx, item, points)),
            )
          : h('p', { class: 'muted' }, 'The log has no event for this name.'),
      );
    } catch (err) {
      if (isAbort(err)) return;
      const text =
        err instanceof ApiError && err.status === 404
          ? `No recording named “${name}”.`
          : `Could not load the history: ${errorText(err)}`;
      replaceChildren(body, h('p', { class: 'status error' }, text));
    }
  }
  // Followed live: a finding, a start or end of its analysis, a stop or deletion redraws the page (not each data append).
  const reload = liveReload(
    ctx,
    { ms: REFRESH_MS, signal: abort.signal, wanted: (e) => e.recording === name && e.type !== 'RecordingDataAppended' },
    render,
  );
  return {
    el,
    destroy: () => {
      abort.abort();
      reload.stop();
    },
  };
}
