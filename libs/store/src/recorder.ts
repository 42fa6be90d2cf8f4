import type { Command, DecidedEvent, LedgerEvent, QmdlStoreState, Refusal } from '@ledger/domain';
import type { DiagSourceFactory, DiagSourceStats } from '@ledger/qmdl';
import type { CommandEffects } from './command-processor';
import { DiskGuard } from './disk-guard';
import { errorDetail } from './error-detail';
import type { Clock, HostInfo } from './host';
import type { CommandContext, CommandResult, LedgerCommand, RecorderSettings } from './ledger';
import type { LedgerLogger } from './logger';
import { RecordingFileEffects } from './recording-file-effects';
import type { RecordingFiles } from './recording-files';
import type { RecordingTap } from './recording-tap';
import { RecordingWriter } from './recording-writer';

const RECORDER: CommandContext['actor'] = { kind: 'recorder' };

export interface RecorderOptions {
  readonly files: RecordingFiles;
  /** Makes each recording's diag source (parsed once from the spec); undefined: recordings get no data (`none`). */
  readonly source: DiagSourceFactory | undefined;
  readonly settings: Omit<RecorderSettings, 'source' | 'autoStart'>;
  readonly logger: LedgerLogger;
  /** Times the flush windows. */
  readonly clock: Clock;
  /** The local UTC offset diag message times are written with. */
  readonly host: HostInfo;
  /** Runs a command through the processor (the recorder decides nothing on its own). */
  readonly execute: (command: LedgerCommand, context: CommandContext) => Promise<CommandResult>;
  /** Free bytes on the data filesystem; injectable so tests can simulate a full disk. */
  readonly availableBytes?: (dir: string) => Promise<number>;
  readonly newCorrelationId: () => string;
  /**
   * The projection as committed. The free-space settings come from the recorded
   * config when it sets them (`POST /api/config`), else from `settings`.
   */
  readonly state?: () => QmdlStoreState;
}

/**
 * The command effects of recording. It never decides: it turns a committed
 * RecordingStarted into an open {@link RecordingWriter} (which turns source
 * data into RecordingDataAppended commands, coalesced per flush window), a stop
 * into the finished gzip stream whose final size RecordingStopped carries, and
 * the writer's failures and the {@link DiskGuard}'s low-space verdicts into
 * StopRecording commands; the files' other effects are {@link RecordingFileEffects}'.
 */
export class Recorder implements CommandEffects {
  private active: RecordingWriter | undefined;
  private lastSourceStats: DiagSourceStats | undefined;
  private closing = false;
  private readonly diskGuard: DiskGuard;
  private readonly fileEffects: RecordingFileEffects;

  constructor(private readonly options: RecorderOptions) {
    this.diskGuard = new DiskGuard({
      dir: options.files.dir,
      settings: options.settings,
      logger: options.logger,
      ...(options.availableBytes ? { availableBytes: options.availableBytes } : {}),
      ...(options.state ? { state: options.state } : {}),
    });
    this.fileEffects = new RecordingFileEffects({
      files: options.files,
      diskGuard: this.diskGuard,
      newestMessageTime: (recording) => (this.active?.name === recording ? this.active.lastMessageTime : undefined),
    });
  }

  /** Bytes of the active recording on disk (committed), for metrics. */
  activeBytes(): number {
    return this.active?.committedBytes ?? 0;
  }

  sourceStats(): DiagSourceStats | undefined {
    return this.active?.sourceStats() ?? this.lastSourceStats;
  }

  /** The raw bytes of the active recording `name` from now on (`Ledger.tapRecording`). */
  tap(name: string, maxBytes: number): RecordingTap | undefined {
    return this.active?.name === name ? this.active.tap(maxBytes) : undefined;
  }

  /** Takes the space reserve (at start-up; deletes take it back by themselves). */
  ensureReserve(): Promise<void> {
    return this.diskGuard.ensureReserve();
  }

  // -- CommandEffects -------------------------------------------------------

  guard(command: Command, state?: QmdlStoreState): Promise<Refusal | undefined> {
    return this.diskGuard.refuse(command, state);
  }

