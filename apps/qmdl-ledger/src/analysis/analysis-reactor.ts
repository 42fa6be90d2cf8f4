import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, openSync, promises as fs, renameSync, type WriteStream } from 'node:fs';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { AnalysisHarness, type RuntimeMetadata } from '@ledger/analysis';
import { analysisOf, type Command, type RecordingEntry, type RecordingTotals } from '@ledger/domain';
import { openQmdlReadStream } from '@ledger/qmdl';
import { RadioMessageReader } from '@ledger/radio';
import { silentLogger, type Ledger, type LedgerLogger, type RecordingTap } from '@ledger/store';
import {
  analysisStatusOf,
  analyzerConfigOf,
  runnableAnalyses,
  enabledAnalyzers,
  sameAnalyzers,
  type AnalysisJob,
  type AnalysisStatus,
} from './analysis-queue';
import { FindingCoalescer } from './finding-coalescer';
import { FindingRecorder, type FindingBatch } from './finding-recorder';

export interface AnalysisReactorOptions {
  readonly ledger: Ledger;
  /** Who analyses, for the reports' metadata line when a recording does not name its own build. */
  readonly runtime: RuntimeMetadata;
  readonly logger?: LedgerLogger;
  /** Bytes read from a recording file at a time (default 64 KiB); the loop yields to the event loop after each. */
  readonly chunkBytes?: number;
  /** Raw bytes the live session's feed may hold before it lets go of them and the session reads the file (default 2 MiB). */
  readonly liveFeedBytes?: number;
  /** Awaited before a finished recording's partial report is opened (a test deletes the recording there). */
  readonly beforePartialOpen?: (name: string) => Promise<void>;
  /** Awaited once a report is written and synced, before it is put in place (a test deletes the recording there). */
  readonly beforeReportInPlace?: (name: string) => Promise<void>;
  /** Awaited as a live session opens, before its report is (a test deletes the active recording there). */
  readonly beforeLiveReportOpen?: (name: string) => Promise<void>;
  /** Awaited after each chunk of an analysis after the fact, its closed windows handed on (a test paces it there). */
  readonly afterChunk?: (name: string) => Promise<void>;
}

/** The queue as the HTTP app sees it (a re-analysis is asked for with RequestRecordingAnalysis: the log holds it). */
export interface AnalysisQueue {
  status(): AnalysisStatus;
  /** Why the recording's analysis failed in this run (it is retried only when asked, or after a restart), if it did. */
  failure(name: string): string | undefined;
}

/** About a second of a fast diag source (a modem gives tens of KB a second): past it, the session reads the file. */
const LIVE_FEED_BYTES = 2 * 1024 * 1024;

/** Live ticks are at least this far apart, however often data is committed (a small flush window commits often). */
const LIVE_TICK_MS = 1000;

class Superseded extends Error {}

/**
 * Writes `text`, waiting for a drain when the stream asks to; an error rejects. `events.once` removes both of its
 * listeners when either fires (the stream may be written for hours).
 */
