import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import {
  analysisOf,
  compareRecordingsByStart,
  isLedgerError,
  LedgerError,
  liveRecordings,
  type RecordingEntry,
} from '@ledger/domain';
import type { Ledger } from './ledger';
import { silentLogger, type LedgerLogger } from './logger';
import { ShippingErrorCode, type ChainHead, type FleetTarget, type ShippedFile } from './fleet-target';
import { abortableSleep } from './abortable-sleep';
import type { Clock } from './host';

/** What `GET /api/shipping` and /metrics show. */
export interface ShippingStatus {
  readonly target: string;
  /** 'shipping': sending; 'idle': everything committed is acknowledged; 'backoff': waiting to retry; 'forked': the central history differs. */
  readonly state: 'starting' | 'shipping' | 'idle' | 'backoff' | 'forked' | 'stopped';
  /** The central head as last acknowledged (the shipper's checkpoint). */
  readonly shippedSeq: number;
  readonly headSeq: number;
  readonly lagEvents: number;
  /** Committed recording bytes (compressed) the central side does not hold yet, of live recordings. */
  readonly lagBytes: number;
  readonly uploadedRecordings: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  readonly lastSuccessAt?: string;
}

export interface ShipperOptions {
  readonly ledger: Ledger;
  readonly target: FleetTarget;
  /** Events per batch (default 500). */
  readonly batchEvents?: number;
  /** Bytes per upload request (default 1 MiB). */
  readonly chunkBytes?: number;
  /** Upper bound of what is sent, events and bytes together (default 4 MiB/s): shipping must never slow recording. */
  readonly maxBytesPerSecond?: number;
  /** Backoff while the central side is down: from `minMs` doubling to `maxMs` (defaults 250 ms, 30 s). */
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
  /**
   * Before each send, wait until no event was committed for this long (default 250 ms), so a burst
   * of commands ships as one batch after it instead of competing with it for the event loop
   * (shipping is the device's lowest-priority work) — but never longer than `maxDeferMs`.
   */
  readonly coalesceMs?: number;
  /** The longest a send waits for the log to be quiet (default 2 s): a steady stream of commands still ships. */
  readonly maxDeferMs?: number;
  /**
   * The device analyses its recordings (serve's analysis reactor): a finished recording is uploaded
   * only once its analysis has completed, so its report is shipped whole before `RecordingUploaded`
   * (and before `--delete-after-upload` removes it). Without analysis there is no report to wait for.
   */
  readonly awaitAnalysis?: boolean;
  /** Delete a recording locally once it is uploaded (the original's `delete_on_upload`). */
  readonly deleteAfterUpload?: boolean;
  readonly logger?: LedgerLogger;
}

interface FileProgress {
  /** Bytes the central side holds (undefined until asked); of `version`, for a versioned analysis report. */
  remote?: number;
  /** The analysis id of the completed analysis whose report `remote` counts. */
  version?: string;
  /** That report's length: the report of a completed analysis never changes. */
  length?: number;
}

/**
 * Ships the log and the recordings to a fleet service: a checkpointed loop over
 * the log. The checkpoint is the central head itself — asked at start and after
 * every 409, and advanced by every acknowledgement — because the central side
 * is what decides what is stored (and stores nothing twice), so a crash of
 * either side loses nothing and doubles nothing. Each step sends, in this order
 * of priority: the next batch of events past the checkpoint (their stored text,
 * the hash chain's form); else the next committed bytes of a live recording, in
 * log order (start time); else, for a finished recording whose every byte is
 * acknowledged, `MarkRecordingUploaded` through the command processor (then,
 * with `deleteAfterUpload`, `DeleteRecording{reason: uploaded}`); else the
 * report of an uploaded recording analysed again since (the central side
 * replaces its copy once the new version has arrived whole). The decision
 * to record "uploaded" is taken from the projection, so it is recorded once.
 * Failures back off (doubling, capped); the send rate is bounded; the loop never
 * runs inside a command, so a slow or absent central side never slows one.
 *
 * Why this is not a `runReactor` reactor (reactor.ts): a reactor's checkpoint is
 * local and only moves forward, but the shipper's position is whatever the
 * central side holds — after a 409 it may be *behind* what was acknowledged
 * (a central database restored from a backup), and shipping must resume from
 * there. The seam: `step()` is the handler and `waitForWork()` the tail; on a
 * reactor whose position the handler may set, `run()` becomes that reactor.
 *
 * @example
 * const shipper = new Shipper({ ledger, target: new HttpFleetTarget({ baseUrl, token, storeId: ledger.log.metadata.storeId }) }).start();
 * shipper.status(); // { state: 'shipping', shippedSeq, headSeq, lagEvents, ... }
 * await shipper.stop();
 */
