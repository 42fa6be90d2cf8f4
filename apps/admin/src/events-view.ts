import { errorText, getJson, isAbort } from './api';
import { h, replaceChildren } from './dom';
import {
  filtersFromQuery,
  filtersToQuery,
  fromLocalInput,
  isFiltered,
  matches,
  toLocalInput,
  type Filters,
} from './filters';
import { BASE, actorTitle, formatActor, formatTime, shortId, typeChip } from './format';
import { EVENT_TYPES, type EventsPage, type StoredEvent } from './types';
import type { Ctx, View } from './view';

const PAGE_SIZE = 200;

/** `?limit=` picks the page size (1..1000, the API's range); the default suits a screen. */
function pageSize(params: URLSearchParams): number {
  const n = Number(params.get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : PAGE_SIZE;
}
/** Rows kept in the DOM; scrolling further drops the newest ones, so any depth stays fast. */
const MAX_ROWS = 4000;

/** One table row. The seq is a real link (keyboard, new tab); the whole row opens the detail. */
export function eventRow(ctx: Ctx, e: StoredEvent, options: { correlationLinks?: boolean } = {}): HTMLTableRowElement {
  const actor = e.metadata?.actor;
  const correlation = e.metadata?.correlationId;
  const tr = h(
    'tr',
    {
      'data-testid': 'event-row',
      'data-seq': e.seq,
      'data-type': e.type,
      onclick: (ev: Event) => {
        if ((ev.target as Element).closest('a, button')) return;
        ctx.navigate(ctx.eventHref(e.seq));
      },
    },
    h(
      'td',
      { class: 'num' },
      ctx.link(ctx.eventHref(e.seq), { 'aria-label': `Event ${e.seq} details` }, String(e.seq)),
    ),
    h('td', { class: 'time', title: `time ${e.time}\nsystem time ${e.systemTime}` }, formatTime(e.time)),
    h('td', null, typeChip(e.type)),
    h(
      'td',
      { class: 'rec' },
      e.recording
        ? ctx.link(`${BASE}/recordings/${encodeURIComponent(e.recording)}`, { title: 'Recording history' }, e.recording)
        : '—',
    ),
    h('td', { title: actorTitle(actor) }, formatActor(actor)),
    h(
      'td',
      { class: 'mono', title: correlation },
      correlation && options.correlationLinks !== false
        ? ctx.link(
            `${BASE}/?${new URLSearchParams({ correlation })}`,
            { title: `Filter by correlation ${correlation}` },
            shortId(correlation),
          )
        : shortId(correlation),
    ),
  );
  return tr;
}

export function eventTableHead(): HTMLTableSectionElement {
  return h(
    'thead',
    null,
    h(
      'tr',
      null,
      ...['Seq', 'Time (UTC)', 'Type', 'Recording', 'Actor', 'Correlation'].map((t) => h('th', { scope: 'col' }, t)),
    ),
  );
}

function filterForm(ctx: Ctx, f: Filters, limit: number, signal: AbortSignal): HTMLFormElement {
  const types = [...EVENT_TYPES, ...f.types.filter((t) => !EVENT_TYPES.includes(t))];
  const boxes = types.map((t) =>
    h('input', {
      type: 'checkbox',
      id: `type-${t}`,
      name: 'type',
      value: t,
      checked: f.types.includes(t),
      'data-testid': `type-${t}`,
    }),
  );
  const summary = h(
    'summary',
    { 'data-testid': 'filter-type' },
    f.types.length ? `Type: ${f.types.join(', ')}` : 'Type: all',
  );
  const input = (id: string, label: string, attrs: Record<string, string>): [HTMLLabelElement, HTMLInputElement] => [
    h('label', { for: id }, label),
    h('input', { id, name: id, 'data-testid': id, ...attrs }),
  ];
  const [recL, rec] = input('filter-recording', 'Recording', { value: f.recording, placeholder: 'name', size: '14' });
  const [actL, act] = input('filter-actor', 'Actor', {
    value: f.actor,
    placeholder: 'http, http:ADDR, recorder…',
    list: 'actor-kinds',
    size: '14',
  });
  const [corL, cor] = input('filter-correlation', 'Correlation', {
    value: f.correlation,
    placeholder: 'id',
    size: '10',
    class: 'mono',
  });
  const [sinceL, since] = input('filter-since', 'Since', {
    type: 'datetime-local',
    step: '1',
    value: f.since ? toLocalInput(f.since) : '',
  });
  const [untilL, until] = input('filter-until', 'Until', {
    type: 'datetime-local',
    step: '1',
    value: f.until ? toLocalInput(f.until) : '',
  });
  const [qL, q] = input('filter-q', 'Text', { type: 'search', value: f.q, placeholder: 'free text', size: '14' });

  const typeList = h(
    'details',
    { class: 'types' },
    summary,
    h(
      'fieldset',
      null,
      h('legend', null, 'Event types'),
      ...types.map((t, i) => h('div', { class: 'check' }, boxes[i], h('label', { for: `type-${t}` }, t))),
      h(
        'div',
        { class: 'fieldset-actions' },
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-types-apply' }, 'Apply'),
      ),
    ),
  );
  // The list floats over the table: close it on a click elsewhere or Escape, like a menu.
  const closeOutside = (e: Event): void => {
    if (typeList.open && !typeList.contains(e.target as Node)) typeList.open = false;
  };
  document.addEventListener('click', closeOutside, { signal });
  typeList.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && typeList.open) {
      e.stopPropagation();
      typeList.open = false;
      summary.focus();
    }
  });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter events', 'data-testid': 'filter-form', role: 'search' },
    typeList,
    h('span', { class: 'field' }, qL, q),
    h('span', { class: 'field' }, recL, rec),
    h('span', { class: 'field' }, actL, act),
    h(
      'datalist',
      { id: 'actor-kinds' },
      ...['http', 'recorder', 'system', 'cli'].map((k) => h('option', { value: k })),
    ),
    h('span', { class: 'field' }, corL, cor),
    h('span', { class: 'field' }, sinceL, since),
    h('span', { class: 'field' }, untilL, until),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'filter-apply' }, 'Apply'),
    h('button', { type: 'button', 'data-testid': 'filter-reset', onclick: () => ctx.navigate(`${BASE}/`) }, 'Reset'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next: Filters = {
      types: boxes.filter((b) => b.checked).map((b) => b.value),
      recording: rec.value.trim(),
      actor: act.value.trim(),
      correlation: cor.value.trim(),
      since: fromLocalInput(since.value),
      until: fromLocalInput(until.value),
      q: q.value.trim(),
    };
    const params = filtersToQuery(next);
    if (limit !== PAGE_SIZE) params.set('limit', String(limit));
    const query = params.toString();
    ctx.navigate(`${BASE}/${query ? `?${query}` : ''}`);
  });
  return form;
}

