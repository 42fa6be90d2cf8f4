/**
 * The fleet devices list over HTTP from a real `fleet` process on a private PostgreSQL cluster,
 * for more devices than fit in one of its pages (it reads the table in keyset pages and writes
 * each as it is read): every device once, in label order (ties by enrolment), each with the
 * fields of `FleetDeviceSummary` in their order and their types — unbound, bound, forked, active,
 * lagging devices, labels that JSON must escape or that take 2 to 4 bytes a character in UTF-8,
 * one label longer than the list's write buffers, labels shared by runs of devices that cross
 * the pages' boundaries, times with and without fractions of a second. The expected list is
 * built here from the same rows read with pg's own type decoding.
 */
import { Client } from 'pg';
import { startPostgres, type PgCluster } from './helpers/postgres';
import { request, spawnService, type SpawnedServer } from './helpers/server';

jest.setTimeout(180_000);

/** Three pages of the service's 5,000 and a part. */
const DEVICES = 12_345;
const LONG_LABEL = `long-${'é'.repeat(70_000)}`;
const ODD_LABELS = ['quote " and \\ backslash', 'line\nbreak\ttab\u0001', 'ünïcode — ✓', 'emoji 🛰️ 📡', LONG_LABEL];

interface DeviceRow {
  id: string;
  store_id: string | null;
  label: string;
  enrolled_at: Date;
  head_seq: string;
  head_hash: string;
  reported_head_seq: string | null;
  reported_lag_bytes: string | null;
  last_seen: Date | null;
  active_recording: string | null;
  recordings: number;
  forks: number;
  fork_seq: string | null;
  fork_at: Date | null;
  warnings: Record<string, number>;
}

/** What the list should say of a device, in `FleetDeviceSummary`'s field order. */
function summaryOf(r: DeviceRow): unknown {
  const forked = r.forks > 0 && r.fork_seq !== null && r.fork_at !== null;
  return {
    storeId: r.store_id,
    label: r.label,
    enrolledAt: r.enrolled_at.toISOString(),
    head: { seq: Number(r.head_seq), hash: r.head_hash },
    deviceHeadSeq: r.reported_head_seq === null ? null : Number(r.reported_head_seq),
    lagEvents: r.reported_head_seq === null ? null : Math.max(0, Number(r.reported_head_seq) - Number(r.head_seq)),
    lagBytes: r.reported_lag_bytes === null ? null : Number(r.reported_lag_bytes),
    lastSeen: r.last_seen?.toISOString() ?? null,
    chain: r.store_id === null ? 'unbound' : forked ? 'forked' : 'ok',
    activeRecording: r.active_recording,
    recordings: r.recordings,
    warnings: r.warnings,
    ...(forked ? { fork: { seq: Number(r.fork_seq), detectedAt: r.fork_at?.toISOString(), count: r.forks } } : {}),
  };
}

describe('fleet devices list (private PostgreSQL, real fleet process)', () => {
  let pg: PgCluster;
  let db: string;
  let fleet: SpawnedServer;

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
    fleet = await spawnService('fleet', ['--db', db]);
    const client = new Client({ connectionString: db });
    await client.connect();
    try {
      // Runs of four devices share a label; every 7th is unbound, every 11th forked, every 13th
      // recording, every 3rd has reported its head and lag; times with 6, 1 and no fraction digits.
      await client.query(
        `INSERT INTO fleet_devices (label, token_hash, store_id, enrolled_at, last_seen, head_seq, head_hash,
                                    active_recording, recordings, reported_head_seq, reported_lag_bytes,
                                    forks, fork_seq, fork_at, warnings)
         SELECT 'device-' || lpad((i / 4)::text, 5, '0'), md5(i::text),
                CASE WHEN i % 7 = 0 THEN NULL ELSE 'store-' || i END,
                timestamptz '2026-12-02 06:24:41.759123+00' + i * interval '1.1 second',
                CASE WHEN i % 7 = 0 THEN NULL
                     WHEN i % 2 = 0 THEN timestamptz '2026-12-03 10:00:00+00' + i * interval '1 second'
                     ELSE timestamptz '2026-12-03 10:00:00.5+00' + i * interval '1 second' END,
                CASE WHEN i % 7 = 0 THEN 0 ELSE i END, CASE WHEN i % 7 = 0 THEN repeat('0', 64) ELSE md5(i::text) END,
                CASE WHEN i % 13 = 0 THEN (1700000000 + i)::text END, i % 50,
                CASE WHEN i % 3 = 0 THEN i + i % 5 END, CASE WHEN i % 3 = 0 THEN i * 1000 END,
                CASE WHEN i % 11 = 0 THEN 1 + i % 3 ELSE 0 END, CASE WHEN i % 11 = 0 THEN i / 2 + 1 END,
                CASE WHEN i % 11 = 0 THEN timestamptz '2026-12-03 11:00:00.123+00' END,
                CASE WHEN i % 5 = 0 THEN jsonb_build_object('High', i % 4, 'Low', 1) ELSE '{}' END
           FROM generate_series(1, $1) AS i`,
        [DEVICES - ODD_LABELS.length],
      );
      for (const [n, label] of ODD_LABELS.entries())
        await client.query(
          `INSERT INTO fleet_devices (label, token_hash, store_id, head_seq, head_hash, recordings, warnings)
           VALUES ($1, $2, $3, 3, $4, 1, '{"Medium": 2}')`,
          [label, `odd-${n}`, `odd-store-${n}`, 'a'.repeat(64)],
        );
    } finally {
      await client.end();
    }
  });

  afterAll(async () => {
    if (fleet !== undefined) {
      fleet.proc.kill('SIGTERM');
      await fleet.exited;
    }
    await pg?.stop();
  });

  it('lists every device once, in label order across its pages, with the summary fields in order', async () => {
    const client = new Client({ connectionString: db });
    await client.connect();
    let rows: DeviceRow[];
    try {
      rows = (
        await client.query<DeviceRow>(
          `SELECT id, store_id, label, enrolled_at, head_seq, head_hash, reported_head_seq, reported_lag_bytes, last_seen,
                  active_recording, recordings, forks, fork_seq, fork_at, warnings
             FROM fleet_devices ORDER BY label, id`,
        )
      ).rows;
    } finally {
      await client.end();
    }
    expect(rows).toHaveLength(DEVICES);
    const res = await request(fleet.baseUrl, '/api/fleet/devices');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const listed = res.json<unknown[]>();
    const expected = rows.map(summaryOf);
    expect(listed).toHaveLength(DEVICES);
    expect(listed).toStrictEqual(expected);
    // toStrictEqual ignores the keys' order; the body written again from what was parsed keeps it.
    expect(JSON.stringify(listed)).toBe(JSON.stringify(expected));
    expect(listed.filter((d) => (d as { chain: string }).chain === 'forked').length).toBeGreaterThan(900);
    expect(listed.some((d) => (d as { label: string }).label === LONG_LABEL)).toBe(true);
  });

  it('an empty fleet is an empty list', async () => {
    const empty = await pg.createDatabase();
    const service = await spawnService('fleet', ['--db', empty]);
    try {
      const res = await request(service.baseUrl, '/api/fleet/devices');
      expect(res.status).toBe(200);
      expect(res.text()).toBe('[]');
    } finally {
      service.proc.kill('SIGTERM');
      await service.exited;
    }
  });
});
