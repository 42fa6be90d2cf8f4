import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import path from 'node:path';
import { isIP } from 'node:net';
import { diagSourceFactory, type DiagSourceFactory } from '@ledger/qmdl';
import { UsageError } from '../exit-codes';
import { siteIndex } from '../http/static-site';
import { normaliseOrigin } from '../http/web-safety';
import { DEFAULT_SSE_MAX_BEHIND } from '../http/http-config';
import { DEFAULT_SIGN_IN_THROTTLE } from '../http/sign-in-throttle';
import type { ServerLimits } from '../http/server-limits';
import type { StreamedDownloadLimits } from '../http/streamed-download.service';

/** The HTTP server's limits as `serve` and `fleet` take them (`--max-connections`, `--*-timeout-s`). */
export interface ServerLimitOptions {
  /** Open connections at most; more are closed as they arrive. */
  readonly maxConnections: number;
  /** Time a client has to send its request headers. */
  readonly headersTimeoutS: number;
  /** …and its whole request. */
  readonly requestTimeoutS: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutS: number;
}

export interface RawServerLimitOptions {
  readonly maxConnections?: unknown;
  readonly headersTimeoutS?: unknown;
  readonly requestTimeoutS?: unknown;
  readonly keepAliveTimeoutS?: unknown;
}

/** The download limits as `serve` and `fleet` take them (`--max-downloads`, `--download-idle-timeout-s`). */
export interface DownloadLimitOptions {
  /** Downloads streaming at once; more answer 503 TOO_MANY_DOWNLOADS. */
  readonly maxDownloads: number;
  /** End a download whose client took no data for this long. */
  readonly downloadIdleTimeoutS: number;
}

export interface RawDownloadLimitOptions {
  readonly maxDownloads?: unknown;
  readonly downloadIdleTimeoutS?: unknown;
}

/** Validated settings of `qmdl-ledger serve`. */
export interface ServeOptions extends ServerLimitOptions, DownloadLimitOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  /** The diag source spec, as given (trimmed). */
  readonly source: string;
  /** The spec parsed, once: the recorder makes each recording's source from it; undefined for `none`. */
  readonly sources: DiagSourceFactory | undefined;
  readonly autoStart: boolean;
  /** Run the analysis reactor (reports and findings); off with --no-analysis, and always off in --read-only. */
  readonly analysis: boolean;
  readonly readOnly: boolean;
  readonly adminToken?: string;
  readonly minSpaceStartMb: number;
  readonly minSpaceContinueMb: number;
  readonly flushIntervalMs: number;
  readonly flushKiB: number;
  /** Collect garbage when dead Buffers hold more than this (0: leave it to V8). */
  readonly bufferLimitMb: number;
  /** A built Rayhunter web UI to serve at `/` (absolute; checked to hold an index.html). */
  readonly rayhunterUi?: string;
  /** Origins besides the server's own that may make state-changing requests, normalised. */
  readonly allowedOrigins: readonly string[];
  /** `--ship-to`: ship the log and the recordings to this fleet service (with `ship.token`). */
  readonly ship?: {
    readonly to: string;
    readonly token: string;
    readonly deleteAfterUpload: boolean;
    readonly rateKiB: number;
    /** `--ship-chunk-kib`: recording bytes per upload request. */
    readonly chunkKiB: number;
  };
  /** End an SSE stream whose client does not read while more than this many events are committed past it. */
  readonly sseMaxBehind: number;
  /** `--sign-in-burst`, `--sign-in-retry-s`: the failed sign-in throttle. */
  readonly signInThrottle: { readonly burst: number; readonly refillMs: number };
}

