import { errorText, getJson, onLedgerSeq, request } from './api';
import { detailView } from './detail';
import { h, replaceChildren, type Attrs, type Child } from './dom';
import { eventsView } from './events-view';
import { BASE } from './format';
import { integrityBadge } from './integrity';
import { LiveFeed, type LiveStatus } from './live';
import { recordingView } from './recording-view';
import { recordingsView } from './recordings-view';
import { timeTravelView } from './time-travel';
import type { EventsPage } from './types';
import type { Ctx, View } from './view';

const LIVE_LABELS: Readonly<Record<LiveStatus, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** Where a path points, below BASE. */
function routeOf(url: URL): {
  view: 'events' | 'recordings' | 'recording' | 'time-travel' | 'missing';
  name?: string;
} {
  const rest = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
  if (rest === '' || rest === '/' || rest === '/index.html') return { view: 'events' };
  if (rest === '/recordings' || rest === '/recordings/') return { view: 'recordings' };
  if (rest === '/time-travel' || rest === '/time-travel/') return { view: 'time-travel' };
  const m = /^\/recordings\/([^/]+)\/?$/.exec(rest);
  if (m?.[1]) {
    try {
      return { view: 'recording', name: decodeURIComponent(m[1]) };
    } catch {
      return { view: 'missing' };
    }
  }
  return { view: 'missing' };
}

