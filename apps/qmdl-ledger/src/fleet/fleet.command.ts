import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { isLedgerError } from '@ledger/domain';
import { buildUpcasters } from '@ledger/migrations';
import { ExitCode, UsageError } from '../exit-codes';
import {
  addDownloadLimitOptions,
  addServerLimitOptions,
  descriptorSoftLimit,
  fitToDescriptorLimit,
  isLoopback,
  toDownloadLimits,
  toServerLimits,
} from '../serve/serve-options';
import { parseDatabaseUrl, parseFleetOptions, type RawFleetOptions } from './fleet-options';

const SHUTDOWN_DEADLINE_MS = 4500;

function fail(message: string, code: number): void {
  process.stderr.write(`qmdl-ledger: ${message}\n`);
  process.exitCode = code;
}

async function guarded(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message, ExitCode.USAGE);
    if (isLedgerError(error)) return fail(`${error.message} (${error.code})`, 1);
    throw error;
  }
}

/**
 * The central service's own modules (the PostgreSQL client, its HTTP app): loaded
 * when a fleet command runs, not by every start of the binary (`serve` needs
 * none of them; `pg` alone loads the fetch implementation to probe its runtime).
 */
function fleetModules() {
  return Promise.all([import('./fleet-database'), import('./devices.service'), import('./create-fleet-app')]);
}

/** Registers `qmdl-ledger fleet` (the central service) and `qmdl-ledger fleet enroll`. */
export function registerFleetCommand(program: Command): void {
  const fleet = program
    .command('fleet')
    .description(
      'run the central fleet service on PostgreSQL: devices ship their logs and recordings to it (see README "Fleet")',
    )
    .option('--db <url>', 'PostgreSQL URL, postgres://user@host:port/database (env LEDGER_FLEET_DB)')
    .option('--port <port>', 'TCP port, 0 for any free one (env PORT; default 8090)')
    .option('--host <host>', 'address to bind (env HOST; default 127.0.0.1)')
    .option('--admin-token <token>', 'require this token for the fleet views (env ADMIN_TOKEN)');
  addServerLimitOptions(addDownloadLimitOptions(fleet)).action((raw: RawFleetOptions) => guarded(() => runFleet(raw)));
  fleet
    .command('enroll')
    .description(
      'enrol a device: prints a new device token (only its hash is stored); its first shipment binds it to that store',
    )
    .option('--db <url>', 'PostgreSQL URL (env LEDGER_FLEET_DB)')
    .requiredOption('--label <label>', 'a name for the device, shown in the fleet view')
    .option('--json', 'print {id, label, token} as JSON')
    .action((raw: { db?: string; label: string; json?: boolean }) =>
      guarded(async () => {
        const [{ FleetDatabase }, { enrollDevice }] = await fleetModules();
        const db = await FleetDatabase.open({
          url: parseDatabaseUrl(raw.db ?? process.env['LEDGER_FLEET_DB']),
          max: 1,
        });
        try {
          const { id, token } = await enrollDevice(db, raw.label);
          process.stdout.write(raw.json ? `${JSON.stringify({ id, label: raw.label.trim(), token })}\n` : `${token}\n`);
        } finally {
          await db.close();
        }
      }),
    );
}

async function runFleet(raw: RawFleetOptions): Promise<void> {
  const options = parseFleetOptions(raw);
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `qmdl-ledger fleet: unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}\n`,
    );
  });
  // As serve: caps not given are lowered to fit `ulimit -n`; caps given are honoured (with a warning when they do not fit).
  const openFiles = descriptorSoftLimit();
  const fit = fitToDescriptorLimit(
    { maxConnections: options.maxConnections, maxDownloads: options.maxDownloads },
    openFiles,
  );
  const maxConnections = raw.maxConnections === undefined ? fit.maxConnections : options.maxConnections;
  const maxDownloads = raw.maxDownloads === undefined ? fit.maxDownloads : options.maxDownloads;
  if (fit.lowered)
    process.stderr.write(
      `qmdl-ledger fleet: open-files limit ${String(openFiles)}: at most ${maxConnections} connections and ${maxDownloads} downloads${maxConnections > fit.maxConnections || maxDownloads > fit.maxDownloads ? ' as given, more than fits: clients may exhaust the descriptors' : ''}\n`,
    );
  const [{ FleetDatabase }, , { createFleetApp }] = await fleetModules();
  const db = await FleetDatabase.open({ url: options.db });
  let app;
  try {
    app = await createFleetApp({
      db,
      upcasters: buildUpcasters(),
      config: {
        ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
        server: toServerLimits(options, maxConnections),
        downloads: toDownloadLimits(options, maxDownloads),
      },
    });
    await app.listen(options.port, options.host);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    if ((error as { code?: unknown }).code === 'EADDRINUSE')
      throw new UsageError(`cannot listen on ${options.host}:${options.port}: address in use`);
    throw error;
  }
  const ready = app;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    ready
      .close()
      .then(() => db.close())
      .then(() => {
        process.stdout.write(`qmdl-ledger fleet stopped (${signal})\n`);
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (!isLoopback(options.host) && options.adminToken === undefined) {
    process.stderr.write(
      `qmdl-ledger fleet: warning: listening on ${options.host} without --admin-token: anyone who can reach it can read the fleet's recordings\n`,
    );
  }
  const address = app.getHttpServer().address() as AddressInfo | null;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  process.stdout.write(`qmdl-ledger fleet listening on http://${shownHost}:${address?.port ?? options.port}\n`);
}
