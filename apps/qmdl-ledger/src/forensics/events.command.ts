import type { Command } from 'commander';
import { LEDGER_EVENT_TYPES, unknownEventTypes, type ActorKind, type StoredEvent } from '@ledger/domain';
import type { ReadOptions } from '@ledger/event-log';
import { ExitCode, UsageError } from '../exit-codes';
import { action, parseSeqOption, withCommonOptions, writeLine, type CommonOptions } from './cli-support';
import { formatEventLine } from './format';
import { withStoreCopy } from './store-access';

interface EventsOptions extends CommonOptions {
  readonly type?: string[];
  readonly recording?: string;
  readonly actor?: string;
  readonly correlationId?: string;
  readonly since?: string;
  readonly until?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: string;
  readonly newestFirst?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value.split(',').filter((v) => v !== ''),
];

export function registerEventsCommand(program: Command): void {
  withCommonOptions(
    program
      .command('events')
      .description('list events (upcast), with the filters of the event API; --json writes one event per line (NDJSON)')
      .argument('<data-dir>', 'the data directory')
      .option('--type <types>', 'event type(s), comma-separated or repeated', collect)
      .option('--recording <name>', 'events naming this recording')
      .option('--actor <actor>', "actor kind (http, recorder, system, cli) or 'http:<remote address>'")
      .option('--correlation-id <id>', 'events of one request/command')
      .option('--since <time>', 'adjusted time, inclusive (ISO 8601 / RFC 3339)')
      .option('--until <time>', 'adjusted time, exclusive')
      .option('--from <seq>', 'first sequence (inclusive)')
      .option('--to <seq>', 'last sequence (inclusive)')
      .option('--limit <n>', 'at most this many events')
      .option('--newest-first', 'newest first'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: EventsOptions) => {
      const unknown = unknownEventTypes(options.type ?? []);
      if (unknown.length > 0)
        throw new UsageError(
          `--type: unknown event type ${unknown.join(', ')}; the known types are ${LEDGER_EVENT_TYPES.join(', ')}`,
        );
      const read: ReadOptions = {
        ...(options.type ? { types: options.type } : {}),
        ...(options.recording !== undefined ? { recording: options.recording } : {}),
        ...(options.actor !== undefined ? { actor: options.actor as ActorKind } : {}),
        ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
        ...(options.since !== undefined ? { since: checkTime(options.since, '--since') } : {}),
        ...(options.until !== undefined ? { until: checkTime(options.until, '--until') } : {}),
        ...optional('fromSeq', parseSeqOption(options.from, '--from')),
        ...optional('toSeq', parseSeqOption(options.to, '--to')),
        ...optional('limit', parseSeqOption(options.limit, '--limit')),
        ...(options.newestFirst ? { reverse: true } : {}),
      };
      return withStoreCopy(dataDir, options, async (store) => {
        let events: AsyncIterable<StoredEvent>;
        try {
          events = store.log.read(read);
        } catch (error) {
          if (error instanceof TypeError) throw new UsageError(error.message);
          throw error;
        }
        let count = 0;
        for await (const event of events) {
          writeLine(options.json ? JSON.stringify(event) : formatEventLine(event));
          count += 1;
        }
        if (!options.json) process.stderr.write(`${count} event(s)\n`);
        return ExitCode.OK;
      });
    }),
  );
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function checkTime(value: string, what: string): string {
  if (!Number.isFinite(Date.parse(value)))
    throw new UsageError(`${what} must be an ISO 8601 / RFC 3339 time, got ${JSON.stringify(value)}`);
  return value;
}
