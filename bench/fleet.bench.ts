/**
 * The central fleet service on a private PostgreSQL cluster (started here,
 * stopped at the end), each figure against a baseline in the same cluster and run:
 *  (a) ingest: N simulated devices (a child process, bodies sealed before the
 *      start) ship sealed batches concurrently through the HTTP protocol to the
 *      real `fleet` command (its own process: every hash checked, head locked,
 *      projection folded) vs raw batched INSERTs of the same rows into the same table layout by as
 *      many concurrent clients as the service's pool (target >= 0.5x);
 *  (b) the fleet devices list with 10,000 devices over HTTP vs a bare SELECT of
 *      the same rows (target: at most 2x the time, ratio >= 0.5);
 *  (c) a device's command latency (POST /api/time-offset) while it records and
 *      ships to the central service vs a device that records and does not ship
 *      (target: at most 1.1x the latency, ratio >= 0.91).
 */
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Client, Pool } from 'pg';
import type { StoredEvent } from '@ledger/domain';
import { buildUpcasters } from '@ledger/migrations';
import { createFleetApp } from '../apps/qmdl-ledger/src/fleet/create-fleet-app';
import { enrollDevice } from '../apps/qmdl-ledger/src/fleet/devices.service';
import { FleetDatabase } from '../apps/qmdl-ledger/src/fleet/fleet-database';
import { BenchContext, BenchModule, BenchResult, higherIsBetter, lowerIsBetter, medianOf } from './harness';
import { startPostgres, type PgCluster } from './support/postgres';
import { get, type Server, startFleet, startServer } from './support/processes';
import { type FleetDevicesJob, type FleetDevicesResult, sealedChain, simulatedStoreId } from './support/fleet-devices';
import path from 'node:path';

const POOL = 10;
const BATCH_EVENTS = 10;
/** The simulated devices' keep-alive connections (under the service's default --max-connections, 512). */
const DEVICE_CONNECTIONS = 256;

