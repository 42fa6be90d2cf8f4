import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  initialState,
  parseRecordingFileName,
  qmdlFileName,
  type InvariantViolation,
  type QmdlStoreState,
  type RecordingEntry,
} from '@ledger/domain';
import type { EventLog } from '@ledger/event-log';
import { diffProjections, PROJECTION_SNAPSHOT, PROJECTION_VERSION } from '@ledger/store';
import { progressBar } from './cli-support';
import { replay } from './replay';

/** Which part of `verify` found something. */
export type VerifyCheck = 'chain' | 'invariants' | 'projection' | 'files';

/**
 * One finding. `code` is stable (README "verify findings"): the event log's
 * chain codes (SEQUENCE_GAP, BAD_PREV, BAD_HASH, UNREADABLE, BAD_KEY, BAD_HEAD),
 * the domain's rule codes (ONE_ACTIVE_RECORDING, SIZE_NEVER_DECREASES, …),
 * PROJECTION_MISMATCH / PROJECTION_AHEAD / PROJECTION_UNREADABLE, and the file
 * codes FILE_MISSING, FILE_SIZE_MISMATCH, FILE_SHORTER_THAN_COMMITTED,
 * DELETED_FILES_PRESENT, ORPHAN_FILE.
 */
export interface VerifyFinding {
  readonly check: VerifyCheck;
  readonly code: string;
  /** The event the finding is about (for files: the last event that named the recording). */
  readonly seq?: number;
  readonly recording?: string;
  readonly message: string;
}

/** Facts that are not findings (a crashed run's uncommitted tail, a missing projection snapshot). */
export interface VerifyNote {
  readonly code: string;
  readonly recording?: string;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly head: number;
  readonly headHash: string;
  /** Events whose hash and link were checked. */
  readonly checked: number;
  /** Events replayed with every invariant checked. */
  readonly replayed: number;
  /** The finding with the lowest sequence (chain findings first at equal seq); absent when ok. */
  readonly firstBad?: VerifyFinding;
  readonly findings: readonly VerifyFinding[];
  readonly notes: readonly VerifyNote[];
}

/** At most this many findings per check are listed (the first is what matters). */
const MAX_FINDINGS_PER_CHECK = 50;

const CHECK_ORDER: Readonly<Record<VerifyCheck, number>> = { chain: 0, invariants: 1, projection: 2, files: 3 };

/**
 * Everything `qmdl-ledger verify` checks: the gapless sequence and hash chain,
 * every invariant after every event, the stored projection against the one
 * rebuilt at its sequence, and the recordings on disk against the log.
 */
