/**
 * The central service's HTTP server and download limits, on a real
 * `qmdl-ledger fleet` process and a real PostgreSQL (a private cluster): the
 * flags are serve's (`--max-connections`, `--keep-alive-timeout-s`,
 * `--max-downloads`, `--download-idle-timeout-s`, …) and take effect on the
 * fleet's own server and its recording downloads, which a real device shipped.
 */
import http from 'node:http';
import net from 'node:net';
import { RAW_BYTES, RECORDING, stalledDownload, storeWithLargeRecording } from './helpers/downloads';
import { errorOf } from './helpers/http-errors';
import { startPostgres, type PgCluster } from './helpers/postgres';
import {
  eventually,
  request,
  runCli,
  spawnServer,
  spawnService,
  type RawResponse,
  type SpawnedServer,
} from './helpers/server';

jest.setTimeout(120_000);

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

/** GET over the given agent: the answer, or the error code when the connection ended before one. */
function get(baseUrl: string, urlPath: string, agent: http.Agent | false): Promise<Answer | string> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const req = http.get({ host: url.hostname, port: url.port, path: urlPath, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A connection that sends nothing: it holds one of the server's connections. */
function idleConnection(baseUrl: string): Promise<net.Socket> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => resolve(socket));
    socket.on('error', reject);
  });
}

async function stop(server: SpawnedServer | undefined): Promise<void> {
  if (server === undefined) return;
  server.proc.kill('SIGTERM');
  await server.exited;
}