export class Shipper {
  private readonly ledger: Ledger;
  private readonly target: FleetTarget;
  private readonly logger: LedgerLogger;
  private readonly batchEvents: number;
  private readonly chunkBytes: number;
  private readonly bytesPerSecond: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  /** The ledger's clock (`Ledger.clock`): the commit lull, the send pacing and the status times are read from it. */
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private readonly files = new Map<string, FileProgress>();
  private central?: ChainHead;
  private state: ShippingStatus['state'] = 'starting';
  private lastError?: ShippingStatus['lastError'];
  private lastSuccessAt?: string;
  private uploaded = 0;
  private failures = 0;
  private running?: Promise<void>;
  private wake?: () => void;
  private sentAt = 0;
  private sentDebtMs = 0;
  private lastCommitAt = 0;

  constructor(private readonly options: ShipperOptions) {
    this.ledger = options.ledger;
    this.target = options.target;
    this.logger = options.logger ?? silentLogger;
    this.batchEvents = options.batchEvents ?? 500;
    this.chunkBytes = options.chunkBytes ?? 1024 * 1024;
    this.bytesPerSecond = options.maxBytesPerSecond ?? 4 * 1024 * 1024;
    this.minBackoffMs = options.backoff?.minMs ?? 250;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    this.clock = options.ledger.clock;
  }

  start(): this {
    if (this.running === undefined) {
      const subscription = this.ledger.committed$.subscribe(() => {
        this.lastCommitAt = this.clock.now();
        this.wake?.();
      });
      this.running = this.run().finally(() => subscription.unsubscribe());
    }
    return this;
  }

