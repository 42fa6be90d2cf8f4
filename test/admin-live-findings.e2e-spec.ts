/**
 * The admin viewer follows a live analysis, in headless Chromium against the
 * built server (`npm run build` first): the recording's page and the
 * recordings list of an active recording show a finding as soon as the live
 * analysis records it (over the SSE tail), without a reload. The recording is
 * fed over a TCP source with crafted frames: a null-cipher security mode
 * command (High), a window of harmless frames, and a second one that closes the
 * first window — when the live session records its finding.
 */
import type { Page } from 'playwright-core';
import { craftedMessages } from '@ledger/analysis';
import { buildDiagLogMessage, encodeHdlcFrame } from '@ledger/qmdl';
import { FINDING_WINDOW_PACKETS } from '@ledger/domain';
import { launchBrowser, type TestBrowser } from './helpers/browser';
import { craftedDiagMessage } from './helpers/crafted-capture';
import { tcpFedServer } from './helpers/tcp-producer';
import { eventually, request, tempDirs, type Manifest, type EventJson } from './helpers/server';

jest.setTimeout(180_000);

const temp = tempDirs();
afterAll(() => temp.removeAll());

const T0 = Date.UTC(2024, 4, 6, 7, 8, 9, 0);
const nullCipher = (timeMs: number): Buffer =>
  encodeHdlcFrame(craftedDiagMessage(craftedMessages.securityModeCommandEea0, timeMs));
/** A log the message layer does not convert (0xB0C1, the MIB log: no row, no finding): fills the first window. */
const quiet = (timeMs: number): Buffer =>
  encodeHdlcFrame(buildDiagLogMessage({ logCode: 0xb0c1, body: Buffer.from([1, 2, 3, 4]), timeMs }));

async function findings(base: string, name: string): Promise<EventJson[]> {
  const res = await request(base, `/api/events?type=RecordingAnalysisFinding&recording=${name}&order=asc&limit=1000`);
  return res.json<{ events: EventJson[] }>().events;
}

/** Marks the page's window, so a reload (a new document) shows as the mark being gone. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { __noReload: boolean }).__noReload = true));
}
async function marked(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload === true);
}

it("shows a live finding on the active recording's page and in the recordings list without a reload", async () => {
  const work = temp.make('qmdl-ledger-admin-live-');
  const fed = await tcpFedServer(work);
  const server = fed.server;
  let browser: TestBrowser | undefined;
  const pageErrors: string[] = [];
  try {
    const base = server.baseUrl;
    expect((await request(base, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const socket = await fed.connection();
    const name = (await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry?.name as string;
    // The live analysis of the recording has started (the session opens with the recording).
    await eventually(
      async () => {
        const res = await request(base, `/api/events?type=RecordingAnalysisStarted&recording=${name}`);
        return res.json<{ events: EventJson[] }>().events.length > 0 ? true : undefined;
      },
      30_000,
      100,
    );

    browser = await launchBrowser();
    const recordingPage = await browser.context.newPage();
    recordingPage.on('pageerror', (err) => pageErrors.push(err.message));
    await recordingPage.goto(`${base}/admin/recordings/${name}`);
    const section = recordingPage.getByTestId('recording-analysis');
    const badge = section.getByTestId('analysis-badge');
    await badge.waitFor({ timeout: 15_000 });
    expect(await badge.textContent()).toBe('analysing');
    expect(await section.getByTestId('warning-row').count()).toBe(0);
    await mark(recordingPage);

    const listPage = await browser.context.newPage();
    listPage.on('pageerror', (err) => pageErrors.push(err.message));
    await listPage.goto(`${base}/admin/recordings`);
    const listBadge = listPage.locator(
      `[data-testid=recordings-current] [data-testid=manifest-row][data-name="${name}"] [data-testid=analysis-badge]`,
    );
    await listBadge.waitFor({ timeout: 15_000 });
    await eventually(async () => ((await listBadge.textContent()) === 'analysing' ? true : undefined), 15_000, 100);
    await mark(listPage);
    await eventually(
      async () =>
        (await listPage.getByTestId('live-status').getAttribute('data-state')) === 'live' ? true : undefined,
      15_000,
      100,
    );

    // Packet 1 is High; packets 2..window are quiet; the High at window + 1 closes the first window.
    const frames = [nullCipher(T0)];
    for (let i = 2; i <= FINDING_WINDOW_PACKETS; i++) frames.push(quiet(T0 + i));
    frames.push(nullCipher(T0 + FINDING_WINDOW_PACKETS + 1));
    socket.write(Buffer.concat(frames));
    const recorded = await eventually(
      async () => {
        const f = await findings(base, name);
        return f.length > 0 ? f : undefined;
      },
      60_000,
      100,
    );
    expect(recorded.map((f) => [f.data['severity'], f.data['analyzer'], f.data['count']])).toEqual([
      ['High', 'null_cipher', 1],
    ]);
    expect((await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry?.name).toBe(name);

    // Both pages follow it over the live tail: the page lists the warning, the badges count it.
    await section.getByTestId('warning-row').first().waitFor({ timeout: 15_000 });
    const rows = await section.getByTestId('warning-row').evaluateAll((els) =>
      els.map((r) => ({
        severity: r.getAttribute('data-severity'),
        analyzer: r.getAttribute('data-analyzer'),
        message: r.querySelector('[data-testid=warning-message]')?.textContent,
      })),
    );
    expect(rows).toEqual(
      recorded.map((f) => ({ severity: f.data['severity'], analyzer: f.data['analyzer'], message: f.data['message'] })),
    );
    await eventually(
      async () => ((await badge.textContent()) === 'analysing · High ×1' ? true : undefined),
      15_000,
      100,
    );
    expect(await badge.getAttribute('data-severity')).toBe('High');
    await eventually(
      async () => ((await listBadge.textContent()) === 'analysing · High ×1' ? true : undefined),
      15_000,
      100,
    );
    expect(await marked(recordingPage)).toBe(true);
    expect(await marked(listPage)).toBe(true);
    expect(pageErrors).toEqual([]);
  } finally {
    await browser?.close();
    await fed.close();
  }
});
