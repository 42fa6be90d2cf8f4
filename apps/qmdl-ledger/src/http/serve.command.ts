import { createServer, type AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { isLedgerError } from '@ledger/domain';
import { buildUpcasters, MIGRATIONS } from '@ledger/migrations';
import { EventLogErrorCode } from '@ledger/event-log';
import { createDiagSource } from '@ledger/qmdl';
import { DATA_DIR_UNUSABLE, HttpFleetTarget, openLedger, Shipper, type LedgerLogger } from '@ledger/store';
import { AnalysisReactor } from '../analysis/analysis-reactor';
import { BufferGovernor } from '../buffer-governor';
import { APP_VERSION } from '../version';
import { createHttpApp } from './create-app';
import { DEFAULT_SSE_MAX_BEHIND } from './http-config';
import { DEFAULT_SIGN_IN_THROTTLE } from './sign-in-throttle';
import { BufferedLogger, coalesced, LogBuffer } from './log-buffer';
import { runtimeMetadata } from './system-info';
import {
  descriptorSoftLimit,
  fitToDescriptorLimit,
  isLoopback,
  parseServeOptions,
  type RawServeOptions,
  SERVER_LIMIT_DEFAULTS,
  UsageError,
} from './serve-options';

/** Exit codes of `serve`: 2 bad usage, 3 the store is in use by another process. */
export const EXIT_USAGE = 2;
export const EXIT_STORE_LOCKED = 3;
/** A clean shutdown must finish within this; past it the process exits anyway (code 1). */
const SHUTDOWN_DEADLINE_MS = 4500;

/** Open failures that mean the data directory given cannot serve: a usage error (exit 2), not a crash. */
const UNUSABLE_DATA_DIR_CODES: ReadonlySet<string> = new Set([
  DATA_DIR_UNUSABLE,
  EventLogErrorCode.STORE_NOT_FOUND,
  EventLogErrorCode.NOT_A_STORE,
  EventLogErrorCode.UNSUPPORTED_FORMAT_VERSION,
]);

function fail(message: string, code: number): void {
  process.stderr.write(`qmdl-ledger: ${message}\n`);
  process.exitCode = code;
}

/** Registers `qmdl-ledger serve` (owned by the HTTP app). */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the recording service and its HTTP API (Rayhunter-compatible, event API, admin viewer)')
    .option('--data-dir <dir>', 'data directory (env LEDGER_DATA_DIR)', process.env['LEDGER_DATA_DIR'] ?? './data')
    .option('--port <port>', 'TCP port, 0 for any free one (env PORT)', process.env['PORT'] ?? '8080')
    .option('--host <host>', 'address to bind (env HOST)', process.env['HOST'] ?? '127.0.0.1')
    .option(
      '--source <spec>',
      'diag source: synthetic[:rate=N,seed=N,pace=fast], qmdl:<path>, fifo:<path>, tcp:<host>:<port>, none (env LEDGER_SOURCE)',
      process.env['LEDGER_SOURCE'] ?? 'synthetic',
    )
    .option('--no-auto-start', 'do not start a recording at boot')
    .option('--no-analysis', 'do not run the analyzers (no reports beyond the metadata line, no findings)')
    .option('--read-only', 'answer every mutation 403 and never write to the store (env LEDGER_READ_ONLY)')
    .option(
      '--admin-token <token>',
      'require this token for mutations, /api/config and the event API (env ADMIN_TOKEN)',
    )
    .option('--min-space-start-mb <mb>', 'refuse to start a recording below this much free space', '1')
    .option('--min-space-continue-mb <mb>', 'stop the recording below this much free space', '1')
    .option('--flush-interval-ms <ms>', 'commit written data at least this often', '1000')
    .option('--flush-kib <kib>', 'or as soon as this many KiB of QMDL are pending', '256')
    .option(
      '--allow-origin <origin>',
      'also accept state-changing requests from this origin (repeatable, or a comma list; env LEDGER_ALLOW_ORIGIN)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--buffer-limit-mb <mb>',
      'collect garbage once Buffers hold more than this many MB, bounding peak memory while streaming (0: leave it to V8)',
      '16',
    )
    .option(
      '--rayhunter-ui <dir>',
      'serve a built Rayhunter web UI (the build/ directory of its daemon/web `npm run build`) at /, same origin as the API (env LEDGER_RAYHUNTER_UI)',
    )
    .option('--ship-to <url>', 'ship the log and the recordings to this fleet service (env LEDGER_SHIP_TO)')
    .option('--ship-token <token>', 'the device token of `qmdl-ledger fleet enroll` (env LEDGER_SHIP_TOKEN)')
    .option('--delete-after-upload', 'delete a recording locally once the fleet service holds all of it')
    .option('--ship-rate-kib <kib>', 'upper bound of what shipping sends per second, in KiB', '4096')
    .option(
      '--sign-in-burst <n>',
      `failed sign-ins an address may make in a row before it must wait (default ${DEFAULT_SIGN_IN_THROTTLE.burst})`,
    )
    .option(
      '--sign-in-retry-s <s>',
      `once throttled, an address may try once more per this many seconds (default ${DEFAULT_SIGN_IN_THROTTLE.refillMs / 1000})`,
    )
    .option(
      '--sse-max-behind <events>',
      'end an SSE event stream whose client does not read while more than this many events are committed past it (it resumes with Last-Event-ID)',
      String(DEFAULT_SSE_MAX_BEHIND),
    )
    .option(
      '--max-connections <n>',
      `open connections at most (default ${SERVER_LIMIT_DEFAULTS.maxConnections}, lowered to fit the open-files limit when not given)`,
    )
    .option(
      '--max-downloads <n>',
      `downloads streaming at once, more answer 503 TOO_MANY_DOWNLOADS with Retry-After (default ${SERVER_LIMIT_DEFAULTS.maxDownloads}, lowered like --max-connections)`,
    )
    .option(
      '--download-idle-timeout-s <s>',
      'end a download whose client took no data for this long',
      String(SERVER_LIMIT_DEFAULTS.downloadIdleTimeoutS),
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
    )
    .action(async (raw: RawServeOptions) => {
      try {
        await serve(raw);
      } catch (error) {
        if (error instanceof UsageError) return fail(error.message, EXIT_USAGE);
        if (isLedgerError(error, 'STORE_LOCKED')) return fail(error.message, EXIT_STORE_LOCKED);
        if (isLedgerError(error) && UNUSABLE_DATA_DIR_CODES.has(error.code))
          return fail(`${error.message} (${error.code})`, EXIT_USAGE);
        if (isLedgerError(error)) return fail(`${error.message} (${error.code})`, 1);
        throw error;
      }
    });
}

