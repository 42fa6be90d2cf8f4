import { Subject } from 'rxjs';
import {
  LedgerError,
  recordingGpsMode,
  type Command,
  type DecidedEvent,
  type LedgerEvent,
  type NewEvent,
  type QmdlStoreState,
  type Refusal,
} from '@ledger/domain';
import { EventRejectionCode, type EventLog } from '@ledger/event-log';
import type { Clock, HostInfo } from './host';
import { runtimeMetadataOf } from './host';
import type { CommandContext, CommandResult, LedgerCommand } from './ledger';
import type { LedgerDecider } from './qmdl-store.projection';

/**
 * Effects around the commit: a guard before a command is decided, work that
 * must precede the append (and may amend the decided events), and idempotent
 * work after it, which start-up finishes if a crash comes between (the commit
 * path in docs/architecture.md). Adapters implement them; the processor
 * decides nothing about them.
 */
export interface CommandEffects {
  /** Refuse a command for reasons the pure domain cannot see (e.g. free disk space). */
  guard?(command: Command, state: QmdlStoreState): Promise<Refusal | undefined>;
  /**
   * Effects that must precede the commit (e.g. finalize the gzip stream of a
   * recording being stopped). May amend the decided events — e.g. put the
   * final size into RecordingStopped. Must not fail: report failures inside events.
   */
  beforeCommit?(events: readonly DecidedEvent[], state: QmdlStoreState): Promise<readonly DecidedEvent[]>;
  /** Idempotent effects after the commit (e.g. unlink a deleted recording's files, open a new writer). */
  afterCommit?(events: readonly LedgerEvent[], state: QmdlStoreState): Promise<void>;
}

export interface CommandProcessorOptions {
  readonly log: EventLog;
  /**
   * The slices it runs, composed (the ledger's: `ledgerDecider`, the domain's
   * composition of `LEDGER_SLICES`): each command goes to the slice that
   * decides its type, each event to the slices that apply it. The projection
   * folds the log with the same composition (`foldLog`), so what is decided
   * and what is replayed cannot differ.
   */
  readonly decider: LedgerDecider;
  readonly initialState: QmdlStoreState;
  readonly bootId: string;
  readonly appVersion: string;
  /** Stamps every event's time and every recording's start (adjusted by the recorded clock offset). */
  readonly clock: Clock;
  /** The local UTC offset and the identity a recording is started with, and the process a boot records. */
  readonly host: HostInfo;
  readonly effects?: CommandEffects;
  /** Most commands decided together into one atomic append. */
  readonly maxBatch?: number;
  /** Called with the state after every commit (e.g. to persist the projection). */
  readonly onCommitted?: (state: QmdlStoreState, events: readonly LedgerEvent[]) => void;
}

/** What one command of a job came to: how many of the job's events are its own, or its refusal. */
type CommandOutcome = { readonly events: number } | { readonly refusal: Refusal };

interface Planned {
  readonly job: Job;
  /** Every event of the job, its commands' in order. */
  readonly events: readonly NewEvent[];
  /** One per command of the job. */
  readonly outcomes: readonly CommandOutcome[];
  /** The job already rejected (decide threw): nothing of it is appended. */
  readonly rejected?: true;
}

function startsRecording(planned: Planned | undefined): boolean {
  return planned?.events.some((event) => event.type === 'RecordingStarted') ?? false;
}

interface Job {
  /** Decided in order against the evolving state; their events are appended together (all or none). */
  readonly commands: readonly LedgerCommand[];
  readonly context: CommandContext;
  readonly resolve: (results: readonly CommandResult[]) => void;
  readonly reject: (error: unknown) => void;
  /** Its group commit failed: it is decided and appended again, in a batch of its own. */
  readonly solo?: true;
}

export interface ProcessorStats {
  commits: number;
  eventsCommitted: number;
  commandsProcessed: number;
  lastBatchSize: number;
  lastCommitMs: number;
  /** Commit latencies in ms, most recent last (bounded). */
  readonly recentCommitMs: number[];
}