/** Raw values as commander hands them over (flags already fall back to their env variables). */
export interface RawServeOptions extends RawServerLimitOptions, RawDownloadLimitOptions {
  readonly dataDir?: unknown;
  readonly port?: unknown;
  readonly host?: unknown;
  readonly source?: unknown;
  readonly autoStart?: unknown;
  readonly analysis?: unknown;
  readonly readOnly?: unknown;
  readonly adminToken?: unknown;
  readonly minSpaceStartMb?: unknown;
  readonly minSpaceContinueMb?: unknown;
  readonly flushIntervalMs?: unknown;
  readonly flushKib?: unknown;
  readonly bufferLimitMb?: unknown;
  readonly rayhunterUi?: unknown;
  /** `--allow-origin`, repeatable: each value may itself be a comma list. */
  readonly allowOrigin?: unknown;
  readonly shipTo?: unknown;
  readonly shipToken?: unknown;
  readonly deleteAfterUpload?: unknown;
  readonly shipRateKib?: unknown;
  readonly shipChunkKib?: unknown;
  readonly sseMaxBehind?: unknown;
  readonly signInBurst?: unknown;
  readonly signInRetryS?: unknown;
}

/** Defaults of the server limits (README flag table). */
export const SERVER_LIMIT_DEFAULTS = {
  maxConnections: 512,
  maxDownloads: 64,
  downloadIdleTimeoutS: 60,
  headersTimeoutS: 20,
  requestTimeoutS: 30,
  keepAliveTimeoutS: 5,
} as const;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function integer(value: unknown, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const s = String(value).trim();
  if (!/^[0-9]+$/.test(s) || Number(s) < min || Number(s) > max)
    throw new UsageError(`${flag} must be an integer in ${min}..${max}, got '${String(value)}'`);
  return Number(s);
}

function number(value: unknown, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const s = String(value).trim();
  const n = Number(s);
  if (s === '' || !/^[0-9.]+$/.test(s) || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a number in ${min}..${max}, got '${String(value)}'`);
  return n;
}

/** LEDGER_READ_ONLY and friends: 1/true/yes/on or 0/false/no/off (a boolean flag passes through). */
export function parseBoolean(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === undefined) return false;
  const s = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['', '0', 'false', 'no', 'off'].includes(s)) return false;
  throw new UsageError(`${name} must be true or false, got '${String(value)}'`);
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * `--rayhunter-ui <dir>`: the directory must exist and hold the built UI's
 * index.html (Rayhunter's `npm run build` leaves it gzipped as index.html.gz),
 * readable by this process — checked before the store opens, so a typo is a
 * usage error rather than a service that answers 404 at `/`.
 */
function rayhunterUiDir(value: string): string {
  const dir = path.resolve(value);
  const hint = "pass the build/ directory that Rayhunter's `npm run build` writes in daemon/web";
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`--rayhunter-ui: ${dir} does not exist (${hint})`);
  }
  if (!isDir) throw new UsageError(`--rayhunter-ui: ${dir} is not a directory (${hint})`);
  const index = siteIndex(dir);
  if (index === undefined) throw new UsageError(`--rayhunter-ui: ${dir} has no index.html or index.html.gz (${hint})`);
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
    accessSync(index.file, constants.R_OK);
  } catch {
    throw new UsageError(`--rayhunter-ui: ${index.file} is not readable by this process`);
  }
  return dir;
}

/** `--admin-token` / ADMIN_TOKEN (of `serve` and `fleet`): undefined when unset or empty. */
export function parseAdminToken(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const token = String(raw);
  if (token.length > 512 || !/^[\x21-\x7e]+$/.test(token))
    throw new UsageError('--admin-token must be 1-512 printable ASCII characters without spaces');
  return token;
}

/** `--allow-origin` values and LEDGER_ALLOW_ORIGIN, each a comma list, as normalised origins (a bad one is a UsageError). */
export function parseAllowedOrigins(flags: unknown, env: string | undefined): string[] {
  const values = [
    ...(Array.isArray(flags) ? flags : flags === undefined ? [] : [flags]),
    ...(env !== undefined ? [env] : []),
  ];
  const origins = new Set<string>();
  for (const item of values.flatMap((value) => String(value).split(','))) {
    if (item.trim() === '') continue;
    const origin = normaliseOrigin(item);
    if (origin === undefined)
      throw new UsageError(
        `--allow-origin must be an origin like http://192.168.1.1:8080 (scheme, host, optional port; no path), got '${item.trim()}'`,
      );
    origins.add(origin);
  }
  return [...origins];
}

