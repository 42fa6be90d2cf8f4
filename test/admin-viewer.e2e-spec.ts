/**
 * The admin audit-log viewer in a real browser (headless Debian chromium via
 * playwright-core) against the real server, spawned from the build
 * (`node scripts/build.js` first; `npm test` does that). The tests in a
 * describe share one server and run in order: each builds on the events the
 * previous ones made (e.g. the detail and time-travel tests use the delete
 * made by the filter test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './helpers/browser';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist/apps/qmdl-ledger/src/main.js');
const ARTIFACTS = path.join(ROOT, 'test/artifacts');

interface StoredEvent {
  seq: number;
  type: string;
  recording?: string;
  metadata: { correlationId: string };
}
interface EventsPage {
  events: StoredEvent[];
  next?: number;
  head: number;
}
interface ManifestEntry {
  name: string;
}
interface Manifest {
  entries: ManifestEntry[];
  current_entry: ManifestEntry | null;
}

interface LedgerServer {
  readonly base: string;
  /** A request as a script (or the Rayhunter UI) makes it; with the bearer token when one is set. */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  json<T>(pathname: string): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** One real server per describe: a fresh data dir, a free port, synthetic diag source. */
async function startServer(options: { token?: string } = {}): Promise<LedgerServer> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`node scripts/build.js\` first`);
  if (!existsSync(path.join(ROOT, 'dist/admin/index.html')))
    throw new Error('dist/admin is missing: run `node scripts/build.js` first');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-admin-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [
    MAIN,
    'serve',
    '--data-dir',
    dataDir,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--source',
    'synthetic',
    '--no-auto-start',
  ];
  if (options.token) args.push('--admin-token', options.token);
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const auth: Record<string, string> = options.token ? { Authorization: `Bearer ${options.token}` } : {};
  const server: LedgerServer = {
    base,
    api: (pathname, init = {}) =>
      fetch(base + pathname, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } }),
    async json<T>(pathname: string): Promise<T> {
      const res = await server.api(pathname);
      if (!res.ok) throw new Error(`GET ${pathname} → ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        let timer: ReturnType<typeof setTimeout> | undefined;
        const killed = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 10_000))),
        ]);
        clearTimeout(timer);
        if (!killed) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(
      'GET /healthz → 200',
      async () => {
        if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
        const res = await fetch(`${base}/healthz`);
        return res.status === 200 ? true : undefined;
      },
      30_000,
    );
  } catch (err) {
    await server.stop();
    throw new Error(`${String(err)}\n--- server output ---\n${output}`);
  }
  return server;
}

/** POST a mutation as the Rayhunter UI does; the API answers 202 `ok`. */
async function post(server: LedgerServer, pathname: string): Promise<void> {
  const res = await server.api(pathname, { method: 'POST' });
  if (res.status !== 202 && res.status !== 200) throw new Error(`POST ${pathname} → ${res.status} ${await res.text()}`);
}

async function head(server: LedgerServer): Promise<number> {
  return (await server.json<EventsPage>('/api/events?order=desc&limit=1')).head;
}

/** The events after `after` (ascending), once at least one of `type` is among them. */
async function eventsAfter(server: LedgerServer, after: number, type: string): Promise<StoredEvent[]> {
  return waitFor(`a ${type} after #${after}`, async () => {
    const page = await server.json<EventsPage>(`/api/events?order=asc&after=${after}&limit=1000`);
    return page.events.some((e) => e.type === type) ? page.events : undefined;
  });
}

async function activeRecording(server: LedgerServer): Promise<string> {
  return waitFor(
    'an active recording',
    async () => (await server.json<Manifest>('/api/qmdl-manifest')).current_entry?.name,
  );
}

const row = (page: Page, seq: number) => page.locator(`[data-testid=event-row][data-seq="${seq}"]`);

/** The time-travel result heading, exactly "Manifest as of seq N". */
const asOf = (page: Page, seq: number) =>
  page.locator('[data-testid=tt-label]', { hasText: new RegExp(`^Manifest as of seq ${seq}$`) });

/**
 * The seqs the event table stands for, in its order: an event row's own, and
 * for a group of data appends every seq from its newest to its oldest (a group
 * is consecutive in the log when no filter is set, which the check asserts).
 */
