import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Observable } from 'rxjs';
import {
  LedgerError,
  spaceSettingsInForce,
  type LedgerEvent,
  type QmdlStoreState,
  type SpaceSettings,
} from '@ledger/domain';
import { LevelEventLog, type EventLog, type EventPage, type UpcasterRegistry } from '@ledger/event-log';
import { diagSourceFactory } from '@ledger/qmdl';
import { CommandProcessor } from './command-processor';
import { ensureWritableDirectory } from './data-dir';
import { realHost, runtimeMetadataOf, systemClock, type Clock, type HostInfo, type RuntimeMetadata } from './host';
import type {
  CommandContext,
  CommandResult,
  Ledger,
  LedgerCommand,
  LedgerMetrics,
  LedgerOptions,
  RecordingPaths,
} from './ledger';
import { consoleLogger, type LedgerLogger } from './logger';
import type { Migration } from './migration';
import { foldLog, QmdlStoreProjection, type LedgerDecider } from './qmdl-store.projection';
import { Recorder } from './recorder';
import { RecordingFiles } from './recording-files';
import type { RecordingTap } from './recording-tap';
import { reconcileAtStartup, type RecoveryReport } from './startup-recovery';
import { runReactor, type Reactor, type ReactorDefinition, type ReactorStatus } from './reactor';
import { verifyStore, type StoreVerifyReport, type VerifiedPosition } from './store-verification';
import { initialState, ledgerDecider } from '@ledger/domain';

/**
 * The version of the data directory's layout (the event log in `ledger/`, the
 * recordings in `qmdl/`), recorded in StoreCreated. Not the event log's own key
 * layout version, which `!meta!store` records.
 */
export const DATA_DIR_FORMAT_VERSION = 1;

export interface OpenLedgerOptions extends LedgerOptions {
  readonly logger?: LedgerLogger;
  readonly migrations?: readonly Migration[];
  readonly upcasters?: UpcasterRegistry;
  /** Injectable free-space probe (tests simulate a full disk). */
  readonly availableBytes?: (dir: string) => Promise<number>;
  /** Use this log instead of opening LevelDB in the data dir (unit tests: MemoryEventLog). */
  readonly log?: EventLog;
  /** Persist the projection after this many events (and at close). */
  readonly snapshotEvery?: number;
  /** Reactors to run once the store is open (writable stores only); `close()` stops them first. */
  readonly reactors?: readonly ReactorDefinition[];
}

export interface OpenedLedger extends Ledger {
  readonly recovery?: RecoveryReport;
  readonly projectionLoad: QmdlStoreProjection['loadReport'];
}

/** Where the LevelDB store lives inside a data directory. */
export function ledgerLocation(dataDir: string): string {
  return path.join(dataDir, 'ledger');
}

/** Where the recordings live inside a data directory (the Rayhunter layout). */
export function recordingsDir(dataDir: string): string {
  return path.join(dataDir, 'qmdl');
}

/**
 * Open a data directory: the LevelDB log (one process at a time), migrations,
 * the projection (stored, caught up from the log), start-up reconciliation and
 * the recorder. With `readOnly`, nothing is written.
 */
