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
import type { StoredEventText } from '@ledger/event-log';
import type { Ledger } from './ledger';
import { silentLogger, type LedgerLogger } from './logger';
import { ShippingErrorCode, type ChainHead, type FleetTarget, type ShippedFile } from './fleet-target';
import { abortableSleep } from './abortable-sleep';
import type { Clock } from './host';
import type { Reactor, ReactorBatchContext } from './reactor';

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
   * The recordings whose analysis report is still to come (serve's analysis reactor: queued, being
   * analysed, or analysed live): a finished recording among them is not uploaded yet, so its report
   * is shipped whole before `RecordingUploaded` (and before `--delete-after-upload` removes it). One
   * that is not among them — analysed, its analysis failed, every analyzer off, or no analysis at
   * all (`--no-analysis`, or this option not given) — ships with the report there is.
   */
  readonly pendingAnalyses?: () => ReadonlySet<string>;
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

/** The name the shipper's event reactor runs under (`GET /api/reactors`, `/metrics`). */
export const SHIPPER_REACTOR = 'shipper';

/**
 * Ships the log and the recordings to a fleet service. The events go out as a
 * reactor (`runReactor`) whose position is external: the central head itself —
 * asked at start and after every failure, moved by every acknowledgement, and
 * by a 409 to whatever the central side holds, even behind what it had
 * acknowledged (a central database restored from a backup); shipping resumes
 * from there. The central side decides what is stored (and stores nothing
 * twice), so a crash of either side loses nothing and doubles nothing. The
 * handler sends each batch past the position as its stored text (the hash
 * chain's form), at most `batchEvents` events or `chunkBytes`, and tells the
 * reactor where to resume (`resumeAfter`: the answered head). Once every event
 * is acknowledged, the file loop sends the next committed bytes of a live
 * recording, in log order (start time); else, for a finished recording whose
 * every byte is acknowledged, `MarkRecordingUploaded` through the command
 * processor (then, with `deleteAfterUpload`, `DeleteRecording{reason:
 * uploaded}`); else the report of an uploaded recording analysed again since
 * (the central side replaces its copy once the new version has arrived whole).
 * The decision to record "uploaded" is taken from the projection, so it is
 * recorded once. One request is in flight at a time, events first.
 * Failures back off (doubling, capped); the send rate is bounded; nothing runs
 * inside a command, so a slow or absent central side never slows one.
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
  private reactor?: Reactor;
  private running?: Promise<void>;
  private wake?: () => void;
  /** The request in flight (events or bytes): one at a time. */
  private sending: Promise<unknown> = Promise.resolve();
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
      const reactor = this.ledger.runReactor({
        name: SHIPPER_REACTOR,
        batchSize: this.batchEvents,
        // The shipper reports its own failures (with their codes, once per new message); the rest goes to its logger.
        logger: { info: (m) => this.logger.info(m), warn: () => undefined, error: (m) => this.logger.error(m) },
        backoff: { delayMs: (error, failures) => this.retryDelay(error, failures) },
        position: { load: () => this.failing(() => this.loadCentralHead()) },
        handleStored: (events, context) => this.failing(() => this.shipEvents(events, context), context.signal),
      });
      this.reactor = reactor;
      this.running = Promise.all([reactor.done, this.runFiles()])
        .then(() => undefined)
        .finally(() => subscription.unsubscribe());
    }
    return this;
  }

  /** Stops after the request in flight (its answer is not awaited past the abort). */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.reactor?.stop();
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

  /** The recordings' bytes and uploads: whenever every committed event is acknowledged. */
  private async runFiles(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      if (!this.eventsShipped()) {
        await this.waitForWork(1000);
        continue;
      }
      let worked: boolean;
      try {
        await this.untilQuiet();
        if (signal.aborted) break;
        // Events committed meanwhile go first.
        if (!this.eventsShipped()) continue;
        worked = await this.exclusive(() => this.shipRecordings());
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        this.noteFailure(error);
        failures += 1;
        await abortableSleep(this.retryDelay(error, failures), signal);
        continue;
      }
      if (!worked) {
        this.state = 'idle';
        await this.waitForWork(1000);
      }
    }
  }

  /** The event reactor is live and has the central side acknowledge every committed event. */
  private eventsShipped(): boolean {
    const events = this.reactor?.status();
    return events?.state === 'live' && events.position >= this.ledger.log.headSeq();
  }

  /** Runs `send` when no other request is in flight. */
  private exclusive<T>(send: () => Promise<T>): Promise<T> {
    const turn = this.sending.then(send);
    this.sending = turn.catch(() => undefined);
    return turn;
  }

  /** Notes a failure of the event reactor's load or batch for the status (unless the reactor is stopping), and rethrows it. */
  private async failing<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(signal ?? this.abort.signal).aborted) {
        this.noteFailure(error);
        // Ask the head again: the answer to the lost request may have been applied.
        this.central = undefined;
      }
      throw error;
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

  /** The event reactor's position: the central head, once it is known to be a point of our own history. */
  private async loadCentralHead(): Promise<number> {
    const head = await this.target.head();
    await this.adopt(head);
    this.wakeAfterReactor();
    return head.seq;
  }

  /**
   * The event reactor's handler: sends the batch (a prefix of at most `chunkBytes`) as stored and
   * resumes after the head the central side answers — past the batch, or where it stands after a 409.
   */
  private async shipEvents(events: readonly StoredEventText[], context: ReactorBatchContext): Promise<void> {
    await this.untilQuiet();
    if (context.signal.aborted) return;
    await this.exclusive(async () => {
      this.state = 'shipping';
      const lines: string[] = [];
      let bytes = 0;
      for (const { text } of events) {
        lines.push(text);
        bytes += text.length + 1;
        if (bytes >= this.chunkBytes) break;
      }
      await this.paced(bytes);
      const answer = await this.target.sendEvents(`${lines.join('\n')}\n`);
      if (answer.ok) {
        this.central = answer.head;
      } else {
        // The batch did not extend the central head: resume from what it holds, if that is our history.
        await this.adopt(answer.head, answer.fork?.seq);
        this.logger.warn(`shipping: the central head is ${answer.head.seq}; resuming from there`);
      }
      context.resumeAfter(answer.head.seq);
      this.succeeded();
    });
    this.wakeAfterReactor();
  }

  /**
   * Every event may be acknowledged now: the recordings' turn. The reactor takes its new position
   * and state when the handler (or the load) returns, before the next turn of the event loop.
   */
  private wakeAfterReactor(): void {
    setImmediate(() => this.wake?.());
  }

  /**
   * Takes `head` as the central position if it is a point of our own history; otherwise the device
   * forked (e.g. a restored backup), or the central side holds more than this device.
   */
  private async adopt(head: ChainHead, forkSeq?: number): Promise<void> {
    await this.checkFork(head, forkSeq);
    const local = this.ledger.log.headSeq();
    if (head.seq > local) await this.probeBehind(head, local);
    this.central = head;
  }

  /** The central head must be a point of our own history; otherwise the device forked (e.g. a restored backup). */
  private async checkFork(head: ChainHead, forkSeq?: number): Promise<void> {
    if (forkSeq !== undefined)
      throw this.forked(`the central history of this device differs from the local one at seq ${forkSeq}`);
    if (head.seq === 0 || head.seq > this.ledger.log.headSeq()) return;
    for await (const { text } of this.ledger.log.readStored({ fromSeq: head.seq, toSeq: head.seq })) {
      if ((JSON.parse(text) as { hash?: unknown }).hash === head.hash) return;
    }
    // Our event at that seq, so the central side records the fork too (the fleet view shows it), not only this device.
    await this.offer(head.seq);
    throw this.forked(`the central head (seq ${head.seq}) is not an event of this device's log`);
  }

  /** The central side holds more than this device: send our head event so the central side can tell a stale copy from a fork. */
  private async probeBehind(central: ChainHead, local: number): Promise<void> {
    await this.offer(local);
    throw this.forked(
      `the central service holds seq ${central.seq} past this device's head ${local} (restored from an old backup?)`,
    );
  }

  /** Sends our event at `seq` alone: a central side holding another event there records the fork and says where. */
  private async offer(seq: number): Promise<void> {
    const lines: string[] = [];
    for await (const { text } of this.ledger.log.readStored({ fromSeq: Math.max(1, seq), toSeq: seq }))
      lines.push(text);
    if (lines.length === 0) return;
    const answer = await this.target.sendEvents(`${lines.join('\n')}\n`);
    if (!answer.ok && answer.fork !== undefined)
      throw this.forked(`the central history of this device differs from the local one at seq ${answer.fork.seq}`);
  }

  private forked(message: string): LedgerError {
    return new LedgerError(ShippingErrorCode.CHAIN_FORKED, message);
  }

  /** Live recordings in log order: the committed bytes of each file the central side does not hold yet. */
  private async shipRecordings(): Promise<boolean> {
    const state = this.ledger.state();
    const live = liveRecordings(state).map((entry) => ({ entry, active: entry === state.current }));
    live.sort((a, b) => compareRecordingsByStart(a.entry, b.entry));
    const pending = this.options.pendingAnalyses?.();
    for (const { entry, active } of live) {
      // An upload elsewhere — the original's own (an imported upload time) or to the fleet service
      // shipped to before --ship-to changed — leaves this one without the recording.
      if (this.uploadedHere(entry) && !active) continue;
      const paths = this.ledger.paths(entry.name, entry.compressed);
      if (await this.shipFile(entry.name, 'qmdl', paths.qmdl, entry.qmdlSizeBytes)) return true;
      // Its report is written (atomically, whole) when its analysis completes: until then there is nothing final to ship.
      if (active || pending?.has(entry.name) === true) continue;
      // The side files are final once the recording is and no analysis is to come: their size on disk is what there is.
      if (await this.shipFile(entry.name, 'gps', paths.gps, await sizeOnDisk(paths.gps))) return true;
      if (await this.shipReport(entry.name, paths.analysis)) return true;
      await this.recordUploaded(entry);
      return true;
    }
    // A recording analysed again after its upload has a new report: it replaces the central one. A recording
    // deleted here has no report left to send; the central side keeps the last one it received whole.
    for (const { entry, active } of live) {
      if (!this.uploadedHere(entry) || active) continue;
      const version = this.reportVersion(entry.name);
      // The report recorded with the upload was acknowledged whole then: no need to ask (a restart asks nothing).
      if (version === undefined || version === entry.uploadedReport) continue;
      if (await this.shipReport(entry.name, this.ledger.paths(entry.name, entry.compressed).analysis)) return true;
    }
    return false;
  }

  /** Whether this target acknowledged every byte of the recording (it is not lag, nothing more is sent but a new report). */
  private uploadedHere(entry: RecordingEntry): boolean {
    return entry.uploadTarget === this.target.url;
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
    // An analysis completed since this round began: the central side knows a version only once its completion
    // is shipped (else 422 UNKNOWN_REPORT_VERSION), so the events go first.
    if (version !== undefined && !this.eventsShipped()) return true;
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
    const reportVersion = this.shippedReportVersion(entry.name);
    // The command processor stamps the upload time (the adjusted clock, like every event time).
    const result = await this.ledger.execute(
      {
        type: 'MarkRecordingUploaded',
        data: {
          name: entry.name,
          target: this.target.url,
          sizeBytes: entry.qmdlSizeBytes,
          ...(reportVersion !== undefined ? { reportVersion } : {}),
        },
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

  /** The report version the central side acknowledged whole, if it is still the one on disk. */
  private shippedReportVersion(name: string): string | undefined {
    const version = this.reportVersion(name);
    const known = this.files.get(`${name}/analysis`);
    return version !== undefined &&
      known?.version === version &&
      known.length !== undefined &&
      (known.remote ?? 0) >= known.length
      ? version
      : undefined;
  }

  private lagBytes(): number {
    const state = this.ledger.state();
    let lag = 0;
    const entries = Object.values(state.entries);
    if (state.current !== undefined) entries.push(state.current);
    for (const entry of entries) {
      if (this.uploadedHere(entry)) continue;
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

  /** Records a failure for the status: its code, and backoff or forked. */
  private noteFailure(error: unknown): void {
    const code = isLedgerError(error) ? error.code : 'SHIP_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    if (this.lastError?.message !== message) this.logger.warn(`shipping: ${message} (${code})`);
    this.lastError = { code, message, at: new Date(this.clock.now()).toISOString() };
    this.state = code === ShippingErrorCode.CHAIN_FORKED ? 'forked' : 'backoff';
  }

  /** The wait after the `failures`-th failure in a row: doubling while unreachable, the longest otherwise; jittered. */
  private retryDelay(error: unknown, failures: number): number {
    const exponent = Math.min(failures - 1, 16);
    const unreachable = isLedgerError(error) && error.code === ShippingErrorCode.SHIP_UNREACHABLE;
    const delay = unreachable ? Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** exponent) : this.maxBackoffMs;
    return delay * (0.75 + Math.random() * 0.5);
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