async function shownSeqs(page: Page): Promise<number[]> {
  const items = await page
    .locator(
      '[data-testid=events-table] tr[data-testid=event-row]:not(.member), [data-testid=events-table] tr[data-testid=append-group]',
    )
    .evaluateAll((rows) =>
      rows.map((r) => ({
        seq: Number(r.getAttribute('data-seq')),
        group: r.getAttribute('data-testid') === 'append-group',
        count: Number(r.getAttribute('data-count')),
        newest: Number(r.getAttribute('data-newest-seq')),
        oldest: Number(r.getAttribute('data-oldest-seq')),
      })),
    );
  return items.flatMap((item) => {
    if (!item.group) return [item.seq];
    expect(item.newest - item.oldest + 1).toBe(item.count);
    return Array.from({ length: item.count }, (_, i) => item.newest - i);
  });
}

/** Whether the table shows this event: as its own row, or inside its recording's group of data appends. */
async function isShown(page: Page, e: StoredEvent): Promise<boolean> {
  if ((await row(page, e.seq).count()) > 0) return true;
  if (e.type !== 'RecordingDataAppended') return false;
  const groups = await page
    .locator(`[data-testid=append-group][data-recording="${e.recording}"]`)
    .evaluateAll((gs) =>
      gs.map((g) => [Number(g.getAttribute('data-oldest-seq')), Number(g.getAttribute('data-newest-seq'))]),
    );
  return groups.some(([oldest, newest]) => oldest! <= e.seq && e.seq <= newest!);
}

async function rowTypes(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=events-table] [data-testid=event-row]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type') ?? ''));
}

async function newCount(page: Page): Promise<number> {
  const text = (await page.getByTestId('new-count').textContent()) ?? '';
  return Number(/(\d+)/.exec(text)?.[1] ?? NaN);
}

