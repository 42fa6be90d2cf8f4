import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  formatRfc3339,
  parseRfc3339,
  spaceSettingsInForce,
  type Command,
  type DecidedEvent,
  type LedgerEvent,
  type QmdlStoreState,
  type RecordingTotals,
  type Refusal,
} from '@ledger/domain';
import { createDiagSource, QmdlGzipWriter, type DiagSource, type DiagSourceStats } from '@ledger/qmdl';
import type { CommandEffects } from './command-processor';
import type { CommandContext, CommandResult, RecorderSettings } from './ledger';
import type { LedgerLogger } from './logger';
import { availableBytes, type RecordingFiles } from './recording-files';

const MB = 1024 * 1024;
/** Raw bytes the pump may hand to the writer ahead of what it has compressed (a little over the writer's 256 KiB coalescing). */
const WRITE_AHEAD_BYTES = 512 * 1024;
const RECORDER: CommandContext['actor'] = { kind: 'recorder' };

interface ActiveRecording {
  readonly name: string;
  readonly writer: QmdlGzipWriter;
  readonly abort: AbortController;
  /**
   * What was handed to the writer: containers and the last message time of
   * every chunk so far, sizes as of the writer's last flush (maybe not yet committed).
   */
  written: RecordingTotals;
  /** Totals covered by a committed event. */
  committed: RecordingTotals;
  lastFlushAt: number;
  /** Raw bytes written since the last flush window. */
  pendingRaw: number;
  /** Set when the stop finished the gzip stream: the totals its RecordingStopped carries. */
  final?: RecordingTotals;
  pump?: Promise<void>;
  source?: DiagSource;
}

export interface RecorderOptions {
  readonly files: RecordingFiles;
  readonly settings: RecorderSettings;
  readonly logger: LedgerLogger;
  readonly clock: () => number;
  /** Runs a command through the processor (the recorder decides nothing on its own). */
  readonly execute: (command: Command, context: CommandContext) => Promise<CommandResult>;
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
 * Owns the one open QMDL writer and the diag source. It never decides: it turns
 * committed RecordingStarted into an open writer, source data into
 * RecordingDataAppended commands (coalesced per flush window), and stops
 * (finalize the gzip stream) into the final size of RecordingStopped.
 */
export class Recorder implements CommandEffects {
  private active: ActiveRecording | undefined;
  private lock: Promise<void> = Promise.resolve();
  private flushChain: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastSourceStats: DiagSourceStats | undefined;
  private closing = false;

  constructor(private readonly options: RecorderOptions) {}

  /** Bytes of the active recording on disk (committed), for metrics. */
  activeBytes(): number {
    return this.active?.committed.qmdlSizeBytes ?? 0;
  }

  sourceStats(): DiagSourceStats | undefined {
    return this.active?.source?.stats() ?? this.lastSourceStats;
  }

  // -- CommandEffects -------------------------------------------------------

  /** The free space (MB) needed to start, or to keep recording: the recorded config's value, else the setting. */
  private minSpaceMb(which: 'start' | 'continue', state: QmdlStoreState | undefined = this.options.state?.()): number {
    const settings =
      state === undefined ? this.options.settings : spaceSettingsInForce(state.config, this.options.settings);
    return which === 'start' ? settings.minSpaceStartMb : settings.minSpaceContinueMb;
  }

  async guard(command: Command, state?: QmdlStoreState): Promise<Refusal | undefined> {
    if (command.type !== 'StartRecording') return undefined;
    const required = this.minSpaceMb('start', state);
    if (required <= 0) return undefined;
    const available = await this.freeBytes();
    if (available >= required * MB) return undefined;
    return {
      code: 'INSUFFICIENT_DISK_SPACE',
      message: `Insufficient disk space: ${Math.floor(available / MB)}MB available, ${required}MB required`,
      details: { availableBytes: available, requiredMb: required },
    };
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
    let deleted = false;
    for (const event of events) {
      switch (event.type) {
        case 'RecordingStarted':
          if (state.current?.name === event.data.name && !this.closing)
            await this.open(event.data.name, event.data.compressed, state.clockOffsetSeconds);
          break;
        case 'RecordingDeleted':
          if (event.recording) await this.options.files.remove(event.recording);
          deleted = true;
          break;
        case 'GpsFixRecorded':
          await this.appendGps(event);
          break;
        default:
          break;
      }
    }
    // Deletes free space: take the reserve back once per commit (a delete-all names every recording).
    if (deleted) await this.ensureReserve();
  }

  // -- the write path -------------------------------------------------------

