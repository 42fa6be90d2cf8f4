import { promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes';
import {
  action,
  CommandFailed,
  progressBar,
  withCommonOptions,
  writeJson,
  writeLine,
  type CommonOptions,
} from './cli-support';
import { exportStoredEvents } from './raw-events';
import { withStoreCopy } from './store-access';

interface ExportOptions extends CommonOptions {
  readonly out: string;
  readonly force?: boolean;
}

export function registerExportCommand(program: Command): void {
  withCommonOptions(
    program
      .command('export')
      .description(
        'write every stored event, exactly as stored (seq, prev, hash, metadata), as NDJSON; the recordings are not included',
      )
      .argument('<data-dir>', 'the data directory')
      .requiredOption('--out <file.ndjson>', 'the file to write')
      .option('--force', 'overwrite an existing file'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: ExportOptions) => {
      if (options.force) await fs.rm(options.out, { force: true });
      const report = await withStoreCopy(dataDir, options, async (store) => {
        const head = store.log.headSeq();
        const bar = progressBar('export', head);
        let events: number;
        try {
          events = await exportStoredEvents(store.log, options.out, (seq) => bar.update(seq));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST')
            throw new CommandFailed(`${options.out} exists; use --force to overwrite it`);
          throw error;
        } finally {
          bar.finish();
        }
        const chain = await store.log.verify();
        return {
          out: options.out,
          events,
          head,
          headHash: store.log.headHash(),
          chainOk: chain.ok,
          ...(chain.firstBad ? { firstBad: chain.firstBad } : {}),
        };
      });
      if (options.json) writeJson(report);
      else
        writeLine(
          `exported ${report.events} event(s) (head seq ${report.head}, hash ${report.headHash}) to ${report.out}`,
        );
      if (!report.chainOk) {
        process.stderr.write(
          `qmdl-ledger: the exported log does not verify (first bad seq ${report.firstBad?.seq}: ${report.firstBad?.code}); import will refuse it\n`,
        );
        return ExitCode.FAILED;
      }
      return ExitCode.OK;
    }),
  );
}