/** The page after sign-in; returns a function that tears it all down. */
export function startApp(
  root: HTMLElement,
  options: { authRequired: boolean; onSignedOut: (message?: string) => void },
): () => void {
  const session = new AbortController();
  const { signal } = session;
  let headSeq = 0;

  const headEl = h('span', { class: 'mono', 'data-testid': 'head-seq' }, '…');
  const liveEl = h(
    'span',
    { class: 'live', 'data-testid': 'live-status', 'data-state': 'connecting', role: 'status' },
    LIVE_LABELS.connecting,
  );
  const badge = integrityBadge(signal);

  function noteHead(seq: number): void {
    if (seq > headSeq) {
      headSeq = seq;
      replaceChildren(headEl, `#${seq}`);
    }
  }
  onLedgerSeq(noteHead);

  const live = new LiveFeed(
    (status) => {
      if (liveEl.getAttribute('data-state') === status) return;
      liveEl.setAttribute('data-state', status);
      replaceChildren(liveEl, LIVE_LABELS[status]);
    },
    () => options.onSignedOut('Your session ended. Sign in again.'),
  );
  live.subscribe((event) => {
    noteHead(event.seq);
    badge.refreshSoon();
  });

  const main = h('main', { class: 'view', id: 'main' });
  const drawer = h('aside', {
    class: 'drawer',
    'aria-label': 'Event detail',
    hidden: true,
    'data-testid': 'detail-panel',
  });
  let view: View | undefined;
  let viewKey = '';
  let detail: View | undefined;
  let detailSeq: number | undefined;

  function navigate(href: string, opts: { replace?: boolean } = {}): void {
    if (opts.replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    render();
  }

  function link(href: string, attrs: Attrs | null, ...children: Child[]): HTMLAnchorElement {
    return h(
      'a',
      {
        ...attrs,
        href,
        onclick: (e: Event) => {
          const m = e as MouseEvent;
          if (m.button !== 0 || m.metaKey || m.ctrlKey || m.shiftKey || m.altKey) return;
          e.preventDefault();
          e.stopPropagation();
          navigate(href);
        },
      },
      ...children,
    );
  }

  function eventHref(seq: number): string {
    const url = new URL(location.href);
    url.searchParams.set('event', String(seq));
    return url.pathname + url.search;
  }

  function closeDetail(): void {
    const url = new URL(location.href);
    url.searchParams.delete('event');
    navigate(url.pathname + url.search);
  }

  const reload = (): void => {
    viewKey = '';
    render();
  };
  const ctx: Ctx = { signal, live, tail: { paused: false }, navigate, reload, link, eventHref, head: () => headSeq };

  const navEvents = link(`${BASE}/`, { class: 'tab', 'data-testid': 'nav-events' }, 'Events');
  const navRecordings = link(`${BASE}/recordings`, { class: 'tab', 'data-testid': 'nav-recordings' }, 'Recordings');
  const navTravel = link(`${BASE}/time-travel`, { class: 'tab', 'data-testid': 'nav-time-travel' }, 'Time travel');

  function render(): void {
    const url = new URL(location.href);
    const route = routeOf(url);
    const params = new URLSearchParams(url.search);
    const eventParam = params.get('event');
    params.delete('event');
    const key = `${url.pathname}?${params.toString()}`;
    if (key !== viewKey) {
      viewKey = key;
      view?.destroy();
      if (route.view === 'events') view = eventsView(ctx, params);
      else if (route.view === 'recordings') view = recordingsView(ctx);
      else if (route.view === 'recording' && route.name !== undefined) view = recordingView(ctx, route.name, params);
      else if (route.view === 'time-travel') view = timeTravelView(ctx, params);
      else
        view = {
          el: h(
            'section',
            { class: 'empty' },
            h('h2', null, 'Not found'),
            ctx.link(`${BASE}/`, null, 'Back to events'),
          ),
          destroy: () => undefined,
        };
      replaceChildren(main, view.el);
      for (const [tab, on] of [
        [navEvents, route.view === 'events'],
        [navRecordings, route.view === 'recordings'],
        [navTravel, route.view === 'time-travel'],
      ] as const) {
        if (on) tab.setAttribute('aria-current', 'page');
        else tab.removeAttribute('aria-current');
      }
      detailSeq = undefined;
    }
    const seq = eventParam !== null && /^\d+$/.test(eventParam) ? Number(eventParam) : undefined;
    if (seq !== detailSeq) {
      detailSeq = seq;
      detail?.destroy();
      detail = undefined;
      if (seq === undefined) {
        drawer.hidden = true;
        drawer.replaceChildren();
      } else {
        detail = detailView(ctx, seq, closeDetail);
        replaceChildren(drawer, detail.el);
        drawer.hidden = false;
      }
      view?.select?.(seq);
    }
  }

  async function signOut(): Promise<void> {
    try {
      await request('/api/auth/session', { method: 'DELETE' });
    } catch (err) {
      console.warn('sign-out:', errorText(err));
    }
    options.onSignedOut();
  }

  const header = h(
    'header',
    { class: 'top' },
    h('h1', null, link(`${BASE}/`, { class: 'brand' }, 'qmdl-ledger'), h('span', { class: 'sub' }, 'audit log')),
    h('nav', { 'aria-label': 'Views' }, navEvents, navRecordings, navTravel),
    h('div', { class: 'spacer' }),
    h('span', { class: 'head', title: 'Log head: the newest sequence number' }, 'head ', headEl),
    liveEl,
    badge.el,
    options.authRequired
      ? h(
          'button',
          { type: 'button', class: 'ghost', 'data-testid': 'signout', onclick: () => void signOut() },
          'Sign out',
        )
      : null,
  );

  const onPop = (): void => render();
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape' && detailSeq !== undefined) closeDetail();
  };
  window.addEventListener('popstate', onPop);
  window.addEventListener('keydown', onKey);
  replaceChildren(root, header, h('div', { class: 'body' }, main, drawer));
  render();
  badge.refresh();

  // The tail starts at the head as of now; views load their own first page and
  // take from the tail only what is newer than it.
  function startTail(): void {
    getJson<EventsPage>('/api/events?order=desc&limit=1', signal)
      .then((page) => {
        noteHead(page.head);
        live.start(page.head);
      })
      .catch((err: unknown) => {
        if (signal.aborted) return;
        // Never start the tail from 0 by mistake: that would replay the whole log.
        console.warn('head:', errorText(err));
        const retry = setTimeout(startTail, 3000);
        signal.addEventListener('abort', () => clearTimeout(retry));
      });
  }
  startTail();

  return () => {
    session.abort();
    live.stop();
    view?.destroy();
    detail?.destroy();
    window.removeEventListener('popstate', onPop);
    window.removeEventListener('keydown', onKey);
    onLedgerSeq(() => undefined);
  };
}
