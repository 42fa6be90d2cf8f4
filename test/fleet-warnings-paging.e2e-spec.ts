/**
 * Paging `GET /api/fleet/warnings` with its cursor: many findings share one packet time (two
 * analyzers on one packet, many packets in a second, two recordings), stored by PostgreSQL in
 * microseconds, across page boundaries. Every finding comes exactly once, newest first, and the
 * pages equal the list read in one page. Real PostgreSQL (a private cluster), the real `fleet`
 * binary, a device log made by a real store and shipped as `export` wrote it, and analysis
 * reports uploaded as a device uploads them.
 */
import { promises as fs } from 'node:fs';
import { recordOnce, shipExported } from './helpers/fleet-device';
import { startPostgres, type PgCluster } from './helpers/postgres';
import { request, spawnService, startInProcess, type InProcessServer, type SpawnedServer } from './helpers/server';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(180_000);

interface Warning {
  storeId: string;
  recording: string;
  line: number;
  packetTimestamp: string | null;
  severity: string;
  message: string;
  cursor: string;
}

/** Microseconds apart, in one millisecond: what a millisecond cursor cannot tell apart. */
const SHARED = '2024-06-01T10:00:00.123456Z';
const LATER = '2024-06-01T10:00:00.123457Z';
const EARLIER = '2024-06-01T10:00:00.123455Z';

