/**
 * `serve --rayhunter-ui <dir>`: a built Rayhunter web UI served at `/`, same
 * origin as the API, by the real binary (`npm run build` first). The UI itself
 * is not ours to vendor, so a stand-in page of our own
 * (test/fixtures/rayhunter-ui-standin) makes the requests the UI makes, in
 * headless Chromium, and follows its download links as the UI renders them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Download, Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './helpers/browser';
import {
  analysisQueue,
  eventually,
  MAIN_JS,
  readZip,
  REPO_ROOT,
  request,
  runCli,
  spawnServer,
  stopServer,
  tempDirs,
  type Manifest,
  type ManifestEntry,
  type SpawnedServer,
} from './helpers/server';
import { replaySample } from './helpers/samples';

jest.setTimeout(90_000);

const STANDIN = path.join(REPO_ROOT, 'test/fixtures/rayhunter-ui-standin');

type Entry = ManifestEntry;

const temp = tempDirs();
const dir = (prefix: string): string => temp.make(prefix);

afterAll(() => temp.removeAll());

it('is built', () => {
  expect(existsSync(MAIN_JS)).toBe(true);
});

describe('serve --rayhunter-ui refuses a directory it cannot serve', () => {
  it('exits 2 with a message naming the directory when it is missing, a file, or has no index.html', async () => {
    const empty = dir('qmdl-ledger-ui-empty-');
    const file = path.join(empty, 'index.html.txt');
    writeFileSync(file, 'not a directory');
    for (const [target, needle] of [
      [path.join(empty, 'no-such-dir'), 'does not exist'],
      [file, 'is not a directory'],
      [empty, 'has no index.html'],
    ] as const) {
      const { code, stderr } = await runCli([
        'serve',
        '--port',
        '0',
        '--source',
        'none',
        '--data-dir',
        dir('qmdl-ledger-ui-data-'),
        '--rayhunter-ui',
        target,
      ]);
      expect([target, code]).toEqual([target, 2]);
      expect(stderr).toContain(`--rayhunter-ui: ${target} ${needle}`);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('without --rayhunter-ui', () => {
  let server: SpawnedServer | undefined;
  beforeAll(async () => {
    server = await spawnServer(['--data-dir', dir('qmdl-ledger-ui-data-'), '--source', 'none', '--no-auto-start']);
  });
  afterAll(() => stopServer(server));

  it('points / to the admin viewer and leaves other paths 404', async () => {
    const base = (server as SpawnedServer).baseUrl;
    const root = await request(base, '/');
    expect(root.status).toBe(302);
    expect(root.headers['location']).toBe('/admin');
    expect((await request(base, '/index.html')).status).toBe(404);
    expect((await request(base, '/some/route')).status).toBe(404);
  });
});

describe('the build output of Rayhunter (index.html gzipped as index.html.gz)', () => {
  let server: SpawnedServer | undefined;
  const html = readFileSync(path.join(STANDIN, 'index.html'));
  beforeAll(async () => {
    // What `npm run build` in daemon/web leaves: `vite build && gzip -9 ./build/index.html`.
    const build = dir('qmdl-ledger-ui-build-');
    writeFileSync(path.join(build, 'index.html.gz'), zlib.gzipSync(html, { level: 9 }));
    copyFileSync(path.join(STANDIN, 'standin.js'), path.join(build, 'standin.js'));
    mkdirSync(path.join(build, '_app/immutable'), { recursive: true });
    writeFileSync(path.join(build, '_app/immutable/entry.abc123.js'), 'export {};');
    server = await spawnServer([
      '--data-dir',
      dir('qmdl-ledger-ui-data-'),
      '--source',
      'none',
      '--no-auto-start',
      '--rayhunter-ui',
      build,
    ]);
  });
  afterAll(() => stopServer(server));

  it('serves index.html gzip-encoded to a browser and decompressed to a client that takes no gzip', async () => {
    const base = (server as SpawnedServer).baseUrl;
    for (const p of ['/', '/index.html', '/a/client/route']) {
      const gz = await request(base, p, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect([p, gz.status, gz.headers['content-encoding'], gz.headers['content-type']]).toEqual([
        p,
        200,
        'gzip',
        'text/html; charset=utf-8',
      ]);
      expect(zlib.gunzipSync(gz.body).equals(html)).toBe(true);
      expect(gz.headers['cache-control']).toBe('no-cache');
      const plain = await request(base, p);
      expect([p, plain.status, plain.headers['content-encoding']]).toEqual([p, 200, undefined]);
      expect(plain.body.equals(html)).toBe(true);
    }
  });

  it('serves the other files of the build, caching only the content-hashed ones for good, and 404s a missing asset', async () => {
    const base = (server as SpawnedServer).baseUrl;
    const js = await request(base, '/standin.js');
    expect([js.status, js.headers['content-type'], js.headers['cache-control']]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'no-cache',
    ]);
    expect(js.body.equals(readFileSync(path.join(STANDIN, 'standin.js')))).toBe(true);
    const hashed = await request(base, '/_app/immutable/entry.abc123.js');
    expect([hashed.status, hashed.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
    expect((await request(base, '/rayhunter_text.png')).status).toBe(404);
  });

  it('never serves a file outside the directory, and leaves the service paths to the service', async () => {
    const base = (server as SpawnedServer).baseUrl;
    for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await request(base, p);
      expect(res.body.toString('latin1')).not.toContain('root:');
    }
    const api = await request(base, '/api/no-such-endpoint');
    expect([api.status, api.headers['content-type']]).toEqual([404, 'text/plain; charset=utf-8']);
    expect((await request(base, '/api/qmdl-manifest')).json<Manifest>().entries).toEqual([]);
    expect((await request(base, '/healthz')).json<{ status: string }>().status).toBe('ok');
    const admin = await request(base, '/admin');
    expect(admin.status).toBe(200);
    expect(admin.text()).not.toContain('Rayhunter stand-in');
  });
});

interface Answer {
  readonly status: number;
  readonly type: string | null;
  readonly body: string;
}
/** What standin.js puts on `window`. */
interface StandIn {
  req(method: string, url: string, body?: unknown): Promise<Answer>;
  gps(): Promise<Answer>;
  render(): Promise<string[]>;
}

