import { isLedgerError } from '@ledger/domain';
import { EventLogErrorCode } from '@ledger/event-log';
import { openLedger, type LedgerLogger, type OpenedLedger, type RecorderSettings } from '@ledger/store';
import { buildUpcasters, MIGRATIONS } from '@ledger/migrations';
import { ExitCode } from '../exit-codes';
import { APP_VERSION } from '../version';
import { CommandFailed, STORE_IN_USE_WRITE_MESSAGE } from './cli-support';

/** No diag source, no recording: the CLI only runs commands through the processor. */
export const NO_RECORDER: RecorderSettings = {
  source: 'none',
  autoStart: false,
  flushIntervalMs: 1000,
  flushKiB: 64,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
};

/** Start-up messages go to stderr (stdout carries the command's output). */
export function stderrLogger(verbose: boolean): LedgerLogger {
  return {
    info: (m) => {
      if (verbose) process.stderr.write(`${m}\n`);
    },
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
    error: (m) => process.stderr.write(`error: ${m}\n`),
  };
}

/**
 * Opens a data directory for writing, as the service's start-up does (pending
 * migrations, reconciliation, ServiceStarted; ServiceStopped at close), with no
 * recorder. Only `migrate`, `import` and `import-rayhunter` write.
 */
export async function openWritableLedger(
  dataDir: string,
  options: { readonly verbose: boolean },
): Promise<OpenedLedger> {
  try {
    return await openLedger({
      dataDir,
      appVersion: APP_VERSION,
      recorder: NO_RECORDER,
      migrations: MIGRATIONS,
      upcasters: buildUpcasters(),
      logger: stderrLogger(options.verbose),
    });
  } catch (error) {
    if (isLedgerError(error, EventLogErrorCode.STORE_LOCKED))
      throw new CommandFailed(STORE_IN_USE_WRITE_MESSAGE, ExitCode.LOCKED);
    throw error;
  }
}