/** `--max-connections`, `--headers-timeout-s`, `--request-timeout-s`, `--keep-alive-timeout-s` (serve and fleet). */
export function parseServerLimitOptions(raw: RawServerLimitOptions): ServerLimitOptions {
  const d = SERVER_LIMIT_DEFAULTS;
  const headersTimeoutS = integer(raw.headersTimeoutS, '--headers-timeout-s', 1, 3600, d.headersTimeoutS);
  const requestTimeoutS = integer(raw.requestTimeoutS, '--request-timeout-s', 1, 3600, d.requestTimeoutS);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersTimeoutS > requestTimeoutS)
    throw new UsageError(
      `--headers-timeout-s (${headersTimeoutS}) must not exceed --request-timeout-s (${requestTimeoutS})`,
    );
  return {
    maxConnections: integer(raw.maxConnections, '--max-connections', 1, 1_000_000, d.maxConnections),
    headersTimeoutS,
    requestTimeoutS,
    keepAliveTimeoutS: integer(raw.keepAliveTimeoutS, '--keep-alive-timeout-s', 1, 3600, d.keepAliveTimeoutS),
  };
}

/** The limits as `applyServerLimits` takes them, with the connection cap as fitted to the open-files limit. */
export function toServerLimits(options: ServerLimitOptions, maxConnections = options.maxConnections): ServerLimits {
  return {
    maxConnections,
    headersTimeoutMs: options.headersTimeoutS * 1000,
    requestTimeoutMs: options.requestTimeoutS * 1000,
    keepAliveTimeoutMs: options.keepAliveTimeoutS * 1000,
  };
}

/** `--max-downloads`, `--download-idle-timeout-s` (serve and fleet). */
export function parseDownloadLimitOptions(raw: RawDownloadLimitOptions): DownloadLimitOptions {
  const d = SERVER_LIMIT_DEFAULTS;
  return {
    maxDownloads: integer(raw.maxDownloads, '--max-downloads', 1, 100_000, d.maxDownloads),
    downloadIdleTimeoutS: integer(
      raw.downloadIdleTimeoutS,
      '--download-idle-timeout-s',
      1,
      86_400,
      d.downloadIdleTimeoutS,
    ),
  };
}

/** The limits as `StreamedDownloads` takes them, with the download cap as fitted to the open-files limit. */
export function toDownloadLimits(
  options: DownloadLimitOptions,
  maxDownloads = options.maxDownloads,
): StreamedDownloadLimits {
  return { maxDownloads, idleTimeoutMs: options.downloadIdleTimeoutS * 1000 };
}

/**
 * Declares the download-limit flags on a command (serve and fleet share them
 * and their defaults); `parseDownloadLimitOptions` reads what commander hands over.
 */
export function addDownloadLimitOptions(command: Command): Command {
  return command
    .option(
      '--max-downloads <n>',
      `downloads streaming at once, more answer 503 TOO_MANY_DOWNLOADS with Retry-After (default ${SERVER_LIMIT_DEFAULTS.maxDownloads}, lowered like --max-connections)`,
    )
    .option(
      '--download-idle-timeout-s <s>',
      'end a download whose client took no data for this long',
      String(SERVER_LIMIT_DEFAULTS.downloadIdleTimeoutS),
    );
}

/**
 * Declares the server-limit flags on a command (serve and fleet share them and
 * their defaults); `parseServerLimitOptions` reads what commander hands over.
 */