/** Forks the simulated devices, has them build their bodies, then ships them all at once; the child's figures. */
async function shipFromDevices(job: FleetDevicesJob): Promise<FleetDevicesResult> {
  const child = fork(path.join(__dirname, 'support/fleet-devices.js'), [], { stdio: 'inherit' });
  try {
    return await new Promise<FleetDevicesResult>((resolve, reject) => {
      child.on('message', (m: { ready?: true; result?: FleetDevicesResult; error?: string }) => {
        if (m.ready === true) child.send({ go: true });
        else if (m.result !== undefined) resolve(m.result);
        else if (m.error !== undefined) reject(new Error(`simulated devices: ${m.error}`));
      });
      child.on('exit', (code) => reject(new Error(`simulated devices exited (${String(code)})`)));
      child.send({ job });
    });
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/**
 * The real `fleet` command (`instances` of it on the one database, each in its own process with its
 * default pool of 10 and server limits), the simulated devices in another process;
 * `BENCH_FLEET_CPU_PROF=<dir>` writes the service's CPU profiles there.
 */
async function ingestThroughService(
  url: string,
  options: { devices: number; eventsPerDevice: number; instances: number },
  log: (m: string) => void,
): Promise<number> {
  const { devices, eventsPerDevice } = options;
  const profDir = process.env['BENCH_FLEET_CPU_PROF'];
  const db = await FleetDatabase.open({ url, max: 2 });
  const fleets: Server[] = [];
  try {
    for (let i = 0; i < options.instances; i++)
      fleets.push(
        await startFleet({
          db: url,
          ...(profDir !== undefined && profDir !== '' ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : {}),
        }),
      );
    const enrolled = [];
    for (let i = 0; i < devices; i++)
      enrolled.push({ storeId: simulatedStoreId(i), token: (await enrollDevice(db, `bench-${i}`)).token });
    const result = await shipFromDevices({
      baseUrls: fleets.map((f) => f.baseUrl),
      devices: enrolled,
      eventsPerDevice,
      batchEvents: BATCH_EVENTS,
      connections: DEVICE_CONNECTIONS,
    });
    const [stored] = await db.query<{ n: string }>('SELECT count(*) AS n FROM fleet_events');
    if (Number(stored?.n) !== devices * eventsPerDevice)
      throw new Error(`the service stored ${stored?.n} of ${devices * eventsPerDevice} events`);
    const perSecond = (devices * eventsPerDevice) / (result.ms / 1000);
    log(
      `  service (${options.instances} instance${options.instances > 1 ? 's' : ''}): ${perSecond.toFixed(0)} events/s (${result.requests} requests, ${result.resent} batches resent after a 503 or a reset)`,
    );
    return perSecond;
  } finally {
    await db.close();
    for (const f of fleets) await f.stop();
  }
}

/**
 * The same rows, the same batches, as plain INSERTs into the same layout (its own database of the
 * cluster), in the statement's form the service uses (column arrays, the lines as one text).
 */
async function rawInserts(url: string, devices: number, eventsPerDevice: number, clients: number): Promise<number> {
  const db = await FleetDatabase.open({ url, max: 1 });
  await db.close();
  const pool = new Pool({ connectionString: url, max: clients });
  try {
    const batches: Array<{ storeId: string; events: StoredEvent[]; lines: string[] }> = [];
    for (let i = 0; i < devices; i++) {
      const storeId = simulatedStoreId(i);
      const lines = sealedChain(storeId, eventsPerDevice);
      for (let from = 0; from < lines.length; from += BATCH_EVENTS) {
        const slice = lines.slice(from, from + BATCH_EVENTS);
        batches.push({ storeId, lines: slice, events: slice.map((l) => JSON.parse(l) as StoredEvent) });
      }
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let b = batches[next++]; b !== undefined; b = batches[next++]) {
          await pool.query(
            `INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, actor_address, correlation_id, body)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], string_to_array($10::text, E'\\n'))`,
            [
              b.storeId,
              b.events.map((e) => e.seq),
              b.events.map((e) => e.hash),
              b.events.map((e) => e.type),
              b.events.map(() => null),
              b.events.map((e) => e.time),
              b.events.map((e) => e.metadata.actor.kind),
              b.events.map(() => null),
              b.events.map((e) => e.metadata.correlationId),
              b.lines.join('\n'),
            ],
          );
        }
      }),
    );
    return (devices * eventsPerDevice) / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

async function devicesList(url: string, devices: number, rounds: number): Promise<{ http: number; select: number }> {
  const db = await FleetDatabase.open({ url, max: POOL });
  await db.query(
    `INSERT INTO fleet_devices (label, token_hash, store_id, last_seen, head_seq, head_hash, active_recording, recordings, reported_head_seq)
     SELECT 'device-' || i, md5(i::text), 'store-' || i, now(), i, md5(i::text), NULL, i % 50, i FROM generate_series(1, $1) AS i`,
    [devices],
  );
  const app = await createFleetApp({ db, upcasters: buildUpcasters(), config: {} });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const http: number[] = [];
    const select: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      const res = await fetch(`${base}/api/fleet/devices`);
      const list = (await res.json()) as unknown[];
      if (list.length !== devices) throw new Error(`the list has ${list.length} devices`);
      http.push(performance.now() - t);
      t = performance.now();
      const rows = await client.query(
        'SELECT store_id, label, enrolled_at, head_seq, head_hash, reported_head_seq, last_seen, active_recording, recordings FROM fleet_devices ORDER BY label, id',
      );
      if (rows.rows.length !== devices) throw new Error('bare select missed rows');
      select.push(performance.now() - t);
    }
    return { http: medianOf(http), select: medianOf(select) };
  } finally {
    await client.end();
    await app.close();
    await db.close();
  }
}

/** Median latency of sequential commands on two recording devices, one shipping, interleaved by round. */
async function commandLatency(
  url: string,
  tmpDir: string,
  rounds: number,
  perRound: number,
  log: (m: string) => void,
): Promise<{ shipping: number; plain: number }> {
  const db = await FleetDatabase.open({ url, max: POOL });
  const app = await createFleetApp({ db, upcasters: buildUpcasters(), config: {} });
  await app.listen(0, '127.0.0.1');
  const central = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const { token } = await enrollDevice(db, 'bench-latency');
  const shipping = await startServer({
    dataDir: path.join(tmpDir, 'shipping'),
    source: 'synthetic:rate=300',
    args: ['--ship-to', central, '--ship-token', token],
  });
  const plain = await startServer({ dataDir: path.join(tmpDir, 'plain'), source: 'synthetic:rate=300' });
  try {
    for (const server of [shipping, plain])
      await get(`${server.baseUrl}/api/start-recording`, { method: 'POST', body: '{}' });
    const times = { shipping: [] as number[], plain: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      for (const [key, server] of (round % 2 === 0
        ? [
            ['shipping', shipping],
            ['plain', plain],
          ]
        : [
            ['plain', plain],
            ['shipping', shipping],
          ]) as Array<['shipping' | 'plain', typeof plain]>) {
        for (let i = 0; i < perRound; i++) {
          const t = performance.now();
          const res = await get(`${server.baseUrl}/api/time-offset`, {
            method: 'POST',
            body: JSON.stringify({ offset_seconds: i % 5 }),
          });
          if (res.status !== 200) throw new Error(`time-offset answered ${res.status}`);
          times[key].push(performance.now() - t);
        }
      }
    }
    // What a recording device's events cost centrally (the README's sizing): measured, not assumed.
    const [size] = await db.query<{ events: string; body: string; stored: string }>(
      `SELECT count(*) AS events, coalesce(avg(length(body)), 0) AS body,
              pg_total_relation_size('fleet_events') / greatest(count(*), 1) AS stored FROM fleet_events`,
    );
    log(
      `  shipped ${size?.events} events of a recording device: ${Number(size?.body).toFixed(0)} bytes of JSON each, ${size?.stored} bytes stored each with the indexes`,
    );
    return { shipping: medianOf(times.shipping), plain: medianOf(times.plain) };
  } finally {
    await shipping.stop();
    await plain.stop();
    await app.close();
    await db.close();
  }
}