async function serve(raw: RawServeOptions): Promise<void> {
  const options = parseServeOptions({ ...raw, adminToken: raw.adminToken ?? process.env['ADMIN_TOKEN'] });
  // Everything that can be refused is refused before the store is opened, so a
  // bad start writes nothing (no ServiceStarted, no auto-started recording).
  await checkSource(options.source);
  await checkPortFree(options.host, options.port);
  const logBuffer = new LogBuffer(200);
  const logger = new BufferedLogger(logBuffer);
  const ledgerLogger: LedgerLogger = {
    info: (m) => logger.log(m, 'store'),
    warn: (m) => logger.warn(m, 'store'),
    error: (m) => logger.error(m, undefined, 'store'),
  };
  process.on('unhandledRejection', (reason) => {
    logger.error(
      `unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`,
      reason instanceof Error ? reason.stack : undefined,
      'process',
    );
  });
  // The last line of defence. Every timer, stream, socket and event callback
  // catches what it can throw where it arises (the governor, the recorder's
  // flush timer, the server's accept errors, downloads); an exception that
  // still gets here is a bug, and ending the process for it would stop the
  // recording without a ServiceStopped. It is logged with its stack (and shown
  // at /api/log) and the service goes on.
  const uncaught = coalesced((message) => logger.error(message, undefined, 'process'), 1000);
  process.on('uncaughtException', (error) => {
    uncaught(
      `uncaught exception (a bug; the service continues): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  });
  // Caps not given are lowered to fit `ulimit -n`; caps given are honoured (with a warning when they do not fit).
  const openFiles = descriptorSoftLimit();
  const fit = fitToDescriptorLimit(
    { maxConnections: options.maxConnections, maxDownloads: options.maxDownloads },
    openFiles,
  );
  const fitted = {
    maxConnections: raw.maxConnections === undefined ? fit.maxConnections : options.maxConnections,
    maxDownloads: raw.maxDownloads === undefined ? fit.maxDownloads : options.maxDownloads,
  };
  if (fit.lowered) {
    logger.warn(
      `open-files limit ${String(openFiles)}: at most ${fitted.maxConnections} connections and ${fitted.maxDownloads} downloads${fitted.maxConnections > fit.maxConnections || fitted.maxDownloads > fit.maxDownloads ? ' as given, more than fits: clients may exhaust the descriptors (they are then refused, with 503 where a response can still be sent)' : ' (lowered so that descriptors stay free for the store and the recorder)'}`,
      'serve',
    );
  }

  const ledger = await openLedger({
    dataDir: options.dataDir,
    appVersion: APP_VERSION,
    readOnly: options.readOnly,
    logger: ledgerLogger,
    // Pending migrations run at start-up; old event shapes are upcast on read.
    migrations: MIGRATIONS,
    upcasters: buildUpcasters(),
    recorder: {
      source: options.source,
      autoStart: options.autoStart && !options.readOnly,
      flushIntervalMs: options.flushIntervalMs,
      flushKiB: options.flushKiB,
      minSpaceStartMb: options.minSpaceStartMb,
      minSpaceContinueMb: options.minSpaceContinueMb,
    },
  });

  const ship = options.ship;
  const shipper =
    ship === undefined
      ? undefined
      : new Shipper({
          ledger,
          target: new HttpFleetTarget({
            baseUrl: ship.to,
            token: ship.token,
            storeId: ledger.log.metadata.storeId,
            headSeq: () => ledger.log.headSeq(),
          }),
          maxBytesPerSecond: ship.rateKiB * 1024,
          deleteAfterUpload: ship.deleteAfterUpload,
          logger: ledgerLogger,
        });

  // The analysis reactor writes reports and records findings: not in --read-only, nor with --no-analysis.
  const analysis = !options.analysis
    ? undefined
    : new AnalysisReactor({ ledger, runtime: runtimeMetadata(), logger: ledgerLogger });

  let app;
  try {
    app = await createHttpApp({
      ledger,
      logger,
      config: {
        readOnly: options.readOnly,
        ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
        host: options.host,
        port: options.port,
        source: options.source,
        allowedOrigins: options.allowedOrigins,
        logBuffer,
        ...(shipper !== undefined ? { shipping: () => shipper.status() } : {}),
        ...(analysis !== undefined ? { analysis } : {}),
        ...(options.rayhunterUi !== undefined ? { rayhunterUiDir: options.rayhunterUi } : {}),
        sseMaxBehind: options.sseMaxBehind,
        signInThrottle: options.signInThrottle,
        server: {
          maxConnections: fitted.maxConnections,
          headersTimeoutMs: options.headersTimeoutS * 1000,
          requestTimeoutMs: options.requestTimeoutS * 1000,
          keepAliveTimeoutMs: options.keepAliveTimeoutS * 1000,
        },
        downloads: { maxDownloads: fitted.maxDownloads, idleTimeoutMs: options.downloadIdleTimeoutS * 1000 },
        // serve closes the store itself, after the HTTP server, with the signal.
        closeLedgerOnShutdown: false,
      },
    });
    await app.listen(options.port, options.host);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await ledger.close().catch(() => undefined);
    if ((error as { code?: unknown }).code === 'EADDRINUSE')
      throw new UsageError(`cannot listen on ${options.host}:${options.port}: address in use`);
    throw error;
  }
  const ready = app;
  shipper?.start();
  analysis?.start();
  const governorFailed = coalesced((message) => logger.warn(message, 'buffer-governor'));
  const governor =
    options.bufferLimitMb > 0
      ? new BufferGovernor({
          limitBytes: options.bufferLimitMb * 1024 * 1024,
          onError: (error) =>
            governorFailed(`sample skipped: ${error instanceof Error ? error.message : String(error)}`),
        }).start()
      : undefined;
  // Signals are handled here rather than by enableShutdownHooks(): Nest's hook
  // re-raises the signal after closing, so the process would die by the signal
  // (exit 130/143) instead of exiting 0 after a clean shutdown.
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`qmdl-ledger: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    logger.log(`${signal}: shutting down`, 'serve');
    const deadline = setTimeout(() => {
      process.stderr.write(`qmdl-ledger: shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms, exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    governor?.stop();
    ready
      .close()
      .then(() => shipper?.stop())
      .then(() => analysis?.stop())
      .then(() => ledger.close({ signal }))
      .then(() => {
        process.stdout.write('qmdl-ledger stopped\n');
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(
          `qmdl-ledger: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (!isLoopback(options.host) && options.adminToken === undefined) {
    process.stderr.write(
      `qmdl-ledger: warning: listening on non-loopback address ${options.host} without --admin-token: anyone who can reach it can delete recordings` +
        '\n',
    );
  }
  const address = app.getHttpServer().address() as AddressInfo | null;
  const port = address?.port ?? options.port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  process.stdout.write(
    `qmdl-ledger listening on http://${shownHost}:${port} (data: ${options.dataDir}, source: ${options.source}${options.rayhunterUi !== undefined ? `, rayhunter ui: ${options.rayhunterUi}` : ''})\n`,
  );
  logBuffer.push(`${new Date().toISOString()} LOG listening on http://${shownHost}:${port}`);
}

/** A `qmdl:` source whose file is missing (or any source that cannot work at all) is a usage error. */
async function checkSource(spec: string): Promise<void> {
  try {
    await createDiagSource(spec)?.check?.();
  } catch (error) {
    throw new UsageError(`--source ${spec}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Binds and releases `host:port` once, so a port in use is refused before the store is touched. */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE' ? 'address in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new UsageError(`cannot listen on ${host}:${port}: ${reason}`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