describe('admin viewer against a real server', () => {
  let server: LedgerServer;
  let browser: TestBrowser;
  let page: Page;
  const pageErrors: string[] = [];
  // Made by the tests below, in order.
  let deleted: { name: string; stopSeq: number; deleteSeq: number; correlationId: string };

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('loads at /admin and says the hash chain verifies up to the head', async () => {
    await page.goto(`${server.base}/admin`);
    try {
      await page.locator('[data-testid=event-row]').first().waitFor({ timeout: 10_000 });
    } catch (err) {
      // Say why: most often dist/ was rebuilt (emptied) by another build while this ran.
      const index = await fetch(`${server.base}/admin/`);
      throw new Error(
        `no event rows: GET /admin/ → ${index.status}; dist/admin/index.html ${existsSync(path.join(ROOT, 'dist/admin/index.html')) ? 'exists' : 'is missing'}; ` +
          `page text: ${JSON.stringify(((await page.locator('body').textContent()) ?? '').slice(0, 300))}\n${String(err)}`,
      );
    }
    const badge = page.getByTestId('integrity-badge');
    await waitFor('the integrity badge', async () =>
      (await badge.getAttribute('data-state')) === 'ok' ? true : undefined,
    );
    expect(await badge.textContent()).toMatch(/verifies to #\d+/);
    expect(await page.getByTestId('head-seq').textContent()).toMatch(/^#\d+$/);
    await waitFor('the live tail', async () =>
      (await page.getByTestId('live-status').getAttribute('data-state')) === 'live' ? true : undefined,
    );
  });

  it('shows the events made by real API calls', async () => {
    const before = await head(server);
    await post(server, '/api/start-recording');
    const name = await activeRecording(server);
    await post(server, '/api/stop-recording');
    const made = await eventsAfter(server, before, 'RecordingStopped');
    const started = made.find((e) => e.type === 'RecordingStarted' && e.recording === name);
    const stopped = made.find((e) => e.type === 'RecordingStopped' && e.recording === name);
    expect(started && stopped).toBeTruthy();
    for (const e of [started!, stopped!]) {
      await row(page, e.seq).waitFor({ timeout: 5000 });
      expect(await row(page, e.seq).getAttribute('data-type')).toBe(e.type);
      expect(await row(page, e.seq).textContent()).toContain(name);
    }
  });

  it('receives a new event in the live tail within 2 s', async () => {
    const before = await head(server);
    const t0 = Date.now();
    await post(server, '/api/start-recording');
    const made = await eventsAfter(server, before, 'RecordingStarted');
    const started = made.find((e) => e.type === 'RecordingStarted')!;
    await row(page, started.seq).waitFor({ timeout: Math.max(1, 2000 - (Date.now() - t0)) });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('counts events arriving while paused and shows them on resume', async () => {
    const pause = page.getByTestId('live-pause');
    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('new-count').waitFor();
    const before = await head(server);
    const rowsBefore = await page.locator('[data-testid=event-row]').count();
    const shownBefore = await shownSeqs(page);

    await post(server, '/api/stop-recording');
    await eventsAfter(server, before, 'RecordingStopped');
    const first = await waitFor('the counter to count', async () =>
      (await newCount(page)) >= 1 ? newCount(page) : undefined,
    );
    await post(server, '/api/start-recording');
    await waitFor('the counter to grow', async () => ((await newCount(page)) > first ? true : undefined));

    const made = await eventsAfter(server, before, 'RecordingStarted');
    for (const e of made) expect(await isShown(page, e)).toBe(false);
    expect(await page.locator('[data-testid=event-row]').count()).toBe(rowsBefore);
    expect(await shownSeqs(page)).toEqual(shownBefore);

    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('false');
    // Data appends show inside their recording's group row, every other event as its own row.
    for (const e of made)
      await waitFor(`#${e.seq} ${e.type} shown`, async () => ((await isShown(page, e)) ? true : undefined));
    for (const e of made.filter((m) => m.type !== 'RecordingDataAppended'))
      await row(page, e.seq).waitFor({ timeout: 10_000 });
    await page.getByTestId('new-count').waitFor({ state: 'hidden' });
  });

  it('a type filter narrows the table, lives in the URL and survives a reload', async () => {
    // Delete the active recording: one request, two events (stop, then delete).
    const name = await activeRecording(server);
    const before = await head(server);
    await post(server, `/api/delete-recording/${encodeURIComponent(name)}`);
    const made = await eventsAfter(server, before, 'RecordingDeleted');
    const del = made.find((e) => e.type === 'RecordingDeleted' && e.recording === name)!;
    const stop = made.find((e) => e.type === 'RecordingStopped' && e.recording === name)!;
    expect(stop.metadata.correlationId).toBe(del.metadata.correlationId);
    deleted = { name, stopSeq: stop.seq, deleteSeq: del.seq, correlationId: del.metadata.correlationId };
    await row(page, del.seq).waitFor({ timeout: 5000 });

    await page.getByTestId('filter-type').click();
    await page.getByTestId('type-RecordingDeleted').check();
    await page.getByTestId('filter-type').click(); // close the type list again
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/[?&]type=RecordingDeleted(&|$)/);
    await row(page, del.seq).waitFor();
    await waitFor('only RecordingDeleted rows', async () => {
      const types = await rowTypes(page);
      return types.length > 0 && types.every((t) => t === 'RecordingDeleted') ? true : undefined;
    });

    await page.reload();
    await row(page, del.seq).waitFor();
    expect(new URL(page.url()).searchParams.get('type')).toBe('RecordingDeleted');
    expect(await page.getByTestId('type-RecordingDeleted').isChecked()).toBe(true);
    expect(new Set(await rowTypes(page))).toEqual(new Set(['RecordingDeleted']));

    // Live events are filtered too: a start does not show, its delete does.
    const h2 = await head(server);
    await post(server, '/api/start-recording');
    const other = await activeRecording(server);
    await post(server, `/api/delete-recording/${encodeURIComponent(other)}`);
    const later = await eventsAfter(server, h2, 'RecordingDeleted');
    await row(page, later.find((e) => e.type === 'RecordingDeleted')!.seq).waitFor({ timeout: 10_000 });
    expect(new Set(await rowTypes(page))).toEqual(new Set(['RecordingDeleted']));
    const exportHref = await page.getByTestId('export-link').getAttribute('href');
    expect(exportHref).toBe('/api/events/export?type=RecordingDeleted');
    const exported = await page.request.get(server.base + exportHref!);
    expect(exported.headers()['content-type']).toContain('application/x-ndjson');
    const lines = (await exported.text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as StoredEvent);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lines.map((e) => e.type))).toEqual(new Set(['RecordingDeleted']));
  });

  it('the detail of a delete shows the stop and the delete its request produced', async () => {
    await row(page, deleted.deleteSeq).locator('td').nth(2).click();
    await page.waitForURL(new RegExp(`[?&]event=${deleted.deleteSeq}(&|$)`));
    const panel = page.getByTestId('detail-panel');
    await panel.getByTestId('correlated-row').first().waitFor();
    const correlated = await server.json<EventsPage>(
      `/api/events?correlation=${encodeURIComponent(deleted.correlationId)}&order=asc`,
    );
    await waitFor('every correlated row', async () =>
      (await panel.getByTestId('correlated-row').count()) === correlated.events.length ? true : undefined,
    );
    const seqs = await panel
      .getByTestId('correlated-row')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    expect(seqs).toEqual(correlated.events.map((e) => e.seq));
    expect(seqs).toEqual(expect.arrayContaining([deleted.stopSeq, deleted.deleteSeq]));
    expect(
      await panel.locator(`[data-testid=correlated-row][data-seq="${deleted.stopSeq}"]`).getAttribute('data-type'),
    ).toBe('RecordingStopped');
    const json = (await panel.getByTestId('detail-json').textContent()) ?? '';
    const shown = JSON.parse(json) as StoredEvent & { hash: string; prev: string };
    const stored = await server.json<StoredEvent & { hash: string; prev: string }>(`/api/events/${deleted.deleteSeq}`);
    expect(shown).toEqual(stored);
    expect(await panel.textContent()).toContain(stored.hash);
    await page.getByTestId('detail-close').click();
    await panel.waitFor({ state: 'hidden' });
  });

  it('time travel to a seq before the delete shows the deleted recording in the manifest', async () => {
    await page.getByTestId('nav-time-travel').click();
    const at = deleted.stopSeq - 1;
    await page.getByTestId('tt-seq').fill(String(at));
    await page.getByTestId('tt-submit').click();
    await page.waitForURL(new RegExp(`/admin/time-travel\\?at=${at}$`));
    await asOf(page, at).waitFor();
    // It was being recorded then (the manifest lists the active recording as current_entry only).
    await page
      .locator(`[data-testid=manifest-current] [data-testid=manifest-row][data-name="${deleted.name}"]`)
      .waitFor();

    await page.getByTestId('tt-seq').fill(String(deleted.deleteSeq));
    await page.getByTestId('tt-submit').click();
    await asOf(page, deleted.deleteSeq).waitFor();
    expect(await page.locator(`[data-testid=manifest-row][data-name="${deleted.name}"]`).count()).toBe(0);
  });

  it('the recording view tells one recording’s life, with downloads only while it exists', async () => {
    await page.goto(`${server.base}/admin/recordings/${encodeURIComponent(deleted.name)}`);
    const timeline = page.getByTestId('recording-timeline');
    await timeline.waitFor();
    const types = await timeline
      .getByTestId('timeline-item')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-type')));
    expect(types[0]).toBe('RecordingStarted');
    expect(types.slice(-2)).toEqual(['RecordingStopped', 'RecordingDeleted']);
    expect(await page.getByTestId('recording-state').textContent()).toBe('deleted');
    expect(await page.getByTestId('download-qmdl').count()).toBe(0);
    if (types.includes('RecordingDataAppended'))
      expect(await timeline.getByTestId('growth-chart').count()).toBeGreaterThan(0);

    // The first recording of this run was stopped, not deleted: it has its files.
    const kept = (await server.json<Manifest>('/api/qmdl-manifest')).entries[0]!.name;
    await page.goto(`${server.base}/admin/recordings/${encodeURIComponent(kept)}`);
    await page.getByTestId('recording-timeline').waitFor();
    const href = await page.getByTestId('download-qmdl').getAttribute('href');
    expect(href).toBe(`/api/qmdl/${encodeURIComponent(kept)}`);
    expect(await page.getByTestId('download-zip').getAttribute('href')).toBe(`/api/zip/${encodeURIComponent(kept)}`);
    expect((await page.request.get(server.base + href!)).status()).toBe(200);
  });

  it('the recording view follows the history pages to the whole timeline, each event once, data appends grouped', async () => {
    // The recording the tests above kept: started, data appended, stopped.
    const name = (await server.json<Manifest>('/api/qmdl-manifest')).entries[0]!.name;
    const expected = (await server.json<EventsPage>(`/api/events?order=asc&limit=1000&recording=${name}`)).events;
    expect(expected.length).toBeGreaterThan(2);
    // The timeline as the viewer draws it: one item per event, a run of data appends as one.
    const items = expected
      .map((e) => e.type)
      .filter((type, i, types) => type !== 'RecordingDataAppended' || types[i - 1] !== type);
    const requests: URL[] = [];
    const onRequest = (req: { url(): string }): void => {
      const url = new URL(req.url());
      if (url.pathname === `/api/recordings/${name}/history`) requests.push(url);
    };
    page.on('request', onRequest);
    try {
      await page.goto(`${server.base}/admin/recordings/${encodeURIComponent(name)}?limit=2`);
      const timeline = page.getByTestId('recording-timeline');
      await timeline.waitFor();
      const types = await timeline
        .getByTestId('timeline-item')
        .evaluateAll((els) => els.map((i) => i.getAttribute('data-type')));
      expect(types).toEqual(items);
      const seqs = await timeline
        .locator('[data-testid=timeline-item] .tl-head a')
        .evaluateAll((links) => links.map((a) => Number(a.textContent?.slice(1))));
      const firstAndLast = expected.filter(
        (e, i) =>
          e.type !== 'RecordingDataAppended' || expected[i - 1]?.type !== e.type || expected[i + 1]?.type !== e.type,
      );
      expect(seqs).toEqual(firstAndLast.map((e) => e.seq));
      expect(await page.locator('[data-testid=recording-view] .summary').textContent()).toContain(
        `${expected.length} events`,
      );
      // A page of 2 after the start, then after each page's last event; the last page says no more.
      const pages = Math.ceil(expected.length / 2);
      expect(requests.map((u) => u.searchParams.get('after'))).toEqual([
        null,
        ...Array.from({ length: pages - 1 }, (_, j) => String(expected[2 * j + 1]?.seq)),
      ]);
      for (const u of requests) expect(u.searchParams.get('limit')).toBe('2');
    } finally {
      page.off('request', onRequest);
    }
  });

  it('the recording view charts an active recording’s growth', async () => {
    const before = await head(server);
    await post(server, '/api/start-recording');
    const name = await activeRecording(server);
    await waitFor('two data appends', async () => {
      const page = await server.json<EventsPage>(
        `/api/events?order=asc&after=${before}&type=RecordingDataAppended&recording=${name}`,
      );
      return page.events.length >= 2 ? true : undefined;
    });
    await page.goto(`${server.base}/admin/recordings/${encodeURIComponent(name)}`);
    await page.getByTestId('recording-timeline').waitFor();
    expect(await page.getByTestId('recording-state').textContent()).toBe('recording');
    await page.getByTestId('growth-chart').first().waitFor();
    expect(await page.getByTestId('growth-chart').first().getAttribute('aria-label')).toMatch(
      /^qmdl_size_bytes grew from/,
    );
    await page.getByTestId('download-zip').waitFor();
  });

  it('walks the whole log page by page with the before= cursor, never an offset', async () => {
    const requests: URL[] = [];
    const onRequest = (req: { url(): string }): void => {
      const url = new URL(req.url());
      if (url.pathname === '/api/events' && !url.searchParams.has('correlation')) requests.push(url);
    };
    page.on('request', onRequest);
    try {
      const total = await head(server);
      await page.goto(`${server.base}/admin/?limit=4`);
      // The sentinel below the table stays in view, so pages load until the log's start
      // (data appends in their groups' rows: every seq of the log is still accounted for).
      await waitFor('every event in the table', async () =>
        (await shownSeqs(page)).length >= total ? true : undefined,
      );
      await page.getByTestId('events-status').filter({ hasText: 'end of log' }).waitFor();
      const seqs = await shownSeqs(page);
      const tail = seqs.slice(seqs.indexOf(total));
      expect(tail).toEqual(Array.from({ length: total }, (_, i) => total - i));
      const pages = requests.filter((u) => u.searchParams.get('limit') === '4');
      expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(total / 4));
      expect(pages[0]!.searchParams.has('before')).toBe(false);
      for (const u of pages.slice(1)) expect(u.searchParams.get('before')).toMatch(/^\d+$/);
      for (const u of pages) expect([...u.searchParams.keys()].some((k) => /offset|skip|page/i.test(k))).toBe(false);
    } finally {
      page.off('request', onRequest);
    }
  });

  it('the main view: integrity still verifies; screenshot saved', async () => {
    await page.goto(`${server.base}/admin/`);
    await page.locator('[data-testid=event-row]').first().waitFor();
    // The head is read before the click: the verify the click starts then covers it. Read after, an event
    // committed meanwhile put it past that verify, and the badge's next one is throttled for 15 s.
    const last = await head(server);
    await page.getByTestId('integrity-refresh').click();
    const badge = page.getByTestId('integrity-badge');
    await waitFor(
      'the badge to verify to the head',
      async () => {
        const text = (await badge.textContent()) ?? '';
        const m = /verifies to #(\d+)/.exec(text);
        return (await badge.getAttribute('data-state')) === 'ok' && m && Number(m[1]) >= last ? true : undefined;
      },
      30_000,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-main.png') });
    expect(pageErrors).toEqual([]);
  });
});

describe('admin viewer with --admin-token', () => {
  const TOKEN = 'e2e-admin-token-0123456789';
  let server: LedgerServer;
  let browser: TestBrowser;
  let page: Page;
  /** Every answer the browser got from a data endpoint (anything under /api/ but auth). */
  const dataResponses: { url: string; status: number }[] = [];

  beforeAll(async () => {
    server = await startServer({ token: TOKEN });
    await post(server, '/api/start-recording');
    await post(server, '/api/stop-recording');
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('response', (res) => {
      const url = new URL(res.url());
      if (url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/auth/'))
        dataResponses.push({ url: url.pathname + url.search, status: res.status() });
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a browser without the session sees the sign-in form and no event data', async () => {
    const anonymous = await fetch(`${server.base}/api/events`);
    const answer = {
      status: anonymous.status,
      headers: Object.fromEntries(anonymous.headers),
      body: await anonymous.text(),
    };
    expect(errorOf(answer)).toEqual({ status: 401, code: 'UNAUTHORIZED' });

    await page.goto(`${server.base}/admin/?type=RecordingStarted`);
    await page.getByTestId('signin-form').waitFor();
    await sleep(1000); // room for any stray data request to show up below
    expect(await page.locator('[data-testid=event-row]').count()).toBe(0);
    expect(dataResponses.filter((r) => r.status !== 401)).toEqual([]);

    await page.getByTestId('signin-token').fill('not-the-token');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').waitFor();
    expect(await page.locator('[data-testid=event-row]').count()).toBe(0);
    expect(dataResponses.filter((r) => r.status !== 401)).toEqual([]);
  });

  it('after signing in with the token it shows data, and signing out hides it again', async () => {
    await page.getByTestId('signin-token').fill(TOKEN);
    await page.getByTestId('signin-submit').click();
    await page.locator('[data-testid=event-row][data-type=RecordingStarted]').first().waitFor({ timeout: 10_000 });
    expect(new Set(await rowTypes(page))).toEqual(new Set(['RecordingStarted']));
    await waitFor('the integrity badge', async () =>
      (await page.getByTestId('integrity-badge').getAttribute('data-state')) === 'ok' ? true : undefined,
    );

    await page.getByTestId('signout').click();
    await page.getByTestId('signin-form').waitFor();
    expect(await page.locator('[data-testid=event-row]').count()).toBe(0);
    const after = dataResponses.length;
    await page.reload();
    await page.getByTestId('signin-form').waitFor();
    await sleep(500);
    expect(dataResponses.slice(after).filter((r) => r.status !== 401)).toEqual([]);
  });
});