/**
 * The ingest rows: one central instance with its pool of 10 against 10 raw-INSERT clients, and two
 * instances on the one database (the README's way to scale) against 20; rounds interleaved, each
 * figure on a fresh database of the same cluster.
 */
async function ingestRows(
  pg: PgCluster,
  ctx: BenchContext,
  devices: number,
  eventsPerDevice: number,
): Promise<BenchResult[]> {
  const rounds = ctx.quick ? 1 : 3;
  const rows: BenchResult[] = [];
  for (const instances of [1, 2]) {
    const service: number[] = [];
    const raw: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const at = `${instances}_${round}`;
      service.push(
        await ingestThroughService(
          await pg.createDatabase(`bench_ingest_${at}`),
          { devices, eventsPerDevice, instances },
          ctx.log,
        ),
      );
      raw.push(
        await rawInserts(await pg.createDatabase(`bench_raw_${at}`), devices, eventsPerDevice, instances * POOL),
      );
    }
    ctx.log(
      `ingest, ${instances} instance(s): ${service.map((v) => v.toFixed(0)).join('/')} events/s vs raw ${raw.map((v) => v.toFixed(0)).join('/')}`,
    );
    rows.push({
      name: `central ingest, ${devices} devices shipping concurrently (${eventsPerDevice} events each, batches of ${BATCH_EVENTS}) to ${instances === 1 ? 'one central instance' : `${instances} central instances on one database`}, vs raw batched INSERTs of the same rows`,
      measured: { value: medianOf(service), unit: 'events/s' },
      baseline: {
        name: `raw INSERT … unnest, ${instances * POOL} concurrent clients`,
        value: medianOf(raw),
        unit: 'events/s',
      },
      ratio: higherIsBetter(medianOf(service), medianOf(raw)),
      ...(instances === 1 ? { target: { min: 0.5 } } : { notes: 'how ingest scales out: no target of its own' }),
    });
  }
  return rows;
}

const bench: BenchModule = {
  title: 'fleet service on PostgreSQL (ingest, devices list)',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const devices = ctx.quick ? 100 : 1000;
    const eventsPerDevice = ctx.quick ? 20 : 40;
    const listed = ctx.quick ? 1000 : 10_000;
    let pg: PgCluster | undefined;
    try {
      pg = await startPostgres();
      const ingest = await ingestRows(pg, ctx, devices, eventsPerDevice);
      const list = await devicesList(await pg.createDatabase('bench_list'), listed, ctx.quick ? 3 : 7);
      ctx.log(`devices list ${list.http.toFixed(1)} ms vs bare select ${list.select.toFixed(1)} ms`);
      const latency = await commandLatency(
        await pg.createDatabase('bench_latency'),
        ctx.tmpDir,
        ctx.quick ? 4 : 10,
        ctx.quick ? 50 : 100,
        ctx.log,
      );
      ctx.log(
        `command latency ${latency.shipping.toFixed(2)} ms shipping vs ${latency.plain.toFixed(2)} ms not shipping`,
      );
      return [
        ...ingest,
        {
          name: `GET /api/fleet/devices with ${listed} devices vs a bare SELECT of the same rows`,
          measured: { value: list.http, unit: 'ms' },
          baseline: { name: 'SELECT of the rows (pg client)', value: list.select, unit: 'ms' },
          ratio: lowerIsBetter(list.http, list.select),
          target: { min: 0.5, note: 'at most 2x the time' },
        },
        {
          name: "a recording device's command latency (POST /api/time-offset, median) while it ships to the central service",
          measured: { value: latency.shipping, unit: 'ms' },
          baseline: { name: 'the same on a recording device that does not ship', value: latency.plain, unit: 'ms' },
          ratio: lowerIsBetter(latency.shipping, latency.plain),
          target: { min: 0.91, note: 'shipping adds at most 10%' },
        },
      ];
    } finally {
      await pg?.stop();
    }
  },
};

export default bench;
