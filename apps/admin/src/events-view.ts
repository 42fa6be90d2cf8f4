import { SEVERITIES, eventSeverity, severityChip, type Severity } from './analysis';
import { errorText, getJson, isAbort, pageSizeParam } from './api';
import { h, replaceChildren, tableHead } from './dom';
import {
  filtersFromQuery,
  filtersToQuery,
  fromLocalInput,
  isFiltered,
  matches,
  toLocalInput,
  type Filters,
} from './filters';
import { BASE, actorTitle, formatActor, formatBytes, formatTime, shortId, summarize, typeChip } from './format';
import { EVENT_TYPES, type EventsPage, type StoredEvent } from './types';
import type { Ctx, View } from './view';

const PAGE_SIZE = 200;

/** `?limit=` picks the page size (1..1000, the API's range); the default suits a screen. */
const pageSize = (params: URLSearchParams): number => pageSizeParam(params, PAGE_SIZE);
/** Rows kept in the DOM; scrolling further drops the newest ones, so any depth stays fast. */
const MAX_ROWS = 4000;

/** One table row. The seq is a real link (keyboard, new tab); the whole row opens the detail. */
export function eventRow(ctx: Ctx, e: StoredEvent, options: { correlationLinks?: boolean } = {}): HTMLTableRowElement {
  const actor = e.metadata?.actor;
  const correlation = e.metadata?.correlationId;
  const severity = eventSeverity(e);
  const tr = h(
    'tr',
    {
      'data-testid': 'event-row',
      'data-seq': e.seq,
      'data-type': e.type,
      'data-severity': severity,
      class: severity ? `sev-row-${severity}` : undefined,
      title: severity ? summarize(e) : undefined,
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
    h('td', null, typeChip(e.type), severity ? severityChip(severity) : null),
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
  return tableHead(['Seq', 'Time (UTC)', 'Type', 'Recording', 'Actor', 'Correlation']);
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
  const severity = h(
    'select',
    { id: 'filter-severity', name: 'severity', 'data-testid': 'filter-severity' },
    h('option', { value: '', selected: f.severity === '' }, 'any'),
    SEVERITIES.map((s) => h('option', { value: s, selected: f.severity === s }, s === 'High' ? 'High' : `≥ ${s}`)),
  );

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
    h(
      'span',
      { class: 'field', title: 'Analysis findings (and completed analyses) at or above this severity' },
      h('label', { for: 'filter-severity' }, 'Severity'),
      severity,
    ),
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
      severity: (SEVERITIES as readonly string[]).includes(severity.value) ? (severity.value as Severity) : '',
    };
    const params = filtersToQuery(next);
    if (limit !== PAGE_SIZE) params.set('limit', String(limit));
    const query = params.toString();
    ctx.navigate(`${BASE}/${query ? `?${query}` : ''}`);
  });
  return form;
}

const DATA_APPENDED = 'RecordingDataAppended';
/**
 * Pages keep loading by themselves while the sentinel is in view, but only
 * until this many events in a row added no row (they all extended one group
 * of data appends): the button goes on from there, so a long recording is
 * never walked to its start unasked.
 */
const IDLE_EVENTS = 1000;

/** One end of a group: enough to label it. */
interface Edge {
  readonly seq: number;
  readonly time: string;
  readonly size: number | undefined;
}

function edgeOf(e: StoredEvent): Edge {
  const size = (e.data as { qmdlSizeBytes?: unknown } | null)?.qmdlSizeBytes;
  return { seq: e.seq, time: e.time, size: typeof size === 'number' ? size : undefined };
}

/** One event as its own row. */
interface Single {
  readonly kind: 'single';
  readonly event: StoredEvent;
  readonly tr: HTMLTableRowElement;
}

/**
 * Consecutive data appends of one recording (consecutive among the rows the
 * filter shows) as one row. Only its two ends are kept; its members are
 * fetched from the event API when it is expanded, a page (`limit`) per click (the same filter, narrowed to
 * this recording's data appends between the two ends), so a group of any size
 * costs one row and two edges.
 */
