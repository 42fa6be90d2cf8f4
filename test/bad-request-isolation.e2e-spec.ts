/**
 * One bad request fails alone, against the built binary:
 * while the synthetic source records as fast as it can, 8 clients post config
 * bodies nested too deep or larger than the body cap and 8 clients post valid
 * GPS fixes, for 20 s. Every valid request succeeds, every bad one is a 4xx
 * carrying a code, the recording stays active and keeps growing (its data
 * appends share group-commit batches with the bad requests' commands), and the
 * store verifies after a clean shutdown.
 */
import { existsSync, rmSync } from 'node:fs';
import {
  eventually,
  MAIN_JS,
  request,
  runCli,
  spawnServer,
  tempDir,
  type RawResponse,
  type SpawnedServer,
} from './helpers/server';
import { errorOf } from './helpers/http-errors';

const RUN_MS = 20_000;
const BAD_CLIENTS = 8;
const GPS_CLIENTS = 8;

interface Entry {
  readonly name: string;
  readonly qmdl_size_bytes: number;
}
interface Manifest {
  readonly entries: readonly Entry[];
  readonly current_entry: Entry | null;
}

function nested(depth: number): string {
  return `{"gps_mode":1,"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
}

/** The bad bodies, each with why it is bad: deeper than the event log can store, deeper than the body parser allows, over the body cap. */
const BAD_BODIES: ReadonlyArray<{ readonly kind: string; readonly body: string }> = [
  { kind: 'nested 300 deep', body: nested(300) },
  { kind: 'nested 100 deep', body: nested(100) },
  { kind: 'array nested 1000 deep', body: `{"x":${'['.repeat(1000)}${']'.repeat(1000)}}` },
  { kind: 'oversized', body: JSON.stringify({ ui_level: 1, padding: 'x'.repeat(100 * 1024) }) },
];

async function manifest(baseUrl: string): Promise<Manifest> {
  return (await request(baseUrl, '/api/qmdl-manifest')).json<Manifest>();
}

jest.setTimeout(120_000);

describe('one bad request fails alone (spawned server, synthetic source at full speed)', () => {
  let dataDir: string;
  let server: SpawnedServer | undefined;
  beforeAll(() => {
    dataDir = tempDir('qmdl-ledger-isolation-');
  });
  afterAll(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is built', () => {
    expect(existsSync(MAIN_JS)).toBe(true);
  });

  it('refuses deep and oversized config bodies with a coded 4xx while every valid GPS fix succeeds and the recording keeps growing', async () => {
    server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'synthetic:rate=0',
      '--flush-interval-ms',
      '50',
      '--flush-kib',
      '16',
    ]);
    const { baseUrl } = server;
    const before = await eventually(async () => {
      const m = await manifest(baseUrl);
      return m.current_entry !== null && m.current_entry.qmdl_size_bytes > 0 ? m.current_entry : undefined;
    }, 30_000);

    // What went wrong, counted by kind and status (one example message each).
    const failures = new Map<string, { count: number; example: string }>();
    const fail = (key: string, res: RawResponse): void => {
      const seen = failures.get(key);
      failures.set(key, { count: (seen?.count ?? 0) + 1, example: seen?.example ?? res.text().slice(0, 120) });
    };
    const badStatuses = new Map<string, number>();
    let goodOk = 0;
    let badRefused = 0;
    const deadline = Date.now() + RUN_MS;
    const record = (what: string, res: RawResponse): void => {
      const key = `${what} → ${res.status} ${errorOf(res).code ?? ''}`;
      badStatuses.set(key, (badStatuses.get(key) ?? 0) + 1);
    };

    const badClient = async (client: number): Promise<void> => {
      for (let i = client; Date.now() < deadline; i++) {
        const bad = BAD_BODIES[i % BAD_BODIES.length] ?? BAD_BODIES[0];
        if (bad === undefined) return;
        const res = await request(baseUrl, '/api/config', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: bad.body,
        });
        record(bad.kind, res);
        const { status, code } = errorOf(res);
        if (status < 400 || status > 499 || code === undefined || !/^[A-Z][A-Z0-9_]*$/.test(code)) {
          fail(`${bad.kind}: ${status} ${String(code)}`, res);
        } else {
          badRefused++;
        }
      }
    };
    const gpsClient = async (client: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline; i++) {
        const body = JSON.stringify({ latitude: 52 + client / 100, longitude: 13 + i / 1e6 });
        const res = await request(baseUrl, '/api/gps', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (res.status !== 200) fail(`gps: ${res.status}`, res);
        else goodOk++;
      }
    };
    await Promise.all([
      ...Array.from({ length: BAD_CLIENTS }, (_, c) => badClient(c)),
      ...Array.from({ length: GPS_CLIENTS }, (_, c) => gpsClient(c)),
    ]);

    expect(Object.fromEntries(failures)).toEqual({});
    expect(goodOk).toBeGreaterThan(0);
    expect(badRefused).toBeGreaterThan(0);
    // Every kind of bad body was sent and refused.
    for (const { kind } of BAD_BODIES)
      expect([...badStatuses.keys()].some((key) => key.startsWith(`${kind} → 4`))).toBe(true);

    // The recording that was active before is still the active one, and it keeps growing.
    const after = await manifest(baseUrl);
    expect(after.current_entry?.name).toBe(before.name);
    await eventually(async () => {
      const m = await manifest(baseUrl);
      return m.current_entry !== null &&
        m.current_entry.name === before.name &&
        m.current_entry.qmdl_size_bytes > (after.current_entry?.qmdl_size_bytes ?? 0)
        ? true
        : undefined;
    }, 30_000);
    const stops = (await request(baseUrl, '/api/events?type=RecordingStopped&limit=10')).json<{ events: unknown[] }>();
    expect(stops.events).toEqual([]);
    // Every acknowledged fix is in the log; no bad config was.
    const fixes = await countEvents(baseUrl, 'GpsFixRecorded');
    expect(fixes).toBe(goodOk);
    expect(await countEvents(baseUrl, 'ConfigChanged')).toBe(0);

    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    // Nothing piled up or went unheard while it recorded at full speed (its live report written under backpressure).
    expect(server.stderr()).not.toMatch(/MaxListenersExceededWarning|uncaught exception/);
    const verify = await runCli(['verify', dataDir, '--json'], {}, 60_000);
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
  });
});

async function countEvents(baseUrl: string, type: string): Promise<number> {
  let count = 0;
  let after = 0;
  for (;;) {
    const page = (await request(baseUrl, `/api/events?type=${type}&order=asc&limit=1000&after=${after}`)).json<{
      events: unknown[];
      next?: number;
    }>();
    count += page.events.length;
    if (page.next === undefined) return count;
    after = page.next;
  }
}
