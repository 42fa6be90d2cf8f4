/**
 * Shipping, end to end, with every part real: three `serve` processes
 * (synthetic sources, LevelDB on disk) ship with `--ship-to` through a
 * round-robin balancer to two `fleet` instances on one PostgreSQL (a private
 * cluster). During shipping a central instance and PostgreSQL are each
 * SIGKILLed and restarted, and a device is cut off (its process paused) and
 * comes back. Afterwards nothing is lost and nothing doubled: each device's
 * central manifest is its own, its central events are its `export` byte for
 * byte, and each shipped recording's bytes are the device's.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { launchBrowser } from './helpers/browser';
import { tsharkProblems } from './helpers/pcapng';
import { startPostgres, type PgCluster } from './helpers/postgres';
import {
  eventually,
  readZip,
  REPO_ROOT,
  request,
  runCli,
  spawnServer,
  spawnService,
  tempDir,
  type SpawnedServer,
} from './helpers/server';
import { startRoundRobinProxy, type TcpProxy } from './helpers/tcp-proxy';
import { shippingDeviceArgs } from './helpers/fleet-device';

jest.setTimeout(600_000);

interface Device {
  readonly label: string;
  readonly dataDir: string;
  readonly token: string;
  readonly deleteAfterUpload: boolean;
  /** Serves the Rayhunter UI stand-in at `/` (test/fixtures/rayhunter-ui-standin). */
  readonly rayhunterUi: boolean;
  server: SpawnedServer;
  storeId: string;
}

interface Shipping {
  enabled: boolean;
  state: string;
  shippedSeq: number;
  headSeq: number;
  lagEvents: number;
  lagBytes: number;
  uploadedRecordings: number;
  lastError?: { code: string; at: string };
}

interface ManifestEntry {
  name: string;
  upload_time: string | null;
  qmdl_size_bytes: number;
}

interface Manifest {
  entries: ManifestEntry[];
  current_entry: ManifestEntry | null;
}

const WAIT = 240_000;

