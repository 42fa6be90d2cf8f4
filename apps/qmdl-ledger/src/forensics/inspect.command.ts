import type { Command } from 'commander';
import type { LedgerEvent, QmdlStoreState } from '@ledger/domain';
import { rawEventAccess } from '@ledger/event-log';
import { PROJECTION_SNAPSHOT } from '@ledger/store';
import { ExitCode } from '../exit-codes';
import { action, withCommonOptions, writeJson, writeLine, type CommonOptions } from './cli-support';
import { formatEntry } from './format';
import { replay } from './replay';
import { withStoreCopy } from './store-access';

export interface BootRecord {
  readonly bootId: string;
  readonly seq: number;
  readonly time: string;
  readonly version: string;
  readonly source?: string;
  /** How this run ended: 'clean' (ServiceStopped), 'unclean' (the next boot found no ServiceStopped), 'open' (the newest boot has no ServiceStopped: the service is running, or it died and the next start records that). */
  readonly ended: 'clean' | 'unclean' | 'open';
  readonly stoppedSeq?: number;
}

export interface InspectReport {
  readonly dataDir: string;
  readonly storeId: string;
  readonly createdAt: string;
  readonly formatVersion: number;
  readonly eventCount: number;
  readonly firstSeq: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly recordings: { readonly finished: number; readonly deleted: number; readonly names: readonly string[] };
  readonly active: string | null;
  readonly boots: readonly BootRecord[];
  readonly uncleanShutdowns: number;
  readonly migrations: Readonly<Record<string, string>>;
  readonly projectionSnapshot: { readonly seq: number; readonly version: number } | null;
  /** Set when the replay stopped on an unreadable event: the rest describes the log up to it. */
  readonly replayStoppedAt?: { readonly seq: number; readonly code: string };
}

export function registerInspectCommand(program: Command): void {
  withCommonOptions(
    program
      .command('inspect')
      .description('store id, format, event count and range, head hash, recordings, boots (clean/unclean), migrations')
      .argument('<data-dir>', 'the data directory (holds ledger/ and qmdl/)'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: CommonOptions) => {
      const report = await withStoreCopy(dataDir, options, async (store) => {
        const log = store.log;
        let eventCount = 0;
        let firstSeq = 0;
        // What is stored, also past the head or across gaps in a damaged log.
        for await (const seq of rawEventAccess(log).seqs()) {
          if (eventCount === 0) firstSeq = seq;
          eventCount += 1;
        }
        const boots: Array<{ -readonly [K in keyof BootRecord]: BootRecord[K] }> = [];
        const result = await replay(log, {
          progress: 'inspect',
          onStep: ({ event }) => {
            const e = event as LedgerEvent;
            if (e.type === 'ServiceStarted') {
              const previous = boots[boots.length - 1];
              if (previous && previous.ended === 'open') previous.ended = 'unclean';
              boots.push({
                bootId: e.data.bootId,
                seq: e.seq,
                time: e.time,
                version: e.data.version,
                ...(e.data.source ? { source: e.data.source } : {}),
                ended: 'open',
              });
            } else if (e.type === 'ServiceStopped') {
              const boot = boots.find((b) => b.bootId === e.data.bootId);
              if (boot) {
                boot.ended = 'clean';
                boot.stoppedSeq = e.seq;
              }
            }
          },
        });
        const state: QmdlStoreState = result.state;
        const snapshot = await log.readSnapshot<QmdlStoreState>(PROJECTION_SNAPSHOT).catch(() => undefined);
        const names = Object.keys(state.entries).sort();
        const report: InspectReport = {
          dataDir,
          storeId: log.metadata.storeId,
          createdAt: log.metadata.createdAt,
          formatVersion: log.metadata.formatVersion,
          eventCount,
          firstSeq,
          headSeq: log.headSeq(),
          headHash: log.headHash(),
          recordings: {
            finished: names.length,
            deleted: Object.values(state.names).filter((s) => s === 'deleted').length,
            names,
          },
          active: state.current?.name ?? null,
          boots,
          uncleanShutdowns: boots.filter((b) => b.ended === 'unclean').length,
          migrations: state.migrations,
          projectionSnapshot: snapshot ? { seq: snapshot.seq, version: snapshot.version } : null,
          ...(result.failure ? { replayStoppedAt: { seq: result.failure.seq, code: result.failure.code } } : {}),
        };
        if (!options.json) printInspect(report, state);
        return report;
      });
      if (options.json) writeJson(report);
      return report.replayStoppedAt ? ExitCode.FAILED : ExitCode.OK;
    }),
  );
}

function printInspect(r: InspectReport, state: QmdlStoreState): void {
  writeLine(`store        ${r.storeId} (format ${r.formatVersion}, created ${r.createdAt})`);
  writeLine(
    `events       ${r.eventCount} stored, seq ${r.firstSeq}..${r.headSeq}${r.eventCount !== r.headSeq ? `  (head says ${r.headSeq}: run verify)` : ''}`,
  );
  writeLine(`head hash    ${r.headHash}`);
  writeLine(
    `projection   ${r.projectionSnapshot ? `snapshot at seq ${r.projectionSnapshot.seq} (v${r.projectionSnapshot.version})` : 'no stored snapshot'}`,
  );
  writeLine(
    `recordings   ${r.recordings.finished} finished, ${r.active ? '1 active' : 'none active'}, ${r.recordings.deleted} deleted`,
  );
  for (const entry of Object.values(state.entries).sort((a, b) => a.name.localeCompare(b.name)))
    writeLine(`  ${formatEntry(entry)}`);
  if (state.current) writeLine(`  ${formatEntry(state.current)}  ACTIVE`);
  writeLine(`boots        ${r.boots.length} (${r.uncleanShutdowns} unclean)`);
  for (const b of r.boots)
    writeLine(
      `  seq ${String(b.seq).padStart(6)}  ${b.time}  ${b.bootId}  v${b.version}  ${b.ended}${b.stoppedSeq ? ` (stopped at seq ${b.stoppedSeq})` : ''}`,
    );
  const migrations = Object.entries(r.migrations);
  writeLine(
    `migrations   ${migrations.length === 0 ? 'none applied' : migrations.map(([id, name]) => `${id}_${name}`).join(', ')}`,
  );
  if (r.replayStoppedAt)
    writeLine(
      `WARNING      replay stopped at seq ${r.replayStoppedAt.seq} (${r.replayStoppedAt.code}): the figures above cover the log up to it; run verify`,
    );
}