/**
 * The single writer. Every command — from HTTP, the recorder, start-up recovery —
 * goes through one serial queue: decide → pre-commit effects → atomic append →
 * post-commit effects → evolve → publish. Commands queued while a commit is in
 * flight are decided together against the evolving state and share the next
 * append (group commit); each caller learns only its own outcome.
 *
 * One command cannot fail another: its events are checked against the log's
 * rules (`EventLog.checkAppendable`) when decided, so one the log would reject
 * is refused alone (`EVENT_NOT_REPRESENTABLE`, `EVENT_TOO_LARGE`) before it
 * joins the batch; and if a batch append still fails, its commands are decided
 * and appended again one by one, so only the one that cannot be written fails.
 */
export class CommandProcessor {
  private readonly queue: Job[] = [];
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private state: QmdlStoreState;
  private readonly decider: LedgerDecider;
  private readonly events$ = new Subject<LedgerEvent>();
  readonly stats: ProcessorStats = {
    commits: 0,
    eventsCommitted: 0,
    commandsProcessed: 0,
    lastBatchSize: 0,
    lastCommitMs: 0,
    recentCommitMs: [],
  };

  constructor(private readonly options: CommandProcessorOptions) {
    this.state = options.initialState;
    this.decider = options.decider;
  }

  /** Events as they are committed, in order. */
  readonly committed$ = this.events$.asObservable();

  current(): QmdlStoreState {
    return this.state;
  }

  execute(command: LedgerCommand, context: CommandContext): Promise<CommandResult> {
    return this.executeAll([command], context).then((results) => results[0] as CommandResult);
  }

  /**
   * Several commands as one unit: decided in order (each against the state the
   * previous ones leave), and the events of those accepted appended in one
   * atomic batch — all of them or none. A refused command refuses alone; a
   * command whose decision throws rejects the whole unit. Reactors record their
   * output this way, so a crash never leaves half of it.
   */
  executeAll(commands: readonly LedgerCommand[], context: CommandContext): Promise<readonly CommandResult[]> {
    if (this.closed) return Promise.reject(new LedgerError('PROCESSOR_CLOSED', 'the store is shutting down'));
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise<readonly CommandResult[]>((resolve, reject) => {
      this.queue.push({ commands, context, resolve, reject });
      if (!this.running) this.kick();
    });
  }

  /** Refuse new commands, finish the queued ones. */
  async drain(): Promise<void> {
    this.closed = true;
    await this.idle;
  }

  private kick(): void {
    this.running = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    void this.loop();
  }