async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * The analysis reactor: runs the analyzers over finished and imported
 * recordings, one at a time, at its own pace, and records what it found.
 *
 * A checkpointed consumer of the log. Its checkpoint is what it recorded — the
 * projection's `analyses` (analysis slice): which recording has a completed
 * analysis by which analyzer versions, which one was started and not
 * completed, and up to which packet its findings are recorded. It follows the
 * log with the pull-based tail from the projection's seq, and re-reads the
 * queue (`dueAnalyses`) whenever an event arrives. So a restart, even after
 * SIGKILL, resumes an interrupted analysis under its id: the run starts again
 * from the first byte (the analyzers are deterministic), rewrites the report
 * file, and records only the finding windows after `findingsThrough`; the
 * decider refuses any earlier window, so no finding is recorded twice.
 *
 * Bounded memory: the file is streamed (one chunk, one coalescing window of
 * findings, the analyzers' state); the report goes to `<name>.ndjson.partial`
 * with backpressure and is renamed over `<name>.ndjson` before the completion
 * is recorded, so the served report is always a whole one.
 *
 * @example
 * const reactor = new AnalysisReactor({ ledger, runtime: ledger.runtimeMetadata() }).start();
 * reactor.status(); // { queued: ['1717236001'], running: '1717236000', finished: [] }
 * await ledger.execute({ type: 'RequestRecordingAnalysis', data: { name: '1717236000' } }, context); // queued first
 * await reactor.stop();
 */
export class AnalysisReactor implements AnalysisQueue {
  private readonly ledger: Ledger;
  private readonly logger: LedgerLogger;
  private readonly chunkBytes: number;
  private readonly abort = new AbortController();
  private running?: string;
  /** The recording the live session analyses (until its findings are drained, after it finished). */
  private liveName?: string;
  /** Recordings whose analysis failed (e.g. the file is unreadable), with why: retried only when asked (POST) or after a restart. */
  private readonly failed = new Map<string, string>();
  private loops?: Promise<void>;
  private wake?: () => void;
  /** Raw bytes the live feed may hold for the session before it lets go of them (the session reads the file then). */
  private readonly liveFeedBytes: number;
  /** The active recording's raw bytes, tapped as it started, until its live session takes the tap. */
  private tap?: RecordingTap;
  private liveDue = true;
  private liveWake?: () => void;

  constructor(private readonly options: AnalysisReactorOptions) {
    this.ledger = options.ledger;
    this.logger = options.logger ?? silentLogger;
    // 64 KiB: with 256 KiB, the messages of a chunk outlived serve's small young generation and the analysis spent
    // most of its time in the garbage collector (bench/README.md, "Analysis").
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.liveFeedBytes = options.liveFeedBytes ?? LIVE_FEED_BYTES;
  }

  start(): this {
    if (this.loops === undefined)
      this.loops = Promise.all([this.follow(), this.work(), this.live()]).then(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loops;
    this.tap?.close();
    this.tap = undefined;
  }

  status(): AnalysisStatus {
    const state = this.ledger.state();
    return analysisStatusOf(state, this.jobs(), this.running);
  }

  failure(name: string): string | undefined {
    return this.failed.get(name);
  }

  /**
   * The recordings whose report is still to come: queued, being analysed, or analysed live. Not one
   * whose analysis failed in this run (it is retried only when asked, or after a restart), nor any
   * with every analyzer off (nothing is analysed then): the shipper does not wait for those.
   */
  pending(): ReadonlySet<string> {
    const names = new Set(this.jobs().map((job) => job.name));
    if (this.running !== undefined) names.add(this.running);
    if (this.liveName !== undefined) names.add(this.liveName);
    return names;
  }

  private jobs(): AnalysisJob[] {
    const state = this.ledger.state();
    const enabled = enabledAnalyzers(analyzerConfigOf(state.config));
    // A failed recording is retried when asked again (a new request: no analysis to resume) or after a restart.
    return runnableAnalyses(state, enabled).filter(
      (job) => (job.reason === 'requested' && job.resume === undefined) || this.failed.get(job.name) === undefined,
    );
  }

  /** The next job the worker may take: not the recording whose live session is still closing. */
  private nextJob(): AnalysisJob | undefined {
    return this.jobs().find((job) => job.name !== this.liveName);
  }

  /**
   * Every committed event may change the queue (a stop, an import, a config change, a deletion) or give the live
   * session bytes to read. In process, as they are committed: reading each one back from the log (a tail) cost a
   * store read per data commit, once a second while recording.
   */
  private follow(): Promise<void> {
    const signal = this.abort.signal;
    return new Promise<void>((resolve) => {
      const subscription = this.ledger.committed$.subscribe({
        next: (event) => {
          const name = event.recording;
          if (event.type === 'RecordingStarted' && name !== undefined && this.ledger.state().current?.name === name) {
            // Tapped now, before the recorder's pump hands its writer anything: the feed holds the whole recording.
            this.tap?.close();
            this.tap = this.ledger.tapRecording(name, { maxBytes: this.liveFeedBytes });
          }
          if (event.type !== 'RecordingDataAppended') this.wake?.();
          if (event.recording !== undefined && !event.type.startsWith('RecordingAnalysis')) this.rouseLive();
        },
        error: (error: unknown) => {
          if (!signal.aborted)
            this.logger.warn(`analysis: the commits ended: ${error instanceof Error ? error.message : String(error)}`);
          resolve();
        },
        complete: () => resolve(),
      });
      const end = (): void => {
        subscription.unsubscribe();
        resolve();
      };
      if (signal.aborted) end();
      else signal.addEventListener('abort', end, { once: true });
    });
  }

  /** A commit the live session may need to see (a recording's data, start, stop or deletion). */
  private rouseLive(): void {
    this.liveDue = true;
    const resolve = this.liveWake;
    this.liveWake = undefined;
    resolve?.();
  }

  /** Until a commit the live session may need to see (at once if one came since the last call), or the stop. */
  private async liveCommit(): Promise<void> {
    const signal = this.abort.signal;
    if (!this.liveDue && !signal.aborted)
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.liveWake = done;
        signal.addEventListener('abort', done);
      });
    this.liveWake = undefined;
    this.liveDue = false;
  }

  private async work(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const job = this.nextJob();
      if (job === undefined) {
        await this.idle(5000);
        continue;
      }
      this.running = job.name;
      try {
        await this.analyse(job);
        this.failed.delete(job.name);
      } catch (error) {
        if (signal.aborted) break;
        await this.forgetIfDeleted(job.name);
        if (!(error instanceof Superseded)) {
          const message = error instanceof Error ? error.message : String(error);
          this.failed.set(job.name, message);
          this.logger.warn(`analysis of ${job.name} failed: ${message}`);
        }
      } finally {
        this.running = undefined;
      }
    }
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const signal = this.abort.signal;
      const timer = setTimeout(done, ms);
      const wake = (): void => done();
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        resolve();
      }
      this.wake = wake;
      signal.addEventListener('abort', wake);
    });
    this.wake = undefined;
  }

  private async execute(command: Command, analysisId: string): Promise<void> {
    const result = await this.ledger.execute(command, {
      actor: { kind: 'system' },
      correlationId: `analysis-${analysisId}`,
    });
    if (result.ok) return;
    if (result.refusal.code === 'ANALYSIS_NOT_RUNNING' || result.refusal.code === 'NO_SUCH_RECORDING')
      throw new Superseded(result.refusal.message);
    throw new Error(`${command.type} refused: ${result.refusal.code} ${result.refusal.message}`);
  }

  private async analyse(job: AnalysisJob): Promise<void> {
    const state = this.ledger.state();
    const entry = state.entries[job.name] as RecordingEntry;
    const config = analyzerConfigOf(state.config);
    const analyzers = enabledAnalyzers(config);
    const analysisId = job.resume ?? randomUUID();
    if (job.resume === undefined) {
      await this.execute(
        { type: 'StartRecordingAnalysis', data: { name: job.name, analysisId, reason: job.reason, analyzers } },
        analysisId,
      );
    }
    const findingsThrough = analysisOf(this.ledger.state(), job.name)?.running?.findingsThrough ?? 0;
    this.logger.info(`analysis: ${job.resume === undefined ? 'analysing' : 'resuming'} ${job.name} (${job.reason})`);

    const paths = this.ledger.paths(entry.name, entry.compressed);
    const partial = paths.analysisPartial;
    const harness = new AnalysisHarness({ config });
    const coalescer = new FindingCoalescer({ analysisId, analyzers });
    const reader = new RadioMessageReader();
    await this.options.beforePartialOpen?.(job.name);
    // The state is checked and the partial opened in one synchronous step (a stream opens its file later, on its
    // own): the processor publishes a deletion before its file effect runs, so either the deletion is seen here
    // (no partial is created) or its effect runs later and removes the partial this run writes.
    if (this.ledger.state().names[job.name] === 'deleted') throw new Superseded(`${job.name} was deleted`);
    const out = createWriteStream(partial, { highWaterMark: 1024 * 1024, fd: openSync(partial, 'w') });
    let rows = 0;
    // Windows already recorded by an interrupted run of this analysis are not sent again.
    const recorder = new FindingRecorder((batch) =>
      this.execute(
        {
          type: 'RecordAnalysisFindings',
          data: { name: job.name, analysisId, through: batch.through, findings: batch.findings },
        },
        analysisId,
      ),
    );
    const record = (batch: FindingBatch | undefined): Promise<void> =>
      recorder.add(batch === undefined || batch.through <= findingsThrough ? undefined : batch);
    try {
      await write(out, `${JSON.stringify(harness.metadata(this.runtimeOf(entry)))}\n`);
      for await (const chunk of openQmdlReadStream(paths.qmdl, { chunkSize: this.chunkBytes })) {
        if (this.abort.signal.aborted) throw new Superseded('stopping');
        // One write per chunk: a write (and a wait for its drain) per row made the analysis wait on the disk.
        let text = '';
        const closed: FindingBatch[] = [];
        for (const message of reader.pushAll(chunk as Buffer)) {
          for (const row of harness.analyze(message)) {
            rows++;
            text += `${JSON.stringify(row)}\n`;
            const batch = coalescer.add(row, message.index);
            if (batch !== undefined) closed.push(batch);
          }
        }
        if (text !== '') await write(out, text);
        for (const batch of closed) await record(batch);
        await this.options.afterChunk?.(job.name);
        await yieldToEventLoop();
      }
      // A cut last frame is a skipped row (a finding never): the coalescer needs not see it.
      const cut = reader.endAll().flatMap((message) => harness.analyze(message));
      if (cut.length > 0) await write(out, cut.map((row) => `${JSON.stringify(row)}\n`).join(''));
      rows += cut.length;
      await record(coalescer.close());
      await recorder.drain();
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      const handle = await fs.open(partial, 'r');
      await handle.sync().finally(() => handle.close());
      await this.options.beforeReportInPlace?.(job.name);
      // The state is checked and the report renamed in one synchronous step: the processor publishes a
      // deletion before its file effect runs, so either the deletion is seen here (no report goes in
      // place) or its effect runs later and removes the report. A renamed report never outlives its
      // recording, and the verifier never sees one (DELETED_FILES_PRESENT).
      if (this.ledger.state().names[job.name] === 'deleted') throw new Superseded(`${job.name} was deleted`);
      renameSync(partial, paths.analysis);
    } catch (error) {
      out.destroy();
      await recorder.drain().catch(() => undefined); // nothing of this run is still being committed when the next starts
      await fs.rm(partial, { force: true });
      throw error;
    }
    const stats = harness.stats();
    await this.execute(
      {
        type: 'CompleteRecordingAnalysis',
        data: {
          name: job.name,
          analysisId,
          analyzers,
          messages: stats.messages,
          analysed: stats.elements,
          skipped: stats.skipped,
          severities: stats.events,
          reportRows: rows,
        },
      },
      analysisId,
    );
    this.logger.info(
      `analysis: ${job.name} done: ${stats.events.High} High, ${stats.events.Medium} Medium, ${stats.events.Low} Low`,
    );
  }

  /**
   * The active recording, analysed as it is written: its committed bytes
   * (`uncompressedBytes` of the raw QMDL, `qmdlSizeBytes` of the file, which
   * always decompress to them) are taken as they grow, at each data commit and
   * at most once a second, into one harness; the rows are appended to
   * `<name>.ndjson` so `GET /api/analysis-report/live` grows, and each closed
   * window of findings is recorded at once, under an analysis started when the
   * session opens (or the one a crash left running, resumed: its recorded
   * windows are not sent again). The bytes come from the recorder's writer in
   * process (the tap taken as the recording started); the file is read and
   * inflated only where the tap does not have them (a session opened after a
   * restart, up to where the tap starts) or let go of them (the session fell
   * behind). When the recording finishes, the session takes it to its final
   * size and drains its findings before the analysis after the fact may take
   * the recording: that run resumes the same analysis, rewrites the whole
   * report, records only the windows after the live ones (the last window is
   * still open when recording stops) and completes it — so no finding is
   * recorded twice, and the decider refuses any window already recorded.
   */
  private async live(): Promise<void> {
    const signal = this.abort.signal;
    let session: LiveSession | undefined;
    let tickAt = -Infinity;
    while (!signal.aborted) {
      // A tick only when a commit may have given it something, and not more often than once a second.
      await this.liveCommit();
      const wait = tickAt + LIVE_TICK_MS - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      tickAt = performance.now();
      try {
        const state = this.ledger.state();
        const current = state.current;
        if (session !== undefined && session.name !== current?.name) {
          const finished = Object.prototype.hasOwnProperty.call(state.entries, session.name)
            ? state.entries[session.name]
            : undefined;
          const closing = session;
          session = undefined;
          try {
            if (finished !== undefined) await closing.catchUp(finished, this.chunkBytes);
          } finally {
            await closing.close();
            this.liveName = undefined;
            this.wake?.();
          }
        }
        if (current !== undefined) {
          session ??= await this.openLive(current);
          await session.catchUp(current, this.chunkBytes);
        }
      } catch (error) {
        if (!(error instanceof Superseded))
          this.logger.warn(`live analysis: ${error instanceof Error ? error.message : String(error)}`);
        await session?.close().catch(() => undefined);
        session = undefined;
        this.liveName = undefined;
        this.wake?.();
        // Tried again at the next commit, or in a second when none comes.
        await sleep(LIVE_TICK_MS, undefined, { signal }).catch(() => undefined);
        this.liveDue = true;
      }
    }
    await session?.close().catch(() => undefined);
  }

  /** Opens the live session of the active recording: starts its analysis, or resumes the one a crash left running. */
  private async openLive(current: RecordingEntry): Promise<LiveSession> {
    const state = this.ledger.state();
    const config = analyzerConfigOf(state.config);
    const analyzers = enabledAnalyzers(config);
    const running = analysisOf(state, current.name)?.running;
    const resumed = running !== undefined && sameAnalyzers(running.analyzers, analyzers) ? running : undefined;
    const analysisId = resumed?.analysisId ?? randomUUID();
    this.liveName = current.name;
    // The tap taken as the recording started, or one from now on (the file up to where it starts).
    let tap = this.tap?.name === current.name ? this.tap : undefined;
    this.tap = undefined;
    tap ??= this.ledger.tapRecording(current.name, { maxBytes: this.liveFeedBytes });
    try {
      return await LiveSession.open({
        entry: current,
        ledger: this.ledger,
        runtime: this.runtimeOf(current),
        harness: new AnalysisHarness({ config }),
        coalescer: new FindingCoalescer({ analysisId, analyzers }),
        // Every analyzer off: the report is the metadata line, and there is no analysis to record.
        findings:
          analyzers.length === 0
            ? { add: async () => undefined, drain: async () => undefined }
            : await this.liveFindings(current.name, analysisId, analyzers, resumed !== undefined),
        tap,
        ...(this.options.beforeLiveReportOpen ? { beforeOpen: this.options.beforeLiveReportOpen } : {}),
      });
    } catch (error) {
      tap?.close();
      throw error;
    }
  }

  /** Where the live session's finding windows go: recorded through the processor, each window once. */
  private async liveFindings(
    name: string,
    analysisId: string,
    analyzers: ReturnType<typeof enabledAnalyzers>,
    resumed: boolean,
  ): Promise<LiveFindings> {
    if (!resumed) {
      await this.execute(
        { type: 'StartRecordingAnalysis', data: { name, analysisId, reason: 'new', analyzers } },
        analysisId,
      );
    }
    const findingsThrough = analysisOf(this.ledger.state(), name)?.running?.findingsThrough ?? 0;
    const recorder = new FindingRecorder((batch) =>
      this.execute(
        {
          type: 'RecordAnalysisFindings',
          data: { name, analysisId, through: batch.through, findings: batch.findings },
        },
        analysisId,
      ),
    );
    return {
      add: (batch) => recorder.add(batch === undefined || batch.through <= findingsThrough ? undefined : batch),
      drain: () => recorder.drain(),
    };
  }

  /**
   * A recording deleted while it was analysed: its files went with it, and the
   * partial report this run was writing must go too (a whole report is never
   * renamed into place for a deleted recording).
   */
  private async forgetIfDeleted(name: string): Promise<void> {
    if (this.ledger.state().names[name] !== 'deleted') return;
    const paths = this.ledger.paths(name);
    await fs.rm(paths.analysis, { force: true });
    await fs.rm(paths.analysisPartial, { force: true });
  }

  /** The build identity of the recording where it was recorded, as the metadata-only report has it. */
  private runtimeOf(entry: RecordingEntry): RuntimeMetadata {
    const now = this.options.runtime;
    return {
      rayhunter_version: entry.rayhunterVersion ?? now.rayhunter_version,
      system_os: entry.systemOs ?? now.system_os,
      arch: entry.arch ?? now.arch,
    };
  }
}