  /** Stops after the request in flight (its answer is not awaited past the abort). */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.running;
    this.state = 'stopped';
  }

  status(): ShippingStatus {
    const headSeq = this.ledger.log.headSeq();
    const shippedSeq = this.central?.seq ?? 0;
    return {
      target: this.target.url,
      state: this.state,
      shippedSeq,
      headSeq,
      lagEvents: Math.max(0, headSeq - shippedSeq),
      lagBytes: this.lagBytes(),
      uploadedRecordings: this.uploaded,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastSuccessAt !== undefined ? { lastSuccessAt: this.lastSuccessAt } : {}),
    };
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let worked: boolean;
      try {
        await this.untilQuiet();
        if (signal.aborted) break;
        worked = await this.step();
        this.failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        await this.failed(error);
        continue;
      }
      if (!worked) {
        this.state = 'idle';
        await this.waitForWork(1000);
      }
    }
  }

  /**
   * Lets the device's own work go first: a turn of the event loop (the I/O of commands that arrived
   * meanwhile is handled before the next send), then until no event was committed for `coalesceMs`,
   * for at most `maxDeferMs` of waiting. The lull is read on the ledger's clock; the budget counts
   * the waits themselves, so a clock that stands still (a test's fixed one) or jumps cannot hold a
   * send back for longer.
   */
  private async untilQuiet(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const quietMs = this.options.coalesceMs ?? 250;
    let budget = this.options.maxDeferMs ?? 2000;
    const signal = this.abort.signal;
    while (budget > 0 && !signal.aborted) {
      const commitAt = this.lastCommitAt;
      const wait = Math.min(commitAt + quietMs - this.clock.now(), budget);
      if (wait <= 0) return;
      await abortableSleep(wait, signal);
      budget -= wait;
      // Nothing was committed while we waited: the log has been quiet for `quietMs`.
      if (this.lastCommitAt === commitAt) return;
    }
  }

  /** One unit of work; false when there was nothing to send. */
  private async step(): Promise<boolean> {
    if (this.central === undefined) {
      this.central = await this.target.head();
      await this.checkFork(this.central);
    }
    const local = this.ledger.log.headSeq();
    if (local > this.central.seq) return this.shipEvents(this.central.seq, local);
    if (local < this.central.seq) {
      await this.probeBehind(local);
      return false;
    }
    return this.shipRecordings();
  }

  private async shipEvents(after: number, head: number): Promise<boolean> {
    this.state = 'shipping';
    const lines: string[] = [];
    let bytes = 0;
    for await (const { text } of this.ledger.log.readStored({
      fromSeq: after + 1,
      toSeq: Math.min(head, after + this.batchEvents),
    })) {
      lines.push(text);
      bytes += text.length + 1;
      if (bytes >= this.chunkBytes) break;
    }
    if (lines.length === 0) return false;
    await this.paced(bytes);
    const answer = await this.target.sendEvents(`${lines.join('\n')}\n`);
    this.central = answer.head;
    if (!answer.ok) {
      // The batch did not extend the central head: resume from what it holds, if that is our history.
      await this.checkFork(answer.head, answer.fork?.seq);
      this.logger.warn(`shipping: the central head is ${answer.head.seq}; resuming from there`);
    }
    this.succeeded();
    return true;
  }

  /** The central head must be a point of our own history; otherwise the device forked (e.g. a restored backup). */
  private async checkFork(head: ChainHead, forkSeq?: number): Promise<void> {
    if (forkSeq !== undefined)
      throw this.forked(`the central history of this device differs from the local one at seq ${forkSeq}`);
    if (head.seq === 0 || head.seq > this.ledger.log.headSeq()) return;
    for await (const { text } of this.ledger.log.readStored({ fromSeq: head.seq, toSeq: head.seq })) {
      if ((JSON.parse(text) as { hash?: unknown }).hash === head.hash) return;
    }
    throw this.forked(`the central head (seq ${head.seq}) is not an event of this device's log`);
  }

  /** The central side holds more than this device: send our head event so the central side can tell a stale copy from a fork. */
  private async probeBehind(local: number): Promise<void> {
    const lines: string[] = [];
    for await (const { text } of this.ledger.log.readStored({ fromSeq: Math.max(1, local), toSeq: local }))
      lines.push(text);
    if (lines.length > 0) {
      const answer = await this.target.sendEvents(`${lines.join('\n')}\n`);
      if (!answer.ok && answer.fork !== undefined)
        throw this.forked(`the central history of this device differs from the local one at seq ${answer.fork.seq}`);
    }
    const centralSeq = this.central?.seq;
    this.central = undefined;
    throw this.forked(
      `the central service holds seq ${centralSeq} past this device's head ${local} (restored from an old backup?)`,
    );
  }

  private forked(message: string): LedgerError {
    return new LedgerError(ShippingErrorCode.CHAIN_FORKED, message);
  }

  /** Live recordings in log order: the committed bytes of each file the central side does not hold yet. */
  private async shipRecordings(): Promise<boolean> {
    const state = this.ledger.state();
    const live = liveRecordings(state).map((entry) => ({ entry, active: entry === state.current }));
    live.sort((a, b) => compareRecordingsByStart(a.entry, b.entry));
    for (const { entry, active } of live) {
      if (entry.uploadTime !== undefined && !active) continue;
      const paths = this.ledger.paths(entry.name, entry.compressed);
      if (await this.shipFile(entry.name, 'qmdl', paths.qmdl, entry.qmdlSizeBytes)) return true;
      if (active) continue;
      if (this.options.awaitAnalysis === true) {
        const analysis = analysisOf(state, entry.name);
        // Its report is written (atomically, whole) when its analysis completes: until then there is nothing final to ship.
        if (analysis?.completed === undefined || analysis.running !== undefined) continue;
      }
      // The side files are final once the recording is and its analysis completed: their size on disk is what there is.
      if (await this.shipFile(entry.name, 'gps', paths.gps, await sizeOnDisk(paths.gps))) return true;
      if (await this.shipReport(entry.name, paths.analysis)) return true;
      await this.recordUploaded(entry);
      return true;
    }
    // A recording analysed again after its upload has a new report: it replaces the central one. A recording
    // deleted here has no report left to send; the central side keeps the last one it received whole.
    for (const { entry, active } of live) {
      if (entry.uploadTime === undefined || active || this.reportVersion(entry.name) === undefined) continue;
      if (await this.shipReport(entry.name, this.ledger.paths(entry.name, entry.compressed).analysis)) return true;
    }
    return false;
  }

  /**
   * The analysis that wrote the report on disk — the recording's completed analysis, unless another
   * one is running (its report is put in place just before it completes, so until then the file may
   * be either). Undefined when there is none.
   */
  private reportVersion(name: string): string | undefined {
    const analysis = analysisOf(this.ledger.state(), name);
    return analysis?.running === undefined ? analysis?.completed?.analysisId : undefined;
  }

  /**
   * The analysis report, versioned by its analysis: the central side serves the version it holds
   * whole until a newer one has arrived whole. A report no completed analysis wrote (analysis off)
   * goes without a version, as the bytes there are.
   */
  private async shipReport(name: string, location: string): Promise<boolean> {
    const version = this.reportVersion(name);
    const known = this.files.get(`${name}/analysis`);
    if (
      version !== undefined &&
      known?.version === version &&
      known.remote !== undefined &&
      known.length !== undefined &&
      known.remote >= known.length
    )
      return false;
    return this.shipFile(name, 'analysis', location, await sizeOnDisk(location), version);
  }

  /**
   * Sends the next chunk of `[remote, committed)`; false when the central side holds it all. With
   * `version` (an analysis report's), the position is that version's, and starts again when it changes.
   */
  private async shipFile(
    name: string,
    file: ShippedFile,
    location: string,
    committed: number,
    version?: string,
  ): Promise<boolean> {
    const key = `${name}/${file}`;
    let progress = this.files.get(key);
    if (progress === undefined || progress.version !== version) {
      progress = version === undefined ? {} : { version };
      this.files.set(key, progress);
    }
    if (version !== undefined) progress.length = committed;
    if (progress.remote === undefined) {
      if (committed === 0) return false;
      progress.remote = await this.target.fileSize(name, file, version);
    }
    const from = progress.remote;
    if (from >= committed) return false;
    this.state = 'shipping';
    const length = Math.min(this.chunkBytes, committed - from);
    const bytes = await readRange(location, from, length);
    if (bytes === undefined) return false;
    // Read before any newer analysis started (it starts before it replaces the file): these are this version's bytes.
    if (version !== undefined && this.reportVersion(name) !== version) return true;
    await this.paced(bytes.length);
    const answer = await this.target.putData(
      name,
      file,
      from,
      bytes,
      version === undefined ? undefined : { version, length: committed },
    );
    if (!answer.ok && answer.stale === true) {
      this.logger.warn(`shipping: the central side holds a newer report of ${name} than analysis ${version ?? '-'}`);
      progress.remote = committed;
    } else {
      progress.remote = answer.size;
    }
    this.succeeded();
    return true;
  }

  private async recordUploaded(entry: RecordingEntry): Promise<void> {
    const context = { actor: { kind: 'system' as const }, correlationId: `ship-${entry.name}-${randomUUID()}` };
    // The command processor stamps the upload time (the adjusted clock, like every event time).
    const result = await this.ledger.execute(
      {
        type: 'MarkRecordingUploaded',
        data: { name: entry.name, target: this.target.url, sizeBytes: entry.qmdlSizeBytes },
      },
      context,
    );
    if (!result.ok) {
      this.logger.warn(`shipping: could not record the upload of ${entry.name}: ${result.refusal.code}`);
      return;
    }
    this.uploaded += 1;
    this.logger.info(`shipping: recording ${entry.name} uploaded to ${this.target.url} (${entry.qmdlSizeBytes} bytes)`);
    if (this.options.deleteAfterUpload) {
      const deleted = await this.ledger.execute(
        { type: 'DeleteRecording', data: { name: entry.name, reason: 'uploaded' } },
        { ...context, causationId: context.correlationId },
      );
      if (!deleted.ok) this.logger.warn(`shipping: could not delete uploaded ${entry.name}: ${deleted.refusal.code}`);
      for (const file of ['qmdl', 'gps', 'analysis']) this.files.delete(`${entry.name}/${file}`);
    }
  }

  private lagBytes(): number {
    const state = this.ledger.state();
    let lag = 0;
    const entries = Object.values(state.entries);
    if (state.current !== undefined) entries.push(state.current);
    for (const entry of entries) {
      if (entry.uploadTime !== undefined) continue;
      lag += Math.max(0, entry.qmdlSizeBytes - (this.files.get(`${entry.name}/qmdl`)?.remote ?? 0));
    }
    return lag;
  }

  /** Keeps the average send rate at or under `maxBytesPerSecond`; a debt slept off is paid, whatever the clock did meanwhile. */
  private async paced(bytes: number): Promise<void> {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.sentAt);
    this.sentDebtMs = Math.max(0, this.sentDebtMs - elapsed) + (bytes / this.bytesPerSecond) * 1000;
    this.sentAt = now;
    if (this.sentDebtMs > 50) {
      await abortableSleep(this.sentDebtMs, this.abort.signal);
      this.sentDebtMs = 0;
      this.sentAt = this.clock.now();
    }
  }

  private succeeded(): void {
    this.lastSuccessAt = new Date(this.clock.now()).toISOString();
  }

  private async failed(error: unknown): Promise<void> {
    const code = isLedgerError(error) ? error.code : 'SHIP_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    if (this.lastError?.message !== message) this.logger.warn(`shipping: ${message} (${code})`);
    this.lastError = { code, message, at: new Date(this.clock.now()).toISOString() };
    this.failures += 1;
    // Ask the head again after any failure: the answer to the lost request may have been applied.
    this.central = undefined;
    this.state = code === ShippingErrorCode.CHAIN_FORKED ? 'forked' : 'backoff';
    const exponent = Math.min(this.failures - 1, 16);
    const delay =
      code === ShippingErrorCode.SHIP_UNREACHABLE
        ? Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** exponent)
        : this.maxBackoffMs;
    await abortableSleep(delay * (0.75 + Math.random() * 0.5), this.abort.signal);
  }

  /** Until an event is committed (true) or `ms` pass (false: files of a finished recording may still be due). */
  private async waitForWork(ms: number): Promise<boolean> {
    const woken = await new Promise<boolean>((resolve) => {
      const signal = this.abort.signal;
      const timer = setTimeout(() => done(false), ms);
      const onAbort = (): void => done(false);
      const done = (byCommit: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(byCommit);
      };
      this.wake = () => done(true);
      signal.addEventListener('abort', onAbort);
    });
    this.wake = undefined;
    return woken;
  }
}

/** A file's size, 0 when it is not there. */
function sizeOnDisk(location: string): Promise<number> {
  return fs.stat(location).then(
    (s) => s.size,
    () => 0,
  );
}

/** Bytes [offset, offset + length) of a file, or undefined when it is gone (deleted meanwhile). */
async function readRange(location: string, offset: number, length: number): Promise<Buffer | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(location, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read === length ? buffer : buffer.subarray(0, read);
  } finally {
    await handle.close();
  }
}
