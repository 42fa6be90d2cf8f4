import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  createHistoryChecker,
  isLedgerError,
  qmdlFileName,
  type InvariantViolation,
  type LedgerEvent,
  type QmdlStoreState,
  type RecordingEntry,
} from '@ledger/domain';
import { ChainCode, type EventLog, type Snapshot } from '@ledger/event-log';
import {
  diffProjections,
  foldLog,
  PROJECTION_SNAPSHOT,
  PROJECTION_VERSION,
  snapshotProblem,
  type LedgerDecider,
} from './qmdl-store.projection';
import { RecordingFiles } from './recording-files';

/** Which part of the verification found something. */
export type VerifyCheck = 'chain' | 'invariants' | 'projection' | 'files';

/**
 * The codes of the projection and files checks. A finding's `code` is one of
 * these, a chain code of the event log (`ChainCode`: SEQUENCE_GAP, BAD_PREV,
 * BAD_HASH, UNREADABLE, BAD_KEY, BAD_HEAD, INDEX_MISMATCH; UNREADABLE also when
 * the replay cannot read an event), or a rule code of the domain
 * (`STATE_RULES`, `TRANSITION_RULES`: ONE_ACTIVE_RECORDING, SIZE_NEVER_DECREASES, …).
 */
export const StoreVerifyCode = {
  /** The stored projection snapshot, or the projection in use, differs from the one rebuilt from the log. */
  PROJECTION_MISMATCH: 'PROJECTION_MISMATCH',
  /** The stored projection snapshot is at a sequence past the log's head. */
  PROJECTION_AHEAD: 'PROJECTION_AHEAD',
  /** The stored projection snapshot cannot be read. */
  PROJECTION_UNREADABLE: 'PROJECTION_UNREADABLE',
  /** A finished or active recording's QMDL file is not on disk (and the log does not mark it damaged). */
  FILE_MISSING: 'FILE_MISSING',
  /** A finished recording's QMDL file is not the size the log records. */
  FILE_SIZE_MISMATCH: 'FILE_SIZE_MISMATCH',
  /** The active recording's QMDL file is shorter than its committed size. */
  FILE_SHORTER_THAN_COMMITTED: 'FILE_SHORTER_THAN_COMMITTED',
  /** Files of a deleted recording are still on disk. */
  DELETED_FILES_PRESENT: 'DELETED_FILES_PRESENT',
  /** A QMDL file that no event names. */
  ORPHAN_FILE: 'ORPHAN_FILE',
} as const;

/** One finding of {@link verifyStore}: what was found, where, and by which check. */
export interface VerifyFinding {
  readonly check: VerifyCheck;
  /** Stable: a chain code, a rule code or a {@link StoreVerifyCode}. */
  readonly code: string;
  /** The event the finding is about (for files: the last event that names the recording). */
  readonly seq?: number;
  readonly recording?: string;
  readonly message: string;
}

/** Facts that are not findings: a recording active at the head, one the log marks damaged, a stored projection start-up will rebuild. */
export interface VerifyNote {
  /** NO_STORED_PROJECTION, PROJECTION_VERSION_CHANGED, RECORDING_DAMAGED, ACTIVE_RECORDING. */
  readonly code: string;
  readonly recording?: string;
  readonly message: string;
}

/**
 * What `GET /api/store/verify` answers and `qmdl-ledger verify --json` prints
 * (the same function made both).
 */
export interface StoreVerifyReport {
  /** No finding. */
  readonly ok: boolean;
  /**
   * 'full': the whole log was checked. 'incremental': only the events after
   * an earlier clean verification (`from` on), chained to its verified hash
   * and replayed from its verified state; the projection and the files are
   * checked in full either way.
   */
  readonly scope: 'full' | 'incremental';
  /** First sequence checked. */
  readonly from: number;
  /** Last sequence checked. */
  readonly head: number;
  readonly headHash: string;
  /** Events whose hash, link and index entries were checked. */
  readonly checked: number;
  /** Events replayed with every invariant checked. */
  readonly replayed: number;
  /** The finding with the lowest sequence (at equal seq: chain, invariants, projection, files); absent when ok. */
  readonly firstBad?: VerifyFinding;
  /** Every finding, ordered as `firstBad` is chosen; at most 50 per check (the first is what matters). */
  readonly findings: readonly VerifyFinding[];
  readonly notes: readonly VerifyNote[];
  /** The invariants check alone: its findings as the domain's violations. */
  readonly invariants: { readonly ok: boolean; readonly violations: readonly InvariantViolation[] };
  /** The projection check alone; `detail` is its first finding's message. */
  readonly projection: { readonly ok: boolean; readonly detail?: string };
}

