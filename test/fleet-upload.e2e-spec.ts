/**
 * Every finished recording a device ships is recorded as uploaded — the
 * manifest's `upload_time`, which the Rayhunter UI shows — whatever became of
 * its analysis, end to end with every part real: a private PostgreSQL cluster,
 * a `fleet` process, and a `serve` process (synthetic source, LevelDB on disk)
 * shipping through a logging HTTP proxy. The recordings: a file adopted at
 * start-up that does not decompress (its analysis fails), an empty one, one
 * recorded and analysed, and one recorded with every analyzer off (no analysis
 * runs, no report is to come). Restarted, the device asks the central side
 * nothing about the recordings it recorded as uploaded, and the Rayhunter UI
 * (our stand-in, in headless Chromium) shows each one's upload time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser } from './helpers/browser';
import { startLoggingProxy, type LoggingProxy } from './helpers/logging-proxy';
import { startPostgres, type PgCluster } from './helpers/postgres';
import {
  eventually,
  REPO_ROOT,
  request,
  runCli,
  spawnServer,
  spawnService,
  stopServer,
  tempDirs,
  type EventJson,
  type SpawnedServer,
} from './helpers/server';

jest.setTimeout(600_000);

const WAIT = 120_000;

/** A gzip member header and then bytes no inflate accepts: the analysis of it fails, its bytes ship as they are. */
const UNREADABLE = '1717000000';
const EMPTY = '1717000100';
const ALL_ANALYZERS_OFF = {
  imsi_requested: false,
  connection_redirect_2g_downgrade: false,
  lte_sib6_and_7_downgrade: false,
  null_cipher: false,
  nas_null_cipher: false,
  incomplete_sib: false,
  test_analyzer: false,
  diagnostic_analyzer: false,
};

interface Entry {
  name: string;
  upload_time: string | null;
  qmdl_size_bytes: number;
}

interface Shipping {
  state: string;
  shippedSeq: number;
  headSeq: number;
  lagEvents: number;
  lagBytes: number;
}

