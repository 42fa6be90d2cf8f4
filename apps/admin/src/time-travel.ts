import { analysisBadge, loadAnalysisStates, type AnalysisState } from './analysis';
import { errorText, isAbort, request, seg } from './api';
import { h, replaceChildren, tableHead } from './dom';
import { fromLocalInput, toLocalInput } from './filters';
import { BASE, formatBytes, formatTime } from './format';
import type { Manifest, ManifestEntry } from './types';
import type { Ctx, View } from './view';

const GPS_MODES: Readonly<Record<number, string>> = { 0: 'off', 1: 'fixed', 2: 'api' };

/**
 * Rayhunter manifest entries as a table; names lead to the recording's history.
 * With `analyses`, an Analysis column holds each recording's badge (a name
 * missing from the map shows a placeholder until {@link showAnalyses} fills it).
 */
export function manifestTable(
  ctx: Ctx,
  entries: readonly ManifestEntry[],
  testId: string,
  options: { analyses?: ReadonlyMap<string, AnalysisState>; current?: boolean } = {},
): HTMLTableElement {
  const withAnalysis = options.analyses !== undefined;
  const cols = [
    'Name',
    ...(withAnalysis ? ['Analysis'] : []),
    'Started',
    'Last message',
    'Size',
    'Stop reason',
    'Uploaded',
    'Rayhunter',
    'OS / arch',
    'GPS',
    'gzip',
  ];
  return h(
    'table',
    { class: 'events manifest', 'data-testid': testId },
    tableHead(cols),
    h(
      'tbody',
      null,
      entries.length === 0
        ? h('tr', null, h('td', { colspan: cols.length, class: 'muted' }, 'No entries.'))
        : entries.map((e) =>
            h(
              'tr',
              { 'data-testid': 'manifest-row', 'data-name': e.name },
              h('td', { class: 'mono' }, ctx.link(`${BASE}/recordings/${seg(String(e.name))}`, null, String(e.name))),
              withAnalysis
                ? analysisCell(String(e.name), options.analyses?.get(String(e.name)), options.current)
                : null,
              h('td', { class: 'time' }, formatTime(e.start_time)),
              h('td', { class: 'time' }, formatTime(e.last_message_time)),
              h('td', { class: 'num', title: `${e.qmdl_size_bytes ?? '?'} bytes` }, formatBytes(e.qmdl_size_bytes)),
              h('td', null, e.stop_reason ?? '—'),
              h('td', { class: 'time' }, formatTime(e.upload_time)),
              h('td', null, e.rayhunter_version ?? '—'),
              h('td', null, [e.system_os, e.arch].filter(Boolean).join(' / ') || '—'),
              h('td', null, typeof e.gps_mode === 'number' ? (GPS_MODES[e.gps_mode] ?? String(e.gps_mode)) : '—'),
              h('td', null, e.compressed === true ? 'yes' : e.compressed === false ? 'no' : '—'),
            ),
          ),
    ),
  );
}

function analysisCell(name: string, state: AnalysisState | undefined, current = false): HTMLTableCellElement {
  return h(
    'td',
    { 'data-analysis-for': name, 'data-current': current ? 'true' : undefined },
    state ? analysisBadge(state, { recording: current }) : h('span', { class: 'muted' }, '…'),
  );
}

/** Fills the Analysis cells of the tables under `root` with the badges of these states. */
export function showAnalyses(root: HTMLElement, states: ReadonlyMap<string, AnalysisState>): void {
  for (const cell of root.querySelectorAll<HTMLTableCellElement>('td[data-analysis-for]')) {
    const state = states.get(cell.dataset.analysisFor ?? '');
    if (state) replaceChildren(cell, analysisBadge(state, { recording: cell.dataset.current === 'true' }));
  }
}

/** The Analysis cells say the states could not be loaded (never left looking like a verdict). */
export function badgesFailed(root: HTMLElement, err: unknown): void {
  for (const cell of root.querySelectorAll<HTMLTableCellElement>('td[data-analysis-for]'))
    replaceChildren(cell, h('span', { class: 'muted', title: errorText(err) }, 'unknown'));
}

