/**
 * Start the real qmdl-ledger HTTP server for end-to-end tests, either in this
 * process (Nest app on an openLedger LevelDB store in a fresh temp dir, port 0)
 * or as the built binary (`node dist/apps/qmdl-ledger/src/main.js serve`).
 * Also a raw HTTP client that sends paths exactly as given (fetch would
 * normalise `../`), and an SSE reader.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { StoredEvent } from '@ledger/domain';
import { buildUpcasters, MIGRATIONS } from '@ledger/migrations';
import {
  openLedger,
  silentLogger,
  type HostInfo,
  type Ledger,
  type OpenedLedger,
  type RecorderSettings,
} from '@ledger/store';
import { createHttpApp } from '../../apps/qmdl-ledger/src/http/create-app';
import { LogBuffer } from '../../apps/qmdl-ledger/src/http/log-buffer';

export const REPO_ROOT = path.resolve(__dirname, '../..');
/** The built CLI; QMDL_LEDGER_MAIN overrides it (e.g. a build elsewhere). */
export const MAIN_JS = process.env['QMDL_LEDGER_MAIN'] ?? path.join(REPO_ROOT, 'dist/apps/qmdl-ledger/src/main.js');

export function tempDir(prefix = 'qmdl-ledger-api-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface InProcessServer {
  readonly app: NestExpressApplication;
  readonly ledger: OpenedLedger;
  readonly baseUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logBuffer: LogBuffer;
  close(): Promise<void>;
}

export interface InProcessOptions {
  readonly dataDir?: string;
  readonly recorder?: Partial<RecorderSettings> & { readonly source?: string };
  readonly adminToken?: string;
  readonly readOnly?: boolean;
  readonly adminDir?: string;
  /** A built (or stand-in) Rayhunter web UI to serve at `/`. */
  readonly rayhunterUiDir?: string;
  /** Keep the data dir after close (default: removed when we created it). */
  readonly keep?: boolean;
  /** The machine the ledger runs on (default: this one). */
  readonly host?: HostInfo;
}

/** A made-up machine to run a ledger or the CLI on (UTC, pid 1), so a test can tell it from the real one. */
export function fakeHost(facts: Pick<HostInfo, 'systemOs' | 'arch' | 'machine'>): HostInfo {
  return { ...facts, pid: 1, utcOffsetMinutes: () => 0 };
}

