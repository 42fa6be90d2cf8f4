/**
 * What a shipping device says about its shipping while the fleet service is out of reach (a
 * port nothing listens on), against the built binary: `GET /api/shipping` and the
 * `qmdl_ledger_ship_*` metrics show the target, the shipped and head seq, the lag in events and
 * bytes, and the last error, and agree with each other. The target and token come from
 * LEDGER_SHIP_TO and LEDGER_SHIP_TOKEN. Without shipping, neither claims anything.
 */
import { createServer } from 'node:net';
import {
  eventually,
  request,
  spawnServer,
  startInProcess,
  stopServer,
  tempDirs,
  type SpawnedServer,
} from './helpers/server';

jest.setTimeout(90_000);

const temp = tempDirs();
afterAll(() => temp.removeAll());

interface Shipping {
  enabled: boolean;
  target?: string;
  state?: string;
  shippedSeq?: number;
  headSeq?: number;
  lagEvents?: number;
  lagBytes?: number;
  lastError?: { code: string; at: string };
}

/** A local port that was free a moment ago and on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A sample's value in Prometheus text (`name` with its labels as printed), or undefined. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a device shipping to a fleet service that cannot be reached', () => {
  let server: SpawnedServer | undefined;
  let target = '';

  beforeAll(async () => {
    target = `http://127.0.0.1:${await closedPort()}`;
    server = await spawnServer(
      [
        '--data-dir',
        temp.make('qmdl-ledger-shipping-status-'),
        '--source',
        'synthetic:rate=300',
        '--flush-interval-ms',
        '100',
        '--no-analysis',
      ],
      { LEDGER_SHIP_TO: target, LEDGER_SHIP_TOKEN: 'qlf_not-enrolled-anywhere' },
    );
  });
  afterAll(() => stopServer(server));

  it('shows the target, no shipped seq, the whole log and every committed byte as lag, and the last error', async () => {
    const base = server?.baseUrl ?? '';
    await eventually(
      async () =>
        (await request(base, '/api/qmdl-manifest')).json<{ current_entry: unknown }>().current_entry ? true : undefined,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect((await request(base, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    // The log stands still now (no recording, no analysis, nothing shipped): read both views until
    // the last error did not change between them.
    const { status, metrics } = await eventually(
      async () => {
        const before = (await request(base, '/api/shipping')).json<Shipping>();
        const text = (await request(base, '/metrics')).text();
        const after = (await request(base, '/api/shipping')).json<Shipping>();
        return before.lastError !== undefined && JSON.stringify(before) === JSON.stringify(after)
          ? { status: after, metrics: text }
          : undefined;
      },
      30_000,
      50,
    );
    expect(status).toMatchObject({
      enabled: true,
      target,
      state: 'backoff',
      shippedSeq: 0,
      lastError: { code: 'SHIP_UNREACHABLE' },
    });
    const headSeq = status.headSeq ?? 0;
    expect(headSeq).toBeGreaterThan(2);
    expect(status.lagEvents).toBe(headSeq);
    expect(status.lagBytes).toBeGreaterThan(0);

    expect(sample(metrics, `qmdl_ledger_ship_target_info{target="${target}"}`)).toBe(1);
    expect(sample(metrics, 'qmdl_ledger_ship_shipped_seq')).toBe(0);
    expect(sample(metrics, 'qmdl_ledger_head_seq')).toBe(headSeq);
    expect(sample(metrics, 'qmdl_ledger_ship_lag_events')).toBe(headSeq);
    expect(sample(metrics, 'qmdl_ledger_ship_lag_bytes')).toBe(status.lagBytes);
    expect(sample(metrics, 'qmdl_ledger_ship_failing')).toBe(1);
    expect(sample(metrics, 'qmdl_ledger_ship_last_error_timestamp_seconds{code="SHIP_UNREACHABLE"}')).toBe(
      Date.parse(status.lastError?.at ?? '') / 1000,
    );
  });
});

describe('a device that does not ship', () => {
  it('says so at /api/shipping and has no shipping metrics', async () => {
    const server = await startInProcess();
    try {
      expect((await request(server.baseUrl, '/api/shipping')).json()).toEqual({ enabled: false });
      expect((await request(server.baseUrl, '/metrics')).text()).not.toContain('qmdl_ledger_ship_');
    } finally {
      await server.close();
    }
  });
});