/** One active recording being analysed as it grows (see `AnalysisReactor.live`). */
class LiveSession {
  /** Raw QMDL bytes analysed so far. */
  private analysed = 0;
  /** Bytes of the file read so far (all of them went to the gunzip, for a compressed one). */
  private offset = 0;
  /** Raw bytes the gunzip gives that were analysed from the tap before it was lost: not analysed again. */
  private skip = 0;
  private readonly reader = new RadioMessageReader();
  /** Report writes and finding windows, in order; awaited after each chunk (backpressure). */
  private pending: Promise<void> = Promise.resolve();
  private handle: fs.FileHandle | undefined;
  private gunzip: Gunzip | undefined;

  private constructor(
    readonly name: string,
    private readonly qmdl: string,
    private readonly compressed: boolean,
    private readonly harness: AnalysisHarness,
    private readonly coalescer: FindingCoalescer,
    private readonly findings: LiveFindings,
    private readonly out: WriteStream,
    /** The writer's raw bytes; given up once lost (the file is read to the end of the session then). */
    private tap: RecordingTap | undefined,
  ) {}

  static async open(options: {
    entry: RecordingEntry;
    ledger: Ledger;
    runtime: RuntimeMetadata;
    harness: AnalysisHarness;
    coalescer: FindingCoalescer;
    findings: LiveFindings;
    tap: RecordingTap | undefined;
    beforeOpen?: (name: string) => Promise<void>;
  }): Promise<LiveSession> {
    const { entry, ledger, harness } = options;
    const paths = ledger.paths(entry.name, entry.compressed);
    await options.beforeOpen?.(entry.name);
    // The state is checked and the report opened in one synchronous step (a stream opens its file later, on
    // its own): the processor publishes a deletion before its file effect runs, so either the deletion is seen
    // here (no report is created) or its effect runs later and unlinks the report this session writes.
    if (ledger.state().names[entry.name] !== 'live') throw new Superseded(`${entry.name} was deleted`);
    const out = createWriteStream(paths.analysis, { fd: openSync(paths.analysis, 'w') });
    const session = new LiveSession(
      entry.name,
      paths.qmdl,
      entry.compressed,
      harness,
      options.coalescer,
      options.findings,
      out,
      options.tap,
    );
    await write(out, `${JSON.stringify(harness.metadata(options.runtime))}\n`);
    return session;
  }