describe('the stand-in UI in headless Chromium, same origin as the API', () => {
  let server: SpawnedServer | undefined;
  let browser: TestBrowser | undefined;
  let page: Page;
  const requested: string[] = [];
  const failed: string[] = [];
  let base = '';
  let finished = '';

  const call = (method: string, url: string, body?: unknown): Promise<Answer> =>
    page.evaluate(
      ([m, u, b]) => (globalThis as unknown as { standIn: StandIn }).standIn.req(m as string, u as string, b),
      [method, url, body] as const,
    );
  const gps = (): Promise<Answer> => page.evaluate(() => (globalThis as unknown as { standIn: StandIn }).standIn.gps());
  const manifest = async (): Promise<Manifest> => (await request(base, '/api/qmdl-manifest')).json<Manifest>();

  /** Click a download link of the rendered table and wait for the browser to save what it got. */
  async function download(name: string, kind: 'pcap' | 'qmdl' | 'zip'): Promise<{ file: string; bytes: Buffer }> {
    const [saved] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.click(`tr[data-name="${name}"] a.${kind}`),
    ]);
    const d: Download = saved;
    expect(await d.failure()).toBeNull();
    const local = await d.path();
    return { file: d.suggestedFilename(), bytes: readFileSync(local) };
  }

  async function expectDashboardKept(): Promise<void> {
    expect(page.url()).toBe(`${base}/`);
    expect(await page.locator('#dashboard').count()).toBe(1);
  }

  beforeAll(async () => {
    server = await spawnServer([
      '--data-dir',
      dir('qmdl-ledger-ui-data-'),
      '--source',
      'synthetic:rate=500',
      '--flush-interval-ms',
      '100',
      '--rayhunter-ui',
      STANDIN,
    ]);
    base = server.baseUrl;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('request', (r) => requested.push(r.url()));
    // A link answered as a download ends its navigation as "aborted": that is the download, not a failure.
    page.on('requestfailed', (r) => {
      if (!r.isNavigationRequest()) failed.push(`${r.url()}: ${r.failure()?.errorText ?? '?'}`);
    });
    await page.goto(`${base}/`);
    await page.waitForSelector('html[data-ready="yes"]');
  });
  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
  });

  it('loads the UI from / and every request it makes goes to the same origin', async () => {
    expect(await page.title()).toBe('Rayhunter UI stand-in');
    expect(requested.every((u) => u.startsWith(`${base}/`))).toBe(true);
    expect(requested).toContain(`${base}/standin.js`);
  });

  it('reads the manifest, stops and starts recordings', async () => {
    const first = await call('GET', '/api/qmdl-manifest');
    expect([first.status, first.type]).toEqual([200, 'application/json; charset=utf-8']);
    const current = (JSON.parse(first.body) as Manifest).current_entry;
    expect(current).not.toBeNull();
    await eventually(async () => ((await manifest()).current_entry?.qmdl_size_bytes ?? 0) > 0 || undefined, 30_000);
    expect(await call('POST', '/api/stop-recording')).toMatchObject({ status: 202, body: 'ok' });
    expect(await call('POST', '/api/start-recording')).toMatchObject({ status: 202, body: 'ok' });
    const after = JSON.parse((await call('GET', '/api/qmdl-manifest')).body) as Manifest;
    finished = (current as Entry).name;
    expect(after.entries.map((e) => e.name)).toContain(finished);
    expect(after.current_entry?.name).not.toBe(finished);
  });

  it('reads the analysis status and report, and re-analyzes', async () => {
    // The analysis reactor analyses a finished recording by itself; the UI shows its report once it is in `finished`.
    const status = await eventually(
      async () => {
        const res = await call('GET', '/api/analysis');
        return res.status === 200 && (JSON.parse(res.body) as { finished: string[] }).finished.includes(finished)
          ? res
          : undefined;
      },
      60_000,
      100,
    );
    expect(status.status).toBe(200);
    const report = await call('GET', `/api/analysis-report/${finished}`);
    expect([report.status, report.type]).toEqual([200, 'application/x-ndjson; charset=utf-8']);
    expect(JSON.parse(report.body.split('\n')[0] as string)).toMatchObject({ report_version: 2 });
    expect((await call('POST', `/api/analysis/${finished}`)).status).toBe(202);
  });

  it('reads system stats, time, update status and the log, and syncs the clock', async () => {
    const stats = await call('GET', '/api/system-stats');
    expect(stats.status).toBe(200);
    expect(Object.keys(JSON.parse(stats.body) as object)).toEqual(['disk_stats', 'memory_stats', 'runtime_metadata']);
    const time = await call('GET', '/api/time');
    expect(Object.keys(JSON.parse(time.body) as object)).toEqual(['system_time', 'adjusted_time', 'offset_seconds']);
    expect(await call('POST', '/api/time-offset', { offset_seconds: 0 })).toMatchObject({ status: 200, body: 'ok' });
    expect((await call('GET', '/api/update-status')).status).toBe(200);
    const log = await call('GET', '/api/log');
    expect([log.status, log.type]).toEqual([200, 'text/plain; charset=utf-8']);
    expect(log.body).toContain('listening on');
  });

  it('reads and posts GPS fixes', async () => {
    const none = await gps();
    // "No fix" is 404 in the original and 200 `null` in earlier qmdl-ledger; the UI takes both.
    expect(none.status === 404 || (none.status === 200 && none.body === 'null')).toBe(true);
    expect(await call('POST', '/api/gps', { latitude: 52.5, longitude: 13.4 })).toMatchObject({
      status: 200,
      body: 'ok',
    });
    const fix = await gps();
    expect(fix.status).toBe(200);
    expect(JSON.parse(fix.body)).toMatchObject({ latitude: 52.5, longitude: 13.4 });
  });

  it('reads the config and saves it back', async () => {
    const config = await call('GET', '/api/config');
    expect(config.status).toBe(200);
    const parsed = JSON.parse(config.body) as Record<string, unknown>;
    expect(parsed).toHaveProperty('analyzers');
    expect(await call('POST', '/api/config', { ...parsed, ui_level: 1 })).toMatchObject({ status: 202, body: 'ok' });
  });

  it('downloads the pcap, the QMDL and the zip from their links and stays on the dashboard', async () => {
    expect(await page.evaluate(() => (globalThis as unknown as { standIn: StandIn }).standIn.render())).toContain(
      finished,
    );
    const pcap = await download(finished, 'pcap');
    expect(pcap.file).toBe(`${finished}.pcapng`);
    expect(pcap.bytes.readUInt32BE(0)).toBe(0x0a0d0d0a);
    expect(pcap.bytes.equals((await request(base, `/api/pcap/${finished}.pcapng`)).body)).toBe(true);
    await expectDashboardKept();
    const qmdl = await download(finished, 'qmdl');
    expect(qmdl.file).toBe(`${finished}.qmdl`);
    expect(qmdl.bytes.equals((await request(base, `/api/qmdl/${finished}`)).body)).toBe(true);
    await expectDashboardKept();
    const zip = await download(finished, 'zip');
    expect(zip.file).toBe(`${finished}.zip`);
    // Members, not bytes: each zip carries its own modification times.
    const fromScript = readZip((await request(base, `/api/zip/${finished}`)).body);
    expect(readZip(zip.bytes)).toEqual(fromScript);
    expect(fromScript.map((m) => m.name)).toEqual([`${finished}.qmdl`, `${finished}.ndjson`, `${finished}.pcapng`]);
    await expectDashboardKept();
  });

  it('answers a download link that fails (the recording was deleted) with a downloaded error text, not a page in place of the dashboard', async () => {
    expect(await call('POST', `/api/delete-recording/${finished}`)).toMatchObject({ status: 202 });
    for (const kind of ['pcap', 'qmdl', 'zip'] as const) {
      const error = await download(finished, kind);
      expect(error.file).toBe(`${finished}-${kind}-error.txt`);
      expect(error.bytes.toString('utf8')).toMatch(/^404 NO_SUCH_RECORDING: /);
      await expectDashboardKept();
    }
    // A script (no navigation) still gets the original's status.
    expect((await request(base, `/api/pcap/${finished}.pcapng`)).status).toBe(404);
    expect((await call('GET', `/api/pcap/${finished}.pcapng`)).status).toBe(404);
    expect(failed).toEqual([]);
  });
});

