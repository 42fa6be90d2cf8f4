import type { Command } from 'commander';
import { isLedgerError } from '@ledger/domain';
import { EventLogErrorCode } from '@ledger/event-log';
import { ExitCode, UsageError } from '../exit-codes';

export const STORE_IN_USE_MESSAGE =
  'store is in use by another process (is qmdl-ledger serve running?); use --snapshot to work on a copy';
export const STORE_IN_USE_WRITE_MESSAGE =
  'store is in use by another process (is qmdl-ledger serve running?); stop it first: this command writes to the store';

/** An error already explained to the user; only the exit status is left to set. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.FAILED,
  ) {
    super(message);
  }
}

export interface CommonOptions {
  readonly json?: boolean;
  readonly snapshot?: boolean;
}

/** Usage errors of commander (unknown option, missing argument) exit 2; help and version exit 0. */
export function usageExits(command: Command): Command {
  return command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : ExitCode.USAGE);
  });
}

/** Adds `--json` (and for commands that read a store, `--snapshot`). */
export function withCommonOptions(command: Command, options: { readonly snapshot: boolean }): Command {
  command.option('--json', 'machine-readable output (JSON)');
  if (options.snapshot) {
    command.option(
      '--snapshot',
      'work on a copy of the store even when a running service holds it (the copy may miss its newest writes)',
    );
  }
  return usageExits(command);
}

/**
 * Runs a command's body and turns its outcome into an exit status: the body's
 * number, or 2 for a UsageError, 3 for a locked store, 1 for anything else
 * (with the error's message and code on stderr).
 */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    exitQuietlyOnClosedStdout();
    try {
      process.exitCode = await body(...args);
    } catch (error) {
      process.exitCode = report(error);
    }
  };
}

let stdoutGuarded = false;

/** `qmdl-ledger events … | head`: a reader that goes away is not an error. */
function exitQuietlyOnClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.OK);
    throw error;
  });
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`qmdl-ledger: ${error.message}\n`);
    return ExitCode.USAGE;
  }
  if (error instanceof CommandFailed) {
    if (error.message) process.stderr.write(`qmdl-ledger: ${error.message}\n`);
    return error.exitCode;
  }
  if (isLedgerError(error, EventLogErrorCode.STORE_LOCKED)) {
    process.stderr.write(`qmdl-ledger: ${STORE_IN_USE_MESSAGE}\n`);
    return ExitCode.LOCKED;
  }
  const code = isLedgerError(error) ? ` (${error.code})` : '';
  process.stderr.write(`qmdl-ledger: ${error instanceof Error ? error.message : String(error)}${code}\n`);
  return ExitCode.FAILED;
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Parses a non-negative integer option; UsageError otherwise. */
export function parseSeqOption(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(value))
    throw new UsageError(`${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * A progress bar on stderr, only when stderr is a terminal (never in pipes,
 * files or tests). Redrawn at most every 100 ms.
 */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

export function progressBar(label: string, total: number): Progress {
  const stream = process.stderr;
  if (!stream.isTTY || total <= 0) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  const draw = (done: number): void => {
    const width = 30;
    const ratio = Math.min(1, done / total);
    const filled = Math.round(ratio * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
  };
  return {
    update(done) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      draw(done);
    },
    finish() {
      if (last === 0) return;
      stream.write('\r\u001b[2K');
    },
  };
}