describe('fleet: a recording is recorded as uploaded whatever became of its analysis (real PostgreSQL, fleet and serve)', () => {
  const temp = tempDirs();
  let pg: PgCluster;
  let central: SpawnedServer;
  let proxy: LoggingProxy;
  let device: SpawnedServer | undefined;
  let dataDir: string;
  let token: string;
  let storeId: string;
  const recorded: string[] = [];

  const serveArgs = (): string[] => [
    '--data-dir',
    dataDir,
    '--source',
    'synthetic:rate=300',
    '--no-auto-start',
    '--flush-interval-ms',
    '200',
    '--ship-to',
    proxy.url,
    '--ship-token',
    token,
    '--rayhunter-ui',
    path.join(REPO_ROOT, 'test/fixtures/rayhunter-ui-standin'),
  ];
  const base = (): string => device?.baseUrl ?? '';
  const manifest = async (): Promise<Entry[]> =>
    (await request(base(), '/api/qmdl-manifest')).json<{ entries: Entry[] }>().entries;
  const eventsOf = async (type: string, name: string): Promise<EventJson[]> =>
    (await request(base(), `/api/events?type=${type}&recording=${name}&order=asc`)).json<{ events: EventJson[] }>()
      .events;
  const centralSize = async (name: string): Promise<number> =>
    (
      await request(central.baseUrl, `/api/fleet/v1/devices/${storeId}/recordings/${name}/data/size?file=qmdl`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json<{ size: number }>().size;

  /** Until each of `names` has its `upload_time`; fails naming those that never got one. */
  async function uploaded(names: readonly string[]): Promise<Entry[]> {
    try {
      return await eventually(
        async () => {
          const entries = (await manifest()).filter((e) => names.includes(e.name));
          return entries.length === names.length && entries.every((e) => e.upload_time !== null) ? entries : undefined;
        },
        WAIT,
        250,
      );
    } catch {
      const missing = (await manifest()).filter((e) => names.includes(e.name) && e.upload_time === null);
      throw new Error(`never recorded as uploaded: ${missing.map((e) => e.name).join(', ')}`);
    }
  }

  /** Records for a moment and stops: a finished recording with committed bytes. */
  async function record(): Promise<string> {
    expect((await request(base(), '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const name = await eventually(
      async () => {
        const current = (await request(base(), '/api/qmdl-manifest')).json<{ current_entry: Entry | null }>()
          .current_entry;
        return current !== null && current.qmdl_size_bytes > 0 ? current.name : undefined;
      },
      WAIT,
      100,
    );
    expect((await request(base(), '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    recorded.push(name);
    return name;
  }

  beforeAll(async () => {
    pg = await startPostgres();
    const db = await pg.createDatabase();
    central = await spawnService('fleet', ['--db', db]);
    proxy = await startLoggingProxy(central.baseUrl);
    const enrolled = await runCli(['fleet', 'enroll', '--db', db, '--label', 'uploads']);
    expect(enrolled.code).toBe(0);
    token = enrolled.stdout.trim();
    dataDir = path.join(temp.make('qmdl-ledger-upload-'), 'data');
    // Files found in the data directory at start-up are adopted as recordings.
    mkdirSync(path.join(dataDir, 'qmdl'), { recursive: true });
    writeFileSync(
      path.join(dataDir, 'qmdl', `${UNREADABLE}.qmdl.gz`),
      Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]), Buffer.alloc(4096, 0xff)]),
    );
    writeFileSync(path.join(dataDir, 'qmdl', `${EMPTY}.qmdl`), Buffer.alloc(0));
    device = await spawnServer(serveArgs());
    storeId = (await request(base(), '/api/events?order=asc&limit=1')).json<{
      events: Array<{ data: { storeId: string } }>;
    }>().events[0]?.data.storeId as string;
  });

  afterAll(async () => {
    await stopServer(device);
    await stopServer(central);
    await proxy?.close();
    await pg?.stop();
    temp.removeAll();
  });

  function dumpOnFailure(test: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await test();
      } catch (error) {
        if (device !== undefined)
          process.stderr.write(`--- device output:\n${device.stdout().slice(-4000)}${device.stderr().slice(-2000)}\n`);
        process.stderr.write(`--- central stderr:\n${central.stderr().slice(-4000)}\n`);
        throw error;
      }
    };
  }

  it(
    'a file whose analysis fails, an empty one and a recorded one are uploaded: upload_time set, their bytes held centrally',
    dumpOnFailure(async () => {
      const name = await record();
      const entries = await uploaded([UNREADABLE, EMPTY, name]);
      // The adopted file's analysis really failed (it started and never completed); the others' completed.
      expect(await eventsOf('RecordingAnalysisStarted', UNREADABLE)).not.toHaveLength(0);
      expect(await eventsOf('RecordingAnalysisCompleted', UNREADABLE)).toHaveLength(0);
      expect(await eventsOf('RecordingAnalysisCompleted', EMPTY)).toHaveLength(1);
      expect(await eventsOf('RecordingAnalysisCompleted', name)).toHaveLength(1);
      for (const entry of entries) expect(await centralSize(entry.name)).toBe(entry.qmdl_size_bytes);
      expect(entries.find((e) => e.name === UNREADABLE)?.qmdl_size_bytes).toBe(4106);
      for (const entry of entries) expect(await eventsOf('RecordingUploaded', entry.name)).toHaveLength(1);
    }),
  );

  it(
    'with every analyzer off, a new recording is uploaded: no analysis runs, no report is waited for',
    dumpOnFailure(async () => {
      const config = await request(base(), '/api/config', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ analyzers: ALL_ANALYZERS_OFF }),
      });
      expect(config.status).toBe(202);
      const name = await record();
      const [entry] = await uploaded([name]);
      expect(await eventsOf('RecordingAnalysisStarted', name)).toHaveLength(0);
      expect(await centralSize(name)).toBe(entry?.qmdl_size_bytes);
      const shipped = await eventually(
        async () => {
          const s = (await request(base(), '/api/shipping')).json<Shipping>();
          return s.state === 'idle' && s.lagEvents === 0 ? s : undefined;
        },
        WAIT,
        250,
      );
      expect(shipped.lagBytes).toBe(0);
      // The central manifest is the device's, upload times included.
      expect((await request(central.baseUrl, `/api/fleet/devices/${storeId}/qmdl-manifest`)).json()).toEqual(
        (await request(base(), '/api/qmdl-manifest')).json(),
      );
    }),
  );

  it(
    'restarted, it asks the central side no size of a recording it recorded as uploaded',
    dumpOnFailure(async () => {
      await stopServer(device);
      device = undefined;
      const mark = proxy.requests.length;
      device = await spawnServer(serveArgs());
      // Idle with every event acknowledged: the file loop has been through the recordings since the start.
      await eventually(
        async () => {
          const s = (await request(base(), '/api/shipping')).json<Shipping>();
          return s.state === 'idle' && s.lagEvents === 0 && s.shippedSeq === s.headSeq ? s : undefined;
        },
        WAIT,
        250,
      );
      const names = [UNREADABLE, EMPTY, ...recorded];
      expect((await manifest()).filter((e) => names.includes(e.name) && e.upload_time !== null)).toHaveLength(
        names.length,
      );
      const asked = proxy.requests.slice(mark).filter((r) => r.includes('/data/size'));
      expect(asked).toEqual([]);
      expect(proxy.requests.slice(mark).some((r) => r.startsWith('POST ') && r.endsWith('/events'))).toBe(true);
    }),
  );

  it(
    'the Rayhunter UI shows the upload time of each of them',
    dumpOnFailure(async () => {
      const entries = (await manifest()).filter((e) => [UNREADABLE, EMPTY, ...recorded].includes(e.name));
      expect(entries).toHaveLength(2 + recorded.length);
      const browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        await page.goto(`${base()}/`);
        await page.waitForSelector('html[data-ready="yes"]');
        // The stand-in renders the recordings table as the UI does, from /api/qmdl-manifest.
        const rendered = await page.evaluate(() =>
          (globalThis as unknown as { standIn: { render(): Promise<string[]> } }).standIn.render(),
        );
        expect(rendered).toEqual(expect.arrayContaining(entries.map((e) => e.name)));
        for (const entry of entries) {
          expect(entry.upload_time).not.toBeNull();
          expect(await page.locator(`tr[data-name="${entry.name}"] td.upload-time`).textContent()).toBe(
            entry.upload_time,
          );
        }
      } finally {
        await browser.close();
      }
    }),
  );
});
