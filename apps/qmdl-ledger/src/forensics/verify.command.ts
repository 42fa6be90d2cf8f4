import type { Command } from 'commander';
import { ExitCode } from '../exit-codes';
import { ledgerDecider } from '@ledger/domain';
import { verifyStore } from '@ledger/store';
import { action, progressBar, withCommonOptions, writeJson, writeLine, type CommonOptions } from './cli-support';
import { withStoreCopy } from './store-access';

export function registerVerifyCommand(program: Command): void {
  withCommonOptions(
    program
      .command('verify')
      .description(
        'gapless sequence, hash chain, invariants after every event, stored vs rebuilt projection, files on disk vs the log (the checks and findings of GET /api/store/verify); exit 1 on any finding',
      )
      .argument('<data-dir>', 'the data directory'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: CommonOptions) => {
      // The same verification as GET /api/store/verify, on a copy of the store at rest (no projection in use).
      const { report } = await withStoreCopy(dataDir, options, async (store) => {
        const head = store.log.headSeq();
        const bars = {
          chain: progressBar('verify: hash chain', head),
          invariants: progressBar('verify: invariants', head),
        };
        try {
          return await verifyStore(store.log, {
            decider: ledgerDecider,
            recordingsDir: store.recordingsDir,
            onProgress: (check, seq) => {
              if (check === 'invariants') bars.chain.finish();
              bars[check].update(seq);
            },
          });
        } finally {
          bars.chain.finish();
          bars.invariants.finish();
        }
      });
      if (options.json) {
        writeJson(report);
      } else {
        writeLine(`head         seq ${report.head}, hash ${report.headHash}`);
        writeLine(`hash chain   ${report.checked} event(s) checked`);
        writeLine(`invariants   ${report.replayed} event(s) replayed`);
        for (const note of report.notes) writeLine(`note         ${note.code}: ${note.message}`);
        if (report.ok) {
          writeLine('OK           no findings');
        } else {
          const first = report.firstBad;
          if (first)
            writeLine(
              `FIRST BAD    ${first.seq !== undefined ? `seq ${first.seq}` : '(no seq)'}: ${first.code} (${first.check}) — ${first.message}`,
            );
          writeLine(`findings     ${report.findings.length}`);
          for (const f of report.findings) {
            writeLine(
              `  ${f.check.padEnd(10)} ${f.code.padEnd(28)} ${f.seq !== undefined ? `seq ${f.seq}` : ''}${f.recording ? ` recording ${f.recording}` : ''}: ${f.message}`,
            );
          }
        }
      }
      return report.ok ? ExitCode.OK : ExitCode.FAILED;
    }),
  );
}