/** A position a verification found clean, and the state replayed up to it: where an incremental one starts. */
export interface VerifiedPosition {
  readonly seq: number;
  readonly state: QmdlStoreState;
}

/** The files check of a running service, whose commands go on while it looks. */
export interface LiveFiles {
  /** The state once the commit in flight has run its post-commit effects (file removals, new writers). */
  settled(): Promise<QmdlStoreState>;
  /** The state now. */
  current(): QmdlStoreState;
}

export interface VerifyStoreOptions {
  /** The slices the store was decided with (a ledger's own; the domain's `ledgerDecider`): what start-up's projection folds with. */
  readonly decider: LedgerDecider;
  /** Check only what follows this clean position (incremental); the whole log without it. */
  readonly after?: VerifiedPosition;
  /**
   * The projection a running service serves, compared with the one rebuilt
   * from the log; its `seq` is the last event checked. Without it (a store
   * at rest) the projection compared is the one start-up would load: the stored
   * snapshot and the log's tail folded onto it.
   */
  readonly served?: QmdlStoreState;
  /** The recordings directory: the files are checked against the log (omit to skip the files check). */
  readonly recordingsDir?: string;
  /** A running service's view of its state for the files check (`recordingsDir` is read while it commits). */
  readonly live?: LiveFiles;
  /** Progress of the two walks over the log. */
  readonly onProgress?: (check: 'chain' | 'invariants', seq: number) => void;
}

export interface StoreVerification {
  readonly report: StoreVerifyReport;
  /** Where the next incremental verification may start; absent when there were findings. */
  readonly verified?: VerifiedPosition;
}

/** At most this many findings per check are listed. */
const MAX_FINDINGS_PER_CHECK = 50;

const CHECK_ORDER: Readonly<Record<VerifyCheck, number>> = { chain: 0, invariants: 1, projection: 2, files: 3 };

const PROGRESS_EVERY = 10_000;

/**
 * The one verification of a store, for `GET /api/store/verify`
 * (`Ledger.verify`) and `qmdl-ledger verify` alike:
 *
 * 1. chain: the gapless sequence, the hash chain and the index entries (`EventLog.verify`);
 * 2. invariants: every rule after every event (the domain's `createHistoryChecker`),
 *    each distinct violation once, then every state rule over the final state;
 * 3. projection: the stored snapshot against the state rebuilt at its seq, and
 *    the projection in use against the rebuilt one at the head;
 * 4. files (with `recordingsDir`): the recordings on disk against the log.
 *
 * @example
 * const { report } = await verifyStore(log, { decider: ledgerDecider, recordingsDir: recordingsDir(dataDir) });
 * if (!report.ok) console.log(report.firstBad);
 */