  /** Analyses the committed bytes not analysed yet: from the tap where it has them, else from the file. */
  async catchUp(committed: RecordingTotals, chunkBytes: number): Promise<void> {
    const to = committed.uncompressedBytes;
    if (this.tap !== undefined && this.gunzip === undefined && this.handle === undefined) {
      const bytes = this.tap.take(this.analysed, to);
      if (bytes !== undefined) {
        if (bytes.length > 0) this.analyse(bytes);
        await this.pending;
        return;
      }
      if (this.tap.lost) this.fallBehind();
    }
    await this.readFile(this.compressed ? committed.qmdlSizeBytes : to, chunkBytes);
    if (this.tap?.lost === true) {
      // It let go of bytes while the file was read: the file it is, to the end of the session.
      this.tap.close();
      this.tap = undefined;
    } else if (this.tap !== undefined && this.tap.start <= this.analysed) {
      // Caught up from the file to where the tap starts: on from the tap.
      await this.handle?.close();
      this.handle = undefined;
      this.gunzip?.destroy();
      this.gunzip = undefined;
    }
  }

  /**
   * The tap let go of bytes not taken yet: the rest of the session reads the file, from its first byte for a
   * compressed one (a gzip stream inflates only from its start), past what was analysed already.
   */
  private fallBehind(): void {
    this.tap?.close();
    this.tap = undefined;
    // The file may have been read before (up to where a late tap started): a new gunzip starts at byte 0 again.
    if (this.compressed) {
      this.skip = this.analysed;
      this.offset = 0;
    } else this.offset = this.analysed;
  }

