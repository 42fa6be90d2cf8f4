import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildUpcasters, MIGRATIONS } from '@ledger/migrations';
import type { DiagSourceFactory } from '@ledger/qmdl';
import { HttpFleetTarget, openLedger, Shipper, type LedgerLogger } from '@ledger/store';
import { UsageError } from '../exit-codes';
import { AnalysisReactor } from '../analysis/analysis-reactor';
import { createHttpApp } from '../http/create-app';
import { BufferedLogger, coalesced, LogBuffer } from '../http/log-buffer';
import { APP_VERSION } from '../version';
import { BufferGovernor, exposeGc } from './buffer-governor';
import { registerBufferGovernorMetrics } from './buffer-governor.metrics';
import {
  descriptorSoftLimit,
  fitToDescriptorLimit,
  isLoopback,
  parseServeOptions,
  type RawServeOptions,
  toDownloadLimits,
  toServerLimits,
} from './serve-options';

/** A clean shutdown must finish within this; past it the process exits anyway (code 1). */
const SHUTDOWN_DEADLINE_MS = 4500;

/**
 * For tests only, off unless the variable is a positive number of milliseconds:
 * a pause after each chunk of an analysis after the fact, so that an e2e spec
 * can SIGKILL serve in the middle of an analysis on a machine of any speed
 * (test/analysis-crash.e2e-spec.ts).
 */
function analysisPacing(pauseMs: string | undefined): { afterChunk?: () => Promise<void> } {
  const ms = Number(pauseMs);
  return Number.isFinite(ms) && ms > 0 ? { afterChunk: () => sleep(ms) } : {};
}

/**
 * Runs the service until a signal: everything that can be refused is refused
 * first (a UsageError), then the store opens, the HTTP server listens, and the
 * shipper, the analysis reactor and the buffer governor start.
 */
export async function serve(raw: RawServeOptions): Promise<void> {
  const options = parseServeOptions({ ...raw, adminToken: raw.adminToken ?? process.env['ADMIN_TOKEN'] });
  // Everything that can be refused is refused before the store is opened, so a
  // bad start writes nothing (no ServiceStarted, no auto-started recording).
  await checkSource(options.source, options.sources);
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
      // The spec parsed once by parseServeOptions, checked above, handed on: the recorder makes each recording's source from it.
      source: options.sources ?? 'none',
      autoStart: options.autoStart && !options.readOnly,
      flushIntervalMs: options.flushIntervalMs,
      flushKiB: options.flushKiB,
      minSpaceStartMb: options.minSpaceStartMb,
      minSpaceContinueMb: options.minSpaceContinueMb,
    },
  });

  // The analysis reactor writes reports and records findings: not in --read-only, nor with --no-analysis.
  const analysis = !options.analysis
    ? undefined
    : new AnalysisReactor({
        ledger,
        runtime: ledger.runtimeMetadata(),
        logger: ledgerLogger,
        ...analysisPacing(process.env['LEDGER_TEST_ANALYSIS_CHUNK_PAUSE_MS']),
      });

  const ship = options.ship;
  const shipper: Shipper | undefined =
    ship === undefined
      ? undefined
      : new Shipper({
          ledger,
          target: new HttpFleetTarget({
            baseUrl: ship.to,
            token: ship.token,
            storeId: ledger.log.metadata.storeId,
            headSeq: () => ledger.log.headSeq(),
            lagBytes: (): number => shipper?.status().lagBytes ?? 0,
          }),
          maxBytesPerSecond: ship.rateKiB * 1024,
          chunkBytes: ship.chunkKiB * 1024,
          deleteAfterUpload: ship.deleteAfterUpload,
          ...(analysis !== undefined ? { pendingAnalyses: () => analysis.pending() } : {}),
          logger: ledgerLogger,
        });

  const governorFailed = coalesced((message) => logger.warn(message, 'buffer-governor'));
  const governor =
    options.bufferLimitMb > 0
      ? new BufferGovernor({
          limitBytes: options.bufferLimitMb * 1024 * 1024,
          collect: exposeGc(),
          onError: (error) =>
            governorFailed(`sample skipped: ${error instanceof Error ? error.message : String(error)}`),
        })
      : undefined;

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
        ...(governor !== undefined
          ? { registerMetrics: (registry) => registerBufferGovernorMetrics(registry, governor) }
          : {}),
        server: toServerLimits(options, fitted.maxConnections),
        downloads: toDownloadLimits(options, fitted.maxDownloads),
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
  governor?.start();
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
async function checkSource(spec: string, sources: DiagSourceFactory | undefined): Promise<void> {
  try {
    await sources?.create().check?.();
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