export async function openLedger(options: OpenLedgerOptions): Promise<OpenedLedger> {
  const logger = options.logger ?? consoleLogger;
  const clock = options.clock ?? systemClock;
  const host = options.host ?? realHost();
  // The one composition of the slices: the processor decides with it, the projection folds the log with it.
  const decider: LedgerDecider = ledgerDecider;
  const bootId = randomUUID();
  // The diag source spec is parsed once (here, or already by the caller), before anything is opened: the recorder
  // makes each recording's source from it.
  const configured = options.recorder.source;
  const sourceSpec = typeof configured === 'string' ? configured : configured.spec;
  const sources = options.readOnly
    ? undefined
    : typeof configured === 'string'
      ? diagSourceFactory(configured)
      : configured;
  if (!options.readOnly && !options.log) await ensureWritableDirectory(options.dataDir);
  const log =
    options.log ??
    (await LevelEventLog.open({
      location: ledgerLocation(options.dataDir),
      createIfMissing: !options.readOnly,
      // Read-only opens a private copy of the LevelDB directory: nothing in the data directory changes.
      readOnly: options.readOnly === true,
      ...(options.upcasters ? { upcasters: options.upcasters } : {}),
    }));
  try {
    const projection = await QmdlStoreProjection.load(log, { decider });
    if (projection.loadReport.from === 'rebuild' && log.headSeq() > 0) {
      logger.warn(`projection rebuilt from ${log.headSeq()} events (${projection.loadReport.reason ?? 'no reason'})`);
    }
    const files = new RecordingFiles(recordingsDir(options.dataDir));
    let recorder: Recorder | undefined;
    const processor: CommandProcessor = new CommandProcessor({
      log,
      decider,
      initialState: projection.state(),
      bootId,
      appVersion: options.appVersion,
      clock,
      host,
      effects: {
        guard: (command) => recorder?.guard(command) ?? Promise.resolve(undefined),
        beforeCommit: (events) => recorder?.beforeCommit(events) ?? Promise.resolve(events),
        afterCommit: (events, state) => recorder?.afterCommit(events, state) ?? Promise.resolve(),
      },
      onCommitted: (state) => {
        projection.advance(state);
        if (!options.readOnly) {
          projection
            .persist({ minEvents: options.snapshotEvery ?? 1000 })
            .catch((error: unknown) => logger.warn(`projection snapshot failed: ${String(error)}`));
        }
      },
    });
    // For the recorder and start-up, which exist only when the store is writable (LevelLedger.execute refuses when read-only).
    const execute = (command: LedgerCommand, context: CommandContext): Promise<CommandResult> =>
      processor.execute(command, context);
    let recovery: RecoveryReport | undefined;
    if (!options.readOnly) {
      recorder = new Recorder({
        files,
        source: sources,
        settings: options.recorder,
        logger,
        clock,
        host,
        execute,
        newCorrelationId: randomUUID,
        state: () => processor.current(),
        ...(options.availableBytes ? { availableBytes: options.availableBytes } : {}),
      });
      recovery = await reconcileAtStartup(
        {
          log,
          dataDir: options.dataDir,
          files,
          logger,
          state: () => processor.current(),
          execute,
          correlationId: randomUUID(),
          migrations: options.migrations ?? [],
          formatVersion: DATA_DIR_FORMAT_VERSION,
        },
        { source: sourceSpec },
      );
      // A rebuilt projection is stored at once (it replaces whatever snapshot was refused); one loaded from its
      // snapshot only when start-up folded as many events as a commit would store it after (the log's tail is
      // folded again at the next start, the snapshot is only a shortcut): writing the whole state is a good part
      // of a start with many recordings.
      await projection.persist(
        projection.loadReport.from === 'rebuild' ? { force: true } : { minEvents: options.snapshotEvery ?? 1000 },
      );
      await recorder.ensureReserve();
      if (options.recorder.autoStart && sources !== undefined) {
        const result = await execute(
          { type: 'StartRecording', data: {} },
          { actor: { kind: 'system' }, correlationId: randomUUID() },
        );
        if (!result.ok) logger.warn(`auto-start refused: ${result.refusal.code}: ${result.refusal.message}`);
      }
    }
    const ledger = new LevelLedger({
      log,
      decider,
      processor,
      projection,
      recorder,
      files,
      options,
      bootId,
      recovery,
      logger,
      clock,
      host,
    });
    if (!options.readOnly) for (const definition of options.reactors ?? []) ledger.runReactor(definition);
    return ledger;
  } catch (error) {
    if (!options.log) await log.close().catch(() => undefined);
    throw error;
  }
}