/**
 * The event table: newest first, walked back page by page with the `before`
 * cursor (never an offset), the live tail prepended on top.
 */
export function eventsView(ctx: Ctx, params: URLSearchParams): View {
  const filters = filtersFromQuery(params);
  const query = filtersToQuery(filters);
  const limit = pageSize(params);
  const abort = new AbortController();
  const shown = new Set<number>();
  let pending: StoredEvent[] = [];
  let early: StoredEvent[] = [];
  let loadedHead: number | undefined;
  let next: number | undefined;
  let exhausted = false;
  let loading = false;
  let trimmedTop = false;
  let selected: number | undefined;

  const tbody = h('tbody');
  const status = h('span', { class: 'status', 'data-testid': 'events-status', role: 'status' }, 'Loading…');
  const counter = h('span', { class: 'counter', 'data-testid': 'new-count', 'aria-live': 'polite', hidden: true });
  const pauseBtn = h('button', {
    type: 'button',
    'data-testid': 'live-pause',
    'aria-pressed': 'false',
    onclick: () => togglePause(),
  });
  const exportHref = `/api/events/export${query.toString() ? `?${query}` : ''}`;
  const moreBtn = h(
    'button',
    { type: 'button', 'data-testid': 'load-more', hidden: true, onclick: () => void loadPage() },
    'Load older events',
  );
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const banner = h(
    'div',
    { class: 'banner', hidden: true, 'data-testid': 'trimmed-banner' },
    'Newer rows were dropped to keep scrolling fast. ',
    h('button', { type: 'button', onclick: () => ctx.reload() }, 'Back to newest'),
  );
  const scroller = h(
    'div',
    { class: 'scroller' },
    banner,
    h(
      'table',
      { class: 'events', 'data-testid': 'events-table', 'aria-label': 'Events, newest first' },
      eventTableHead(),
      tbody,
    ),
    h('div', { class: 'more' }, moreBtn),
    sentinel,
  );

  const el = h(
    'section',
    { class: 'events-view', 'aria-label': 'Event log' },
    filterForm(ctx, filters, limit, abort.signal),
    h(
      'div',
      { class: 'toolbar' },
      status,
      h('span', { class: 'spacer' }),
      counter,
      pauseBtn,
      h(
        'a',
        { class: 'button', href: exportHref, download: 'events.ndjson', 'data-testid': 'export-link' },
        isFiltered(filters) ? 'Export filtered (NDJSON)' : 'Export all (NDJSON)',
      ),
    ),
    scroller,
  );

  function renderPause(): void {
    const paused = ctx.tail.paused;
    pauseBtn.setAttribute('aria-pressed', String(paused));
    replaceChildren(pauseBtn, paused ? '▶ Resume live' : '❚❚ Pause live');
    counter.hidden = pending.length === 0 && !paused;
    replaceChildren(counter, `${pending.length} new event${pending.length === 1 ? '' : 's'}`);
  }

  function updateStatus(): void {
    const n = tbody.rows.length;
    const filtered = isFiltered(filters) ? ' matching' : '';
    if (n === 0 && exhausted)
      replaceChildren(status, isFiltered(filters) ? 'No events match this filter.' : 'The log is empty.');
    else
      replaceChildren(
        status,
        `${n}${filtered} event${n === 1 ? '' : 's'} shown, newest first${exhausted ? ' — end of log' : ''}`,
      );
    moreBtn.hidden = exhausted;
  }

  function prepend(events: StoredEvent[]): void {
    const fresh = events.filter((e) => !shown.has(e.seq)).sort((a, b) => a.seq - b.seq);
    for (const e of fresh) {
      shown.add(e.seq);
      const tr = eventRow(ctx, e);
      tr.classList.add('fresh');
      if (e.seq === selected) tr.setAttribute('aria-selected', 'true');
      tbody.prepend(tr);
    }
    if (fresh.length) updateStatus();
  }

  function togglePause(): void {
    ctx.tail.paused = !ctx.tail.paused;
    if (!ctx.tail.paused && !trimmedTop) {
      prepend(pending);
      pending = [];
    }
    renderPause();
  }

  function onLive(e: StoredEvent): void {
    if (!matches(filters, e)) return;
    if (loadedHead === undefined) {
      early.push(e);
      return;
    }
    if (e.seq <= loadedHead || shown.has(e.seq)) return;
    if (ctx.tail.paused || trimmedTop) {
      pending.push(e);
      renderPause();
      return;
    }
    prepend([e]);
  }

  async function loadPage(): Promise<void> {
    if (loading || exhausted) return;
    loading = true;
    moreBtn.disabled = true;
    const p = new URLSearchParams(query);
    p.set('order', 'desc');
    p.set('limit', String(limit));
    if (next !== undefined) p.set('before', String(next));
    try {
      const page = await getJson<EventsPage>(`/api/events?${p}`, abort.signal);
      if (loadedHead === undefined) {
        loadedHead = page.head;
        const head = page.head;
        onLiveBatch(early.filter((e) => e.seq > head));
        early = [];
      }
      const rows = page.events
        .filter((e) => !shown.has(e.seq))
        .map((e) => {
          shown.add(e.seq);
          const tr = eventRow(ctx, e);
          if (e.seq === selected) tr.setAttribute('aria-selected', 'true');
          return tr;
        });
      tbody.append(...rows);
      // Stop when the server gives no cursor, or one that does not move back.
      const cursor = typeof page.next === 'number' && (next === undefined || page.next < next) ? page.next : undefined;
      next = cursor;
      exhausted = cursor === undefined;
      trim();
      updateStatus();
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(status, `Could not load events: ${errorText(err)}`);
      status.classList.add('error');
    } finally {
      loading = false;
      moreBtn.disabled = false;
    }
    // The sentinel may still be on screen after a short page: look again.
    if (!exhausted && !abort.signal.aborted && sentinelVisible()) void loadPage();
  }

  function onLiveBatch(events: StoredEvent[]): void {
    for (const e of events) onLive(e);
  }

  function trim(): void {
    const excess = tbody.rows.length - MAX_ROWS;
    if (excess <= 0) return;
    for (let i = 0; i < excess; i++) {
      const row = tbody.rows[0];
      if (!row) break;
      shown.delete(Number(row.dataset.seq));
      row.remove();
    }
    trimmedTop = true;
    banner.hidden = false;
  }

  const sentinelVisible = (): boolean =>
    el.isConnected && sentinel.getBoundingClientRect().top < scroller.getBoundingClientRect().bottom + 400;
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadPage();
    },
    { root: scroller, rootMargin: '400px' },
  );
  observer.observe(sentinel);
  const unsubscribe = ctx.live.subscribe(onLive);
  renderPause();
  void loadPage();

  return {
    el,
    destroy: () => {
      abort.abort();
      observer.disconnect();
      unsubscribe();
    },
    select: (seq) => {
      selected = seq;
      for (const row of tbody.querySelectorAll('tr[aria-selected]')) row.removeAttribute('aria-selected');
      if (seq !== undefined) tbody.querySelector(`tr[data-seq="${seq}"]`)?.setAttribute('aria-selected', 'true');
    },
  };
}
