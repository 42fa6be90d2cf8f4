import { ANALYSIS_COMPLETED, ANALYSIS_FINDING, ANALYSIS_STARTED, loadAnalysisStates } from './analysis';
import { errorText, getJson, isAbort } from './api';
import { h, replaceChildren } from './dom';
import { badgesFailed, manifestNames, manifestTable, showAnalyses } from './time-travel';
import type { Manifest } from './types';
import { liveReload, type Ctx, type View } from './view';

/** Events after which the list is loaded again: a recording came, went or changed its analysis (a live finding too). */
const REFRESH_ON = new Set([
  'RecordingStarted',
  'RecordingStopped',
  'RecordingDeleted',
  'RecordingImported',
  'RecordingDamaged',
  ANALYSIS_STARTED,
  ANALYSIS_FINDING,
  ANALYSIS_COMPLETED,
]);
/** At most one reload per this many ms, however many events arrive. */
const REFRESH_MS = 1000;

/** The recordings the store holds now, each with its analysis badge; kept current from the live tail. */
export function recordingsView(ctx: Ctx): View {
  const abort = new AbortController();
  const body = h('div', { 'data-testid': 'recordings-body' }, h('p', { class: 'status' }, 'Loading recordings…'));
  const el = h(
    'section',
    { class: 'page', 'data-testid': 'recordings-view', 'aria-labelledby': 'recordings-title' },
    h('h2', { id: 'recordings-title' }, 'Recordings'),
    h(
      'p',
      { class: 'muted' },
      'Analysis: the worst warning of the newest completed analysis and how many (+ those of lower severities); ',
      '“clean” only when a completed analysis counted none.',
    ),
    body,
  );
  async function render(): Promise<void> {
    try {
      const m = await getJson<Manifest>('/api/qmdl-manifest', abort.signal);
      const fresh = h(
        'div',
        null,
        h('h3', null, 'Being recorded'),
        m.current_entry
          ? manifestTable(ctx, [m.current_entry], 'recordings-current', { analyses: new Map(), current: true })
          : h('p', { class: 'muted', 'data-testid': 'recordings-current' }, 'Nothing is being recorded.'),
        h('h3', null, `Finished (${m.entries.length})`),
        manifestTable(ctx, [...m.entries].reverse(), 'recordings-table', { analyses: new Map() }),
      );
      try {
        showAnalyses(fresh, await loadAnalysisStates(manifestNames(m), { signal: abort.signal }));
      } catch (err) {
        if (isAbort(err)) return;
        badgesFailed(fresh, err);
      }
      replaceChildren(body, fresh);
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(
        body,
        h('p', { class: 'status error', role: 'alert' }, `Could not load the recordings: ${errorText(err)}`),
      );
    }
  }

  const reload = liveReload(
    ctx,
    { ms: REFRESH_MS, signal: abort.signal, wanted: (e) => REFRESH_ON.has(e.type) },
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