class LevelLedger implements OpenedLedger {
  readonly log: EventLog;
  readonly dataDir: string;
  readonly bootId: string;
  readonly clock: Clock;
  readonly host: HostInfo;
  readonly recovery?: RecoveryReport;
  readonly projectionLoad: QmdlStoreProjection['loadReport'];
  readonly committed$: Observable<LedgerEvent>;
  private readonly decider: LedgerDecider;
  private readonly processor: CommandProcessor;
  private readonly projection: QmdlStoreProjection;
  private readonly recorder?: Recorder;
  private readonly files: RecordingFiles;
  private readonly options: OpenLedgerOptions;
  private readonly logger: LedgerLogger;
  private closing?: Promise<void>;
  private readonly pastStates = new PastStates(32);
  private readonly running: Reactor[] = [];
  /** The last cleanly verified position and the state replayed up to it. */
  private verified?: VerifiedPosition;

  constructor(parts: {
    log: EventLog;
    decider: LedgerDecider;
    processor: CommandProcessor;
    projection: QmdlStoreProjection;
    recorder: Recorder | undefined;
    files: RecordingFiles;
    options: OpenLedgerOptions;
    bootId: string;
    recovery: RecoveryReport | undefined;
    logger: LedgerLogger;
    clock: Clock;
    host: HostInfo;
  }) {
    this.log = parts.log;
    this.decider = parts.decider;
    this.processor = parts.processor;
    this.projection = parts.projection;
    if (parts.recorder) this.recorder = parts.recorder;
    this.files = parts.files;
    this.options = parts.options;
    this.dataDir = parts.options.dataDir;
    this.bootId = parts.bootId;
    this.clock = parts.clock;
    this.host = parts.host;
    if (parts.recovery) this.recovery = parts.recovery;
    this.projectionLoad = parts.projection.loadReport;
    this.logger = parts.logger;
    this.committed$ = parts.processor.committed$;
  }

  state(): QmdlStoreState {
    return this.processor.current();
  }

  runtimeMetadata(): RuntimeMetadata {
    return runtimeMetadataOf(this.host, this.options.appVersion);
  }

  execute(command: LedgerCommand, context: CommandContext): Promise<CommandResult> {
    if (this.options.readOnly) {
      return Promise.resolve({
        ok: false,
        refusal: { code: 'READ_ONLY', message: 'the store is open read-only' },
        seq: this.state().seq,
      });
    }
    return this.processor.execute(command, context);
  }

  executeAll(commands: readonly LedgerCommand[], context: CommandContext): Promise<readonly CommandResult[]> {
    if (this.options.readOnly) {
      return Promise.resolve(
        commands.map((): CommandResult => ({
          ok: false,
          refusal: { code: 'READ_ONLY', message: 'the store is open read-only' },
          seq: this.state().seq,
        })),
      );
    }
    return this.processor.executeAll(commands, context);
  }

  runReactor(definition: ReactorDefinition): Reactor {
    if (this.options.readOnly) throw new TypeError('reactors cannot run on a read-only store');
    if (this.closing) throw new TypeError('the store is closing');
    const previous = this.running.findIndex((r) => r.name === definition.name);
    const ended = previous >= 0 && ['stopped', 'failed'].includes((this.running[previous] as Reactor).status().state);
    if (previous >= 0 && !ended) throw new TypeError(`a reactor named ${definition.name} is already running`);
    const reactor = runReactor({ logger: this.logger, ...definition, ledger: this });
    // A name whose reactor has ended may run again (a shipper restarted on the same store): the new one takes its place.
    if (ended) this.running.splice(previous, 1, reactor);
    else this.running.push(reactor);
    return reactor;
  }

  reactors(): readonly ReactorStatus[] {
    return this.running.map((reactor) => reactor.status());
  }

  /**
   * The projection as it was. Past states are folded from the log; the last few
   * are kept (states are immutable), so stepping through history — the viewer's
   * time travel, `state --at` — folds only from the nearest earlier one.
   */
  async stateAt(at: { readonly seq?: number; readonly time?: string }): Promise<QmdlStoreState> {
    const head = this.state().seq;
    if (at.seq !== undefined) {
      if (!Number.isInteger(at.seq) || at.seq < 0) throw new TypeError('seq must be a non-negative integer');
      // No state after an event that has not happened: answering the head's would claim it had (the CLI's `state --at` agrees).
      if (at.seq > head)
        throw new LedgerError('SEQUENCE_PAST_HEAD', `event ${at.seq} is past the head of the log (${head})`, {
          details: { seq: at.seq, head },
        });
      if (at.seq === head) return this.state();
      const state = await foldLog(this.log, this.pastStates.nearest(at.seq), { decider: this.decider, toSeq: at.seq });
      this.pastStates.add(state);
      return state;
    }
    if (at.time !== undefined)
      return foldLog(this.log, this.decider.initialState(), { decider: this.decider, toSeq: head, untilTime: at.time });
    return this.state();
  }

