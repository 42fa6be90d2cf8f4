/**
 * The central fleet service on a private PostgreSQL cluster (started here,
 * stopped at the end), each figure against a baseline in the same cluster and run:
 *  (a) ingest: N simulated devices ship sealed batches concurrently through
 *      the HTTP protocol (every hash checked, head locked, projection folded)
 *      vs raw batched INSERTs of the same rows into the same table layout by as
 *      many concurrent clients as the service's pool (target >= 0.5x);
 *  (b) the fleet devices list with 10,000 devices over HTTP vs a bare SELECT of
 *      the same rows (target: at most 2x the time, ratio >= 0.5);
 *  (c) a device's command latency (POST /api/time-offset) while it records and
 *      ships to the central service vs a device that records and does not ship
 *      (target: at most 1.1x the latency, ratio >= 0.91).
 */
import type { AddressInfo } from 'node:net';
import { Client, Pool } from 'pg';
import { GENESIS_HASH, type StoredEvent } from '@ledger/domain';
import { hashEvent } from '@ledger/event-log';
import { buildUpcasters } from '@ledger/migrations';
import { createFleetApp } from '../apps/qmdl-ledger/src/fleet/create-fleet-app';
import { enrollDevice } from '../apps/qmdl-ledger/src/fleet/devices.service';
import { FleetDatabase } from '../apps/qmdl-ledger/src/fleet/fleet-database';
import { BenchContext, BenchModule, BenchResult, higherIsBetter, lowerIsBetter, medianOf } from './harness';
import { startPostgres, type PgCluster } from './support/postgres';
import { get, startServer } from './support/processes';
import path from 'node:path';

const POOL = 10;
const BATCH_EVENTS = 10;

function sealedChain(storeId: string, count: number): string[] {
  const lines: string[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const time = new Date(Date.UTC(2024, 0, 1) + seq * 1000).toISOString();
    const event = {
      seq,
      type: 'ClockOffsetSet',
      v: 1,
      time,
      systemTime: time,
      data: { offsetSeconds: seq % 7 },
      metadata: { actor: { kind: 'system' }, correlationId: `${storeId}-${seq}`, bootId: 'bench', appVersion: '0.1.0' },
      prev,
    };
    const sealed = { ...event, hash: hashEvent(event as Omit<StoredEvent, 'hash'>) };
    prev = sealed.hash;
    lines.push(JSON.stringify(sealed));
  }
  return lines;
}

async function ingestThroughService(
  url: string,
  devices: number,
  eventsPerDevice: number,
  log: (m: string) => void,
): Promise<number> {
  const db = await FleetDatabase.open({ url, max: POOL });
  const app = await createFleetApp({ db, upcasters: buildUpcasters(), config: {} });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  try {
    const shippers = [];
    for (let i = 0; i < devices; i++) {
      const storeId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      shippers.push({
        storeId,
        token: (await enrollDevice(db, `bench-${i}`)).token,
        lines: sealedChain(storeId, eventsPerDevice),
      });
    }
    let retries = 0;
    const started = performance.now();
    await Promise.all(
      shippers.map(async (s) => {
        for (let from = 0; from < s.lines.length;) {
          const res = await fetch(`${base}/api/fleet/v1/devices/${s.storeId}/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/x-ndjson' },
            body: `${s.lines.slice(from, from + BATCH_EVENTS).join('\n')}\n`,
          }).catch(() => undefined);
          // With a thousand devices at once, requests wait for one of the pool's connections and may
          // time out (503 DATABASE_UNAVAILABLE), or a kept-alive connection is reset as the server
          // closes it (a loaded machine); a device backs off and resends, as the shipper does.
          if (res === undefined || res.status === 503) {
            retries += 1;
            await res?.arrayBuffer();
            await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
            continue;
          }
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
          await res.arrayBuffer();
          from += BATCH_EVENTS;
        }
      }),
    );
    const perSecond = (devices * eventsPerDevice) / ((performance.now() - started) / 1000);
    log(`  service: ${perSecond.toFixed(0)} events/s, ${retries} batches resent after a 503 or a reset`);
    return perSecond;
  } finally {
    await app.close();
    await db.close();
  }
}

/** The same rows, the same batches, as plain INSERTs into the same layout (its own database of the cluster). */
async function rawInserts(url: string, devices: number, eventsPerDevice: number): Promise<number> {
  const db = await FleetDatabase.open({ url, max: POOL });
  await db.close();
  const pool = new Pool({ connectionString: url, max: POOL });
  try {
    const batches: Array<{ storeId: string; events: StoredEvent[]; lines: string[] }> = [];
    for (let i = 0; i < devices; i++) {
      const storeId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const lines = sealedChain(storeId, eventsPerDevice);
      for (let from = 0; from < lines.length; from += BATCH_EVENTS) {
        const slice = lines.slice(from, from + BATCH_EVENTS);
        batches.push({ storeId, lines: slice, events: slice.map((l) => JSON.parse(l) as StoredEvent) });
      }
    }
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: POOL }, async () => {
        for (let b = batches[next++]; b !== undefined; b = batches[next++]) {
          await pool.query(
            `INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, actor_address, correlation_id, body)
           SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])`,
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
              b.lines,
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

const bench: BenchModule = {
  title: 'fleet service on PostgreSQL (ingest, devices list)',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const devices = ctx.quick ? 100 : 1000;
    const eventsPerDevice = ctx.quick ? 20 : 40;
    const listed = ctx.quick ? 1000 : 10_000;
    let pg: PgCluster | undefined;
    try {
      pg = await startPostgres();
      const rounds = ctx.quick ? 1 : 3;
      const service: number[] = [];
      const raw: number[] = [];
      for (let round = 0; round < rounds; round++) {
        // Interleaved, each on a fresh database of the same cluster.
        service.push(
          await ingestThroughService(
            await pg.createDatabase(`bench_ingest_${round}`),
            devices,
            eventsPerDevice,
            ctx.log,
          ),
        );
        raw.push(await rawInserts(await pg.createDatabase(`bench_raw_${round}`), devices, eventsPerDevice));
      }
      ctx.log(
        `ingest ${service.map((v) => v.toFixed(0)).join('/')} events/s vs raw ${raw.map((v) => v.toFixed(0)).join('/')}`,
      );
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
        {
          name: `central ingest, ${devices} devices shipping concurrently (${eventsPerDevice} events each, batches of ${BATCH_EVENTS}), vs raw batched INSERTs of the same rows`,
          measured: { value: medianOf(service), unit: 'events/s' },
          baseline: { name: `raw INSERT … unnest, ${POOL} concurrent clients`, value: medianOf(raw), unit: 'events/s' },
          ratio: higherIsBetter(medianOf(service), medianOf(raw)),
          target: { min: 0.5 },
        },
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
