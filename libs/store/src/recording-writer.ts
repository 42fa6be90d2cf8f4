import { promises as fs } from 'node:fs';
import type { RecordingTotals, Refusal } from '@ledger/domain';
import { QmdlGzipWriter, type DiagSource, type DiagSourceStats } from '@ledger/qmdl';
import { localRfc3339, type Clock, type HostInfo } from './host';
import type { CommandResult, RecorderSettings } from './ledger';
import type { LedgerLogger } from './logger';
import type { RecordingFiles } from './recording-files';
import { RecordingTap } from './recording-tap';

/** Raw bytes the pump may hand to the writer ahead of what it has compressed (a little over the writer's 256 KiB coalescing). */
const WRITE_AHEAD_BYTES = 512 * 1024;

/** What a recording writer asks of the recorder that opened it. */
export interface RecordingWriterHooks {
  /** Commit totals a flush made durable, as one RecordingDataAppended. */
  commitData(totals: RecordingTotals): Promise<CommandResult>;
  /** A data commit went through and the recording is still open (the free-space check). */
  dataCommitted(): Promise<void>;
  /** The source ended by itself; all it gave is committed. */
  sourceEnded(spec: string): Promise<void>;
  /** A write or a flush failed. */
  failed(error: unknown): Promise<void>;
  /** The source's pump is over: its last statistics. */
  pumpEnded(stats: DiagSourceStats): void;
}

export interface RecordingWriterOptions {
  readonly name: string;
  readonly compressed: boolean;
  readonly files: RecordingFiles;
  /** The diag source feeding this recording (none: a recording without data, e.g. `--source none`). */
  readonly source: DiagSource | undefined;
  readonly settings: Pick<RecorderSettings, 'flushIntervalMs' | 'flushKiB'>;
  readonly logger: LedgerLogger;
  /** Times the flush windows. */
  readonly clock: Clock;
  /** The local UTC offset a diag message's time is written with. */
  readonly host: HostInfo;
  readonly hooks: RecordingWriterHooks;
}

/**
 * The one open recording: the gzip stream of its QMDL file, the pump that
 * hands the source's chunks to it, and the flush windows that make written
 * bytes durable and commit them (at least every `flushIntervalMs`, or once
 * `flushKiB` are pending). Committed totals only ever grow; a stop finishes
 * the stream (`finalize`), a forced close leaves the committed prefix (`abort`).
 */
export class RecordingWriter {
  readonly name: string;
  /**
   * What was handed to the writer: containers and the last message time of
   * every chunk so far, sizes as of the writer's last flush (maybe not yet committed).
   */
  private written: RecordingTotals = { qmdlSizeBytes: 0, uncompressedBytes: 0, containers: 0 };
  /** Totals covered by a committed event. */
  private committed: RecordingTotals = this.written;
  /** Set when the stop finished the gzip stream: the totals its RecordingStopped carries. */
  private final: RecordingTotals | undefined;
  private lastFlushAt: number;
  /** Raw bytes written since the last flush window. */
  private pendingRaw = 0;
  private readonly abortController = new AbortController();
  private closed = false;
  private pump: Promise<void> | undefined;
  private lock: Promise<void> = Promise.resolve();
  private flushChain: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Raw bytes handed to the gzip writer so far (its uncompressed offset once they are flushed). */
  private handed = 0;
  private tapped: RecordingTap | undefined;

  private constructor(
    private readonly options: RecordingWriterOptions,
    private readonly writer: QmdlGzipWriter,
  ) {
    this.name = options.name;
    this.lastFlushAt = options.clock.now();
  }

  /** Creates the recording's QMDL file; `start()` then runs the source into it. */
  static async create(options: RecordingWriterOptions): Promise<RecordingWriter> {
    const writer = await QmdlGzipWriter.create({ path: options.files.paths(options.name, options.compressed).qmdl });
    return new RecordingWriter(options, writer);
  }

  /** Until a stop or a close began: while open, the recorder's active recording. */
  get open(): boolean {
    return !this.closed;
  }

  /** The newest message time handed to the writer. */
  get lastMessageTime(): string | undefined {
    return this.written.lastMessageTime;
  }

  /** Committed compressed bytes. */
  get committedBytes(): number {
    return this.committed.qmdlSizeBytes;
  }

  sourceStats(): DiagSourceStats | undefined {
    return this.options.source?.stats();
  }