interface Group {
  readonly kind: 'group';
  readonly recording: string;
  count: number;
  newest: Edge;
  oldest: Edge;
  readonly tr: HTMLTableRowElement;
  readonly toggle: HTMLButtonElement;
  readonly summary: HTMLTableCellElement;
  readonly time: HTMLTableCellElement;
  expanded: boolean;
  /** Member rows shown, newest first, and the `before` cursor of the next member page. */
  members: HTMLTableRowElement[];
  membersBefore: number;
  membersDone: boolean;
  more: HTMLTableRowElement | undefined;
  loading: AbortController | undefined;
}

type Item = Single | Group;

/** "10:01:02–10:08:55" (UTC, like the time column), with the dates when they differ, one time when they are equal. */
function span(from: string, to: string): string {
  const a = formatTime(from);
  const b = formatTime(to);
  if (a.slice(0, 10) !== b.slice(0, 10)) return `${a.slice(0, 19)}–${b.slice(0, 19)}`;
  const [x, y] = [a.slice(11, 19), b.slice(11, 19)];
  return x === y ? x : `${x}–${y}`;
}

/**
 * The event table: newest first, walked back page by page with the `before`
 * cursor (never an offset), the live tail prepended on top. Runs of the
 * recorder's data appends fold into one expandable row per recording, so
 * findings and what people did stand out.
 */
