import type { Command } from 'commander';
import { isRecordingName, type StoredEvent } from '@ledger/domain';
import { ExitCode, UsageError } from '../exit-codes';
import { action, CommandFailed, withCommonOptions, writeJson, writeLine, type CommonOptions } from './cli-support';
import { formatActor, summarize } from './format';
import { replay } from './replay';
import { withStoreCopy } from './store-access';

interface TimelineOptions extends CommonOptions {
  readonly recording?: string;
}

export interface TimelineReport {
  readonly recording: string;
  /** 'active', 'finished', 'deleted' at the head of the log. */
  readonly status: 'active' | 'finished' | 'deleted';
  readonly events: readonly StoredEvent[];
}

export function registerTimelineCommand(program: Command): void {
  withCommonOptions(
    program
      .command('timeline')
      .description('the life of one recording: every event that names it, oldest first')
      .argument('<data-dir>', 'the data directory')
      .requiredOption('--recording <name>', 'the recording name'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: TimelineOptions) => {
      const name = options.recording ?? '';
      if (!isRecordingName(name))
        throw new UsageError(`--recording must be a recording name (decimal digits), got ${JSON.stringify(name)}`);
      const report = await withStoreCopy(dataDir, options, async (store) => {
        const events: StoredEvent[] = [];
        for await (const event of store.log.read({ recording: name })) events.push(event);
        if (events.length === 0) throw new CommandFailed(`no recording with name ${name}`);
        const { state } = await replay(store.log, { progress: 'timeline' });
        const status =
          state.current?.name === name ? 'active' : state.names[name] === 'deleted' ? 'deleted' : 'finished';
        return { recording: name, status, events } satisfies TimelineReport;
      });
      if (options.json) {
        writeJson(report);
        return ExitCode.OK;
      }
      writeLine(`recording ${report.recording}: ${report.status}, ${report.events.length} event(s)`);
      let previousMs: number | undefined;
      for (const event of report.events) {
        const ms = Date.parse(event.time);
        const gap = previousMs === undefined ? '' : ` (+${((ms - previousMs) / 1000).toFixed(3)} s)`;
        previousMs = ms;
        writeLine(
          `${String(event.seq).padStart(7)}  ${event.time}${gap}  ${event.type}  by ${formatActor(event.metadata.actor)}  ${summarize(event.data, 120)}`,
        );
      }
      return ExitCode.OK;
    }),
  );
}