describe('the stand-in UI shows the warnings of a real capture that raises them', () => {
  let server: SpawnedServer | undefined;
  let browser: TestBrowser | undefined;
  let page: Page;
  let name = '';

  const render = (): Promise<string[]> =>
    page.evaluate(() => (globalThis as unknown as { standIn: StandIn }).standIn.render());
  const cell = (): Promise<{ text: string | null; badge: string | null }> =>
    page
      .locator(`tr[data-name="${name}"] td.analysis`)
      .evaluate((td) => ({ text: td.textContent, badge: td.getAttribute('data-badge') }));
  /** The row's analysis cell once the reactor has nothing queued or running and the recording is finished. */
  async function analysedCell(): Promise<{ text: string | null; badge: string | null }> {
    const base = server?.baseUrl ?? '';
    await eventually(async () => {
      const s = await analysisQueue(base);
      return s.queued.length === 0 && s.running === null && s.finished.includes(name) ? true : undefined;
    }, 60_000);
    await render();
    return cell();
  }

  beforeAll(async () => {
    // cmcc: an identity request answered by a reject (Low) and three NAS security mode commands with EEA0 (High).
    ({ server, recording: name } = await replaySample('cmcc-2015-lte-gsm', dir('qmdl-ledger-ui-cmcc-'), {
      serveArgs: ['--rayhunter-ui', STANDIN],
    }));
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.waitForSelector('html[data-ready="yes"]');
  });
  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
  });

  it('the recording row says how many warnings its report holds, with the red badge', async () => {
    const shown = await analysedCell();
    const report = (await request(server?.baseUrl ?? '', `/api/analysis-report/${name}`)).text();
    const warnings = report
      .trim()
      .split('\n')
      .slice(1)
      .flatMap((l) => (JSON.parse(l) as { events: Array<{ event_type: string } | null> }).events)
      .filter((e) => e !== null && e.event_type !== 'Informational').length;
    expect(warnings).toBe(4);
    expect(shown).toEqual({ text: '4 warnings', badge: 'red' });
  });

  it('with the analyzers that found them switched off, the re-analysed row is green with 0 warnings', async () => {
    const base = server?.baseUrl ?? '';
    const config = (await request(base, '/api/config')).json<{ analyzers: Record<string, boolean> }>();
    const body = JSON.stringify({
      ...config,
      analyzers: { ...config.analyzers, imsi_requested: false, nas_null_cipher: false },
    });
    const saved = await request(base, '/api/config', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(saved.status).toBe(202);
    await eventually(async () => {
      const started = (
        await request(base, `/api/events?type=RecordingAnalysisStarted&recording=${name}&limit=10`)
      ).json<{ events: unknown[] }>().events;
      return started.length >= 2 ? true : undefined;
    }, 60_000);
    expect(await analysedCell()).toEqual({ text: '0 warnings', badge: 'green' });
  });
});