export function eventsView(ctx: Ctx, params: URLSearchParams): View {
  const filters = filtersFromQuery(params);
  const query = filtersToQuery(filters);
  const limit = pageSize(params);
  const abort = new AbortController();
  const itemOf = new WeakMap<HTMLTableRowElement, Item>();
  let top: Item | undefined;
  let bottom: Item | undefined;
  /** Newest seq in the table (live events must be newer) and the events the table stands for. */
  let newestSeq = 0;
  let eventCount = 0;
  let pending: StoredEvent[] = [];
  let early: StoredEvent[] = [];
  let loadedHead: number | undefined;
  let next: number | undefined;
  let exhausted = false;
  let loading = false;
  let trimmedTop = false;
  let idleEvents = 0;
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
    {
      type: 'button',
      'data-testid': 'load-more',
      hidden: true,
      onclick: () => {
        idleEvents = 0;
        void loadPage();
      },
    },
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
    const filtered = isFiltered(filters) ? ' matching' : '';
    if (eventCount === 0 && exhausted)
      replaceChildren(status, isFiltered(filters) ? 'No events match this filter.' : 'The log is empty.');
    else
      replaceChildren(
        status,
        `${eventCount}${filtered} event${eventCount === 1 ? '' : 's'} shown, newest first${exhausted ? ' — end of log' : ''}`,
      );
    moreBtn.hidden = exhausted;
  }

  function singleRow(e: StoredEvent): Single {
    const tr = eventRow(ctx, e);
    if (e.seq === selected) tr.setAttribute('aria-selected', 'true');
    const item: Single = { kind: 'single', event: e, tr };
    itemOf.set(tr, item);
    return item;
  }

  function renderGroup(g: Group): void {
    g.tr.dataset.count = String(g.count);
    g.tr.dataset.newestSeq = String(g.newest.seq);
    g.tr.dataset.oldestSeq = String(g.oldest.seq);
    replaceChildren(g.toggle, `${g.expanded ? '▾' : '▸'} ${g.count}`);
    g.toggle.setAttribute('aria-expanded', String(g.expanded));
    g.toggle.setAttribute(
      'aria-label',
      `${g.expanded ? 'Hide' : 'Show'} the ${g.count} data appends of recording ${g.recording}`,
    );
    const sizes =
      g.oldest.size !== undefined && g.newest.size !== undefined
        ? g.count > 1
          ? `${formatBytes(g.oldest.size)} → ${formatBytes(g.newest.size)}`
          : formatBytes(g.newest.size)
        : 'size unknown';
    replaceChildren(
      g.summary,
      `${g.count} data append${g.count === 1 ? '' : 's'}, ${sizes}, ${span(g.oldest.time, g.newest.time)}`,
    );
    replaceChildren(g.time, formatTime(g.newest.time));
    g.time.title = `#${g.oldest.seq} ${g.oldest.time}\n#${g.newest.seq} ${g.newest.time}`;
  }

  function newGroup(e: StoredEvent): Group {
    const toggle = h('button', { type: 'button', class: 'toggle', 'data-testid': 'group-toggle' });
    const summary = h('td', { colspan: 2, class: 'group-summary', 'data-testid': 'group-summary' });
    const time = h('td', { class: 'time' });
    const recording = e.recording ?? '';
    const tr = h(
      'tr',
      { class: 'group', 'data-testid': 'append-group', 'data-recording': recording },
      h('td', { class: 'num' }, toggle),
      time,
      h('td', null, typeChip(DATA_APPENDED)),
      h(
        'td',
        { class: 'rec' },
        ctx.link(`${BASE}/recordings/${encodeURIComponent(recording)}`, { title: 'Recording history' }, recording),
      ),
      summary,
    );
    const edge = edgeOf(e);
    const g: Group = {
      kind: 'group',
      recording,
      count: 1,
      newest: edge,
      oldest: edge,
      tr,
      toggle,
      summary,
      time,
      expanded: false,
      members: [],
      membersBefore: e.seq + 1,
      membersDone: false,
      more: undefined,
      loading: undefined,
    };
    tr.addEventListener('click', (ev) => {
      if ((ev.target as Element).closest('a')) return;
      setExpanded(g, !g.expanded);
    });
    itemOf.set(tr, g);
    renderGroup(g);
    return g;
  }

  /** A lone data append joined by its neighbour: its row becomes a group (of one, until the caller adds the other). */
  function groupFrom(single: Single): Group {
    const g = newGroup(single.event);
    single.tr.replaceWith(g.tr);
    if (top === single) top = g;
    if (bottom === single) bottom = g;
    return g;
  }

  const isAppend = (e: StoredEvent): boolean => e.type === DATA_APPENDED && e.recording !== undefined;
  const joins = (item: Item | undefined, e: StoredEvent): boolean =>
    item !== undefined &&
    isAppend(e) &&
    (item.kind === 'group'
      ? item.recording === e.recording
      : isAppend(item.event) && item.event.recording === e.recording);

  /** The last row an item occupies (its member rows follow a group's own row). */
  function lastRowOf(item: Item): HTMLTableRowElement {
    if (item.kind === 'single') return item.tr;
    return item.more ?? item.members[item.members.length - 1] ?? item.tr;
  }

  function memberRow(e: StoredEvent): HTMLTableRowElement {
    const tr = eventRow(ctx, e);
    tr.classList.add('member');
    if (e.seq === selected) tr.setAttribute('aria-selected', 'true');
    return tr;
  }

  function renderMore(g: Group): void {
    const left = g.count - g.members.length;
    if (!g.expanded || g.membersDone || left <= 0) {
      g.more?.remove();
      g.more = undefined;
      return;
    }
    if (!g.more) {
      g.more = h(
        'tr',
        { class: 'member-more' },
        h(
          'td',
          { colspan: 6 },
          h('button', { type: 'button', 'data-testid': 'group-more', onclick: () => void loadMembers(g) }),
        ),
      );
      (g.members[g.members.length - 1] ?? g.tr).after(g.more);
    }
    const button = g.more.querySelector('button');
    if (button) replaceChildren(button, `Show ${Math.min(left, limit)} more of ${left} hidden`);
  }

  function setExpanded(g: Group, expanded: boolean): void {
    if (g.expanded === expanded) return;
    g.expanded = expanded;
    if (!expanded) {
      g.loading?.abort();
      g.loading = undefined;
      for (const tr of g.members) tr.remove();
      g.members = [];
      g.membersBefore = g.newest.seq + 1;
      g.membersDone = false;
      renderMore(g);
      renderGroup(g);
      return;
    }
    renderGroup(g);
    void loadMembers(g);
  }

  /** The next page of a group's members: the table's filter, this recording's data appends, within the group's ends. */
  async function loadMembers(g: Group): Promise<void> {
    if (g.loading || g.membersDone) return;
    const loader = new AbortController();
    g.loading = loader;
    const p = new URLSearchParams(query);
    p.set('type', DATA_APPENDED);
    p.set('recording', g.recording);
    p.set('order', 'desc');
    p.set('limit', String(limit));
    p.set('after', String(g.oldest.seq - 1));
    p.set('before', String(g.membersBefore));
    const stop = (): void => loader.abort();
    abort.signal.addEventListener('abort', stop);
    try {
      const page = await getJson<EventsPage>(`/api/events?${p}`, loader.signal);
      if (!g.expanded || g.loading !== loader) return;
      const rows = page.events.filter((e) => e.seq < g.membersBefore && e.seq >= g.oldest.seq).map(memberRow);
      (g.members[g.members.length - 1] ?? g.tr).after(...rows);
      g.members.push(...rows);
      const cursor = typeof page.next === 'number' && page.next < g.membersBefore ? page.next : undefined;
      const lowest = page.events[page.events.length - 1]?.seq;
      g.membersBefore = cursor ?? lowest ?? g.membersBefore;
      g.membersDone = cursor === undefined;
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(status, `Could not load the data appends of ${g.recording}: ${errorText(err)}`);
    } finally {
      abort.signal.removeEventListener('abort', stop);
      if (g.loading === loader) g.loading = undefined;
    }
    renderMore(g);
  }

  /** A newer event on top: it extends the top group or joins a lone append, else gets its own row. */
  function addOnTop(e: StoredEvent): void {
    newestSeq = Math.max(newestSeq, e.seq);
    eventCount += 1;
    if (joins(top, e)) {
      const g = top!.kind === 'group' ? top! : groupFrom(top!);
      g.count += 1;
      g.newest = edgeOf(e);
      if (g.expanded) {
        const tr = memberRow(e);
        tr.classList.add('fresh');
        g.tr.after(tr);
        g.members.unshift(tr);
      }
      g.tr.classList.remove('fresh');
      void g.tr.offsetWidth;
      g.tr.classList.add('fresh');
      renderGroup(g);
      return;
    }
    const item = singleRow(e);
    item.tr.classList.add('fresh');
    tbody.prepend(item.tr);
    top = item;
    bottom ??= item;
    idleEvents = 0;
  }

  /** An older event at the bottom (from a page): the same, at the other end. */
  function addAtBottom(e: StoredEvent): boolean {
    newestSeq = Math.max(newestSeq, e.seq);
    eventCount += 1;
    if (joins(bottom, e)) {
      const g = bottom!.kind === 'group' ? bottom! : groupFrom(bottom!);
      g.count += 1;
      g.oldest = edgeOf(e);
      g.membersDone = false;
      renderGroup(g);
      renderMore(g);
      return false;
    }
    const item = singleRow(e);
    tbody.append(item.tr);
    bottom = item;
    top ??= item;
    return true;
  }

  function prepend(events: StoredEvent[]): void {
    const fresh = events.filter((e) => e.seq > newestSeq).sort((a, b) => a.seq - b.seq);
    for (const e of fresh) addOnTop(e);
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
    if (e.seq <= loadedHead || e.seq <= newestSeq) return;
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
      const first = loadedHead === undefined;
      if (first) loadedHead = page.head;
      // Pages go back in seq: below the cursor, and on the first page below what the tail already put on top.
      const floor = next ?? Infinity;
      const ceiling = first ? Infinity : floor;
      for (const e of page.events) {
        if (e.seq >= ceiling) continue;
        if (addAtBottom(e)) idleEvents = 0;
        else idleEvents += 1;
      }
      if (first) {
        const head = page.head;
        onLiveBatch(early.filter((e) => e.seq > head));
        early = [];
      }
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
    if (!exhausted && !abort.signal.aborted && idleEvents < IDLE_EVENTS && sentinelVisible()) void loadPage();
  }

  function onLiveBatch(events: StoredEvent[]): void {
    for (const e of events) onLive(e);
  }

  /** Drops whole items from the top (the newest) while the table holds more rows than it should. */
  function trim(): void {
    if (tbody.rows.length <= MAX_ROWS) return;
    while (tbody.rows.length > MAX_ROWS) {
      const row = tbody.rows[0];
      const item = row ? itemOf.get(row) : undefined;
      if (!row || !item || item === bottom) break;
      const after = lastRowOf(item).nextElementSibling as HTMLTableRowElement | null;
      if (item.kind === 'group') {
        item.loading?.abort();
        for (const tr of item.members) tr.remove();
        item.more?.remove();
        eventCount -= item.count;
      } else eventCount -= 1;
      item.tr.remove();
      top = after ? itemOf.get(after) : undefined;
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
