/**
 * The admin viewer shows what the analysis reactor found, in headless Chromium
 * against the built server (`node scripts/build.js` first): a real capture
 * (cmcc, which raises real findings) replayed into a spawned `serve` and
 * analysed by it. Every expectation is read from the server's own API, never
 * written down here: the recording badges, the warnings on a recording's page
 * and in its timeline, the severity filter, and the grouped data appends.
 * No screenshot of a finding's detail is kept beyond test/artifacts (cmcc
 * carries an identity in clear text; the finding messages do not).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { LEDGER_EVENT_TYPES } from '@ledger/domain';
import { launchBrowser, type TestBrowser } from './helpers/browser';
import { replaySample } from './helpers/samples';
import { eventually, request, stopServer, tempDirs, type SpawnedServer, type EventJson } from './helpers/server';

jest.setTimeout(180_000);

const ARTIFACTS = path.resolve(__dirname, 'artifacts');
const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'];
const WARNINGS = ['Low', 'Medium', 'High'];

interface EventsPage {
  events: EventJson[];
  next?: number;
  head: number;
}

const temp = tempDirs();
let server: SpawnedServer | undefined;
let base: string;
let browser: TestBrowser;
let page: Page;
let recording: string;
const pageErrors: string[] = [];

/** Every event the API returns for this query, oldest first, following `next`. */
async function allEvents(query: string): Promise<EventJson[]> {
  const out: EventJson[] = [];
  let after = 0;
  for (;;) {
    const res = await request(base, `/api/events?${query ? `${query}&` : ''}order=asc&limit=1000&after=${after}`);
    expect(res.status).toBe(200);
    const body = res.json<EventsPage>();
    out.push(...body.events);
    if (body.next === undefined) return out;
    after = body.next;
  }
}

/** The completed analysis of `name` once the reactor has recorded it. */
async function completedAnalysis(name: string): Promise<EventJson> {
  return eventually(
    async () =>
      (await allEvents('type=RecordingAnalysisCompleted')).filter((e) => e.recording === name).pop() ?? undefined,
    120_000,
    200,
  );
}

/** What the badge must say for a completion's counts: worst warning ×its count (+ the other warnings). */
function expectedBadge(severities: Record<string, unknown>): { severity: string; text: string } | 'clean' {
  const count = (s: string): number => Number(severities[s] ?? 0);
  const worst = [...WARNINGS].reverse().find((s) => count(s) > 0);
  if (worst === undefined) return 'clean';
  const others = WARNINGS.filter((s) => s !== worst).reduce((n, s) => n + count(s), 0);
  return { severity: worst, text: `${worst} ×${count(worst)}${others ? ` +${others}` : ''}` };
}

/** The table as rows of single events (their seqs) and groups of data appends (their recording, count and ends). */
async function tableCoverage(p: Page): Promise<{
  rows: number[];
  groups: { recording: string; count: number; newest: number; oldest: number }[];
}> {
  const rows = await p
    .locator('[data-testid=events-table] tr[data-testid=event-row]:not(.member)')
    .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-seq'))));
  const groups = await p.locator('[data-testid=events-table] tr[data-testid=append-group]').evaluateAll((gs) =>
    gs.map((g) => ({
      recording: g.getAttribute('data-recording') ?? '',
      count: Number(g.getAttribute('data-count')),
      newest: Number(g.getAttribute('data-newest-seq')),
      oldest: Number(g.getAttribute('data-oldest-seq')),
    })),
  );
  return { rows, groups };
}

interface GroupRange {
  oldest: number;
  newest: number;
  count: number;
}

/**
 * The groups the table must show for one recording, newest first: every run of
 * two or more of its data appends with no other event between them in the log
 * (a lone append is a row of its own).
 */
function expectedGroups(everything: readonly EventJson[], name: string): GroupRange[] {
  const runs: GroupRange[] = [];
  let run: GroupRange | undefined;
  for (const e of everything) {
    if (e.type !== 'RecordingDataAppended' || e.recording !== name) run = undefined;
    else if (run) {
      run.newest = e.seq;
      run.count += 1;
    } else runs.push((run = { oldest: e.seq, newest: e.seq, count: 1 }));
  }
  return runs.filter((r) => r.count > 1).reverse();
}

async function groupsOf(p: Page, name: string): Promise<GroupRange[]> {
  return (await tableCoverage(p)).groups
    .filter((g) => g.recording === name)
    .map(({ oldest, newest, count }) => ({ oldest, newest, count }));
}