/** A report (v2): its metadata line, then the given packets' rows with their findings. */
function report(rows: ReadonlyArray<{ time: string | null; events: ReadonlyArray<[string, string] | null> }>): Buffer {
  const lines: unknown[] = [
    {
      analyzers: [{ name: 'x', description: 'y', version: 1 }],
      rayhunter: { rayhunter_version: '0.12', system_os: 'linux', arch: 'x64' },
      report_version: 2,
    },
    ...rows.map((r) => ({
      ...(r.time !== null ? { packet_timestamp: r.time } : {}),
      skipped_message_reason: null,
      events: r.events.map((e) => (e === null ? null : { event_type: e[0], message: e[1] })),
    })),
  ];
  return Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

describe('the fleet warnings, paged by their cursor (real PostgreSQL)', () => {
  let pg: PgCluster;
  let central: SpawnedServer;
  let device: InProcessServer;
  let storeId = '';
  const names: string[] = [];
  /** The findings uploaded: `recording line message` each, and its severity. */
  const written: Array<{ key: string; severity: string }> = [];

  const list = async (query: string): Promise<Warning[]> => {
    const res = await request(central.baseUrl, `/api/fleet/warnings?${query}`);
    expect(res.status).toBe(200);
    return res.json<Warning[]>();
  };

  /** Every page from the first, each asked from the previous one's last cursor, until an empty one. */
  async function pages(query: string): Promise<Warning[][]> {
    const out: Warning[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await list(`${query}${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      if (page.length === 0) return out;
      out.push(page);
      cursor = page[page.length - 1]?.cursor;
      // No list here has more pages than findings: a cursor that does not move must not loop forever.
      if (out.length > 500) throw new Error('the cursor does not advance');
    }
  }

  const key = (w: Warning): string => `${w.recording} ${w.line} ${w.message}`;

  beforeAll(async () => {
    pg = await startPostgres();
    const db = await pg.createDatabase();
    central = await spawnService('fleet', ['--db', db]);
    device = await startInProcess({ keep: true, recorder: { source: 'synthetic:rate=400', autoStart: false } });
    names.push(await recordOnce(device));
    names.push(await recordOnce(device));
    storeId = device.ledger.log.metadata.storeId;
    const token = await shipExported(device, central.baseUrl, db, 'paging');
    for (const name of names) {
      // 40 packets at one time, each with two findings (two analyzers), between one a microsecond
      // later and one a microsecond earlier, and a row without a packet time (listed last).
      const rows = [
        { time: EARLIER, events: [['Low', `${name} earlier`]] as Array<[string, string]> },
        ...Array.from({ length: 40 }, (_, i) => ({
          time: SHARED,
          events: [
            ['Informational', 'not a warning'],
            [i % 2 === 0 ? 'High' : 'Low', `${name} packet ${i} first`],
            null,
            [i % 3 === 0 ? 'Medium' : 'Low', `${name} packet ${i} second`],
          ] as Array<[string, string] | null>,
        })),
        { time: LATER, events: [['High', `${name} later`]] as Array<[string, string]> },
        { time: null, events: [['Medium', `${name} untimed`]] as Array<[string, string]> },
      ];
      const bytes = report(rows);
      rows.forEach((r, i) => {
        for (const e of r.events)
          if (e !== null && e[0] !== 'Informational') written.push({ key: `${name} ${i + 2} ${e[1]}`, severity: e[0] });
      });
      const put = await request(
        central.baseUrl,
        `/api/fleet/v1/devices/${storeId}/recordings/${name}/data?offset=0&file=analysis`,
        { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: bytes },
      );
      expect(put.json()).toEqual({ size: bytes.length });
    }
  });

  afterAll(async () => {
    central?.proc.kill('SIGTERM');
    await central?.exited;
    await device?.close();
    await pg?.stop();
    if (device) await fs.rm(device.dataDir, { recursive: true, force: true });
  });

  test('paging through yields every finding exactly once, newest first, as the list read in one page', async () => {
    const whole = await list('limit=1000');
    expect(whole.map(key).sort()).toEqual(written.map((w) => w.key).sort());
    expect(whole).toHaveLength(2 * (1 + 80 + 1 + 1));
    // Newest first: the later ones, the shared time's 160, the earlier ones, the untimed last.
    const times = whole.map((w) => w.packetTimestamp);
    expect(times.slice(0, 2)).toEqual(['2024-06-01T10:00:00.123Z', '2024-06-01T10:00:00.123Z']);
    expect(new Set(whole.slice(0, 2).map((w) => w.message))).toEqual(new Set(names.map((n) => `${n} later`)));
    expect(new Set(whole.slice(162, 164).map((w) => w.message))).toEqual(new Set(names.map((n) => `${n} earlier`)));
    expect(times.slice(164)).toEqual([null, null]);
    for (const limit of [1, 7, 80, 81, 165]) {
      const read = await pages(`limit=${limit}`);
      expect(read.slice(0, -1).every((p) => p.length === limit)).toBe(true);
      // The same findings in the same order: none skipped, none repeated at a boundary.
      expect(read.flat().map(key)).toEqual(whole.map(key));
    }
  });

  test('the cursor pages a filtered list too (severity, device), and the page after the last is empty', async () => {
    const whole = await list(`severity=Medium,High&device=${storeId}&limit=1000`);
    expect(whole.map(key).sort()).toEqual(
      written
        .filter((w) => w.severity !== 'Low')
        .map((w) => w.key)
        .sort(),
    );
    expect(whole.length).toBeGreaterThan(6 * 3);
    const read = await pages(`severity=Medium,High&device=${storeId}&limit=6`);
    expect(read.flat().map(key)).toEqual(whole.map(key));
    const last = whole[whole.length - 1] as Warning;
    expect(await list(`limit=10&cursor=${last.cursor}`)).toEqual([]);
  });

  test('`before` stays a filter on the packet time: strictly before it, with the cursor or without', async () => {
    const before = await list(`before=${encodeURIComponent('2024-06-01T10:00:00.123Z')}&limit=1000`);
    // Every time here is after 10:00:00.123 (in microseconds) but the untimed, which have none.
    expect(before).toEqual([]);
    const beforeLater = await list(`before=${encodeURIComponent('2024-06-01T10:00:00.124Z')}&limit=1000`);
    expect(beforeLater).toHaveLength(2 * (1 + 80 + 1));
    const read = await pages(`before=${encodeURIComponent('2024-06-01T10:00:00.124Z')}&limit=9`);
    expect(read.flat().map(key)).toEqual(beforeLater.map(key));
  });

  test('a cursor that is not one the list gave is 400 INVALID_QUERY, and so is a second one', async () => {
    const first = (await list('limit=1'))[0] as Warning;
    const tampered = Buffer.from(
      JSON.stringify((JSON.parse(Buffer.from(first.cursor, 'base64url').toString()) as unknown[]).slice(0, 4)),
    ).toString('base64url');
    const badTime = Buffer.from(JSON.stringify(['12:00', storeId, 'x', 1, 0])).toString('base64url');
    for (const cursor of ['not a cursor', 'AAAA', tampered, badTime, 'e30']) {
      const res = await request(central.baseUrl, `/api/fleet/warnings?cursor=${encodeURIComponent(cursor)}`);
      expect(errorOf(res)).toEqual({ status: 400, code: 'INVALID_QUERY' });
    }
    const twice = await request(central.baseUrl, `/api/fleet/warnings?cursor=${first.cursor}&cursor=${first.cursor}`);
    expect(errorOf(twice)).toEqual({ status: 400, code: 'INVALID_QUERY' });
  });
});
