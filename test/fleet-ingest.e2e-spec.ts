/**
 * The fleet ingest protocol against a real PostgreSQL (a private cluster in a
 * temp dir) and two real central instances (`qmdl-ledger fleet`, the built
 * binary) on one database: a device log made by a real store, exported by the
 * real `export`, shipped in batches alternating between the instances.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Client } from 'pg';
import { hashEvent } from '@ledger/event-log';
import type { StoredEvent } from '@ledger/domain';
import { FLEET_SCHEMA } from '../apps/qmdl-ledger/src/fleet/fleet-schema';
import { launchBrowser } from './helpers/browser';
import { readPcapng } from './helpers/pcapng';
import { startPostgres, type PgCluster } from './helpers/postgres';
import {
  eventually,
  fakeHost,
  readZip,
  request,
  runCli,
  spawnService,
  startInProcess,
  tempDir,
  type SpawnedServer,
} from './helpers/server';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(180_000);

/** pcapng section header option codes: shb_hardware, shb_os, shb_userappl. */
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;

interface Device {
  readonly dataDir: string;
  readonly storeId: string;
  readonly lines: string[];
  readonly recording: string;
}

/** The machine the device records on: not the one the central service (or this test) runs on. */
const DEVICE_HOST = fakeHost({ systemOs: 'Linux 3.18.48-device', arch: 'arm', machine: 'armv7l' });

async function makeDevice(): Promise<Device> {
  const server = await startInProcess({
    keep: true,
    host: DEVICE_HOST,
    recorder: { source: 'synthetic:rate=400', autoStart: false },
  });
  const { dataDir } = server;
  const post = (p: string): Promise<unknown> => request(server.baseUrl, p, { method: 'POST' });
  await post('/api/start-recording');
  await eventually(() => ((server.ledger.state().current?.qmdlSizeBytes ?? 0) > 20_000 ? true : undefined), 60_000);
  const recording = server.ledger.state().current?.name ?? '';
  await post('/api/stop-recording');
  await post('/api/start-recording');
  await eventually(() => ((server.ledger.state().current?.qmdlSizeBytes ?? 0) > 2_000 ? true : undefined), 60_000);
  const storeId = server.ledger.log.metadata.storeId;
  await server.close();
  const out = path.join(tempDir('qmdl-ledger-fleet-export-'), 'events.ndjson');
  const exported = await runCli(['export', dataDir, '--out', out]);
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
  const lines = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  return { dataDir, storeId, lines, recording };
}