/** Data appends of `name` shown as rows of their own (each alone between other events). */
async function loneAppends(p: Page, name: string): Promise<number[]> {
  return p
    .locator(`[data-testid=events-table] tr[data-testid=event-row][data-type=RecordingDataAppended]:not(.member)`)
    .evaluateAll(
      (rows, n) => rows.filter((r) => r.textContent?.includes(n)).map((r) => Number(r.getAttribute('data-seq'))),
      name,
    );
}

beforeAll(async () => {
  const work = temp.make('ledger-admin-findings-');
  // A small flush size gives the replay several data appends to group.
  ({ server, recording } = await replaySample('cmcc-2015-lte-gsm', work, { serveArgs: ['--flush-kib', '4'] }));
  base = server.baseUrl;
  await completedAnalysis(recording);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await stopServer(server);
  temp.removeAll();
});

describe('the admin viewer and the analysis of a real capture', () => {
  it('the recording row carries the worst warning and its count, as the completed analysis counted them', async () => {
    const completed = await completedAnalysis(recording);
    const expected = expectedBadge(completed.data.severities as Record<string, unknown>);
    expect(expected).not.toBe('clean'); // cmcc raises findings: the badge must not say otherwise
    await page.goto(`${base}/admin/recordings`);
    const badge = page.locator(
      `[data-testid=recordings-table] [data-testid=manifest-row][data-name="${recording}"] [data-testid=analysis-badge]`,
    );
    await badge.waitFor({ timeout: 15_000 });
    expect(await badge.getAttribute('data-state')).toBe('analysed');
    if (expected === 'clean') return;
    expect(await badge.getAttribute('data-severity')).toBe(expected.severity);
    expect(await badge.textContent()).toBe(expected.text);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-recordings.png') });
  });

  // The analysis starts while the recording is written (live findings), so before it the row is the current entry's.
  it('as of before the analysis started the same row says "not analysed", while it ran "analysing" — never clean', async () => {
    const started = (await allEvents('type=RecordingAnalysisStarted')).find((e) => e.recording === recording)!;
    const completed = await completedAnalysis(recording);
    const badgeAt = async (seq: number) => {
      await page.goto(`${base}/admin/time-travel?at=${seq}`);
      const badge = page.locator(`[data-testid=manifest-row][data-name="${recording}"] [data-testid=analysis-badge]`);
      await badge.waitFor({ timeout: 15_000 });
      return { state: await badge.getAttribute('data-state'), text: await badge.textContent() };
    };
    expect(await badgeAt(started.seq - 1)).toEqual({ state: 'not-analysed', text: 'not analysed' });
    expect(completed.seq).toBeGreaterThan(started.seq);
    expect(await badgeAt(started.seq)).toEqual({ state: 'analysing', text: 'analysing' });
    expect((await badgeAt(completed.seq)).state).toBe('analysed');
  });

  it("the recording's page lists the warnings of its analysis, and its timeline marks each finding", async () => {
    const completed = await completedAnalysis(recording);
    const findings = (await allEvents(`type=RecordingAnalysisFinding&recording=${recording}`)).filter(
      (e) => e.data.analysisId === completed.data.analysisId,
    );
    expect(findings.length).toBeGreaterThan(0);
    await page.goto(`${base}/admin/recordings/${recording}`);
    const section = page.getByTestId('recording-analysis');
    await section.getByTestId('warning-row').first().waitFor({ timeout: 15_000 });
    const shown = await section.getByTestId('warning-row').evaluateAll((rows) =>
      rows.map((r) => ({
        severity: r.getAttribute('data-severity'),
        analyzer: r.getAttribute('data-analyzer'),
        message: r.querySelector('[data-testid=warning-message]')?.textContent,
      })),
    );
    expect(shown).toEqual(
      findings.map((f) => ({ severity: f.data.severity, analyzer: f.data.analyzer, message: f.data.message })),
    );
    const expected = expectedBadge(completed.data.severities as Record<string, unknown>);
    if (expected !== 'clean') expect(await section.getByTestId('analysis-badge').textContent()).toBe(expected.text);
    expect(await section.getByTestId('analysis-report').getAttribute('href')).toBe(`/api/analysis-report/${recording}`);

    const marked = await page
      .getByTestId('recording-timeline')
      .locator('[data-testid=timeline-item][data-type=RecordingAnalysisFinding]')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-severity')));
    const allFindings = await allEvents(`type=RecordingAnalysisFinding&recording=${recording}`);
    expect(marked).toEqual(allFindings.map((f) => f.data.severity));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-recording-findings.png'), fullPage: true });
  });

  it('finding messages are rendered as text: markup in one never becomes an element or runs', async () => {
    const payload = '<img src=x onerror="window.__xss=1"><b>bold</b>';
    // The server's real answer, with the first finding's message and analyzer replaced by markup.
    // Every page of the history (the viewer follows its cursor): the first finding of each page is replaced.
    const history = (url: URL): boolean => url.pathname === `/api/recordings/${recording}/history`;
    await page.route(history, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { events: EventJson[] };
      const finding = body.events.find((e) => e.type === 'RecordingAnalysisFinding');
      if (finding !== undefined) {
        finding.data.message = payload;
        finding.data.analyzer = payload;
      }
      await route.fulfill({ response: res, json: body });
    });
    try {
      await page.goto(`${base}/admin/recordings/${recording}`);
      const cell = page.getByTestId('warning-message').filter({ hasText: payload });
      await cell.first().waitFor({ timeout: 15_000 });
      expect(
        await page.locator('[data-testid=recording-analysis] img, [data-testid=recording-timeline] img').count(),
      ).toBe(0);
      expect(await page.locator('[data-testid=recording-view] b').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    } finally {
      await page.unroute(history);
    }
  });

  it('the severity filter keeps the analysis events at or above it, lives in the URL and in the export', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByTestId('events-table').locator('tr').nth(1).waitFor();
    await page.getByTestId('filter-severity').selectOption('Low');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/[?&]severity=Low(&|$)/);
    const expected = (await allEvents('severity=Low')).map((e) => e.seq).reverse();
    expect(expected.length).toBeGreaterThan(0);
    const rowSeqs = async () =>
      page
        .locator('[data-testid=events-table] [data-testid=event-row]')
        .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    await eventually(async () => ((await rowSeqs()).length === expected.length ? true : undefined), 15_000, 100);
    expect(await rowSeqs()).toEqual(expected);
    const severities = await page
      .locator('[data-testid=events-table] [data-testid=event-row]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-severity')));
    for (const s of severities) expect(['Low', 'Medium', 'High']).toContain(s);

    await page.reload();
    expect(await page.getByTestId('filter-severity').inputValue()).toBe('Low');
    await eventually(async () => ((await rowSeqs()).length === expected.length ? true : undefined), 15_000, 100);
    const href = await page.getByTestId('export-link').getAttribute('href');
    expect(href).toBe('/api/events/export?severity=Low');
    const exported = (await (await fetch(base + href!)).text())
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as EventJson).seq);
    expect(exported).toEqual([...expected].reverse());

    // Stricter: High keeps fewer (or as many), and every one of them is High.
    await page.getByTestId('filter-severity').selectOption('High');
    await page.getByTestId('filter-apply').click();
    await page.waitForURL(/[?&]severity=High(&|$)/);
    const high = (await allEvents('severity=High')).map((e) => e.seq).reverse();
    expect(high.length).toBeLessThanOrEqual(expected.length);
    await page
      .getByTestId('events-status')
      .filter({ hasText: high.length ? 'end of log' : 'No events match' })
      .waitFor();
    expect(await rowSeqs()).toEqual(high);
    for (const e of await allEvents('severity=High'))
      expect(SEVERITIES.indexOf(String(e.data.severity ?? 'High'))).toBe(3);
  });

  it('the type filter offers every event type the log knows (the analysis events among them)', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByTestId('filter-type').click();
    const offered = await page
      .locator('[data-testid=filter-form] input[type=checkbox][name=type]')
      .evaluateAll((boxes) => boxes.map((b) => (b as unknown as { value: string }).value));
    expect([...offered].sort()).toEqual([...LEDGER_EVENT_TYPES].sort());
  });

  it('each run of one recording’s data appends reads as one group row, as the API’s log has them, and expands to them', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByTestId('events-status').filter({ hasText: 'end of log' }).waitFor({ timeout: 15_000 });
    const everything = await allEvents('');
    const appends = everything.filter((e) => e.type === 'RecordingDataAppended' && e.recording === recording);
    expect(appends.length).toBeGreaterThan(1);
    const expected = expectedGroups(everything, recording);
    expect(expected.length).toBeGreaterThan(0);
    expect(await groupsOf(page, recording)).toEqual(expected);
    // Every event of the log is a row of its own or inside a group, once.
    const { rows, groups } = await tableCoverage(page);
    const grouped = new Set(groups.flatMap((g) => Array.from({ length: g.count }, (_, i) => g.oldest + i)));
    expect([...rows, ...grouped].sort((x, y) => x - y)).toEqual(everything.map((e) => e.seq));
    expect(appends.length).toBe(
      expected.reduce((n, g) => n + g.count, 0) + (await loneAppends(page, recording)).length,
    );

    const largest = [...expected].sort((x, y) => y.count - x.count)[0]!;
    const group = page.locator(`[data-testid=append-group][data-newest-seq="${largest.newest}"]`);
    expect(await group.getByTestId('group-summary').textContent()).toMatch(
      new RegExp(`^${largest.count} data appends, .+ → .+, `),
    );
    await group.getByTestId('group-toggle').click();
    expect(await group.getByTestId('group-toggle').getAttribute('aria-expanded')).toBe('true');
    const members = page.locator('[data-testid=events-table] tr.member[data-testid=event-row]');
    await eventually(async () => ((await members.count()) === largest.count ? true : undefined), 15_000, 100);
    const memberSeqs = await members.evaluateAll((r) => r.map((x) => Number(x.getAttribute('data-seq'))));
    expect(memberSeqs).toEqual(
      appends
        .filter((e) => e.seq >= largest.oldest && e.seq <= largest.newest)
        .map((e) => e.seq)
        .reverse(),
    );
    await group.getByTestId('group-toggle').click();
    expect(await members.count()).toBe(0);
  });

  it('with small pages a group grows across them and expands a page at a time', async () => {
    await page.goto(`${base}/admin/?limit=2`);
    await page.getByTestId('events-status').filter({ hasText: 'end of log' }).waitFor({ timeout: 30_000 });
    const expected = expectedGroups(await allEvents(''), recording);
    expect(await groupsOf(page, recording)).toEqual(expected);
    const largest = [...expected].sort((x, y) => y.count - x.count)[0]!;
    const seqs = Array.from({ length: largest.count }, (_, i) => largest.newest - i);
    const group = page.locator(`[data-testid=append-group][data-newest-seq="${largest.newest}"]`);
    await group.getByTestId('group-toggle').click();
    const members = page.locator('[data-testid=events-table] tr.member[data-testid=event-row]');
    const memberSeqs = () => members.evaluateAll((r) => r.map((x) => Number(x.getAttribute('data-seq'))));
    for (let shown = Math.min(2, seqs.length); ; shown = Math.min(shown + 2, seqs.length)) {
      await eventually(async () => ((await members.count()) === shown ? true : undefined), 15_000, 100);
      expect(await memberSeqs()).toEqual(seqs.slice(0, shown));
      if (shown === seqs.length) break;
      await page.getByTestId('group-more').click();
    }
    await page.getByTestId('group-more').waitFor({ state: 'detached' });
  });

  it('a live recording’s appends extend one group on top as they arrive, with no reload', async () => {
    await page.goto(`${base}/admin/`);
    await page.getByTestId('events-status').filter({ hasText: 'end of log' }).waitFor({ timeout: 15_000 });
    let navigations = 0;
    page.on('framenavigated', () => (navigations += 1));
    const before = (await request(base, '/api/events?order=desc&limit=1')).json<EventsPage>().head;
    const res = await request(base, '/api/start-recording', { method: 'POST' });
    expect(res.status).toBe(202);
    // The replay ends by itself; then its data appends are all in the log.
    const stopped = await eventually(
      async () => (await allEvents('type=RecordingStopped')).find((e) => e.seq > before) ?? undefined,
      60_000,
      200,
    );
    const name = stopped.recording!;
    const appends = (await allEvents(`type=RecordingDataAppended&recording=${name}`)).length;
    expect(appends).toBeGreaterThan(1);
    // Findings recorded while it was written split the run of appends: one group per run, as in the log.
    const expected = expectedGroups(await allEvents(''), name);
    await eventually(
      async () => (JSON.stringify(await groupsOf(page, name)) === JSON.stringify(expected) ? true : undefined),
      15_000,
      100,
    );
    expect(expected.reduce((n, g) => n + g.count, 0) + (await loneAppends(page, name)).length).toBe(appends);
    await page.getByTestId('integrity-badge').waitFor();
    expect(navigations).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-grouped-events.png') });
    expect(pageErrors).toEqual([]);
  });
});