  async beforeCommit(events: readonly DecidedEvent[]): Promise<readonly DecidedEvent[]> {
    const out: DecidedEvent[] = [];
    for (const event of events) {
      if (event.type === 'RecordingStopped' && this.active && event.recording === this.active.name) {
        // After a write failure the trailer cannot be trusted to fit: keep the committed prefix instead.
        const totals = await this.finalizeActive({ abandon: event.data.reason === 'write-failed' });
        out.push({
          ...event,
          data: {
            ...event.data,
            ...totals.totals,
            ...(totals.detail ? { detail: joinDetail(event.data.detail, totals.detail) } : {}),
          },
        });
      } else {
        out.push(event);
      }
    }
    return out;
  }

  async afterCommit(events: readonly LedgerEvent[], state: QmdlStoreState): Promise<void> {
    for (const event of events) {
      if (event.type === 'RecordingStarted' && state.current?.name === event.data.name && !this.closing)
        await this.open(event.data.name, event.data.compressed, state.clockOffsetSeconds);
    }
    await this.fileEffects.afterCommit(events);
  }

  // -- the active recording -------------------------------------------------

  /** `clockOffsetSeconds`: the store's clock offset as the recording starts (its start time has it too). */
  private async open(name: string, compressed: boolean, clockOffsetSeconds: number): Promise<void> {
    if (this.active) await this.finalizeActive(); // defensive: the domain already stopped it
    // Fixed for the recording: a later offset change must not make a paced source wait (or race) by it.
    const source = this.options.source?.create({ clockOffsetMs: clockOffsetSeconds * 1000 });
    const writer: RecordingWriter = await RecordingWriter.create({
      name,
      compressed,
      files: this.options.files,
      source,
      settings: this.options.settings,
      logger: this.options.logger,
      clock: this.options.clock,
      host: this.options.host,
      hooks: {
        commitData: (totals) =>
          this.options.execute(
            { type: 'AppendRecordingData', data: { name, totals } },
            { actor: RECORDER, correlationId: this.options.newCorrelationId() },
          ),
        dataCommitted: async () => {
          const detail = await this.diskGuard.lowSpace(name);
          if (detail !== undefined) await this.stop('disk-low', detail);
        },
        sourceEnded: async (spec) => {
          this.options.logger.info(`source ${spec} ended; stopping recording ${name}`);
          await this.stop('source-ended', `source ${spec} ended`);
        },
        failed: (error) => this.writeFailed(writer, error),
        pumpEnded: (stats) => (this.lastSourceStats = stats),
      },
    });
    await this.fileEffects.created(name);
    this.active = writer;
    writer.start();
    this.options.logger.info(`recording ${name} started (source ${this.options.source?.spec ?? 'none'})`);
  }

  /** A write or flush of the active recording failed: stop it (reason write-failed) unless it already ended. */
  private async writeFailed(writer: RecordingWriter, error: unknown): Promise<void> {
    if (this.active !== writer) return;
    // Give back the reserved space so the stop (and later deletes) can be committed on a full disk.
    await this.diskGuard.releaseReserve();
    this.options.logger.error(
      `recording ${writer.name}: write failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    await this.stop('write-failed', errorDetail(error));
  }

  private async stop(reason: 'source-ended' | 'write-failed' | 'disk-low', detail: string): Promise<void> {
    const command = { type: 'StopRecording', data: { reason, detail } } as const;
    const context = { actor: RECORDER, correlationId: this.options.newCorrelationId() };
    let result: CommandResult;
    try {
      result = await this.options.execute(command, context);
    } catch (error) {
      // The commit itself failed (e.g. the log could not write on a full disk). The writer is already
      // finalized and the uncommitted tail cut off, which freed space: try once more.
      this.options.logger.error(`stop (${reason}) could not be committed: ${String(error)}; retrying`);
      await this.diskGuard.releaseReserve();
      result = await this.options.execute(command, context);
    }
    if (!result.ok) this.options.logger.warn(`stop (${reason}) refused: ${result.refusal.code}`);
  }

  private finalizeActive(options: { readonly abandon?: boolean } = {}): ReturnType<RecordingWriter['finalize']> {
    const active = this.active;
    if (!active) throw new TypeError('no active recording to finalize');
    this.active = undefined;
    return active.finalize(options);
  }

  /** Stop accepting new recordings and wait for the pump to finish (after the final stop was committed). */
  async close(): Promise<void> {
    this.closing = true;
    const active = this.active;
    // No stop was committed (e.g. a forced close): leave the file at its committed prefix for recovery.
    this.active = undefined;
    await active?.abort();
  }
}

function joinDetail(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}