  /**
   * The raw bytes handed to the gzip writer from now on (see RecordingTap); one
   * tap at a time, so a new one closes the one before. It outlives the writer:
   * after the stop it still holds what the final size covers.
   */
  tap(maxBytes: number): RecordingTap {
    this.tapped?.close();
    const tap = new RecordingTap(this.name, this.handed, maxBytes, (closed) => {
      if (this.tapped === closed) this.tapped = undefined;
    });
    this.tapped = tap;
    return tap;
  }

  start(): void {
    const source = this.options.source;
    if (source) this.pump = this.runPump(source);
    this.startFlushTimer();
  }

  private async runPump(source: DiagSource): Promise<void> {
    const { flushKiB, flushIntervalMs } = this.options.settings;
    try {
      // Writes stay in flight (up to WRITE_AHEAD_BYTES) while the next chunks are read: the source
      // (read, split, CRC) runs on this thread while zlib compresses on the thread pool. Awaiting
      // each write left this thread idle much of the time (bench/README.md, ingest).
      const inFlight: Array<{ readonly done: Promise<void>; readonly bytes: number }> = [];
      let inFlightBytes = 0;
      let committing: Promise<void> | undefined;
      const settle = async (untilBytes: number): Promise<void> => {
        while (inFlight.length > 0 && inFlightBytes > untilBytes) {
          const oldest = inFlight.shift() as { readonly done: Promise<void>; readonly bytes: number };
          inFlightBytes -= oldest.bytes;
          await oldest.done;
        }
      };
      for await (const chunk of source.chunks(this.abortController.signal)) {
        if (this.closed) break;
        // Handed to the writer now, in order: it copies the bytes (so the source's buffer dies
        // young) and compresses them behind whatever it is doing. Compressed without a sync flush
        // per chunk: a flush ends a deflate block, and per-container flushing costs most of the
        // throughput (bench/README.md, qmdl-codec). Durability comes at the commit window, where flushNow()
        // flushes and fdatasyncs before the size is committed.
        const compressed = this.writer.write(chunk.frames, { flush: false });
        this.handed += chunk.frames.length;
        this.tapped?.push(chunk.frames);
        this.written = {
          ...this.written,
          containers: this.written.containers + 1,
          ...(chunk.lastMessageTimeMs !== undefined
            ? { lastMessageTime: localRfc3339(this.options.host, chunk.lastMessageTimeMs) }
            : {}),
        };
        // A failure matters while this recording is still open (a stop closes the writer).
        const written = compressed.then(
          () => undefined,
          (error: unknown) => (this.closed ? undefined : Promise.reject(error)),
        );
        written.catch(() => undefined); // observed through settle() below
        // Counted when handed over (not when compressed), so the commit window keeps its configured size.
        this.pendingRaw += chunk.frames.length;
        inFlight.push({ done: written, bytes: chunk.frames.length });
        inFlightBytes += chunk.frames.length;
        await settle(WRITE_AHEAD_BYTES);
        if (this.pendingRaw >= flushKiB * 1024 || this.options.clock.now() - this.lastFlushAt >= flushIntervalMs) {
          // One commit window in flight. Its flush covers every chunk handed over so far (the
          // writer keeps call order); while it is fdatasynced and its event committed, the source
          // reads on and the writer compresses on. A failure surfaces here, at the next window, or below.
          await committing;
          this.pendingRaw = 0;
          this.lastFlushAt = this.options.clock.now();
          committing = this.flush();
          committing.catch(() => undefined);
        }
      }
      await settle(0);
      await committing;
      if (!this.closed && !this.abortController.signal.aborted) {
        await this.flush();
        await this.options.hooks.sourceEnded(source.spec);
      }
    } catch (error) {
      await this.options.hooks.failed(error);
    } finally {
      this.options.hooks.pumpEnded(source.stats());
    }
  }