export function addServerLimitOptions(command: Command): Command {
  return command
    .option(
      '--max-connections <n>',
      `open connections at most (default ${SERVER_LIMIT_DEFAULTS.maxConnections}, lowered to fit the open-files limit when not given)`,
    )
    .option(
      '--headers-timeout-s <s>',
      'time a client has to send its request headers',
      String(SERVER_LIMIT_DEFAULTS.headersTimeoutS),
    )
    .option(
      '--request-timeout-s <s>',
      'time a client has to send its whole request',
      String(SERVER_LIMIT_DEFAULTS.requestTimeoutS),
    )
    .option(
      '--keep-alive-timeout-s <s>',
      'close an idle keep-alive connection after this',
      String(SERVER_LIMIT_DEFAULTS.keepAliveTimeoutS),
    );
}

/** Validate `serve`'s options (the CLI has no Nest pipes: we check them ourselves). */
export function parseServeOptions(raw: RawServeOptions, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const dataDir = text(raw.dataDir, env['LEDGER_DATA_DIR'] ?? './data');
  if (dataDir.trim() === '' || dataDir.includes('\0')) throw new UsageError('--data-dir must be a directory path');
  const port = integer(raw.port ?? env['PORT'], '--port', 0, 65535, 8080);
  const host = text(raw.host, env['HOST'] ?? '127.0.0.1').trim();
  if (host === '' || (host !== 'localhost' && isIP(host) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(host))) {
    throw new UsageError(`--host must be an IP address or host name, got '${host}'`);
  }
  const source = text(raw.source, env['LEDGER_SOURCE'] ?? 'synthetic').trim();
  let sources: DiagSourceFactory | undefined;
  try {
    sources = diagSourceFactory(source);
  } catch (error) {
    throw new UsageError(`--source: ${error instanceof Error ? error.message : String(error)}`);
  }
  const readOnly = raw.readOnly === true ? true : parseBoolean(env['LEDGER_READ_ONLY'], 'LEDGER_READ_ONLY');
  const adminToken = parseAdminToken(raw.adminToken ?? env['ADMIN_TOKEN']);
  const uiRaw = raw.rayhunterUi ?? env['LEDGER_RAYHUNTER_UI'];
  const rayhunterUi = uiRaw === undefined || uiRaw === '' ? undefined : rayhunterUiDir(String(uiRaw));
  const ship = parseShipping(raw, env);
  if (ship !== undefined && readOnly)
    throw new UsageError('--ship-to records RecordingUploaded events: it cannot run with --read-only');
  return {
    dataDir: path.resolve(dataDir),
    port,
    host,
    source,
    sources,
    autoStart: raw.autoStart !== false,
    analysis: raw.analysis !== false && !readOnly,
    readOnly,
    ...(adminToken !== undefined ? { adminToken } : {}),
    minSpaceStartMb: number(raw.minSpaceStartMb, '--min-space-start-mb', 0, 1_000_000, 1),
    minSpaceContinueMb: number(raw.minSpaceContinueMb, '--min-space-continue-mb', 0, 1_000_000, 1),
    flushIntervalMs: integer(raw.flushIntervalMs, '--flush-interval-ms', 1, 3_600_000, 1000),
    flushKiB: integer(raw.flushKib, '--flush-kib', 1, 1_048_576, 256),
    bufferLimitMb: integer(raw.bufferLimitMb, '--buffer-limit-mb', 0, 65_536, 16),
    ...(rayhunterUi !== undefined ? { rayhunterUi } : {}),
    allowedOrigins: parseAllowedOrigins(raw.allowOrigin, env['LEDGER_ALLOW_ORIGIN']),
    ...parseServerLimitOptions(raw),
    ...parseDownloadLimitOptions(raw),
    ...(ship !== undefined ? { ship } : {}),
    sseMaxBehind: integer(raw.sseMaxBehind, '--sse-max-behind', 1, 100_000_000, DEFAULT_SSE_MAX_BEHIND),
    signInThrottle: {
      burst: integer(raw.signInBurst, '--sign-in-burst', 1, 1_000_000, DEFAULT_SIGN_IN_THROTTLE.burst),
      refillMs:
        integer(raw.signInRetryS, '--sign-in-retry-s', 1, 86_400, DEFAULT_SIGN_IN_THROTTLE.refillMs / 1000) * 1000,
    },
  };
}