describe('fleet shipping: three devices, two central instances, one PostgreSQL, failures on the way', () => {
  let pg: PgCluster;
  let db: string;
  const centrals: SpawnedServer[] = [];
  let proxy: TcpProxy;
  const devices: Device[] = [];
  const ports = (): number[] => centrals.map((c) => Number(new URL(c.baseUrl).port));

  const json = async <T>(base: string, p: string, method = 'GET'): Promise<T> =>
    (await request(base, p, { method })).json<T>();
  const shipping = (d: Device): Promise<Shipping> => json<Shipping>(d.server.baseUrl, '/api/shipping');
  const centralUrl = (): string => centrals[0]?.baseUrl ?? '';

  async function startDevice(d: Omit<Device, 'server' | 'storeId'>): Promise<Device> {
    const server = await spawnServer([
      ...shippingDeviceArgs({ dataDir: d.dataDir, shipTo: proxy.url, token: d.token }),
      ...(d.deleteAfterUpload ? ['--delete-after-upload'] : []),
      ...(d.rayhunterUi ? ['--rayhunter-ui', path.join(REPO_ROOT, 'test/fixtures/rayhunter-ui-standin')] : []),
    ]);
    const events = await json<{ events: Array<{ data: { storeId?: string } }> }>(
      server.baseUrl,
      '/api/events?order=asc&limit=1',
    );
    return { ...d, server, storeId: events.events[0]?.data.storeId ?? '' };
  }

  /** Every committed event and byte acknowledged, and every finished recording recorded as uploaded. */
  async function settled(d: Device): Promise<Shipping> {
    return eventually(
      async () => {
        const s = await shipping(d);
        if (s.lagEvents !== 0 || s.lagBytes !== 0 || s.state !== 'idle') return undefined;
        const manifest = await json<Manifest>(d.server.baseUrl, '/api/qmdl-manifest');
        if (manifest.current_entry !== null || manifest.entries.some((e) => e.upload_time === null)) return undefined;
        // The upload events themselves are shipped too.
        const again = await shipping(d);
        return again.lagEvents === 0 && again.headSeq === s.headSeq ? again : undefined;
      },
      WAIT,
      250,
    );
  }

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
    centrals.push(...(await Promise.all([spawnService('fleet', ['--db', db]), spawnService('fleet', ['--db', db])])));
    proxy = await startRoundRobinProxy(ports);
    for (const [i, label] of ['city-north', 'city-south', 'city-east'].entries()) {
      const enrolled = await runCli(['fleet', 'enroll', '--db', db, '--label', label]);
      expect(enrolled.code).toBe(0);
      devices.push(
        await startDevice({
          label,
          dataDir: tempDir('qmdl-ledger-fleet-device-'),
          token: enrolled.stdout.trim(),
          deleteAfterUpload: i === 2,
          rayhunterUi: i === 0,
        }),
      );
    }
  });

  afterAll(async () => {
    for (const d of devices) {
      d.server.proc.kill('SIGCONT');
      d.server.proc.kill('SIGTERM');
      await d.server.exited;
      await fs.rm(d.dataDir, { recursive: true, force: true });
    }
    for (const c of centrals) {
      c.proc.kill('SIGTERM');
      await c.exited;
    }
    await proxy?.close();
    await pg?.stop();
  });

  test('nothing lost, nothing doubled through a central SIGKILL, a PostgreSQL SIGKILL and a device cut off', async () => {
    try {
      await scenario();
    } catch (error) {
      // What the processes said is the first thing to read when this fails.
      for (const d of devices)
        process.stderr.write(`--- ${d.label} (${d.server.baseUrl}) stderr:\n${d.server.stderr().slice(-4000)}\n`);
      for (const c of centrals) process.stderr.write(`--- central ${c.baseUrl} stderr:\n${c.stderr().slice(-4000)}\n`);
      throw error;
    }
  });

  async function scenario(): Promise<void> {
    // Each recording gets a GPS fix before the next one starts, so its `-gps.ndjson` is shipped too.
    let fixes = 0;
    const cycle = async (d: Device): Promise<void> => {
      fixes += 1;
      const fix = await request(d.server.baseUrl, '/api/gps', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ latitude: 48.85 + fixes / 1000, longitude: 2.35 }),
      });
      expect(fix.status).toBe(200);
      await request(d.server.baseUrl, '/api/start-recording', { method: 'POST' });
    };
    const someShipped = (min: number) =>
      Promise.all(
        devices.map((d) => eventually(async () => ((await shipping(d)).shippedSeq >= min ? true : undefined), WAIT)),
      );
    await someShipped(5);
    await Promise.all(devices.map(cycle));

    // A central instance dies mid-shipping and comes back on another port.
    const victim = centrals.shift() as SpawnedServer;
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await Promise.all(devices.map(cycle));
    centrals.push(await spawnService('fleet', ['--db', db]));

    // PostgreSQL dies mid-shipping (no shutdown checkpoint) and comes back.
    const before = await Promise.all(devices.map(shipping));
    const killedAt = Date.now();
    await pg.kill();
    await Promise.all(devices.map(cycle));
    // A failure after the kill (the central SIGKILL above may have left an older one): shipping was cut off.
    await eventually(async () => {
      const failed = (await shipping(devices[0] as Device)).lastError;
      return failed !== undefined && Date.parse(failed.at) >= killedAt ? true : undefined;
    }, WAIT);
    await pg.start();
    await Promise.all(
      devices.map((d, i) =>
        eventually(
          async () => ((await shipping(d)).shippedSeq > (before[i]?.shippedSeq ?? 0) ? true : undefined),
          WAIT,
        ),
      ),
    );

    // A device is cut off (paused) while the others go on, then comes back.
    const paused = devices[1] as Device;
    paused.server.proc.kill('SIGSTOP');
    await Promise.all(devices.filter((d) => d !== paused).map(cycle));
    await new Promise((r) => setTimeout(r, 3000));
    paused.server.proc.kill('SIGCONT');
    await Promise.all(devices.map(cycle));

    // Finish: stop recording, let everything ship, every finished recording recorded as uploaded.
    for (const d of devices) await request(d.server.baseUrl, '/api/stop-recording', { method: 'POST' });
    const statuses = await Promise.all(devices.map(settled));
    expect(proxy.handed.size).toBeGreaterThanOrEqual(2);

    for (const [i, d] of devices.entries()) {
      const status = statuses[i] as Shipping;
      expect(status.shippedSeq).toBe(status.headSeq);
      // The manifest the device serves is the central one, upload_time included.
      const own = await json<Manifest>(d.server.baseUrl, '/api/qmdl-manifest');
      const central = await json<Manifest>(centralUrl(), `/api/fleet/devices/${d.storeId}/qmdl-manifest`);
      expect(central).toEqual(own);
      if (!d.deleteAfterUpload) {
        expect(own.entries.length).toBeGreaterThanOrEqual(4);
        for (const e of own.entries) expect(e.upload_time).not.toBeNull();
      }
      // Central events are the device's export, byte for byte.
      const out = path.join(tempDir('qmdl-ledger-fleet-export-'), 'events.ndjson');
      const exported = await runCli(['export', d.dataDir, '--out', out, '--snapshot']);
      expect(exported.code).toBe(0);
      const centralEvents = await request(centralUrl(), `/api/fleet/devices/${d.storeId}/events/export`);
      expect(centralEvents.text()).toBe(readFileSync(out, 'utf8'));
      // Every recording's bytes are the device's, and so is its pcap (the same conversion, from the central copy).
      let withGps = 0;
      for (const e of own.entries) {
        const mine = await request(d.server.baseUrl, `/api/qmdl/${e.name}`);
        const theirs = await request(centralUrl(), `/api/fleet/devices/${d.storeId}/qmdl/${e.name}`);
        expect(theirs.status).toBe(200);
        expect(theirs.body.equals(mine.body)).toBe(true);
        const myPcap = await request(d.server.baseUrl, `/api/pcap/${e.name}`);
        const theirPcap = await request(centralUrl(), `/api/fleet/devices/${d.storeId}/pcap/${e.name}.pcapng`);
        expect(theirPcap.status).toBe(200);
        expect(theirPcap.headers['content-type']).toBe(myPcap.headers['content-type']);
        expect(theirPcap.body.length).toBeGreaterThan(0);
        expect(theirPcap.body.equals(myPcap.body)).toBe(true);
        // The zip has the device's members, in its order, with its bytes; its pcapng is the pcap above.
        const myZip = readZip((await request(d.server.baseUrl, `/api/zip/${e.name}`)).body);
        const theirZipResponse = await request(centralUrl(), `/api/fleet/devices/${d.storeId}/zip/${e.name}.zip`);
        expect(theirZipResponse.status).toBe(200);
        const theirZip = readZip(theirZipResponse.body);
        expect(theirZip.map((m) => m.name)).toEqual([
          `${e.name}.qmdl`,
          `${e.name}.ndjson`,
          ...(myZip.some((m) => m.name === `${e.name}-gps.ndjson`) ? [`${e.name}-gps.ndjson`] : []),
          `${e.name}.pcapng`,
        ]);
        expect(theirZip.map((m) => m.name)).toEqual(myZip.map((m) => m.name));
        if (myZip.some((m) => m.name === `${e.name}-gps.ndjson`)) withGps += 1;
        for (const [k, member] of theirZip.entries())
          expect(member.data.equals(myZip[k]?.data ?? Buffer.alloc(0))).toBe(true);
        expect(theirZip[theirZip.length - 1]?.data.equals(theirPcap.body)).toBe(true);
        // Uploaded only after its analysis completed: the shipped report is the one the device serves.
        const report = await request(d.server.baseUrl, `/api/analysis-report/${e.name}`);
        const reportClient = new Client({ connectionString: db });
        await reportClient.connect();
        const chunks = (
          await reportClient.query(
            `SELECT data FROM fleet_recording_chunks WHERE store_id = $1 AND name = $2 AND file = 'analysis' ORDER BY "offset"`,
            [d.storeId, e.name],
          )
        ).rows as Array<{ data: Buffer }>;
        await reportClient.end();
        expect(report.status).toBe(200);
        expect(Buffer.concat(chunks.map((c) => c.data)).toString('utf8')).toBe(report.body.toString('utf8'));
      }
      // The GPS files were shipped (and compared member for member above) wherever the device has one.
      if (!d.deleteAfterUpload) expect(withGps).toBeGreaterThanOrEqual(3);
    }

    // The Rayhunter UI (the stand-in, in headless Chromium) shows each shipped recording's upload time.
    const shown = devices[0] as Device;
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${shown.server.baseUrl}/`);
      await page.waitForSelector('html[data-ready="yes"]');
      await page.evaluate(() =>
        (globalThis as unknown as { standIn: { render(): Promise<string[]> } }).standIn.render(),
      );
      const entries = (await json<Manifest>(shown.server.baseUrl, '/api/qmdl-manifest')).entries;
      expect(entries.length).toBeGreaterThanOrEqual(4);
      for (const e of entries) {
        expect(e.upload_time).not.toBeNull();
        expect(await page.locator(`tr[data-name="${e.name}"] td.upload-time`).textContent()).toBe(e.upload_time);
      }
    } finally {
      await browser.close();
    }

    // --delete-after-upload: the device deleted each uploaded recording (the audit log says why); the central copy serves it.
    const deleter = devices[2] as Device;
    const deletions = await json<{ events: Array<{ recording: string; data: { reason: string } }> }>(
      deleter.server.baseUrl,
      '/api/events?type=RecordingDeleted&limit=100',
    );
    expect(deletions.events.length).toBeGreaterThanOrEqual(4);
    const uploads = await json<{ events: Array<{ recording: string; data: { sizeBytes: number; target: string } }> }>(
      deleter.server.baseUrl,
      '/api/events?type=RecordingUploaded&limit=100',
    );
    for (const deleted of deletions.events) {
      expect(deleted.data.reason).toBe('uploaded');
      const upload = uploads.events.find((u) => u.recording === deleted.recording);
      expect(upload?.data.target).toBe(proxy.url);
      const stopped = await json<{ events: Array<{ data: { uncompressedBytes: number } }> }>(
        deleter.server.baseUrl,
        `/api/events?type=RecordingStopped&recording=${deleted.recording}`,
      );
      const central = await request(centralUrl(), `/api/fleet/devices/${deleter.storeId}/qmdl/${deleted.recording}`);
      expect(central.status).toBe(200);
      expect(central.body.length).toBe(stopped.events[0]?.data.uncompressedBytes);
    }
    // A recording the device deleted still converts centrally: tshark reads its pcap, which is what the
    // CLI's converter makes of the central QMDL.
    const gone = deletions.events[0]?.recording ?? '';
    const dir = tempDir('qmdl-ledger-fleet-pcap-');
    const qmdlFile = path.join(dir, `${gone}.qmdl`);
    await fs.writeFile(
      qmdlFile,
      (await request(centralUrl(), `/api/fleet/devices/${deleter.storeId}/qmdl/${gone}`)).body,
    );
    const converted = await runCli(['pcap', qmdlFile, '--out', path.join(dir, 'cli.pcapng')]);
    expect(converted.code).toBe(0);
    const served = await request(centralUrl(), `/api/fleet/devices/${deleter.storeId}/pcap/${gone}`);
    expect(served.status).toBe(200);
    expect(served.body.equals(readFileSync(path.join(dir, 'cli.pcapng')))).toBe(true);
    await fs.writeFile(path.join(dir, 'central.pcapng'), served.body);
    const read = await tsharkProblems(path.join(dir, 'central.pcapng'));
    // tshark reads the file and finds every frame a GSMTAP packet (the synthetic source's message
    // bodies are random bytes, so their RRC dissection is not expected to be clean).
    expect(read.frames).toBeGreaterThan(0);
    expect(read.gsmtap).toBe(read.frames);
    expect((await json<Manifest>(deleter.server.baseUrl, '/api/qmdl-manifest')).entries).toEqual([]);

    // Nothing doubled in the database: one row per (device, seq), as many as each device has events.
    const client = new Client({ connectionString: db });
    await client.connect();
    const rows = (
      await client.query(
        'SELECT store_id, count(*)::int AS n, max(seq)::int AS head FROM fleet_events GROUP BY store_id',
      )
    ).rows as Array<{ store_id: string; n: number; head: number }>;
    await client.end();
    for (const [i, d] of devices.entries())
      expect(rows.find((r) => r.store_id === d.storeId)).toEqual({
        store_id: d.storeId,
        n: statuses[i]?.headSeq,
        head: statuses[i]?.headSeq,
      });

    // The fleet list shows every device healthy, none forked.
    const list = await json<
      Array<{
        storeId: string;
        chain: string;
        head: { seq: number };
        deviceHeadSeq: number;
        lagEvents: number;
        lagBytes: number;
        activeRecording: string | null;
        label: string;
        recordings: number;
        lastSeen: string | null;
      }>
    >(centralUrl(), '/api/fleet/devices');
    for (const [i, d] of devices.entries()) {
      const listed = list.find((x) => x.storeId === d.storeId);
      expect(listed).toMatchObject({
        label: d.label,
        chain: 'ok',
        head: { seq: statuses[i]?.headSeq },
        deviceHeadSeq: statuses[i]?.headSeq,
        lagEvents: 0,
        lagBytes: 0,
        activeRecording: null,
        recordings: (await json<Manifest>(d.server.baseUrl, '/api/qmdl-manifest')).entries.length,
      });
      // Seen during this test, by the shipment that brought its head.
      expect(Date.parse(listed?.lastSeen ?? '')).toBeGreaterThan(Date.now() - 600_000);
    }

    // A recording the device deletes afterwards: the central zip is still the one the device served.
    const keeper = devices[0] as Device;
    const kept = (await json<Manifest>(keeper.server.baseUrl, '/api/qmdl-manifest')).entries[0]?.name ?? '';
    const zipBefore = readZip((await request(keeper.server.baseUrl, `/api/zip/${kept}`)).body);
    expect(zipBefore.map((m) => m.name)).toContain(`${kept}.pcapng`);
    expect((await request(keeper.server.baseUrl, `/api/delete-recording/${kept}`, { method: 'POST' })).status).toBe(
      202,
    );
    expect((await request(keeper.server.baseUrl, `/api/zip/${kept}`)).status).toBe(404);
    const zipAfter = readZip((await request(centralUrl(), `/api/fleet/devices/${keeper.storeId}/zip/${kept}`)).body);
    expect(zipAfter.map((m) => m.name)).toEqual(zipBefore.map((m) => m.name));
    for (const [k, member] of zipAfter.entries())
      expect(member.data.equals(zipBefore[k]?.data ?? Buffer.alloc(0))).toBe(true);
  }
});