function ndjson(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/** An event changed and re-sealed (its hash recomputed) — a different history, validly chained. */
function resealed(lines: readonly string[], from: number, change: (e: StoredEvent) => StoredEvent): string[] {
  const out: string[] = [];
  let prev: string | undefined;
  for (const [i, line] of lines.entries()) {
    let event = JSON.parse(line) as StoredEvent;
    if (i === from) event = change(event);
    if (i >= from) {
      const { hash: _h, ...rest } = event;
      const relinked = { ...rest, prev: prev ?? event.prev };
      event = { ...relinked, hash: hashEvent(relinked) } as StoredEvent;
    }
    prev = event.hash;
    out.push(JSON.stringify(event));
  }
  return out;
}

describe('fleet ingest protocol (real PostgreSQL, two central instances)', () => {
  let pg: PgCluster;
  let db: string;
  let centrals: SpawnedServer[] = [];
  let device: Device;
  let token: string;

  const central = (i: number): string => centrals[i % centrals.length]?.baseUrl ?? '';
  const auth = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const ship = (
    i: number,
    lines: readonly string[],
    t = token,
    storeId = device.storeId,
    headers: Record<string, string> = {},
  ) =>
    request(central(i), `/api/fleet/v1/devices/${storeId}/events`, {
      method: 'POST',
      headers: { ...auth(t), 'content-type': 'application/x-ndjson', ...headers },
      body: ndjson(lines),
    });
  const listed = async (): Promise<{ lagBytes: number | null; deviceHeadSeq: number | null } | undefined> =>
    (await request(central(0), '/api/fleet/devices'))
      .json<Array<{ storeId: string; lagBytes: number | null; deviceHeadSeq: number | null }>>()
      .find((d) => d.storeId === device.storeId);
  const countRows = async (table: string): Promise<number> => {
    const client = new Client({ connectionString: db });
    await client.connect();
    try {
      return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
    // Two instances starting at once on an empty database: the schema is created once.
    centrals = await Promise.all([spawnService('fleet', ['--db', db]), spawnService('fleet', ['--db', db])]);
    device = await makeDevice();
    const enrolled = await runCli(['fleet', 'enroll', '--db', db, '--label', 'newsroom-1']);
    expect(enrolled.code).toBe(0);
    token = enrolled.stdout.trim();
  });

  afterAll(async () => {
    for (const c of centrals) {
      c.proc.kill('SIGTERM');
      await c.exited;
    }
    await pg?.stop();
    if (device) await fs.rm(device.dataDir, { recursive: true, force: true });
  });

  test('the schema is migrated once and recorded, and enrolment stores only the hash of a token', async () => {
    expect(await countRows('fleet_schema_migrations')).toBe(FLEET_SCHEMA.length);
    const client = new Client({ connectionString: db });
    await client.connect();
    const rows = (await client.query('SELECT token_hash, store_id FROM fleet_devices')).rows;
    await client.end();
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).not.toContain(token);
    expect(rows[0].store_id).toBeNull();
    expect(token).toMatch(/^qlf_[A-Za-z0-9_-]{43}$/);
  });

  test('batches that extend the head are appended (alternating instances); a resent or overlapping batch is acknowledged without a second copy', async () => {
    const { lines } = device;
    expect(lines.length).toBeGreaterThan(12);
    const cut = Math.floor(lines.length / 2);
    const early = Math.floor(cut / 2);
    const first = await ship(0, lines.slice(0, early));
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({
      head: { seq: early, hash: (JSON.parse(lines[early - 1] as string) as StoredEvent).hash },
      stored: early,
    });
    // The next batch to the same instance extends the head it wrote (the one-statement append);
    // the lag the device reports with it is what the devices list shows.
    const next = await ship(0, lines.slice(early, cut), token, device.storeId, {
      'x-ledger-head-seq': String(lines.length),
      'x-ledger-lag-bytes': '4096',
    });
    expect(next.status).toBe(200);
    expect(next.json()).toEqual({
      head: { seq: cut, hash: (JSON.parse(lines[cut - 1] as string) as StoredEvent).hash },
      stored: cut - early,
    });
    expect(await listed()).toMatchObject({ lagBytes: 4096, deviceHeadSeq: lines.length });
    const again = await ship(1, lines.slice(0, cut));
    expect(again.status).toBe(200);
    expect(again.json()).toMatchObject({ head: { seq: cut }, stored: 0 });
    const overlapping = await ship(1, lines.slice(cut - 3));
    expect(overlapping.status).toBe(200);
    expect(overlapping.json()).toMatchObject({ head: { seq: lines.length }, stored: lines.length - cut });
    // Instance 0 last wrote the head at `cut`; instance 1 has moved it since. A resend of what
    // instance 1 stored, to instance 0, must find that out in PostgreSQL: acknowledged, not stored again.
    const stale = await ship(0, lines.slice(cut), token, device.storeId, { 'x-ledger-lag-bytes': '0' });
    expect(stale.status).toBe(200);
    expect(stale.json()).toMatchObject({ head: { seq: lines.length }, stored: 0 });
    expect(await listed()).toMatchObject({ lagBytes: 0 });
    expect(await countRows('fleet_events')).toBe(lines.length);
    const head = await request(central(0), `/api/fleet/v1/devices/${device.storeId}/head`, { headers: auth(token) });
    expect(head.json()).toEqual({
      head: { seq: lines.length, hash: (JSON.parse(lines[lines.length - 1] as string) as StoredEvent).hash },
    });
  });

  test("the central copy is the device's: events byte for byte as `export` wrote them, the manifest as `state` prints it (also ?at=)", async () => {
    const exported = await request(central(1), `/api/fleet/devices/${device.storeId}/events/export`);
    expect(exported.status).toBe(200);
    expect(exported.text()).toBe(ndjson(device.lines));
    const own = await runCli(['state', device.dataDir, '--json']);
    const manifest = await request(central(0), `/api/fleet/devices/${device.storeId}/qmdl-manifest`);
    expect(manifest.json()).toEqual(JSON.parse(own.stdout));
    const at = Math.floor(device.lines.length / 3);
    const ownAt = await runCli(['state', device.dataDir, '--at', String(at), '--json']);
    const manifestAt = await request(central(1), `/api/fleet/devices/${device.storeId}/qmdl-manifest?at=${at}`);
    expect(manifestAt.headers['x-ledger-seq']).toBe(String(at));
    expect(manifestAt.json()).toEqual(JSON.parse(ownAt.stdout));
  });

  test('a batch that does not extend the head is 409 CHAIN_MISMATCH with the head, nothing stored', async () => {
    const next = JSON.parse(device.lines[device.lines.length - 1] as string) as StoredEvent;
    const skipped = { ...next, seq: next.seq + 2 };
    const sealed = JSON.stringify({ ...skipped, hash: hashEvent(skipped) });
    const res = await ship(0, [sealed]);
    expect(errorOf(res)).toEqual({ status: 409, code: 'CHAIN_MISMATCH' });
    expect(res.json()).toMatchObject({ head: { seq: device.lines.length, hash: next.hash } });
    expect(await countRows('fleet_events')).toBe(device.lines.length);
  });

  test('a forged event (data changed, hash kept) is 422 EVENT_HASH_MISMATCH and nothing of its batch is stored', async () => {
    const tail = JSON.parse(device.lines[device.lines.length - 1] as string) as StoredEvent;
    const honest = { ...tail, seq: tail.seq + 1, prev: tail.hash, type: 'ClockOffsetSet', data: { offsetSeconds: 1 } };
    const sealed = { ...honest, hash: hashEvent(honest) };
    const forged = { ...sealed, seq: sealed.seq + 1, prev: sealed.hash, data: { offsetSeconds: 2 }, hash: sealed.hash };
    const res = await ship(1, [JSON.stringify(sealed), JSON.stringify(forged)]);
    expect(errorOf(res)).toEqual({ status: 422, code: 'EVENT_HASH_MISMATCH' });
    expect(res.json()).toMatchObject({ seq: forged.seq });
    expect(await countRows('fleet_events')).toBe(device.lines.length);
  });

  test('a replayed batch with a changed body (re-sealed) is a fork: 409, recorded and shown, never merged', async () => {
    const from = 5;
    const other = resealed(device.lines, from, (e) => ({
      ...e,
      metadata: { ...e.metadata, correlationId: 'rewritten' },
    }));
    const res = await ship(0, other.slice(from - 1, from + 3));
    expect(errorOf(res)).toEqual({ status: 409, code: 'CHAIN_MISMATCH' });
    expect(res.json()).toMatchObject({
      head: { seq: device.lines.length },
      fork: { seq: from + 1 },
    });
    const exported = await request(central(1), `/api/fleet/devices/${device.storeId}/events/export`);
    expect(exported.text()).toBe(ndjson(device.lines));
    const list = await request(central(1), '/api/fleet/devices');
    const row = (list.json() as Array<{ storeId: string; chain: string; fork?: { seq: number } }>).find(
      (d) => d.storeId === device.storeId,
    );
    expect(row).toMatchObject({ chain: 'forked', fork: { seq: from + 1 } });
  });

  test('a token is refused for any other store than the one its first shipment bound it to (403), an unknown token is 401', async () => {
    const second = (await runCli(['fleet', 'enroll', '--db', db, '--label', 'newsroom-2'])).stdout.trim();
    const foreign = await ship(0, device.lines.slice(0, 2), second);
    expect(errorOf(foreign)).toEqual({ status: 403, code: 'WRONG_DEVICE' });
    const otherStore = await ship(1, device.lines.slice(0, 2), token, '00000000-0000-4000-8000-000000000000');
    expect(otherStore.status).toBe(403);
    const unknown = await ship(0, device.lines.slice(0, 2), 'qlf_not-a-token');
    expect(unknown.status).toBe(401);
    expect(await countRows('fleet_events')).toBe(device.lines.length);
    // The refused token is still bound to nothing, and the device's head is unchanged.
    const client = new Client({ connectionString: db });
    await client.connect();
    const rows = (await client.query('SELECT label, store_id, head_seq FROM fleet_devices ORDER BY label')).rows;
    await client.end();
    expect(rows).toEqual([
      { label: 'newsroom-1', store_id: device.storeId, head_seq: String(device.lines.length) },
      { label: 'newsroom-2', store_id: null, head_seq: '0' },
    ]);
  });

  test('the events route answers alike however Express would spell it: the plain path is served ahead of Express, any other by the controller', async () => {
    const spellings = [
      `/api/fleet/v1/devices/${device.storeId}/events`,
      `/api/fleet/v1/devices/${device.storeId}/events/`,
      `/API/fleet/v1/devices/${device.storeId}/Events?from=device`,
    ];
    const post = (i: number, at: string, lines: readonly string[], t = token) =>
      request(central(i), at, {
        method: 'POST',
        headers: { ...auth(t), 'content-type': 'application/x-ndjson' },
        body: ndjson(lines),
      });
    const tail = JSON.parse(device.lines[device.lines.length - 1] as string) as StoredEvent;
    const next = { ...tail, seq: tail.seq + 1, prev: tail.hash, type: 'ClockOffsetSet', data: { offsetSeconds: 3 } };
    const forged = JSON.stringify({ ...next, hash: tail.hash });
    const answers = [];
    for (const [i, at] of spellings.entries()) {
      const resent = await post(i, at, device.lines.slice(0, 3));
      const refused = await post(i, at, [forged]);
      const foreign = await post(i, at, device.lines.slice(0, 1), 'qlf_not-a-token');
      answers.push([resent, refused, foreign].map((r) => ({ status: r.status, body: r.json<unknown>() })));
    }
    expect(answers[0]?.map((a) => a.status)).toEqual([200, 422, 401]);
    expect(answers[0]?.[0]?.body).toEqual({ head: { seq: device.lines.length, hash: tail.hash }, stored: 0 });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await countRows('fleet_events')).toBe(device.lines.length);
  });

  test('recording bytes: idempotent by offset, 409 OFFSET_MISMATCH with the size past it, served back decompressed exactly', async () => {
    const file = await fs.readFile(path.join(device.dataDir, 'qmdl', `${device.recording}.qmdl.gz`));
    const put = (i: number, offset: number, body: Buffer) =>
      request(
        central(i),
        `/api/fleet/v1/devices/${device.storeId}/recordings/${device.recording}/data?offset=${offset}`,
        { method: 'PUT', headers: { ...auth(token), 'content-type': 'application/octet-stream' }, body },
      );
    const half = Math.floor(file.length / 2);
    expect((await put(0, 0, file.subarray(0, half))).json()).toEqual({ size: half });
    const past = await put(1, half + 10, file.subarray(half + 10));
    expect(errorOf(past)).toEqual({ status: 409, code: 'OFFSET_MISMATCH' });
    expect(past.json()).toMatchObject({ size: half });
    // A resend from an earlier offset stores only what is new.
    expect((await put(1, 100, file.subarray(100))).json()).toEqual({ size: file.length });
    expect((await put(0, 0, file)).json()).toEqual({ size: file.length });
    const qmdl = await request(central(1), `/api/fleet/devices/${device.storeId}/qmdl/${device.recording}`);
    expect(qmdl.status).toBe(200);
    expect(qmdl.body.equals(zlib.gunzipSync(file))).toBe(true);
    const stale = await put(0, 0, Buffer.from('x'));
    expect(stale.json()).toEqual({ size: file.length });
    const notShipped = await request(
      central(0),
      `/api/fleet/v1/devices/${device.storeId}/recordings/99999/data?offset=0`,
      { method: 'PUT', headers: auth(token), body: 'x' },
    );
    expect(notShipped.status).toBe(404);
  });

  test("a recording's pcap, centrally and on the device, names the device that recorded it (as its start recorded it), whoever converts it", async () => {
    // After the bytes test above, the recording's whole .qmdl.gz is shipped. The device is opened again
    // (read-only) on another machine, as after an OS update: neither pcap names the host converting it.
    const moved = await startInProcess({
      dataDir: device.dataDir,
      readOnly: true,
      host: { ...DEVICE_HOST, systemOs: 'Linux 6.1.0-updated', machine: 'aarch64' },
    });
    try {
      const own = await request(moved.baseUrl, `/api/pcap/${device.recording}`);
      const theirs = await request(central(0), `/api/fleet/devices/${device.storeId}/pcap/${device.recording}`);
      expect(own.status).toBe(200);
      expect(theirs.status).toBe(200);
      expect(Object.fromEntries(readPcapng(theirs.body).options)).toEqual({
        [SHB_HARDWARE]: 'armv7l',
        [SHB_OS]: 'Linux 3.18.48-device',
        [SHB_USERAPPL]: 'qmdl-ledger 0.0.0-test',
      });
      expect(readPcapng(theirs.body).packets.length).toBeGreaterThan(0);
      expect(theirs.body.equals(own.body)).toBe(true);
      // The central zip's pcapng is the same file.
      const zip = readZip(
        (await request(central(1), `/api/fleet/devices/${device.storeId}/zip/${device.recording}`)).body,
      );
      expect(zip.find((m) => m.name === `${device.recording}.pcapng`)?.data.equals(own.body)).toBe(true);
    } finally {
      await moved.close();
    }
  });

  test('the analysis findings of shipped reports are the fleet warnings: newest first, by severity and device, counted per device', async () => {
    const report = [
      {
        analyzers: [{ name: 'x', description: 'y', version: 1 }],
        rayhunter: { rayhunter_version: '0.12', system_os: 'linux', arch: 'x64' },
        report_version: 2,
      },
      {
        packet_timestamp: '2024-06-01T10:00:00Z',
        skipped_message_reason: null,
        events: [null, { event_type: 'Low', message: 'roaming identity request (packet 1)' }],
      },
      {
        packet_timestamp: '2024-06-01T10:00:05Z',
        skipped_message_reason: null,
        events: [
          { event_type: 'Informational', message: 'seen' },
          { event_type: 'High', message: 'The cell chose the null cipher (EEA0) — ünïcode (packet 2)' },
        ],
      },
    ]
      .map((l) => `${JSON.stringify(l)}\n`)
      .join('');
    const bytes = Buffer.from(report, 'utf8');
    // Two uploads split inside a multi-byte character and a line: the index reads the whole report.
    const cut = bytes.indexOf(Buffer.from('ü')) + 1;
    const put = (offset: number, body: Buffer) =>
      request(
        central(0),
        `/api/fleet/v1/devices/${device.storeId}/recordings/${device.recording}/data?offset=${offset}&file=analysis`,
        { method: 'PUT', headers: auth(token), body },
      );
    expect((await put(0, bytes.subarray(0, cut))).json()).toEqual({ size: cut });
    expect((await put(cut, bytes.subarray(cut))).json()).toEqual({ size: bytes.length });
    const all = (await request(central(1), '/api/fleet/warnings')).json<
      Array<{ severity: string; message: string; storeId: string; recording: string; packetTimestamp: string }>
    >();
    expect(all.map((w) => [w.severity, w.packetTimestamp])).toEqual([
      ['High', '2024-06-01T10:00:05.000Z'],
      ['Low', '2024-06-01T10:00:00.000Z'],
    ]);
    expect(all[0]).toMatchObject({
      storeId: device.storeId,
      recording: device.recording,
      message: 'The cell chose the null cipher (EEA0) — ünïcode (packet 2)',
    });
    expect((await request(central(0), '/api/fleet/warnings?severity=High')).json<unknown[]>()).toHaveLength(1);
    expect(
      (await request(central(0), `/api/fleet/warnings?device=${device.storeId}&severity=Low,Medium`)).json<unknown[]>(),
    ).toHaveLength(1);
    expect(
      (await request(central(0), '/api/fleet/warnings?device=00000000-0000-4000-8000-000000000000')).json<unknown[]>(),
    ).toEqual([]);
    expect((await request(central(0), '/api/fleet/warnings?severity=Bad')).status).toBe(400);
    const list = (await request(central(1), '/api/fleet/devices')).json<
      Array<{ storeId: string; warnings: Record<string, number> }>
    >();
    expect(list.find((d) => d.storeId === device.storeId)?.warnings).toEqual({ High: 1, Low: 1 });
  });

  test("the /fleet page (headless Chromium): sign-in, devices with health and lag, warnings across the fleet, a device's recordings and audit log", async () => {
    const guarded = await spawnService('fleet', ['--db', db, '--admin-token', 'fleet-admin-secret']);
    centrals.push(guarded);
    expect((await request(guarded.baseUrl, '/api/fleet/devices')).status).toBe(401);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${guarded.baseUrl}/fleet`);
      await page.locator('#signin').waitFor({ state: 'visible' });
      await page.fill('#token', 'fleet-admin-secret');
      await page.click('#signin button');
      const row = page.locator('#devices tbody tr', { hasText: 'newsroom-1' });
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      // label, store id, chain, health, central head, lag (events), lag (bytes), last seen, active, recordings, warnings
      expect(cells.slice(0, 5)).toEqual([
        'newsroom-1',
        device.storeId,
        'forked',
        'forked at seq 6',
        String(device.lines.length),
      ]);
      expect(cells[6]).toBe('0');
      expect(cells[10]).toBe('High 1, Low 1');
      await page
        .locator('#devices tbody tr', { hasText: 'newsroom-2' })
        .locator('td', { hasText: 'never shipped' })
        .waitFor();
      const warnings = page.locator('#warnings tbody tr');
      await warnings.first().waitFor();
      expect(await warnings.count()).toBe(2);
      expect(await warnings.first().locator('td').nth(1).textContent()).toBe('High');
      // At or above, as the device's event API filters: Medium shows the High finding (there is no Medium one).
      await page.selectOption('#severity', 'Medium');
      await eventually(async () => ((await warnings.count()) === 1 ? true : undefined), 30_000);
      expect(await warnings.first().locator('td').nth(1).textContent()).toBe('High');
      await page.selectOption('#severity', 'Low');
      await eventually(async () => ((await warnings.count()) === 2 ? true : undefined), 30_000);
      expect(await warnings.nth(1).locator('td').nth(4).textContent()).toBe('roaming identity request (packet 1)');
      await row.click();
      await page.locator('#recordings tbody tr', { hasText: device.recording }).waitFor();
      const audit = page.locator('#audit tbody tr');
      await audit.first().waitFor();
      expect(await audit.first().locator('td').first().textContent()).toBe(String(device.lines.length));
      const href = await page
        .locator('#recordings tbody tr', { hasText: device.recording })
        .locator('a', { hasText: 'qmdl' })
        .getAttribute('href');
      expect(href).toBe(`/api/fleet/devices/${device.storeId}/qmdl/${device.recording}`);
    } finally {
      await browser.close();
    }
  });
});