export async function verifyStore(log: EventLog, options: { readonly recordingsDir: string }): Promise<VerifyReport> {
  const findings: VerifyFinding[] = [];
  const notes: VerifyNote[] = [];
  const head = log.headSeq();

  const bar = progressBar('verify: hash chain', head);
  const chain = await log.verify({ onProgress: (seq) => bar.update(seq) });
  bar.finish();
  if (chain.firstBad)
    findings.push({
      check: 'chain',
      code: chain.firstBad.code,
      seq: chain.firstBad.seq,
      message: chain.firstBad.message,
    });

  let snapshot: Awaited<ReturnType<EventLog['readSnapshot']>> | undefined;
  try {
    snapshot = await log.readSnapshot<QmdlStoreState>(PROJECTION_SNAPSHOT);
  } catch (error) {
    findings.push({
      check: 'projection',
      code: 'PROJECTION_UNREADABLE',
      message: `the stored projection cannot be read: ${(error as Error).message}`,
    });
  }
  if (snapshot === undefined)
    notes.push({ code: 'NO_STORED_PROJECTION', message: 'no stored projection (it is rebuilt at the next start)' });
  else if (snapshot.version !== PROJECTION_VERSION) {
    notes.push({
      code: 'PROJECTION_VERSION_CHANGED',
      message: `stored projection version ${snapshot.version}, this build uses ${PROJECTION_VERSION} (rebuilt at the next start)`,
    });
  } else if (snapshot.seq > head) {
    findings.push({
      check: 'projection',
      code: 'PROJECTION_AHEAD',
      seq: head,
      message: `the stored projection is at seq ${snapshot.seq}, past the log head ${head}`,
    });
  }
  const compareAt =
    snapshot !== undefined && snapshot.version === PROJECTION_VERSION && snapshot.seq <= head
      ? snapshot.seq
      : undefined;
  const compare = (state: QmdlStoreState): void => {
    if (compareAt === undefined || snapshot === undefined) return;
    const diff = diffProjections(state, snapshot.value as QmdlStoreState);
    if (diff !== undefined) {
      findings.push({
        check: 'projection',
        code: 'PROJECTION_MISMATCH',
        seq: compareAt,
        message: `the stored projection (seq ${compareAt}) differs from the one rebuilt from the log: ${diff}`,
      });
    }
  };
  if (compareAt === 0) compare(initialState());

  const lastNaming = new Map<string, number>();
  const seen = new Set<string>();
  let invariantFindings = 0;
  /** Each distinct violation once (a broken state stays broken), up to the cap. */
  const reportViolations = (violations: readonly InvariantViolation[], seq: number): void => {
    for (const v of violations) {
      const key = `${v.rule}\u0000${v.message}`;
      if (seen.has(key) || invariantFindings >= MAX_FINDINGS_PER_CHECK) continue;
      seen.add(key);
      invariantFindings += 1;
      findings.push({ check: 'invariants', code: v.rule, seq: v.seq ?? seq, message: v.message });
    }
  };
  const result = await replay(log, {
    checkRules: true,
    progress: 'verify: invariants',
    onStep: ({ event, after, violations }) => {
      if (event.recording !== undefined) lastNaming.set(event.recording, event.seq);
      reportViolations(violations, event.seq);
      if (event.seq === compareAt) compare(after);
    },
  });
  reportViolations(result.finalViolations ?? [], result.state.seq);
  if (result.failure) {
    findings.push({
      check: 'invariants',
      code: 'UNREADABLE',
      seq: result.failure.seq,
      message: `replay stopped: ${result.failure.message} (${result.failure.code})`,
    });
  }

  // Files are judged against the state the whole log leads to; after a read failure that state is partial.
  if (!result.failure) await checkFiles(result.state, options.recordingsDir, lastNaming, findings, notes);

  const ordered = [...findings].sort(
    (a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || CHECK_ORDER[a.check] - CHECK_ORDER[b.check],
  );
  const firstBad = ordered[0];
  return {
    ok: findings.length === 0,
    head,
    headHash: log.headHash(),
    checked: chain.checked,
    replayed: result.steps,
    ...(firstBad ? { firstBad } : {}),
    findings: ordered,
    notes,
  };
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

function qmdlFile(dir: string, entry: Pick<RecordingEntry, 'name' | 'compressed'>): string {
  return path.join(dir, qmdlFileName(entry.name, entry.compressed));
}

async function checkFiles(
  state: QmdlStoreState,
  dir: string,
  lastNaming: ReadonlyMap<string, number>,
  findings: VerifyFinding[],
  notes: VerifyNote[],
): Promise<void> {
  let count = 0;
  const add = (finding: VerifyFinding): void => {
    if (count++ < MAX_FINDINGS_PER_CHECK) findings.push(finding);
  };
  for (const entry of Object.values(state.entries)) {
    const file = qmdlFile(dir, entry);
    const size = await sizeOf(file);
    const seq = lastNaming.get(entry.name);
    const at = seq === undefined ? {} : { seq };
    if (size === undefined) {
      if (entry.damaged) {
        notes.push({
          code: 'RECORDING_DAMAGED',
          recording: entry.name,
          message: `recording ${entry.name} is recorded as damaged: ${entry.damaged.detail}`,
        });
      } else {
        add({
          check: 'files',
          code: 'FILE_MISSING',
          recording: entry.name,
          ...at,
          message: `${path.basename(file)} of recording ${entry.name} is missing`,
        });
      }
    } else if (size !== entry.qmdlSizeBytes) {
      add({
        check: 'files',
        code: 'FILE_SIZE_MISMATCH',
        recording: entry.name,
        ...at,
        message: `${path.basename(file)} is ${size} bytes, the log says ${entry.qmdlSizeBytes}`,
      });
    }
  }
  const current = state.current;
  if (current) {
    const file = qmdlFile(dir, current);
    const size = await sizeOf(file);
    const seq = lastNaming.get(current.name);
    const at = seq === undefined ? {} : { seq };
    if (size === undefined) {
      add({
        check: 'files',
        code: 'FILE_MISSING',
        recording: current.name,
        ...at,
        message: `${path.basename(file)} of the active recording ${current.name} is missing`,
      });
    } else if (size < current.qmdlSizeBytes) {
      add({
        check: 'files',
        code: 'FILE_SHORTER_THAN_COMMITTED',
        recording: current.name,
        ...at,
        message: `${path.basename(file)} is ${size} bytes, shorter than the committed ${current.qmdlSizeBytes}`,
      });
    } else {
      notes.push({
        code: 'ACTIVE_RECORDING',
        recording: current.name,
        message: `recording ${current.name} was active at the head (the service is running or did not stop cleanly); ${size - current.qmdlSizeBytes} byte(s) past the committed ${current.qmdlSizeBytes} are cut at the next start`,
      });
    }
  }
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch {
    names = [];
  }
  const byName = new Map<string, string[]>();
  for (const file of names) {
    const layout = parseRecordingFileName(file);
    if (layout === undefined) continue;
    byName.set(layout.name, [...(byName.get(layout.name) ?? []), file]);
  }
  for (const [name, files] of byName) {
    const status = state.names[name];
    const seq = lastNaming.get(name);
    if (status === 'deleted') {
      add({
        check: 'files',
        code: 'DELETED_FILES_PRESENT',
        recording: name,
        ...(seq === undefined ? {} : { seq }),
        message: `recording ${name} was deleted but ${files.join(', ')} remain`,
      });
    } else if (status === undefined && files.some((f) => f.includes('.qmdl'))) {
      add({
        check: 'files',
        code: 'ORPHAN_FILE',
        recording: name,
        message: `${files.join(', ')} belong to no recording in the log`,
      });
    }
  }
}