/** `--ship-to <url> --ship-token <token>` (LEDGER_SHIP_TO, LEDGER_SHIP_TOKEN), `--delete-after-upload`, `--ship-rate-kib`, `--ship-chunk-kib`. */
function parseShipping(raw: RawServeOptions, env: NodeJS.ProcessEnv): ServeOptions['ship'] {
  const toRaw = raw.shipTo ?? env['LEDGER_SHIP_TO'];
  const tokenRaw = raw.shipToken ?? env['LEDGER_SHIP_TOKEN'];
  const deleteAfterUpload = raw.deleteAfterUpload === true;
  if (toRaw === undefined || toRaw === '') {
    if (tokenRaw !== undefined && tokenRaw !== '' && raw.shipToken !== undefined)
      throw new UsageError('--ship-token needs --ship-to');
    if (deleteAfterUpload) throw new UsageError('--delete-after-upload needs --ship-to');
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(String(toRaw));
  } catch {
    throw new UsageError(
      `--ship-to must be the fleet service's base URL (http:// or https://), got '${String(toRaw)}'`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--ship-to must be an http:// or https:// URL, got '${String(toRaw)}'`);
  const token = tokenRaw === undefined ? '' : String(tokenRaw);
  if (token === '' || token.length > 512 || !/^[\x21-\x7e]+$/.test(token))
    throw new UsageError(
      '--ship-to needs --ship-token (env LEDGER_SHIP_TOKEN): the device token `qmdl-ledger fleet enroll` printed',
    );
  return {
    to: url.toString().replace(/\/+$/, ''),
    token,
    deleteAfterUpload,
    rateKiB: integer(raw.shipRateKib, '--ship-rate-kib', 1, 1_048_576, 4096),
    chunkKiB: integer(raw.shipChunkKib, '--ship-chunk-kib', 1, 16_384, 1024),
  };
}

/** Descriptors kept for everything that is not a client: LevelDB's files, the recording, logs, the diag source. */
export const RESERVED_DESCRIPTORS = 64;
/** Files one download may hold open beyond its socket (a zip: the QMDL, its GPS and analysis files). */
export const FILES_PER_DOWNLOAD = 3;

/**
 * The connection and download caps lowered to fit the process's descriptor
 * limit (`ulimit -n`), so that clients alone can never exhaust descriptors the
 * store and the recorder need: sockets + 3 files per download + 64 reserved.
 * Returns the caps unchanged when they fit or the limit is unknown.
 */
export function fitToDescriptorLimit(
  caps: { readonly maxConnections: number; readonly maxDownloads: number },
  softLimit: number | undefined,
): { readonly maxConnections: number; readonly maxDownloads: number; readonly lowered: boolean } {
  if (
    softLimit === undefined ||
    caps.maxConnections + FILES_PER_DOWNLOAD * caps.maxDownloads + RESERVED_DESCRIPTORS <= softLimit
  ) {
    return { ...caps, lowered: false };
  }
  const spare = Math.max(0, softLimit - RESERVED_DESCRIPTORS);
  // Downloads get at most a quarter of what is spare (each costs a socket and up to 3 files).
  const maxDownloads = Math.max(1, Math.min(caps.maxDownloads, Math.floor(spare / (4 * (1 + FILES_PER_DOWNLOAD)))));
  const maxConnections = Math.max(
    maxDownloads + 1,
    Math.min(caps.maxConnections, spare - FILES_PER_DOWNLOAD * maxDownloads),
  );
  return { maxConnections, maxDownloads, lowered: true };
}

/** The soft limit on open files of this process (Linux /proc/self/limits), or undefined where unknown. */
export function descriptorSoftLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] === undefined || match[1] === 'unlimited' ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