  /** `clockOffsetSeconds`: the store's clock offset as the recording starts (its start time has it too). */
  private async open(name: string, compressed: boolean, clockOffsetSeconds: number): Promise<void> {
    if (this.active) await this.finalizeActive(); // defensive: the domain already stopped it
    const paths = this.options.files.paths(name, compressed);
    const writer = await QmdlGzipWriter.create({ path: paths.qmdl });
    await fs.writeFile(paths.analysis, '', { flag: 'a' });
    const zero: RecordingTotals = { qmdlSizeBytes: 0, uncompressedBytes: 0, containers: 0 };
    const active: ActiveRecording = {
      name,
      writer,
      abort: new AbortController(),
      written: zero,
      committed: zero,
      lastFlushAt: this.options.clock(),
      pendingRaw: 0,
    };
    this.active = active;
    // Fixed for the recording: a later offset change must not make a paced source wait (or race) by it.
    const source = createDiagSource(this.options.settings.source, { clockOffsetMs: clockOffsetSeconds * 1000 });
    if (source) {
      active.source = source;
      active.pump = this.pump(active, source);
    }
    this.startFlushTimer();
    this.options.logger.info(`recording ${name} started (source ${this.options.settings.source})`);
  }

  private async pump(active: ActiveRecording, source: DiagSource): Promise<void> {
    const { flushKiB, flushIntervalMs } = this.options.settings;
    try {
      // Writes stay in flight (up to WRITE_AHEAD_BYTES) while the next chunks are read: the source
      // (read, split, CRC) runs on this thread while zlib compresses on the thread pool. Awaiting
      // each write left this thread idle half the time (bench/ingest.bench.ts).
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
      for await (const chunk of source.chunks(active.abort.signal)) {
        if (this.active !== active) break;
        // Handed to the writer now, in order: it copies the bytes (so the source's buffer dies
        // young) and compresses them behind whatever it is doing. Compressed without a sync flush
        // per chunk: a flush ends a deflate block, and per-container flushing costs ~3x in
        // throughput (libs/qmdl README). Durability comes at the commit window, where flushNow()
        // flushes and fdatasyncs before the size is committed.
        const compressed = active.writer.write(chunk.frames, { flush: false });
        active.written = {
          ...active.written,
          containers: active.written.containers + 1,
          ...(chunk.lastMessageTimeMs !== undefined ? { lastMessageTime: localRfc3339(chunk.lastMessageTimeMs) } : {}),
        };
        // A failure matters while this recording is still the active one (a stop closes the writer).
        const written = compressed.then(
          () => undefined,
          (error: unknown) => (this.active === active ? Promise.reject(error) : undefined),
        );
        written.catch(() => undefined); // observed through settle() below
        // Counted when handed over (not when compressed), so the commit window keeps its configured size.
        active.pendingRaw += chunk.frames.length;
        inFlight.push({ done: written, bytes: chunk.frames.length });
        inFlightBytes += chunk.frames.length;
        await settle(WRITE_AHEAD_BYTES);
        if (active.pendingRaw >= flushKiB * 1024 || this.options.clock() - active.lastFlushAt >= flushIntervalMs) {
          // One commit window in flight. Its flush covers every chunk handed over so far (the
          // writer keeps call order); while it is fdatasynced and its event committed, the source
          // reads on and the writer compresses on. A failure surfaces here, at the next window, or below.
          await committing;
          active.pendingRaw = 0;
          active.lastFlushAt = this.options.clock();
          committing = this.flush(active);
          committing.catch(() => undefined);
        }
      }
      await settle(0);
      await committing;
      if (this.active === active && !active.abort.signal.aborted) {
        await this.flush(active);
        this.options.logger.info(`source ${source.spec} ended; stopping recording ${active.name}`);
        await this.stop('source-ended', `source ${source.spec} ended`);
      }
    } catch (error) {
      await this.writeFailed(active, error);
    } finally {
      this.lastSourceStats = source.stats();
    }
  }