/** Every recording of a manifest: its finished entries and the one being recorded. */
export function manifestNames(m: Manifest): string[] {
  return [...m.entries.map((e) => String(e.name)), ...(m.current_entry ? [String(m.current_entry.name)] : [])];
}

/** The manifest as it was at a seq or a time: the projection replayed up to there. */
export function timeTravelView(ctx: Ctx, params: URLSearchParams): View {
  const abort = new AbortController();
  const at = (params.get('at') ?? '').trim();
  const isSeq = /^\d+$/.test(at);
  const seqInput = h('input', {
    id: 'tt-seq',
    type: 'number',
    min: 0,
    step: 1,
    value: isSeq ? at : '',
    placeholder: 'e.g. 42',
    'data-testid': 'tt-seq',
  });
  const timeInput = h('input', {
    id: 'tt-time',
    type: 'datetime-local',
    step: 1,
    value: at && !isSeq ? toLocalInput(at) : '',
    'data-testid': 'tt-time',
  });
  const result = h('div', { 'data-testid': 'tt-result' }, h('p', { class: 'status' }, 'Loading manifest…'));
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Time travel', 'data-testid': 'tt-form' },
    h('span', { class: 'field' }, h('label', { for: 'tt-seq' }, 'As of seq'), seqInput),
    h('span', { class: 'muted' }, 'or'),
    h('span', { class: 'field' }, h('label', { for: 'tt-time' }, 'as of time (local)'), timeInput),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'tt-submit' }, 'Show manifest'),
    h('button', { type: 'button', onclick: () => ctx.navigate(`${BASE}/time-travel`) }, 'Now'),
  );
  // Typing in one box clears the other, so what is shown is never ambiguous.
  seqInput.addEventListener('input', () => {
    if (seqInput.value) timeInput.value = '';
  });
  timeInput.addEventListener('input', () => {
    if (timeInput.value) seqInput.value = '';
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const target = seqInput.value.trim() || fromLocalInput(timeInput.value);
    ctx.navigate(`${BASE}/time-travel${target ? `?${new URLSearchParams({ at: target })}` : ''}`);
  });

  const el = h(
    'section',
    { class: 'page', 'data-testid': 'time-travel-view', 'aria-labelledby': 'tt-title' },
    h('h2', { id: 'tt-title' }, 'Time travel: the manifest as it was'),
    form,
    result,
  );

  async function load(): Promise<void> {
    try {
      const res = await request<Manifest>(`/api/qmdl-manifest${at ? `?${new URLSearchParams({ at })}` : ''}`, {
        signal: abort.signal,
      });
      const m = res.body;
      // X-Ledger-Seq is the seq the shown state reflects.
      const label = !at
        ? `Current manifest (head seq ${res.seq ?? ctx.head()})`
        : isSeq
          ? `Manifest as of seq ${at}${res.seq !== undefined && res.seq < Number(at) ? ` (the log ends at seq ${res.seq})` : ''}`
          : `Manifest as of ${formatTime(at)}${res.seq !== undefined ? ` = as of seq ${res.seq}` : ''}`;
      replaceChildren(
        result,
        h('h3', { class: 'asof', 'data-testid': 'tt-label' }, label),
        h('h4', null, 'Current entry (recording in progress)'),
        m.current_entry
          ? manifestTable(ctx, [m.current_entry], 'manifest-current', { analyses: new Map(), current: true })
          : h('p', { class: 'muted', 'data-testid': 'manifest-current' }, 'None: nothing was recording.'),
        h('h4', null, `Finished entries (${m.entries.length})`),
        manifestTable(ctx, m.entries, 'manifest-table', { analyses: new Map() }),
      );
      // The badges as of the same seq: analysis events up to the one the manifest reflects.
      const asOf = at && res.seq !== undefined ? { before: res.seq + 1 } : {};
      await loadAnalysisStates(manifestNames(m), { ...asOf, signal: abort.signal }).then(
        (states) => showAnalyses(result, states),
        (err: unknown) => {
          if (!isAbort(err)) badgesFailed(result, err);
        },
      );
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(
        result,
        h('p', { class: 'status error', role: 'alert' }, `Could not load the manifest: ${errorText(err)}`),
      );
    }
  }
  void load();
  return { el, destroy: () => abort.abort() };
}
