import { ApiError, errorText, getJson, isAbort, seg } from './api';
import { h, jsonBlock, replaceChildren } from './dom';
import { eventRow, eventTableHead } from './events-view';
import { BASE, actorTitle, formatActor, formatTime, typeChip } from './format';
import type { EventsPage, StoredEvent } from './types';
import type { Ctx, View } from './view';

function field(label: string, value: Node | string, mono = false): HTMLElement[] {
  return [h('dt', null, label), h('dd', { class: mono ? 'mono' : undefined }, value)];
}

/**
 * The detail drawer: one stored event in full (data, metadata, chain links) and
 * everything its request did — the events sharing its correlation id.
 */
export function detailView(ctx: Ctx, seq: number, close: () => void): View {
  const abort = new AbortController();
  const body = h('div', { class: 'drawer-body' }, h('p', { class: 'status' }, `Loading event #${seq}…`));
  const closeBtn = h(
    'button',
    {
      type: 'button',
      class: 'icon',
      'aria-label': 'Close event detail',
      'data-testid': 'detail-close',
      onclick: close,
    },
    '✕',
  );
  const title = h('h2', { id: 'detail-title' }, `Event #${seq}`);
  const el = h(
    'div',
    { class: 'detail', role: 'region', 'aria-labelledby': 'detail-title' },
    h('div', { class: 'drawer-head' }, title, closeBtn),
    body,
  );

  async function load(): Promise<void> {
    let event: StoredEvent;
    try {
      event = await getJson<StoredEvent>(`/api/events/${seq}`, abort.signal);
    } catch (err) {
      if (isAbort(err)) return;
      const text =
        err instanceof ApiError && err.code === 'NO_SUCH_EVENT'
          ? `There is no event #${seq}.`
          : `Could not load event #${seq}: ${errorText(err)}`;
      replaceChildren(body, h('p', { class: 'status error' }, text));
      return;
    }
    const m = event.metadata ?? {};
    replaceChildren(title, `#${event.seq} `, typeChip(event.type));
    const correlated = h('tbody', null, h('tr', null, h('td', { colspan: 6, class: 'status' }, 'Loading…')));
    const correlatedNote = h('p', { class: 'status' });
    replaceChildren(
      body,
      h(
        'dl',
        { class: 'fields' },
        field('Time', formatTime(event.time)),
        field('System time', formatTime(event.systemTime)),
        field(
          'Recording',
          event.recording ? ctx.link(`${BASE}/recordings/${seg(event.recording)}`, null, event.recording) : '—',
        ),
        field('Actor', formatActor(m.actor) + (actorTitle(m.actor) ? ` — ${actorTitle(m.actor)}` : '')),
        field('Correlation', m.correlationId ?? '—', true),
        field('Causation', m.causationId ?? '—', true),
        field('Boot', m.bootId ?? '—', true),
        field('App version', `${m.appVersion ?? '?'} · schema v${event.v}`),
      ),
      h(
        'p',
        { class: 'links' },
        ctx.link(
          `${BASE}/time-travel?at=${Math.max(0, event.seq - 1)}`,
          { 'data-testid': 'detail-before' },
          `Manifest before #${event.seq}`,
        ),
        ' · ',
        ctx.link(`${BASE}/time-travel?at=${event.seq}`, null, `Manifest as of #${event.seq}`),
      ),
      h('h3', null, 'Same correlation id (what this request did)'),
      h(
        'table',
        {
          class: 'events compact',
          'data-testid': 'correlated-table',
          'aria-label': 'Events with the same correlation id',
        },
        eventTableHead(),
        correlated,
      ),
      correlatedNote,
      h('h3', null, 'Data'),
      jsonBlock(event.data, 'detail-data'),
      h('h3', null, 'Metadata'),
      jsonBlock(event.metadata, 'detail-metadata'),
      h('h3', null, 'Hash chain'),
      h('dl', { class: 'fields chain' }, field('prev', event.prev, true), field('hash', event.hash, true)),
      h('details', null, h('summary', null, 'Full stored event (JSON)'), jsonBlock(event, 'detail-json')),
    );
    if (!m.correlationId) {
      replaceChildren(correlated);
      replaceChildren(correlatedNote, 'This event has no correlation id.');
      return;
    }
    try {
      const q = new URLSearchParams({ correlation: m.correlationId, order: 'asc', limit: '1000' });
      const page = await getJson<EventsPage>(`/api/events?${q}`, abort.signal);
      replaceChildren(
        correlated,
        page.events.map((e) => {
          const tr = eventRow(ctx, e, { correlationLinks: false });
          tr.setAttribute('data-testid', 'correlated-row');
          if (e.seq === event.seq) tr.setAttribute('aria-current', 'true');
          return tr;
        }),
      );
      replaceChildren(
        correlatedNote,
        page.next !== undefined ? 'More than 1000 events share this id: ' : '',
        page.next !== undefined
          ? ctx.link(`${BASE}/?${new URLSearchParams({ correlation: m.correlationId })}`, null, 'show them all')
          : '',
      );
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(correlated);
      replaceChildren(correlatedNote, `Could not load correlated events: ${errorText(err)}`);
    }
  }

  void load();
  return { el, destroy: () => abort.abort() };
}