  /** Flushes run one at a time, so committed totals only ever grow. */
  private flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushNow());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** Make what was written durable, then commit it as one RecordingDataAppended. */
  private async flushNow(): Promise<void> {
    this.lastFlushAt = this.options.clock.now();
    let totals: RecordingTotals | undefined;
    await this.withLock(async () => {
      if (this.closed) return;
      if (this.written.containers === this.committed.containers) return;
      // flush() covers every write handed over before it, which is what `handed` counts.
      const handed = this.written;
      const flushed = await this.writer.flush();
      this.pendingRaw = 0;
      await this.writer.sync();
      totals = { ...handed, qmdlSizeBytes: flushed.compressedBytes, uncompressedBytes: flushed.uncompressedBytes };
      this.written = {
        ...this.written,
        qmdlSizeBytes: flushed.compressedBytes,
        uncompressedBytes: flushed.uncompressedBytes,
      };
    });
    if (!totals) return;
    const result = await this.options.hooks.commitData(totals);
    if (!result.ok) return this.dataCommitRefused(totals, result.refusal);
    if (totals.qmdlSizeBytes >= this.committed.qmdlSizeBytes) this.committed = totals;
    if (!this.closed) await this.options.hooks.dataCommitted();
  }

  /**
   * A data commit was refused — never a crash. The usual case: a stop (a request, a shutdown)
   * was decided while this window was being flushed, and its commit came first. The stop
   * finished the gzip stream after this flush, so the size it committed covers these bytes:
   * nothing is lost, and saying "dropped" (as this once did) read like data loss.
   */
  private dataCommitRefused(totals: RecordingTotals, refusal: Refusal): void {
    const final = this.final;
    if (refusal.code === 'RECORDING_NOT_ACTIVE' && final !== undefined && final.qmdlSizeBytes >= totals.qmdlSizeBytes) {
      this.options.logger.info(
        `recording ${this.name}: its last data commit (${totals.qmdlSizeBytes} bytes) came after its stop, whose final size (${final.qmdlSizeBytes} bytes) covers it`,
      );
      return;
    }
    // The bytes of this window are not covered by any commit: start-up cuts the file back to the committed size.
    this.options.logger.warn(
      `recording ${this.name}: ${totals.qmdlSizeBytes - this.committed.qmdlSizeBytes} bytes past the committed ${this.committed.qmdlSizeBytes} not committed: ${refusal.code}: ${refusal.message}`,
    );
  }

  /**
   * Finish the gzip stream (its trailer) and return the final totals. On a
   * write error (e.g. ENOSPC), or with `abandon` (after a write failure the
   * trailer cannot be trusted to fit), the file is cut back to the last
   * committed size, which is still a valid gzip prefix: a stop never fails.
   */
  finalize(options: { readonly abandon?: boolean } = {}): Promise<{ totals: RecordingTotals; detail?: string }> {
    this.close();
    return this.withLock(async () => {
      try {
        if (options.abandon) throw new Error('abandoned after a write failure');
        const final = await this.writer.finish();
        const totals: RecordingTotals = {
          qmdlSizeBytes: final.compressedBytes,
          uncompressedBytes: final.uncompressedBytes,
          containers: this.written.containers,
          ...(this.written.lastMessageTime !== undefined ? { lastMessageTime: this.written.lastMessageTime } : {}),
        };
        this.options.logger.info(`recording ${this.name} finalized at ${totals.qmdlSizeBytes} bytes`);
        this.final = totals;
        return { totals };
      } catch (error) {
        await this.writer.abort().catch(() => undefined);
        const file = this.options.files.paths(this.name, true).qmdl;
        await fs.truncate(file, this.committed.qmdlSizeBytes).catch(() => undefined);
        const message = options.abandon
          ? `cut back to the last committed ${this.committed.qmdlSizeBytes} bytes`
          : `finalize failed (${(error as NodeJS.ErrnoException).code ?? 'error'}); cut back to the last committed ${this.committed.qmdlSizeBytes} bytes`;
        this.options.logger.error(`recording ${this.name}: ${message}`);
        return { totals: this.committed, detail: message };
      }
    });
  }

  /** Close without a committed stop (a forced close): the file stays at its committed prefix for recovery. */
  async abort(): Promise<void> {
    this.close();
    await this.withLock(async () => {
      await this.writer.abort().catch(() => undefined);
    });
    await this.pump?.catch(() => undefined);
  }

  private close(): void {
    this.abortController.abort();
    this.closed = true;
    this.stopFlushTimer();
  }

  private startFlushTimer(): void {
    const interval = Math.max(10, this.options.settings.flushIntervalMs);
    this.flushTimer = setInterval(() => {
      // Nothing thrown here may escape: a throwing timer callback ends the process.
      try {
        if (!this.closed && this.options.clock.now() - this.lastFlushAt >= interval) {
          this.flush()
            .catch((error: unknown) => this.options.hooks.failed(error))
            .catch((e: unknown) => this.options.logger.error(`stop failed: ${String(e)}`));
        }
      } catch (error) {
        this.options.logger.error(`flush timer: ${error instanceof Error ? error.message : String(error)}`);
      }
    }, interval);
    this.flushTimer.unref();
  }

  private stopFlushTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
