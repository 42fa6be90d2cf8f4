import type { Command } from 'commander';
import {
  initialState,
  toRayhunterManifest,
  type InvariantViolation,
  type RayhunterManifest,
  type StoredEvent,
} from '@ledger/domain';
import { ExitCode } from '../exit-codes';
import { action, withCommonOptions, writeJson, writeLine, type CommonOptions } from './cli-support';
import type { ReadFailure } from '@ledger/store';
import { replay } from './replay';
import { withStoreCopy } from './store-access';

export interface BisectReport {
  readonly ok: boolean;
  /** Events replayed (including the failing one). */
  readonly replayed: number;
  readonly head: number;
  /** The first event after which an invariant fails. */
  readonly firstBad?: {
    readonly seq: number;
    readonly event: StoredEvent;
    readonly violations: readonly InvariantViolation[];
    readonly before: RayhunterManifest;
    readonly after: RayhunterManifest;
    readonly beforeSeq: number;
  };
  /** The replay stopped on an event it could not read. */
  readonly unreadable?: ReadFailure;
}

export function registerBisectCommand(program: Command): void {
  withCommonOptions(
    program
      .command('bisect')
      .description(
        'replay event by event; stop at the first event after which an invariant fails and show it with the state before and after',
      )
      .argument('<data-dir>', 'the data directory'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: CommonOptions) => {
      const report = await withStoreCopy(dataDir, options, async (store): Promise<BisectReport> => {
        let firstBad: BisectReport['firstBad'];
        const result = await replay(store.log, {
          checkRules: true,
          keepBefore: true,
          progress: 'bisect',
          onStep: ({ before, beforeSeq, event, after, violations }) => {
            if (violations.length === 0) return true;
            firstBad = {
              seq: event.seq,
              event,
              violations,
              before: toRayhunterManifest(before ?? initialState()),
              after: toRayhunterManifest(after),
              beforeSeq,
            };
            return false;
          },
        });
        return {
          ok: firstBad === undefined && result.failure === undefined,
          replayed: result.steps,
          head: store.log.headSeq(),
          ...(firstBad ? { firstBad } : {}),
          ...(result.failure ? { unreadable: result.failure } : {}),
        };
      });
      if (options.json) writeJson(report);
      else printBisect(report);
      return report.ok ? ExitCode.OK : ExitCode.FAILED;
    }),
  );
}

function printBisect(report: BisectReport): void {
  const bad = report.firstBad;
  if (bad) {
    writeLine(
      `first bad event: seq ${bad.seq} (${bad.event.type}${bad.event.recording ? ` ${bad.event.recording}` : ''}), after ${report.replayed - 1} good event(s)`,
    );
    for (const v of bad.violations) writeLine(`  broke ${v.rule}: ${v.message}`);
    writeLine('');
    writeLine('event:');
    writeLine(JSON.stringify(bad.event, null, 2));
    writeLine('');
    writeLine(`state before (after seq ${bad.beforeSeq}):`);
    writeLine(JSON.stringify(bad.before, null, 2));
    writeLine('');
    writeLine(`state after (seq ${bad.seq}):`);
    writeLine(JSON.stringify(bad.after, null, 2));
    return;
  }
  if (report.unreadable) {
    writeLine(
      `replay stopped at seq ${report.unreadable.seq}: ${report.unreadable.message} (${report.unreadable.code}), after ${report.replayed} good event(s)`,
    );
    return;
  }
  writeLine(`no invariant fails: ${report.replayed} event(s) replayed up to seq ${report.head}`);
}
