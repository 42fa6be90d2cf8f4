/**
 * A private PostgreSQL cluster for the fleet tests and benchmarks: `initdb` in a fresh temp
 * dir, started with `pg_ctl` on a free 127.0.0.1 port (and a socket in the same
 * dir), run as the `postgres` user when the tests run as root (initdb refuses
 * root). `stop()` stops it and removes the dir, so nothing is left running;
 * `kill()` SIGKILLs the postmaster and its backends (a crash), `start()` starts
 * it again on the same port and data. The binaries are found by
 * `scripts/ensure-postgres.sh` (which installs Debian's `postgresql` when missing).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { repoRoot } from './processes';

export interface PgCluster {
  readonly dir: string;
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url(database?: string): string;
  /** A new, empty database; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** SIGKILL the postmaster and every backend (no shutdown checkpoint). */
  kill(): Promise<void>;
  /** Start again after `kill()` (crash recovery replays the WAL). */
  start(): Promise<void>;
  /** Stop (fast) and remove the data dir. Idempotent. */
  stop(): Promise<void>;
}

function binDir(): string {
  const out = execFileSync('bash', [path.join(repoRoot(), 'scripts/ensure-postgres.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const dir = out.trim().split('\n').pop() ?? '';
  if (dir === '') throw new Error('scripts/ensure-postgres.sh found no PostgreSQL binaries');
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary as `postgres` when we are root. */
function run(bin: string, args: readonly string[]): void {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, [...args]];
  const result = spawnSync(cmd, argv as string[], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(
      `${path.basename(bin)} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`,
    );
}

function pidsOf(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return out === '' ? [] : out.split('\n').map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startPostgres(): Promise<PgCluster> {
  const bin = binDir();
  const root = mkdtempSync(path.join(os.tmpdir(), 'qmdl-ledger-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const data = path.join(root, 'data');
  const port = await freePort();
  run(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  const options = `-p ${port} -k ${root} -h 127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=32MB`;
  let running = false;
  const start = async (): Promise<void> => {
    run(path.join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-o',
      options,
      '-l',
      path.join(root, 'log'),
      '-w',
      '-t',
      '120',
      'start',
    ]);
    running = true;
  };
  await start();
  let databases = 0;
  const url = (database = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const cluster: PgCluster = {
    dir: root,
    port,
    url,
    async createDatabase(name) {
      const db = name ?? `fleet_${process.pid}_${++databases}`;
      const client = new Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${db}`);
      } finally {
        await client.end();
      }
      return url(db);
    },
    async kill() {
      const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = pidsOf(pid);
      for (const p of [pid, ...children]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      running = false;
      // A restart needs the old shared memory released: every backend gone.
      await waitFor(() => [pid, ...children].every((p) => !alive(p)), 'the killed PostgreSQL processes to exit');
    },
    start,
    async stop() {
      if (running) {
        running = false;
        try {
          run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
        } catch {
          // not running after all (killed): nothing to stop
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  return cluster;
}