describe('the stand-in UI with every analyzer off', () => {
  let server: SpawnedServer | undefined;
  let browser: TestBrowser | undefined;
  let page: Page;
  let base = '';

  const post = (url: string, body?: string): Promise<{ status: number }> =>
    request(base, url, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body ? { body } : {}) });

  beforeAll(async () => {
    server = await spawnServer([
      '--data-dir',
      dir('qmdl-ledger-ui-all-off-'),
      '--source',
      'synthetic:rate=200',
      '--flush-interval-ms',
      '100',
      '--no-auto-start',
      '--rayhunter-ui',
      STANDIN,
    ]);
    base = server.baseUrl;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('html[data-ready="yes"]');
  });
  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
  });

  it('shows a recording made then as finished, green with 0 warnings, its report the metadata line, not "Loading…" for good', async () => {
    const config = (await request(base, '/api/config')).json<{ analyzers: Record<string, boolean> }>();
    const allOff = Object.fromEntries(Object.keys(config.analyzers).map((key) => [key, false]));
    expect((await post('/api/config', JSON.stringify({ ...config, analyzers: allOff }))).status).toBe(202);
    expect((await post('/api/start-recording')).status).toBe(202);
    const name = await eventually(async () => {
      const current = (await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry;
      return current !== null && current.qmdl_size_bytes > 0 ? current.name : undefined;
    }, 30_000);
    expect((await post('/api/stop-recording')).status).toBe(202);
    await eventually(
      async () =>
        (await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry === null ? true : undefined,
      30_000,
    );

    const report = (await request(base, `/api/analysis-report/${name}`)).text();
    expect(report.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(report)).toMatchObject({ analyzers: [], report_version: 2 });
    expect(await analysisQueue(base)).toEqual({ queued: [], running: null, finished: [name] });
    await page.evaluate(() => (globalThis as unknown as { standIn: StandIn }).standIn.render());
    const shown = await page
      .locator(`tr[data-name="${name}"] td.analysis`)
      .evaluate((td) => ({ text: td.textContent, badge: td.getAttribute('data-badge') }));
    expect(shown).toEqual({ text: '0 warnings', badge: 'green' });
  });
});
