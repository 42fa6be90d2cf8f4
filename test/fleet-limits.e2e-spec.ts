/**
 * The central service's HTTP server limits, on a real `qmdl-ledger fleet`
 * process and a real PostgreSQL (a private cluster): the flags are serve's
 * (`--max-connections`, `--keep-alive-timeout-s`, …) and take effect on the
 * fleet's own server.
 */
import http from 'node:http';
import net from 'node:net';
import { startPostgres, type PgCluster } from './helpers/postgres';
import { eventually, spawnService, type SpawnedServer } from './helpers/server';

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
    await expect(spawnService('fleet', ['--db', db, '--headers-timeout-s', '40'])).rejects.toThrow(
      /exited \(2\)[\s\S]*--headers-timeout-s/,
    );
  });
});