  /** Flushes run one at a time, so committed totals only ever grow. */
  private flush(active: ActiveRecording): Promise<void> {
    const run = this.flushChain.then(() => this.flushNow(active));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /** Make what was written durable, then commit it as one RecordingDataAppended. */
  private async flushNow(active: ActiveRecording): Promise<void> {
    active.lastFlushAt = this.options.clock();
    let totals: RecordingTotals | undefined;
    await this.withLock(async () => {
      if (this.active !== active) return;
      if (active.written.containers === active.committed.containers) return;
      // flush() covers every write handed over before it, which is what `handed` counts.
      const handed = active.written;
      const flushed = await active.writer.flush();
      active.pendingRaw = 0;
      await active.writer.sync();
      totals = { ...handed, qmdlSizeBytes: flushed.compressedBytes, uncompressedBytes: flushed.uncompressedBytes };
      active.written = {
        ...active.written,
        qmdlSizeBytes: flushed.compressedBytes,
        uncompressedBytes: flushed.uncompressedBytes,
      };
    });
    if (!totals) return;
    const result = await this.options.execute(
      { type: 'AppendRecordingData', data: { name: active.name, totals } },
      { actor: RECORDER, correlationId: this.options.newCorrelationId() },
    );
    if (result.ok) {
      if (totals.qmdlSizeBytes >= active.committed.qmdlSizeBytes) active.committed = totals;
    } else {
      this.dataCommitRefused(active, totals, result.refusal);
      return;
    }
    const low = this.minSpaceMb('continue');
    if (low > 0 && this.active === active) {
      // The data is committed: a free-space probe that fails (e.g. EMFILE) skips this check, it does not fail the write.
      const free = await this.freeBytes().catch((error: unknown) => {
        this.options.logger.warn(
          `free space of ${this.options.files.dir} unknown (${errorDetail(error)}); checked again at the next commit`,
        );
        return Number.POSITIVE_INFINITY;
      });
      if (free < low * MB) {
        this.options.logger.warn(
          `free space ${Math.floor(free / MB)}MB below ${low}MB: stopping recording ${active.name}`,
        );
        await this.stop('disk-low', `${Math.floor(free / MB)}MB available, ${low}MB required to continue`);
      }
    }
  }

  /**
   * A data commit was refused — never a crash. The usual case: a stop (a request, a shutdown)
   * was decided while this window was being flushed, and its commit came first. The stop
   * finished the gzip stream after this flush, so the size it committed covers these bytes:
   * nothing is lost, and saying "dropped" (as this once did) read like data loss.
   */
  private dataCommitRefused(active: ActiveRecording, totals: RecordingTotals, refusal: Refusal): void {
    const final = active.final;
    if (refusal.code === 'RECORDING_NOT_ACTIVE' && final !== undefined && final.qmdlSizeBytes >= totals.qmdlSizeBytes) {
      this.options.logger.info(
        `recording ${active.name}: its last data commit (${totals.qmdlSizeBytes} bytes) came after its stop, whose final size (${final.qmdlSizeBytes} bytes) covers it`,
      );
      return;
    }
    // The bytes of this window are not covered by any commit: start-up cuts the file back to the committed size.
    this.options.logger.warn(
      `recording ${active.name}: ${totals.qmdlSizeBytes - active.committed.qmdlSizeBytes} bytes past the committed ${active.committed.qmdlSizeBytes} not committed: ${refusal.code}: ${refusal.message}`,
    );
  }

  /** A write or flush of the active recording failed: stop it (reason write-failed) unless it already ended. */
  private async writeFailed(active: ActiveRecording, error: unknown): Promise<void> {
    if (this.active !== active) return;
    // Give back the reserved space so the stop (and later deletes) can be committed on a full disk.
    await this.releaseReserve();
    this.options.logger.error(
      `recording ${active.name}: write failed: ${error instanceof Error ? error.message : String(error)}`,
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
      await this.releaseReserve();
      result = await this.options.execute(command, context);
    }
    if (!result.ok) this.options.logger.warn(`stop (${reason}) refused: ${result.refusal.code}`);
  }

  /**
   * A small reserved file in the data directory, given back when a write fails
   * for lack of space, so that the stop and later deletes can still be committed.
   */
  async ensureReserve(): Promise<void> {
    const bytes = (this.options.settings.reserveKiB ?? 512) * 1024;
    if (bytes <= 0) return;
    try {
      const stat = await fs.stat(this.reservePath()).catch(() => undefined);
      if (stat && stat.size >= bytes) return;
      if ((await this.freeBytes()) < bytes * 4) return;
      await fs.writeFile(this.reservePath(), Buffer.alloc(bytes));
    } catch (error) {
      this.options.logger.warn(`could not reserve ${bytes} bytes: ${String(error)}`);
      await fs.unlink(this.reservePath()).catch(() => undefined);
    }
  }

  private async releaseReserve(): Promise<void> {
    await fs.unlink(this.reservePath()).catch(() => undefined);
  }

  private reservePath(): string {
    return path.join(this.options.files.dir, '..', '.space-reserve');
  }

  /**
   * Finish the active writer (gzip trailer) and return its final totals. On a
   * write error (e.g. ENOSPC) the file is cut back to the last committed size,
   * which is still a valid gzip prefix: a stop never fails.
   */
  private async finalizeActive(
    options: { readonly abandon?: boolean } = {},
  ): Promise<{ totals: RecordingTotals; detail?: string }> {
    const active = this.active;
    if (!active) throw new TypeError('no active recording to finalize');
    active.abort.abort();
    this.active = undefined;
    this.stopFlushTimer();
    return this.withLock(async () => {
      try {
        if (options.abandon) throw new Error('abandoned after a write failure');
        const final = await active.writer.finish();
        const totals: RecordingTotals = {
          qmdlSizeBytes: final.compressedBytes,
          uncompressedBytes: final.uncompressedBytes,
          containers: active.written.containers,
          ...(active.written.lastMessageTime !== undefined ? { lastMessageTime: active.written.lastMessageTime } : {}),
        };
        this.options.logger.info(`recording ${active.name} finalized at ${totals.qmdlSizeBytes} bytes`);
        active.final = totals;
        return { totals };
      } catch (error) {
        await active.writer.abort().catch(() => undefined);
        const file = this.options.files.paths(active.name, true).qmdl;
        await fs.truncate(file, active.committed.qmdlSizeBytes).catch(() => undefined);
        const message = options.abandon
          ? `cut back to the last committed ${active.committed.qmdlSizeBytes} bytes`
          : `finalize failed (${(error as NodeJS.ErrnoException).code ?? 'error'}); cut back to the last committed ${active.committed.qmdlSizeBytes} bytes`;
        this.options.logger.error(`recording ${active.name}: ${message}`);
        return { totals: active.committed, detail: message };
      }
    });
  }

  /**
   * One line of Rayhunter's GpsRecord: `latest_packet_timestamp` is the unix
   * second of the newest message written to the recording when the fix arrived
   * (the device's clock, which the pcap export matches packets against; null
   * before the first message), `system_time` the unix second of the fix by the
   * adjusted clock. Both are integers, as the daemon reads them.
   */
  private async appendGps(event: Extract<LedgerEvent, { type: 'GpsFixRecorded' }>): Promise<void> {
    if (!event.recording) return;
    const newest = this.active?.name === event.recording ? this.active.written.lastMessageTime : undefined;
    const newestMs = newest === undefined ? undefined : parseRfc3339(newest);
    const line = JSON.stringify({
      latest_packet_timestamp: newestMs === undefined ? null : Math.floor(newestMs / 1000),
      system_time: Math.floor((parseRfc3339(event.time) ?? Date.parse(event.systemTime)) / 1000),
      lat: event.data.lat,
      lon: event.data.lon,
    });
    await fs.appendFile(this.options.files.paths(event.recording, true).gps, `${line}\n`);
  }

  private startFlushTimer(): void {
    this.stopFlushTimer();
    const interval = Math.max(10, this.options.settings.flushIntervalMs);
    this.flushTimer = setInterval(() => {
      // Nothing thrown here may escape: a throwing timer callback ends the process.
      try {
        const active = this.active;
        if (active && this.options.clock() - active.lastFlushAt >= interval) {
          this.flush(active)
            .catch((error: unknown) => this.writeFailed(active, error))
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

  private async freeBytes(): Promise<number> {
    return (this.options.availableBytes ?? availableBytes)(this.options.files.dir);
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Stop accepting new recordings and wait for the pump to finish (after the final stop was committed). */
  async close(): Promise<void> {
    this.closing = true;
    this.stopFlushTimer();
    const active = this.active;
    if (active) {
      // No stop was committed (e.g. a forced close): leave the file at its committed prefix for recovery.
      active.abort.abort();
      this.active = undefined;
      await this.withLock(async () => {
        await active.writer.abort().catch(() => undefined);
      });
    }
    await active?.pump?.catch(() => undefined);
  }
}

/** RFC 3339 with this machine's local offset, as the manifest shows times. */
function localRfc3339(ms: number): string {
  return formatRfc3339(ms, -new Date(ms).getTimezoneOffset());
}

/** "QMDL_WRITE_FAILED: … (cause ENOSPC: no space left on device)": the codes of the whole cause chain. */
function errorDetail(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    const message = current instanceof Error ? current.message : String(current);
    parts.push(typeof code === 'string' ? `${code}: ${message}` : message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(' (cause ') + ')'.repeat(Math.max(0, parts.length - 1));
}

function joinDetail(a: string | undefined, b: string): string {
  return a ? `${a}; ${b}` : b;
}
