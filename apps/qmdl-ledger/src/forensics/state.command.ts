import type { Command } from 'commander';
import { parseRfc3339, toRayhunterManifest } from '@ledger/domain';
import { ExitCode, UsageError } from '../exit-codes';
import { action, withCommonOptions, writeLine, type CommonOptions } from './cli-support';
import { replay } from './replay';
import { withStoreCopy } from './store-access';

interface StateOptions extends CommonOptions {
  readonly at?: string;
}

/** `--at` as given: a sequence number, or an RFC 3339 time. */
export type StateAt = { readonly seq: number } | { readonly timeMs: number; readonly time: string };

export function parseAt(value: string): StateAt {
  if (/^[0-9]{1,15}$/.test(value)) return { seq: Number(value) };
  const ms = parseRfc3339(value);
  if (ms === undefined)
    throw new UsageError(`--at must be a sequence number or an RFC 3339 time, got ${JSON.stringify(value)}`);
  return { timeMs: ms, time: value };
}

export function registerStateCommand(program: Command): void {
  withCommonOptions(
    program
      .command('state')
      .description(
        'the recording manifest as it was, in exactly the JSON of GET /api/qmdl-manifest (at the head without --at)',
      )
      .argument('<data-dir>', 'the data directory')
      .option('--at <seq|time>', 'after event <seq>, or at an RFC 3339 time (the last event at or before it)'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: StateOptions) => {
      const at = options.at === undefined ? undefined : parseAt(options.at);
      return withStoreCopy(dataDir, options, async (store) => {
        const head = store.log.headSeq();
        if (at && 'seq' in at && at.seq > head)
          throw new UsageError(`--at ${at.seq} is past the head of the log (${head})`);
        const result = await replay(store.log, {
          progress: 'state',
          ...(at && 'seq' in at ? { toSeq: at.seq } : {}),
          ...(at && 'timeMs' in at ? { untilMs: at.timeMs } : {}),
        });
        if (result.failure) {
          process.stderr.write(
            `qmdl-ledger: event ${result.failure.seq} cannot be read (${result.failure.code}); run verify\n`,
          );
          return ExitCode.FAILED;
        }
        // The bytes the API serves: compact JSON, keys in wire order.
        writeLine(JSON.stringify(toRayhunterManifest(result.state)));
        return ExitCode.OK;
      });
    }),
  );
}