export async function verifyStore(log: EventLog, options: VerifyStoreOptions): Promise<StoreVerification> {
  const findings: VerifyFinding[] = [];
  const notes: VerifyNote[] = [];
  const base = options.after;
  const head = options.served?.seq ?? log.headSeq();
  const from = (base?.seq ?? 0) + 1;
  const progress = options.onProgress;

  const chain = await log.verify({
    from,
    to: head,
    ...(progress ? { onProgress: (seq: number) => progress('chain', seq) } : {}),
  });
  if (chain.firstBad) findings.push({ check: 'chain', ...chain.firstBad });

  const stored = await storedProjection(log, base?.seq ?? 0, head, findings, notes);
  const projectionFindings = (state: QmdlStoreState, against: QmdlStoreState, what: string): void => {
    const diff = diffProjections(state, against);
    if (diff !== undefined)
      findings.push({
        check: 'projection',
        code: StoreVerifyCode.PROJECTION_MISMATCH,
        seq: state.seq,
        message: `${what} (seq ${state.seq}) differs from the one rebuilt from the log: ${diff}`,
      });
  };
  const compareStored = (rebuilt: QmdlStoreState): void => {
    if (stored?.compare) projectionFindings(rebuilt, stored.value, 'the stored projection');
  };
  if (base && stored?.seq === base.seq) compareStored(base.state);

  const replay = await replayChecked(log, {
    ...(base ? { from: base.state } : {}),
    toSeq: head,
    onStep: (state) => {
      if (state.seq === stored?.seq) compareStored(state);
    },
    ...(progress ? { onProgress: (seq: number) => progress('invariants', seq) } : {}),
  });
  findings.push(...replay.findings);
  if (stored?.seq === 0 && !base) compareStored(replay.initial);

  if (!replay.failure) {
    if (options.served) projectionFindings(options.served, replay.state, 'the projection in use');
    else if (stored?.compare && stored.loaded && stored.mismatched()) {
      // Start-up loads a usable snapshot and folds the tail onto it: what it would serve, if the snapshot is wrong.
      projectionFindings(
        await foldLog(log, stored.value, { decider: options.decider, toSeq: head }),
        replay.state,
        'the projection in use',
      );
    }
  }

  // The files are judged against the whole log's state: a running service's own, or the replayed one if complete.
  if (options.recordingsDir !== undefined && (options.live || !replay.failure)) {
    findings.push(
      ...(await checkFiles(log, new RecordingFiles(options.recordingsDir), replay.state, options.live, notes)),
    );
  }

  const ordered = [...findings].sort(
    (a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || CHECK_ORDER[a.check] - CHECK_ORDER[b.check],
  );
  const firstBad = ordered[0];
  const violations = ordered
    .filter((f) => f.check === 'invariants' && f.code !== ChainCode.UNREADABLE)
    .map((f): InvariantViolation => ({
      rule: f.code,
      message: f.message,
      ...(f.seq !== undefined ? { seq: f.seq } : {}),
    }));
  const projectionFinding = ordered.find((f) => f.check === 'projection');
  const ok = ordered.length === 0;
  const report: StoreVerifyReport = {
    ok,
    scope: base ? 'incremental' : 'full',
    from,
    head,
    headHash: chain.headHash,
    checked: chain.checked,
    replayed: replay.steps,
    ...(firstBad ? { firstBad } : {}),
    findings: ordered,
    notes,
    invariants: { ok: !ordered.some((f) => f.check === 'invariants'), violations },
    projection: projectionFinding ? { ok: false, detail: projectionFinding.message } : { ok: true },
  };
  return { report, ...(ok ? { verified: { seq: head, state: replay.state } } : {}) };
}

interface StoredProjection {
  readonly seq: number;
  readonly value: QmdlStoreState;
  /** Of this build's version and not past the head: compared with the rebuilt state at its seq. */
  readonly compare: boolean;
  /** Start-up would load it (else it rebuilds from the log). */
  readonly loaded: boolean;
  /** It was compared and differed. */
  mismatched(): boolean;
}

/** Reads the stored projection snapshot; what cannot be compared becomes a note or a finding here. */
async function storedProjection(
  log: EventLog,
  verifiedSeq: number,
  head: number,
  findings: VerifyFinding[],
  notes: VerifyNote[],
): Promise<StoredProjection | undefined> {
  let snapshot: Snapshot<QmdlStoreState> | undefined;
  try {
    snapshot = await log.readSnapshot<QmdlStoreState>(PROJECTION_SNAPSHOT);
  } catch (error) {
    findings.push({
      check: 'projection',
      code: StoreVerifyCode.PROJECTION_UNREADABLE,
      message: `the stored projection cannot be read: ${(error as Error).message}`,
    });
    return undefined;
  }
  if (snapshot === undefined) {
    notes.push({ code: 'NO_STORED_PROJECTION', message: 'no stored projection (it is rebuilt at the next start)' });
    return undefined;
  }
  if (snapshot.version !== PROJECTION_VERSION) {
    notes.push({
      code: 'PROJECTION_VERSION_CHANGED',
      message: `stored projection version ${snapshot.version}, this build uses ${PROJECTION_VERSION} (rebuilt at the next start)`,
    });
    return undefined;
  }
  // A running service stores snapshots while this runs: only one past the log's head as it is now is ahead.
  const now = Math.max(head, log.headSeq());
  if (snapshot.seq > now) {
    findings.push({
      check: 'projection',
      code: StoreVerifyCode.PROJECTION_AHEAD,
      seq: head,
      message: `the stored projection is at seq ${snapshot.seq}, past the log head ${now}`,
    });
    return undefined;
  }
  const seen = findings.length;
  const value = snapshot.value;
  // Compared when the walk passes its seq: one stored before the verified position was compared then, one past the head is for the next call.
  const compare = snapshot.seq >= verifiedSeq && snapshot.seq <= head;
  return {
    seq: snapshot.seq,
    value,
    compare,
    loaded: snapshotProblem(snapshot, now) === undefined,
    mismatched: () => findings.slice(seen).some((f) => f.code === StoreVerifyCode.PROJECTION_MISMATCH),
  };
}

/** A stored event that could not be read back (not JSON, not an envelope, an upcaster threw). */
export interface ReadFailure {
  readonly seq: number;
  readonly code: string;
  readonly message: string;
}

/** What a read of the log threw, as a failure at the seq the error names (else `nextSeq`, the event it was reading). */
export function readFailureOf(error: unknown, nextSeq: number): ReadFailure {
  const seq =
    isLedgerError(error) && typeof error.details?.['seq'] === 'number' ? (error.details['seq'] as number) : nextSeq;
  const code = isLedgerError(error) ? error.code : 'READ_FAILED';
  return { seq, code, message: error instanceof Error ? error.message : String(error) };
}

interface CheckedReplay {
  /** The state the walk started from. */
  readonly initial: QmdlStoreState;
  /** The state after the last event read. */
  readonly state: QmdlStoreState;
  readonly steps: number;
  readonly findings: readonly VerifyFinding[];
  /** Set when an event could not be read: the state is then partial. */
  readonly failure?: VerifyFinding;
}

/**
 * Replays `(from.seq, toSeq]` onto `from` checking every rule at every step;
 * unlike a projection it goes on past a violation (each distinct one is
 * reported once, at the first seq it appears), and an event it cannot read
 * ends the walk with an UNREADABLE finding instead of a throw.
 */
async function replayChecked(
  log: EventLog,
  options: {
    readonly from?: QmdlStoreState;
    readonly toSeq: number;
    readonly onStep: (state: QmdlStoreState) => void;
    readonly onProgress?: (seq: number) => void;
  },
): Promise<CheckedReplay> {
  const checker = createHistoryChecker(options.from);
  const initial = checker.result();
  const findings: VerifyFinding[] = [];
  const seen = new Set<string>();
  const report = (violations: readonly InvariantViolation[], seq: number): void => {
    for (const v of violations) {
      const key = `${v.rule}\u0000${v.message}`;
      if (seen.has(key) || findings.length >= MAX_FINDINGS_PER_CHECK) continue;
      seen.add(key);
      findings.push({ check: 'invariants', code: v.rule, seq: v.seq ?? seq, message: v.message });
    }
  };
  let steps = 0;
  let lastSeq = initial.seq;
  if (options.toSeq > initial.seq) {
    try {
      for await (const event of log.read({ fromSeq: initial.seq + 1, toSeq: options.toSeq })) {
        report(checker.step(event as LedgerEvent), event.seq);
        steps += 1;
        lastSeq = event.seq;
        options.onStep(checker.peek());
        if (options.onProgress && event.seq % PROGRESS_EVERY === 0) options.onProgress(event.seq);
      }
    } catch (error) {
      const read = readFailureOf(error, lastSeq + 1);
      const failure: VerifyFinding = {
        check: 'invariants',
        code: ChainCode.UNREADABLE,
        seq: read.seq,
        message: `replay stopped: ${read.message} (${read.code})`,
      };
      return { initial, state: checker.result(), steps, findings: [...findings, failure], failure };
    }
    options.onProgress?.(options.toSeq);
  }
  report(checker.checkAll(), lastSeq);
  return { initial, state: checker.result(), steps, findings };
}

/** A finding about one recording's files, before its seq is looked up. */
type FileFinding = Omit<VerifyFinding, 'check' | 'seq'> & { readonly recording: string };

/**
 * The recordings on disk against `state` (a running service's settled state
 * when `live` is given): each finished recording's QMDL file at its recorded
 * size, the active one at least its committed size, no file of a deleted
 * recording, no QMDL file of a recording no event names. On a running service
 * a finding stands only if the recording's record did not change while the
 * files were read (a command may delete or start one meanwhile).
 */
async function checkFiles(
  log: EventLog,
  files: RecordingFiles,
  replayed: QmdlStoreState,
  live: LiveFiles | undefined,
  notes: VerifyNote[],
): Promise<VerifyFinding[]> {
  const state = live ? await live.settled() : replayed;
  const found: FileFinding[] = [];
  const qmdlOf = (entry: Pick<RecordingEntry, 'name' | 'compressed'>): string =>
    path.join(files.dir, qmdlFileName(entry.name, entry.compressed));
  for (const entry of Object.values(state.entries)) {
    const file = qmdlOf(entry);
    const size = await sizeOf(file);
    if (size === undefined) {
      if (entry.damaged)
        notes.push({
          code: 'RECORDING_DAMAGED',
          recording: entry.name,
          message: `recording ${entry.name} is recorded as damaged: ${entry.damaged.detail}`,
        });
      else
        found.push({
          code: StoreVerifyCode.FILE_MISSING,
          recording: entry.name,
          message: `${path.basename(file)} of recording ${entry.name} is missing`,
        });
    } else if (size !== entry.qmdlSizeBytes) {
      found.push({
        code: StoreVerifyCode.FILE_SIZE_MISMATCH,
        recording: entry.name,
        message: `${path.basename(file)} is ${size} bytes, the log says ${entry.qmdlSizeBytes}`,
      });
    }
  }
  const current = state.current;
  if (current) {
    const file = qmdlOf(current);
    const size = await sizeOf(file);
    if (size === undefined) {
      found.push({
        code: StoreVerifyCode.FILE_MISSING,
        recording: current.name,
        message: `${path.basename(file)} of the active recording ${current.name} is missing`,
      });
    } else if (size < current.qmdlSizeBytes) {
      found.push({
        code: StoreVerifyCode.FILE_SHORTER_THAN_COMMITTED,
        recording: current.name,
        message: `${path.basename(file)} is ${size} bytes, shorter than the committed ${current.qmdlSizeBytes}`,
      });
    } else {
      notes.push({
        code: 'ACTIVE_RECORDING',
        recording: current.name,
        message: `recording ${current.name} is active at seq ${state.seq}; ${size - current.qmdlSizeBytes} byte(s) past its committed ${current.qmdlSizeBytes} are not in the log yet (start-up cuts them after a crash)`,
      });
    }
  }
  for (const [name, onDisk] of await files.scan()) {
    const status = state.names[name];
    // A live recording's partial report is not a finding: an analysis may be writing it now (start-up removes one a
    // crash left). A deleted recording's is one of the files that should have gone with it.
    const all = [...onDisk.qmdl.map((q) => q.file), ...onDisk.other, ...(onDisk.partial ? [onDisk.partial] : [])].map(
      (file) => path.basename(file),
    );
    if (status === 'deleted') {
      found.push({
        code: StoreVerifyCode.DELETED_FILES_PRESENT,
        recording: name,
        message: `recording ${name} was deleted but ${all.join(', ')} remain`,
      });
    } else if (status === undefined && onDisk.qmdl.length > 0) {
      found.push({
        code: StoreVerifyCode.ORPHAN_FILE,
        recording: name,
        message: `${all.join(', ')} belong to no recording in the log`,
      });
    }
  }
  const after = live?.current();
  const standing = after ? found.filter((f) => recordOf(state, f.recording) === recordOf(after, f.recording)) : found;
  const out: VerifyFinding[] = [];
  for (const f of standing.slice(0, MAX_FINDINGS_PER_CHECK)) {
    const seq = f.code === StoreVerifyCode.ORPHAN_FILE ? undefined : await lastNaming(log, f.recording, state.seq);
    out.push({ check: 'files', ...f, ...(seq !== undefined ? { seq } : {}) });
  }
  return out;
}

/** What the state records of one recording, comparable between two states. */
function recordOf(state: QmdlStoreState, name: string): string {
  const active = state.current?.name === name;
  return JSON.stringify([state.names[name] ?? null, state.entries[name] ?? null, active]);
}

/** The last event up to `toSeq` that names the recording (from the recording index). */
async function lastNaming(log: EventLog, name: string, toSeq: number): Promise<number | undefined> {
  try {
    for await (const event of log.read({ recording: name, toSeq, reverse: true, limit: 1 })) return event.seq;
  } catch {
    // An unreadable event is the chain's finding; the file finding stands without a seq.
  }
  return undefined;
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