  /** Reads the file from where it was read to `committed` (its bytes, compressed or not). */
  private async readFile(committed: number, chunkBytes: number): Promise<void> {
    if (committed <= this.offset) return;
    // One handle and one gunzip while the file is read: it may be read about once a second, for as long as it is recorded.
    this.handle ??= await fs.open(this.qmdl, 'r');
    if (this.compressed && this.gunzip === undefined) {
      const gunzip = createGunzip();
      gunzip.on('data', (chunk: Buffer) => this.inflated(chunk));
      // A damaged file fails the write below (and so this tick); unheard, the stream's error would be uncaught.
      gunzip.on('error', () => undefined);
      this.gunzip = gunzip;
    }
    const handle = this.handle;
    while (this.offset < committed) {
      const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, committed - this.offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      const bytes = buffer.subarray(0, bytesRead);
      const gunzip = this.gunzip;
      if (gunzip === undefined) this.analyse(bytes);
      else
        await new Promise<void>((resolve, reject) =>
          gunzip.write(bytes, (error) => (error ? reject(error) : resolve())),
        );
      await this.pending;
      await yieldToEventLoop();
    }
  }

  private inflated(chunk: Buffer): void {
    if (this.skip >= chunk.length) {
      this.skip -= chunk.length;
      return;
    }
    const bytes = this.skip > 0 ? chunk.subarray(this.skip) : chunk;
    this.skip = 0;
    this.analyse(bytes);
  }

  private analyse(bytes: Buffer): void {
    this.analysed += bytes.length;
    let text = '';
    const closed: FindingBatch[] = [];
    for (const message of this.reader.pushAll(bytes)) {
      for (const row of this.harness.analyze(message)) {
        text += `${JSON.stringify(row)}\n`;
        const batch = this.coalescer.add(row, message.index);
        if (batch !== undefined) closed.push(batch);
      }
    }
    if (text === '') return;
    this.pending = this.pending.then(async () => {
      await write(this.out, text);
      for (const batch of closed) await this.findings.add(batch);
    });
  }

  /** Ends the session: what was read is written and its closed finding windows are committed. */
  async close(): Promise<void> {
    this.tap?.close();
    this.tap = undefined;
    await this.handle?.close();
    this.handle = undefined;
    this.gunzip?.destroy();
    this.gunzip = undefined;
    try {
      await this.pending;
      await this.findings.drain();
    } finally {
      await new Promise<void>((resolve) => this.out.end(() => resolve()));
    }
  }
}

/** Where a live session's closed finding windows go (the reactor's FindingRecorder, past what is recorded). */
interface LiveFindings {
  add(batch: FindingBatch | undefined): Promise<void>;
  drain(): Promise<void>;
}