  history(name: string, page: { readonly after?: number; readonly limit?: number } = {}): Promise<EventPage> {
    return this.log.page({
      recording: name,
      order: 'asc',
      ...(page.after !== undefined ? { after: page.after } : {}),
      ...(page.limit !== undefined ? { limit: page.limit } : {}),
    });
  }

  async verify(options: Parameters<Ledger['verify']>[0] = {}): Promise<StoreVerifyReport> {
    const base = options.full ? undefined : this.verified;
    const { report, verified } = await verifyStore(this.log, {
      decider: this.decider,
      ...(base ? { after: base } : {}),
      // The projection as of the head being verified (states are immutable; the live one moves on while we read).
      served: this.state(),
      ...(options.files
        ? {
            recordingsDir: this.files.dir,
            live: { settled: () => this.processor.settled(), current: () => this.state() },
          }
        : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (verified && verified.seq > (this.verified?.seq ?? -1)) this.verified = verified;
    return report;
  }

  paths(name: string, compressed = true): RecordingPaths {
    return this.files.paths(name, compressed);
  }

  tapRecording(name: string, options: { readonly maxBytes: number }): RecordingTap | undefined {
    return this.recorder?.tap(name, options.maxBytes);
  }

  spaceSettings(): SpaceSettings {
    return spaceSettingsInForce(this.state().config, this.options.recorder);
  }

  metrics(): LedgerMetrics {
    const stats = this.processor.stats;
    const sourceStats = this.recorder?.sourceStats();
    return {
      headSeq: this.log.headSeq(),
      projectionSeq: this.state().seq,
      commits: stats.commits,
      eventsCommitted: stats.eventsCommitted,
      lastCommitMs: stats.lastCommitMs,
      commitLatencyMsHistogram: stats.recentCommitMs.slice(-256),
      lastBatchSize: stats.lastBatchSize,
      activeRecordingBytes: this.recorder?.activeBytes() ?? 0,
      ...(sourceStats ? { sourceStats } : {}),
    };
  }

  close(options: { readonly signal?: string } = {}): Promise<void> {
    this.closing ??= this.doClose(options.signal);
    return this.closing;
  }

  private async doClose(signal: string | undefined): Promise<void> {
    // Reactors first: each finishes (or abandons) the batch in hand while commands are still accepted.
    await Promise.all(this.running.map((reactor) => reactor.stop()));
    try {
      if (!this.options.readOnly) {
        const result = await this.processor.execute(
          { type: 'StopService', data: signal ? { signal } : {} },
          { actor: { kind: 'system' }, correlationId: randomUUID() },
        );
        if (!result.ok) this.logger.warn(`shutdown: ${result.refusal.code}`);
        await this.processor.drain();
        await this.recorder?.close();
        await this.projection.persist({ force: true });
      }
    } finally {
      this.processor.complete();
      if (!this.options.log) await this.log.close();
    }
  }
}

/** A small most-recently-used set of past projection states, by sequence. */
class PastStates {
  private readonly states: QmdlStoreState[] = [];

  constructor(private readonly capacity: number) {}

  /** The latest kept state at or before `seq` (the empty store when none). */
  nearest(seq: number): QmdlStoreState {
    let best: QmdlStoreState = initialState();
    for (const state of this.states) if (state.seq <= seq && state.seq > best.seq) best = state;
    return best;
  }

  add(state: QmdlStoreState): void {
    const at = this.states.findIndex((s) => s.seq === state.seq);
    if (at >= 0) this.states.splice(at, 1);
    this.states.push(state);
    if (this.states.length > this.capacity) this.states.shift();
  }
}
