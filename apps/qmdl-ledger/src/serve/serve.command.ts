import type { Command } from 'commander';
import { isLedgerError } from '@ledger/domain';
import { EventLogErrorCode } from '@ledger/event-log';
import { DATA_DIR_UNUSABLE } from '@ledger/store';
import { DEFAULT_SSE_MAX_BEHIND } from '../http/http-config';
import { DEFAULT_SIGN_IN_THROTTLE } from '../http/sign-in-throttle';
import { serve } from './serve';
import { SERVE_COMMAND } from './serve-invocation';
import { ExitCode, UsageError } from '../exit-codes';
import { addDownloadLimitOptions, addServerLimitOptions, type RawServeOptions } from './serve-options';

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

/** Registers `qmdl-ledger serve`: its flags, and how its failures end the process. */
export function registerServeCommand(program: Command): void {
  const command = program
    .command(SERVE_COMMAND)
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
    .option('--ship-chunk-kib <kib>', 'recording bytes per upload request, in KiB', '1024')
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
    );
  addServerLimitOptions(addDownloadLimitOptions(command)).action(async (raw: RawServeOptions) => {
    try {
      await serve(raw);
    } catch (error) {
      if (error instanceof UsageError) return fail(error.message, ExitCode.USAGE);
      if (isLedgerError(error, 'STORE_LOCKED')) return fail(error.message, ExitCode.LOCKED);
      if (isLedgerError(error) && UNUSABLE_DATA_DIR_CODES.has(error.code))
        return fail(`${error.message} (${error.code})`, ExitCode.USAGE);
      if (isLedgerError(error)) return fail(`${error.message} (${error.code})`, 1);
      throw error;
    }
  });
}