export async function startInProcess(options: InProcessOptions = {}): Promise<InProcessServer> {
  const dataDir = options.dataDir ?? tempDir();
  const ledger = await openLedger({
    dataDir,
    appVersion: '0.0.0-test',
    logger: silentLogger,
    migrations: MIGRATIONS,
    upcasters: buildUpcasters(),
    ...(options.readOnly ? { readOnly: true } : {}),
    ...(options.host !== undefined ? { host: options.host } : {}),
    recorder: {
      source: 'synthetic:rate=200',
      autoStart: false,
      flushIntervalMs: 50,
      flushKiB: 16,
      minSpaceStartMb: 0,
      minSpaceContinueMb: 0,
      ...options.recorder,
    },
  });
  const logBuffer = new LogBuffer(200);
  const app = await createHttpApp({
    ledger,
    config: {
      readOnly: options.readOnly ?? false,
      ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
      host: '127.0.0.1',
      port: 0,
      source: options.recorder?.source ?? 'synthetic:rate=200',
      logBuffer,
      ...(options.adminDir !== undefined ? { adminDir: options.adminDir } : {}),
      ...(options.rayhunterUiDir !== undefined ? { rayhunterUiDir: options.rayhunterUiDir } : {}),
    },
  });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    ledger,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    logBuffer,
    async close() {
      await app.close();
      if (options.dataDir === undefined && !options.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  text(): string;
  json<T = unknown>(): T;
}

export interface RawRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
}

/** One HTTP request with the path sent byte for byte. */
export function request(baseUrl: string, rawPath: string, options: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: rawPath,
        headers: {
          ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}),
          ...options.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: () => body.toString('utf8'),
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () =>
      req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${rawPath.slice(0, 100)}`)),
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

export interface SseClient {
  readonly status: Promise<number>;
  readonly messages: SseMessage[];
  /** Resolves when at least `n` messages have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<SseMessage[]>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** One SSE message block (the text between blank lines): its `id:`, `event:` and `data:` fields; undefined without data. */
export function parseSseBlock(block: string): SseMessage | undefined {
  let id: string | undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length > 0
    ? { ...(id !== undefined ? { id } : {}), ...(event !== undefined ? { event } : {}), data: data.join('\n') }
    : undefined;
}

/** A minimal EventSource over http.get: parses `id:`, `event:` and `data:` fields. */
export function openSse(baseUrl: string, rawPath: string, headers: Readonly<Record<string, string>> = {}): SseClient {
  const url = new URL(baseUrl);
  const messages: SseMessage[] = [];
  const waiters: Array<{ n: number; resolve: (m: SseMessage[]) => void }> = [];
  let resolveStatus!: (s: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const req = http.get(
    {
      host: url.hostname,
      port: url.port,
      path: rawPath,
      headers: { accept: 'text/event-stream', ...headers },
      agent: false,
    },
    (res) => {
      resolveStatus(res.statusCode ?? 0);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const message = parseSseBlock(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
          if (message !== undefined) messages.push(message);
        }
        for (const w of [...waiters]) {
          if (messages.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(messages.slice());
          }
        }
      });
      res.on('end', () => resolveEnded());
      res.on('close', () => resolveEnded());
    },
  );
  req.on('error', () => {
    resolveStatus(0);
    resolveEnded();
  });
  return {
    status,
    messages,
    ended,
    waitFor(n, timeoutMs = 10_000) {
      if (messages.length >= n) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`SSE: ${messages.length} of ${n} messages after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({ n, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    close: () => req.destroy(),
  };
}

export interface SpawnedServer {
  readonly proc: ChildProcess;
  readonly baseUrl: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

export interface SpawnOptions {
  /** Run under `ulimit -n <n>` (through bash, then exec: the pid is the server's). */
  readonly openFilesLimit?: number;
}

/** Run the built binary: `node MAIN_JS serve <args>` with `--port 0`; resolves once it prints its listening line. */
export async function spawnServer(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 20_000,
  options: SpawnOptions = {},
): Promise<SpawnedServer> {
  return spawnService('serve', args, env, timeoutMs, options);
}

/** `node MAIN_JS <command> --port 0 <args>` for a service command (`serve`, `fleet`); resolves once it prints its listening line. */
export async function spawnService(
  command: 'serve' | 'fleet',
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 20_000,
  options: SpawnOptions = {},
): Promise<SpawnedServer> {
  const argv = [MAIN_JS, command, '--port', '0', ...args];
  const limit = options.openFilesLimit;
  const [file, fileArgs] =
    limit === undefined
      ? [process.execPath, argv]
      : ['bash', ['-c', 'ulimit -n "$0" && exec "$@"', String(limit), process.execPath, ...argv]];
  const proc = spawn(file, fileArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}\n${err}`)),
      timeoutMs,
    );
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
  return { proc, baseUrl, stdout: () => out, stderr: () => err, exited };
}

/** Run the CLI to completion. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 20_000,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [MAIN_JS, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`CLI timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}

/** Poll until `check` returns a value (not undefined) or time runs out. */
/** `GET /api/analysis`: the analysis reactor's queue (names queued in order, the one running, the ones analysed). */
export interface AnalysisQueueStatus {
  queued: string[];
  running: string | null;
  finished: string[];
}

export async function analysisQueue(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<AnalysisQueueStatus> {
  return (await request(baseUrl, '/api/analysis', { headers })).json<AnalysisQueueStatus>();
}

/** Every event naming the recording, oldest first, straight from the log (a test's whole view; the API pages it). */
export async function recordingEvents(ledger: Ledger, name: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of ledger.log.read({ recording: name })) events.push(event);
  return events;
}

export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A tiny zip reader for tests: the central directory, then each member's bytes (stored or deflated). */

export interface ZipMember {
  readonly name: string;
  readonly data: Buffer;
}

export function readZip(zip: Buffer): ZipMember[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const members: ZipMember[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('zip: bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error('zip: bad local header');
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    members.push({ name, data: method === 0 ? Buffer.from(raw) : zlib.inflateRawSync(raw) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

/** The temp dirs a spec makes, removed together (in its afterAll). */
export function tempDirs(): { make(prefix: string): string; removeAll(): void } {
  const made: string[] = [];
  return {
    make(prefix) {
      const d = tempDir(prefix);
      made.push(d);
      return d;
    },
    removeAll() {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** SIGTERM a spawned server (when there is one) and wait until it has exited. */
export async function stopServer(server: SpawnedServer | undefined): Promise<void> {
  if (server === undefined) return;
  server.proc.kill('SIGTERM');
  await server.exited;
}

/** The fields of a Rayhunter manifest entry the specs read. */
/** One event as `GET /api/events` answers it (the fields the e2e specs read). */
export interface EventJson {
  seq: number;
  type: string;
  recording?: string;
  data: Record<string, unknown>;
  metadata: { actor: { kind: string; remoteAddress?: string; userAgent?: string } };
}

export interface ManifestEntry {
  readonly name: string;
  readonly qmdl_size_bytes: number;
  readonly last_message_time: string | null;
  readonly stop_reason: string | null;
}

/** `GET /api/qmdl-manifest`. */
export interface Manifest {
  readonly entries: ManifestEntry[];
  readonly current_entry: ManifestEntry | null;
}