describe('fleet server limits (real fleet process, real PostgreSQL)', () => {
  let pg: PgCluster;
  let db: string;

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
  });

  afterAll(async () => {
    await pg?.stop();
  });

  test('--max-connections: a connection past the cap is closed unanswered while the held ones are still answered, and a freed slot is taken again', async () => {
    let fleet: SpawnedServer | undefined;
    const idle: net.Socket[] = [];
    const kept = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      fleet = await spawnService('fleet', ['--db', db, '--max-connections', '3']);
      const base = fleet.baseUrl;
      idle.push(await idleConnection(base), await idleConnection(base));
      // The third connection, kept alive; once it is answered the server has accepted the two before it.
      expect(await get(base, '/healthz', kept)).toMatchObject({ status: 200 });
      const refused = await get(base, '/healthz', false);
      expect(typeof refused).toBe('string');
      // The service keeps answering on the connections it holds.
      expect(await get(base, '/healthz', kept)).toMatchObject({ status: 200 });
      idle.shift()?.destroy();
      const again = await eventually(async () => {
        const answer = await get(base, '/healthz', false);
        return typeof answer === 'string' ? undefined : answer;
      });
      expect(again.status).toBe(200);
    } finally {
      for (const s of idle) s.destroy();
      kept.destroy();
      await stop(fleet);
    }
  });

  test('--keep-alive-timeout-s: the configured keep-alive timeout is the one the server announces (default 5 s, as serve)', async () => {
    for (const [args, seconds] of [
      [[], 5],
      [['--keep-alive-timeout-s', '17'], 17],
    ] as const) {
      let fleet: SpawnedServer | undefined;
      const agent = new http.Agent({ keepAlive: true });
      try {
        fleet = await spawnService('fleet', ['--db', db, ...args]);
        const answer = await get(fleet.baseUrl, '/healthz', agent);
        expect(answer).toMatchObject({ status: 200, headers: { 'keep-alive': `timeout=${seconds}` } });
      } finally {
        agent.destroy();
        await stop(fleet);
      }
    }
  });

  test('a bad limit is a usage error (exit 2) naming the flag, before anything is opened', async () => {
    for (const [flag, value] of [
      ['--headers-timeout-s', '40'],
      ['--max-downloads', '0'],
      ['--download-idle-timeout-s', 'soon'],
    ] as const)
      await expect(spawnService('fleet', ['--db', db, flag, value])).rejects.toThrow(
        new RegExp(`exited \\(2\\)[\\s\\S]*${flag}`),
      );
  });

  describe('recording downloads (a device shipped a 64 MiB recording)', () => {
    let device: SpawnedServer | undefined;
    let storeId: string;
    /** The recording's bytes as the device serves them. */
    let own: Buffer;
    const url = (kind: 'qmdl' | 'zip' | 'pcap'): string => `/api/fleet/devices/${storeId}/${kind}/${RECORDING}`;
    /** The QMDL download, asked again until a slot is free (503 until then). */
    const downloadOnceFree = (base: string): Promise<RawResponse> =>
      eventually(
        async () => {
          const res = await request(base, url('qmdl'), { timeoutMs: 60_000 });
          return res.status === 200 ? res : undefined;
        },
        30_000,
        100,
      );

    beforeAll(async () => {
      const enrolled = await runCli(['fleet', 'enroll', '--db', db, '--label', 'downloads']);
      expect(enrolled.code).toBe(0);
      const central = await spawnService('fleet', ['--db', db]);
      try {
        device = await spawnServer([
          '--data-dir',
          storeWithLargeRecording(),
          '--source',
          'none',
          '--ship-to',
          central.baseUrl,
          '--ship-token',
          enrolled.stdout.trim(),
        ]);
        const base = device.baseUrl;
        await eventually(
          async () => {
            const manifest = (await request(base, '/api/qmdl-manifest')).json<{
              entries: Array<{ upload_time: string | null }>;
            }>();
            return manifest.entries.length === 1 && manifest.entries[0]?.upload_time !== null ? true : undefined;
          },
          60_000,
          200,
        );
        const first = (await request(base, '/api/events?order=asc&limit=1')).json<{
          events: Array<{ data: { storeId?: string } }>;
        }>();
        storeId = first.events[0]?.data.storeId ?? '';
        own = (await request(base, `/api/qmdl/${RECORDING}`, { timeoutMs: 60_000 })).body;
        expect(own.length).toBe(RAW_BYTES);
      } finally {
        await stop(central);
      }
    });

    afterAll(async () => {
      await stop(device);
    });

    test('--max-downloads: stalled downloads hold the slots, one more (qmdl, zip or pcap) is 503 TOO_MANY_DOWNLOADS with Retry-After, the service keeps answering, and a freed slot serves the device bytes', async () => {
      const fleet = await spawnService('fleet', ['--db', db, '--max-downloads', '2']);
      const base = fleet.baseUrl;
      const held = [stalledDownload(base, url('qmdl')), stalledDownload(base, url('zip'))];
      try {
        expect(await Promise.all(held.map((d) => d.status))).toEqual([200, 200]);
        for (const kind of ['qmdl', 'zip', 'pcap'] as const) {
          const refused = await request(base, url(kind));
          expect(errorOf(refused)).toEqual({ status: 503, code: 'TOO_MANY_DOWNLOADS' });
          expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        }
        // Other requests are not affected by the cap.
        expect((await request(base, '/healthz')).status).toBe(200);
        expect((await request(base, '/api/fleet/devices')).status).toBe(200);
        expect((await request(base, `/api/fleet/devices/${storeId}/qmdl-manifest`)).status).toBe(200);
        held[0]?.close();
        await held[0]?.closed;
        const again = await downloadOnceFree(base);
        expect(again.body.equals(own)).toBe(true);
      } finally {
        for (const d of held) d.close();
        await stop(fleet);
      }
    });

    test('--download-idle-timeout-s: a download whose client stopped reading is ended and its slot freed', async () => {
      const fleet = await spawnService('fleet', ['--db', db, '--max-downloads', '1', '--download-idle-timeout-s', '1']);
      const base = fleet.baseUrl;
      const stalled = stalledDownload(base, url('qmdl'));
      try {
        expect(await stalled.status).toBe(200);
        // With --max-downloads 1, another download is taken only once the stalled one's slot is free.
        const next = await downloadOnceFree(base);
        expect(next.body.equals(own)).toBe(true);
        // Reading again, the stalled client gets what was already in flight, then the cut: a truncated body.
        stalled.resume();
        expect(await stalled.closed).toBeLessThan(RAW_BYTES);
      } finally {
        stalled.close();
        await stop(fleet);
      }
    });
  });
});