  /**
   * The state once the batch in flight, if any, has run its post-commit
   * effects: what the files on disk agree with (a deleted recording's files
   * are gone, a started one's writer is open).
   */
  async settled(): Promise<QmdlStoreState> {
    await this.inFlight.catch(() => undefined);
    return this.state;
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        this.inFlight = this.processBatch(this.nextBatch());
        await this.inFlight;
      }
    } finally {
      this.running = false;
      this.markIdle();
    }
  }

  /** Up to maxBatch queued jobs; a job retried after a failed group commit goes alone. */
  private nextBatch(): Job[] {
    if (this.queue[0]?.solo) return this.queue.splice(0, 1);
    const solo = this.queue.findIndex((job) => job.solo);
    const max = this.options.maxBatch ?? 256;
    return this.queue.splice(0, solo < 0 ? max : Math.min(solo, max));
  }

  private async processBatch(batch: readonly Job[]): Promise<void> {
    const { effects, log } = this.options;
    const head = log.headSeq();
    let provisional = this.state;
    const planned: Planned[] = [];
    let nextSeq = head + 1;
    for (const [index, job] of batch.entries()) {
      if (index > 0 && planned.length > 0 && startsRecording(planned[planned.length - 1])) {
        // A started recording gets its writer only after the commit (a post-commit effect). Later
        // commands must be decided and prepared with that writer open, so they wait for the next batch.
        this.queue.unshift(...batch.slice(index));
        break;
      }
      try {
        const plan = await this.plan(job, provisional, nextSeq);
        provisional = plan.state;
        nextSeq += plan.events.length;
        planned.push({ job, events: plan.events, outcomes: plan.outcomes });
      } catch (error) {
        // A throw from decide means a broken invariant in the state: nothing of this job is appended.
        planned.push({ job, events: [], outcomes: [], rejected: true });
        job.reject(error);
      }
    }
    const toAppend = planned.flatMap((p) => p.events);
    let stored: readonly LedgerEvent[] = [];
    if (toAppend.length > 0) {
      const started = performance.now();
      try {
        stored = (await log.append(toAppend, { expectedSeq: head })) as readonly LedgerEvent[];
      } catch (error) {
        this.appendFailed(planned, error);
        return;
      }
      this.recordCommit(performance.now() - started, stored.length);
      // The provisional state was evolved over exactly these events (same seqs, times and data; the
      // projection keeps no hashes), so it is the committed state: no second evolve per event.
      const state = provisional;
      this.state = state;
      try {
        await effects?.afterCommit?.(stored, state);
      } catch (error) {
        // Post-commit effects are idempotent and finished at start-up; a failure here is logged, not fatal.
        process.emitWarning(`post-commit effect failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.options.onCommitted?.(state, stored);
      for (const event of stored) this.events$.next(event);
    }
    let offset = 0;
    for (const p of planned) {
      this.stats.commandsProcessed++;
      if (p.rejected) continue;
      p.job.resolve(
        p.outcomes.map((outcome): CommandResult => {
          if ('refusal' in outcome) return { ok: false, refusal: outcome.refusal, seq: this.state.seq };
          const mine = stored.slice(offset, offset + outcome.events);
          offset += outcome.events;
          return { ok: true, events: mine, seq: this.state.seq };
        }),
      );
    }
  }

  /** Decides a job's commands in order on top of `state`; throws when a decision does (nothing of the job is kept). */
  private async plan(
    job: Job,
    state: QmdlStoreState,
    firstSeq: number,
  ): Promise<{ state: QmdlStoreState; events: NewEvent[]; outcomes: CommandOutcome[] }> {
    const { effects, log } = this.options;
    let provisional = state;
    let nextSeq = firstSeq;
    const events: NewEvent[] = [];
    const outcomes: CommandOutcome[] = [];
    for (const original of job.commands) {
      const now = this.options.clock.now();
      const command = this.stamp(original, provisional, now);
      const refusal = effects?.guard ? await effects.guard(command, provisional) : undefined;
      if (refusal) {
        outcomes.push({ refusal });
        continue;
      }
      const decision = this.decider.decide(command, provisional);
      if (!decision.ok) {
        outcomes.push({ refusal: decision.refusal });
        continue;
      }
      const decided =
        effects?.beforeCommit && decision.events.length > 0
          ? await effects.beforeCommit(decision.events, provisional)
          : decision.events;
      const mine = decided.map((event) => this.envelope(event, job.context, provisional, now));
      const rejection = log.checkAppendable(mine);
      if (rejection?.code === EventRejectionCode.MALFORMED_EVENT)
        throw new TypeError(`command ${original.type} decided a malformed event: ${rejection.message}`);
      if (rejection) {
        // The log would refuse the whole batch for it (e.g. a config nested too deep): it is refused alone.
        outcomes.push({
          refusal: { code: rejection.code, message: `${original.type} cannot be recorded: ${rejection.message}` },
        });
        continue;
      }
      for (const event of mine) {
        // Provisional sequences: the processor is the only writer, so the append lands exactly here (checked by expectedSeq).
        provisional = this.decider.evolve(provisional, { ...event, seq: nextSeq++ });
      }
      events.push(...mine);
      outcomes.push({ events: mine.length });
    }
    return { state: provisional, events, outcomes };
  }

  /**
   * The domain command `command` means now: what only the ledger knows filled
   * in — a recording's start at the adjusted clock with the host's local
   * offset then, this build and host as who records it, and the config's
   * gps_mode (`recordingGpsMode`) unless the command names one — whoever
   * starts it (HTTP, the boot's auto-start); an upload's time at the adjusted
   * clock, the same instant as its event's `time`; a boot's id, version and process.
   */
  private stamp(command: LedgerCommand, state: QmdlStoreState, nowMs: number): Command {
    const { appVersion, bootId, host } = this.options;
    switch (command.type) {
      case 'StartRecording': {
        const atMs = nowMs + state.clockOffsetSeconds * 1000;
        const identity = runtimeMetadataOf(host, appVersion);
        const gpsMode = command.data.gpsMode ?? recordingGpsMode(state.config);
        return {
          type: 'StartRecording',
          data: {
            ...command.data,
            ...(gpsMode === undefined ? {} : { gpsMode }),
            atMs,
            utcOffsetMinutes: host.utcOffsetMinutes(atMs),
            rayhunterVersion: identity.rayhunter_version,
            systemOs: identity.system_os,
            arch: identity.arch,
            machine: host.machine,
          },
        };
      }
      case 'MarkRecordingUploaded': {
        const uploadTime = new Date(nowMs + state.clockOffsetSeconds * 1000).toISOString();
        return { type: 'MarkRecordingUploaded', data: { ...command.data, uploadTime } };
      }
      case 'StartService':
        return { type: 'StartService', data: { ...command.data, bootId, version: appVersion, pid: host.pid } };
      case 'StopService':
        return { type: 'StopService', data: { ...command.data, bootId } };
      default:
        return command;
    }
  }

  /**
   * Nothing of the batch was written. A command alone in its append gets the
   * error; several are queued again, first, to be decided and appended one at a
   * time, so a command that cannot be written fails without the others. (Their
   * pre-commit effects run again; the recorder's tolerate it: a stop whose writer
   * is already finished carries the committed size.) Refused commands keep their refusal.
   */
  private appendFailed(planned: readonly Planned[], error: unknown): void {
    const writers = planned.filter((p) => p.events.length > 0);
    const retry = writers.length > 1;
    for (const p of planned) {
      if (p.rejected) {
        this.stats.commandsProcessed++;
      } else if (p.events.length === 0) {
        this.stats.commandsProcessed++;
        p.job.resolve(
          p.outcomes.map((outcome): CommandResult =>
            'refusal' in outcome
              ? { ok: false, refusal: outcome.refusal, seq: this.state.seq }
              : { ok: true, events: [], seq: this.state.seq },
          ),
        );
      } else if (!retry) {
        this.stats.commandsProcessed++;
        p.job.reject(error);
      }
    }
    if (retry) this.queue.unshift(...writers.map((p): Job => ({ ...p.job, solo: true })));
  }

  private envelope(event: DecidedEvent, context: CommandContext, state: QmdlStoreState, nowMs: number): NewEvent {
    const v = this.decider.eventVersions[event.type];
    // Unreachable through the types (a slice declares a version for every event it decides); a TypeError rejects the job.
    if (v === undefined) throw new TypeError(`no slice declares a schema version for ${event.type}`);
    const adjusted = nowMs + state.clockOffsetSeconds * 1000;
    return {
      type: event.type,
      v,
      time: new Date(adjusted).toISOString(),
      systemTime: new Date(nowMs).toISOString(),
      ...(event.recording === undefined ? {} : { recording: event.recording }),
      data: event.data,
      metadata: {
        actor: context.actor,
        correlationId: context.correlationId,
        ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
        bootId: this.options.bootId,
        appVersion: this.options.appVersion,
      },
    };
  }

  private recordCommit(ms: number, events: number): void {
    this.stats.commits++;
    this.stats.eventsCommitted += events;
    this.stats.lastBatchSize = events;
    this.stats.lastCommitMs = ms;
    this.stats.recentCommitMs.push(ms);
    if (this.stats.recentCommitMs.length > 1024) this.stats.recentCommitMs.splice(0, 512);
  }

  /** Complete the published stream (after the log closed). */
  complete(): void {
    this.events$.complete();
  }
}
