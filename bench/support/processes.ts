/**
 * Child processes for benchmarks: the built qmdl-ledger binary (the same build
 * the bench runs from), HTTP helpers, autocannon, and /proc memory sampling.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { type BenchResult, lowerIsBetter } from '../harness';

/** The build the benchmarks run from (dist/ or any --outDir): `<root>/bench/support/processes.js`. */
export const BUILD_ROOT = path.resolve(__dirname, '../..');
export const MAIN_JS = path.join(BUILD_ROOT, 'apps/qmdl-ledger/src/main.js');

/** The repository root: the nearest ancestor of the working directory (else of this build) holding qmdl-ledger's package.json. */
export function repoRoot(): string {
  for (const start of [process.cwd(), BUILD_ROOT]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const pkg = path.join(dir, 'package.json');
      if (existsSync(pkg)) {
        try {
          if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'qmdl-ledger') return dir;
        } catch {
          // not ours: keep walking
        }
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return process.cwd();
}

export interface Server {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly baseUrl: string;
  /** ms from spawn to the listening line. */
  readonly listeningMs: number;
  readonly spawnedAt: number;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
}

/** `node main.js serve` on 127.0.0.1, a free port, no auto-start and no disk guards unless `args` say otherwise. */
export async function startServer(options: {
  dataDir: string;
  source?: string;
  args?: readonly string[];
  port?: number;
  timeoutMs?: number;
}): Promise<Server> {
  return startMain(
    [
      'serve',
      '--data-dir',
      options.dataDir,
      '--host',
      '127.0.0.1',
      '--port',
      String(options.port ?? 0),
      '--source',
      options.source ?? 'none',
      '--no-auto-start',
      '--min-space-start-mb',
      '0',
      '--min-space-continue-mb',
      '0',
      ...(options.args ?? []),
    ],
    options,
  );
}

/** `node main.js fleet --db <url>` on 127.0.0.1 and a free port: the central service as a user runs it. */
export async function startFleet(options: {
  db: string;
  args?: readonly string[];
  /** Node flags for the service's process (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
  timeoutMs?: number;
}): Promise<Server> {
  return startMain(
    ['fleet', '--db', options.db, '--host', '127.0.0.1', '--port', '0', ...(options.args ?? [])],
    options,
  );
}

async function startMain(
  argv: readonly string[],
  options: { nodeArgs?: readonly string[]; timeoutMs?: number },
): Promise<Server> {
  const spawnedAt = performance.now();
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN_JS, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c.length + err.length > 100_000 ? '' : c));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in time:\n${out}\n${err}`)),
      options.timeoutMs ?? 60_000,
    );
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        proc.stdout?.off('data', check);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(`server exited (${String(proc.exitCode ?? proc.signalCode)}) before listening:\n${out}\n${err}`),
      );
    });
  });
  const listeningMs = performance.now() - spawnedAt;
  const pid = proc.pid ?? -1;
  return {
    proc,
    pid,
    baseUrl,
    listeningMs,
    spawnedAt,
    stderr: () => err,
    async stop(graceMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface Fetched {
  readonly status: number;
  readonly bytes: number;
  readonly body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request; the body is kept unless `discard` (then only counted). */
export function get(
  url: string,
  options: {
    method?: string;
    body?: string;
    discard?: boolean;
    timeoutMs?: number;
    headers?: Record<string, string>;
  } = {},
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent,
        headers: {
          ...(options.body !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (!options.discard) chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, body: Buffer.concat(chunks) }));
      },
    );
    req.setTimeout(options.timeoutMs ?? 120_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** `GET /api/analysis` of a running server: the analysis reactor's queue. */
export interface AnalysisQueueStatus {
  readonly queued: readonly string[];
  readonly running: string | null;
  readonly finished: readonly string[];
}

export async function analysisQueue(baseUrl: string): Promise<AnalysisQueueStatus> {
  const res = await get(`${baseUrl}/api/analysis`);
  if (res.status !== 200) throw new Error(`GET /api/analysis: ${res.status}`);
  return JSON.parse(res.body.toString('utf8')) as AnalysisQueueStatus;
}

/** Memory of a process from /proc (kB → MB): current RSS and the peak (VmHWM). */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Resets a process's VmHWM to its current RSS (`echo 5 > /proc/<pid>/clear_refs`); false where that is not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly average: number };
  readonly throughput: { readonly average: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/** autocannon against a loopback URL for `seconds`; throws when any request failed. */
export async function cannon(
  url: string,
  options: { connections: number; seconds: number },
): Promise<AutocannonResult> {
  const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;
  const result = await autocannon({ url, connections: options.connections, duration: options.seconds, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `autocannon ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return result;
}

export interface PeakRss {
  /** VmHWM of the server after the phase (MB). */
  readonly peakMb: number;
  /** RSS when the phase began (MB). */
  readonly beforeMb: number;
  /** The largest RSS sampled every 100 ms (MB). */
  readonly sampledMaxMb: number;
  /** Whether VmHWM was reset when the phase began (else it covers the server's whole life). */
  readonly reset: boolean;
  /** Body bytes of every download. */
  readonly downloaded: number;
  /** Compressed bytes the ingest committed meanwhile. */
  readonly ingested: number;
}

/**
 * The server's peak RSS while `paths` download at once and a recording ingests
 * (the server's source, started here and stopped after). The peak is reset
 * first ("5" to clear_refs, Linux >= 4.0), so the figure is that of this phase,
 * not of the load before it. `check` vets each download.
 */
export async function peakRssDuring(
  server: Server,
  paths: readonly string[],
  check: (download: Fetched, path: string) => void,
): Promise<PeakRss> {
  const beforeMb = memoryOf(server.pid)?.rssMb ?? NaN;
  const reset = resetPeak(server.pid);
  const start = await get(`${server.baseUrl}/api/start-recording`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`start-recording: ${start.status}`);
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const m = memoryOf(server.pid);
    if (m) samples.push(m.rssMb);
  }, 100);
  let downloaded = 0;
  try {
    const all = await Promise.all(
      paths.map((p) => get(`${server.baseUrl}${p}`, { discard: true, timeoutMs: 600_000 })),
    );
    all.forEach((d, i) => check(d, paths[i] as string));
    downloaded = all.reduce((a, r) => a + r.bytes, 0);
  } finally {
    clearInterval(sampler);
  }
  const peakMb = memoryOf(server.pid)?.hwmMb ?? NaN;
  const stop = await get(`${server.baseUrl}/api/stop-recording`, { method: 'POST' });
  if (stop.status !== 202) throw new Error(`stop-recording: ${stop.status}`);
  const after = JSON.parse((await get(`${server.baseUrl}/api/qmdl-manifest`)).body.toString('utf8')) as {
    entries: Array<{ qmdl_size_bytes: number }>;
  };
  const ingested = after.entries[after.entries.length - 1]?.qmdl_size_bytes ?? 0;
  return { peakMb, beforeMb, sampledMaxMb: Math.max(...samples), reset, downloaded, ingested };
}

/** The bench row of a peak-RSS phase against the 150 MB budget. */
export function peakRssResult(name: string, rss: PeakRss, during: string): BenchResult {
  return {
    name,
    measured: { unit: 'MB', value: rss.peakMb },
    baseline: { name: 'the 150 MB budget', unit: 'MB', value: 150 },
    ratio: lowerIsBetter(rss.peakMb, 150),
    target: { min: 1, note: 'peak RSS under 150 MB' },
    notes: `VmHWM of the server process${rss.reset ? ' since the phase began (reset through /proc/<pid>/clear_refs)' : ' over its whole life (clear_refs not writable)'}, RSS ${rss.beforeMb.toFixed(0)} MB when it began; ingest from synthetic:rate=0 wrote ${(rss.ingested / 1e6).toFixed(1)} MB gzip during the ${during}`,
  };
}
