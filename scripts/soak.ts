/**
 * Soak test (not run in CI): the built service on loopback,
 * 20 clients polling every endpoint the Rayhunter UI polls, once a second each,
 * random commands among them, and a SIGKILL + restart of the service every
 * --kill-every seconds, for --minutes (default 10). Prints requests served,
 * errors (must be 0), restarts survived (each checked with /api/store/verify),
 * and the service's RSS over time. Exit code 1 when any error was seen.
 *
 *   npm run build && node dist/scripts/soak.js --minutes 2
 *
 * An error is a status the endpoint must not answer (e.g. any 5xx), a body that
 * is not what it must be, a verify that fails, or a connection failure while the
 * service was up. Requests that fail because the service was just killed (or is
 * not listening yet) are counted apart: that is what a SIGKILL does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const MAIN_JS = path.resolve(__dirname, '../apps/qmdl-ledger/src/main.js');

/** The endpoints the Rayhunter web UI polls, every second. */
const POLLED = [
  '/api/qmdl-manifest',
  '/api/system-stats',
  '/api/analysis',
  '/api/time',
  '/api/gps',
  '/api/config',
  '/api/log',
  '/api/update-status',
];

interface Options {
  minutes: number;
  clients: number;
  killEverySeconds: number;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${name} must be a positive number`);
    return n;
  };
  return {
    minutes: value('--minutes', 10),
    clients: Math.round(value('--clients', 20)),
    killEverySeconds: value('--kill-every', 30),
    keep: argv.includes('--keep'),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

interface Reply {
  status: number;
  body: string;
}

// A fresh connection per request: with keep-alive, a socket the server closes as idle just as a
// client reuses it fails with ECONNRESET (browsers retry those silently); this keeps every failure real.
const agent = new http.Agent({ keepAlive: false, maxSockets: 256 });

function request(port: number, method: string, pathname: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathname,
        agent,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${method} ${pathname}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

class Service {
  proc?: ChildProcess;
  /** Bumped at every kill: a request that started in an older generation and failed was cut by the kill. */
  generation = 0;
  up = false;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
  ) {}

  async start(): Promise<number> {
    const started = Date.now();
    const proc = spawn(
      process.execPath,
      [
        MAIN_JS,
        'serve',
        '--data-dir',
        this.dataDir,
        '--host',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--source',
        'synthetic:rate=200',
        '--min-space-start-mb',
        '0',
        '--min-space-continue-mb',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    let out = '';
    let err = '';
    // The last 10 KB of stderr, so that a failed start says why.
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-10_000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`service did not start in 30 s:\n${out}\n${err}`)), 30_000);
      proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
        if (out.length < 10_000) out += c;
        if (/listening on/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`service exited (${String(code ?? signal)}) before listening:\n${out}\n${err}`));
      });
    });
    this.up = true;
    return Date.now() - started;
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    this.up = false;
    this.generation++;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    this.up = false;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  rssMb(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.proc?.pid ?? 0}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
    } catch {
      return undefined;
    }
  }
}

interface Counters {
  served: number;
  errors: number;
  cutByRestart: number;
  skippedWhileDown: number;
  commands: number;
  byStatus: Map<string, number>;
  firstErrors: string[];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qmdl-ledger-soak-'));
  const service = new Service(dataDir, await freePort());
  const counters: Counters = {
    served: 0,
    errors: 0,
    cutByRestart: 0,
    skippedWhileDown: 0,
    commands: 0,
    byStatus: new Map(),
    firstErrors: [],
  };
  const error = (what: string): void => {
    counters.errors++;
    if (counters.firstErrors.length < 20) counters.firstErrors.push(what);
  };
  const rss: Array<{ t: number; mb: number }> = [];
  let restarts = 0;
  let verified = 0;
  const began = Date.now();
  const until = began + options.minutes * 60_000;
  const elapsed = (): string => `${((Date.now() - began) / 1000).toFixed(0)}s`;
  process.stdout.write(
    `soak: ${options.clients} clients, ${options.minutes} min, SIGKILL every ${options.killEverySeconds} s, data ${dataDir}, port ${service.port}\n`,
  );
  await service.start();

  /** One call; classifies the outcome. `ok` lists the statuses this call may answer. */
  const call = async (
    method: string,
    pathname: string,
    ok: readonly number[],
    body?: unknown,
  ): Promise<Reply | undefined> => {
    const generation = service.generation;
    if (!service.up) {
      counters.skippedWhileDown++;
      return undefined;
    }
    try {
      const reply = await request(service.port, method, pathname, body);
      const key = `${method} ${pathname.replace(/\/[0-9]+$/, '/<name>')} ${reply.status}`;
      counters.byStatus.set(key, (counters.byStatus.get(key) ?? 0) + 1);
      counters.served++;
      if (!ok.includes(reply.status))
        error(`${elapsed()} ${method} ${pathname}: ${reply.status} ${reply.body.slice(0, 200)}`);
      return reply;
    } catch (e) {
      if (generation !== service.generation || !service.up) counters.cutByRestart++;
      else error(`${elapsed()} ${method} ${pathname}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };

  const client = async (id: number): Promise<void> => {
    let names: string[] = [];
    while (Date.now() < until) {
      const tick = Date.now();
      const replies = await Promise.all(POLLED.map((p) => call('GET', p, [200])));
      const manifest = replies[0];
      if (manifest !== undefined && manifest.status === 200) {
        try {
          const m = JSON.parse(manifest.body) as {
            entries: Array<{ name: string }>;
            current_entry: { name: string } | null;
          };
          if (!Array.isArray(m.entries) || m.entries.some((e) => typeof e.name !== 'string'))
            error(`${elapsed()} manifest malformed`);
          names = m.entries.map((e) => e.name);
        } catch {
          error(`${elapsed()} manifest is not JSON`);
        }
      }
      // About one command per client every 10 s: mostly starts/stops/deletes, as users do.
      const roll = Math.random();
      if (roll < 0.1) {
        counters.commands++;
        const pick = Math.random();
        if (pick < 0.3) await call('POST', '/api/start-recording', [202]);
        else if (pick < 0.5) await call('POST', '/api/stop-recording', [202]);
        else if (pick < 0.7 && names.length > 0) {
          // Another client may delete it first: "no recording with name" (400) is a correct answer then.
          await call(
            'POST',
            `/api/delete-recording/${names[Math.floor(Math.random() * names.length)] ?? '0'}`,
            [202, 400],
          );
        } else if (pick < 0.8)
          await call('POST', '/api/gps', [200, 202], { lat: 52 + Math.random(), lon: 13 + Math.random() });
        else if (pick < 0.9)
          await call('POST', '/api/time-offset', [200], { offset_seconds: Math.floor(Math.random() * 10) });
        else if (pick < 0.98)
          await call('GET', `/api/qmdl/${names[names.length - 1] ?? '0'}`, names.length > 0 ? [200, 404] : [404]);
        else await call('POST', '/api/delete-all-recordings', [202]);
      }
      if (id === 0 && Date.now() - (rss[rss.length - 1]?.t ?? 0) >= 10_000) {
        const mb = service.rssMb();
        if (mb !== undefined) rss.push({ t: Date.now(), mb });
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
    }
  };

  const killer = async (): Promise<void> => {
    for (;;) {
      const next = Date.now() + options.killEverySeconds * 1000;
      if (next > until - 5000) return;
      await new Promise((r) => setTimeout(r, next - Date.now()));
      await service.kill();
      const ms = await service.start();
      restarts++;
      const verify = await call('GET', '/api/store/verify', [200]);
      let ok = false;
      try {
        ok = verify !== undefined && (JSON.parse(verify.body) as { ok?: unknown }).ok === true;
      } catch {
        ok = false;
      }
      if (ok) verified++;
      else error(`${elapsed()} verify after restart ${restarts}: ${verify?.body.slice(0, 300) ?? 'no answer'}`);
      process.stdout.write(
        `${elapsed()}: SIGKILL + restart ${restarts} (listening after ${ms} ms), verify ${ok ? 'ok' : 'FAILED'}, RSS ${service.rssMb()?.toFixed(0) ?? '?'} MB, ${counters.served} requests, ${counters.errors} errors\n`,
      );
    }
  };

  try {
    await Promise.all([...Array.from({ length: options.clients }, (_, i) => client(i)), killer()]);
  } finally {
    await service.stop();
    agent.destroy();
  }

  const seconds = (Date.now() - began) / 1000;
  process.stdout.write(`\nsoak done in ${seconds.toFixed(0)} s\n`);
  process.stdout.write(
    `requests served: ${counters.served} (${(counters.served / seconds).toFixed(0)}/s), commands issued: ${counters.commands}\n`,
  );
  process.stdout.write(`errors: ${counters.errors}\n`);
  process.stdout.write(
    `requests cut by a SIGKILL: ${counters.cutByRestart}; not sent while the service was down: ${counters.skippedWhileDown}\n`,
  );
  process.stdout.write(`restarts survived: ${verified} of ${restarts} (each followed by GET /api/store/verify ok)\n`);
  process.stdout.write(
    `RSS over time (MB): ${rss.map((s) => `${((s.t - began) / 1000).toFixed(0)}s=${s.mb.toFixed(0)}`).join(' ')}\n`,
  );
  process.stdout.write(`RSS max ${Math.max(...rss.map((s) => s.mb)).toFixed(0)} MB\n`);
  process.stdout.write(
    `statuses: ${[...counters.byStatus.entries()]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}\n`,
  );
  for (const e of counters.firstErrors) process.stdout.write(`  error: ${e}\n`);
  if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  process.exitCode = counters.errors > 0 ? 1 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 2;
});
