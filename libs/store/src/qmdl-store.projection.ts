import {
  createHistoryChecker,
  initialState,
  type Command,
  type ComposedDecider,
  type DecidedEvent,
  type InvariantViolation,
  type LedgerEvent,
  type QmdlStoreState,
  type StoredEvent,
  type TransitionBefore,
} from '@ledger/domain';
import { canonicalEncode, type EventLog, type Snapshot } from '@ledger/event-log';

/** Snapshot name and version of the persisted QmdlStore projection. Bump the version when the state shape changes: a mismatch rebuilds. */
export const PROJECTION_SNAPSHOT = 'qmdl-store';
export const PROJECTION_VERSION = 2;

/**
 * The ledger's slices composed into one decider (the domain's `ledgerDecider`,
 * from `LEDGER_SLICES`): `openLedger` hands the same one to the command
 * processor and to the projection's folds, so a state is folded from the log
 * by exactly the slices that decided its events.
 */
export type LedgerDecider = ComposedDecider<QmdlStoreState, Command, DecidedEvent, TransitionBefore>;

/** How the projection was brought up at open (for logs and `inspect`). */
export interface ProjectionLoadReport {
  readonly from: 'snapshot' | 'rebuild';
  readonly snapshotSeq: number;
  readonly replayed: number;
  readonly reason?: string;
}

/**
 * The QmdlStore read model: kept in memory, persisted with the sequence it
 * reflects so start-up replays only the tail, and rebuildable from the log.
 */
export class QmdlStoreProjection {
  private current: QmdlStoreState;
  private lastPersistedSeq: number;

  private constructor(
    private readonly log: EventLog,
    state: QmdlStoreState,
    persistedSeq: number,
    readonly loadReport: ProjectionLoadReport,
  ) {
    this.current = state;
    this.lastPersistedSeq = persistedSeq;
  }

  /** Load the stored projection and catch up from the log; rebuild when it is missing, of another version, or ahead of the log. */
  static async load(
    log: EventLog,
    options: { readonly decider: LedgerDecider; readonly onProgress?: (seq: number) => void },
  ): Promise<QmdlStoreProjection> {
    const head = log.headSeq();
    const snapshot = await log.readSnapshot<QmdlStoreState>(PROJECTION_SNAPSHOT);
    const reason = snapshotProblem(snapshot, head);
    const base = reason === undefined && snapshot ? snapshot.value : initialState();
    const start = base.seq;
    const state = await foldLog(log, base, {
      decider: options.decider,
      toSeq: head,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const report: ProjectionLoadReport =
      reason === undefined
        ? { from: 'snapshot', snapshotSeq: start, replayed: head - start }
        : { from: 'rebuild', snapshotSeq: 0, replayed: head, reason };
    return new QmdlStoreProjection(log, state, reason === undefined ? start : 0, report);
  }

  state(): QmdlStoreState {
    return this.current;
  }

  /** Replace the state with one already evolved over committed events (the processor's fast path). */
  advance(state: QmdlStoreState): void {
    this.current = state;
  }

  /** Persist the projection with the sequence it reflects (cheap to call often; writes only when it moved). */
  async persist(options: { readonly force?: boolean; readonly minEvents?: number } = {}): Promise<void> {
    const state = this.current;
    const moved = state.seq - this.lastPersistedSeq;
    if (!options.force && moved < (options.minEvents ?? 1)) return;
    await this.log.writeSnapshot(PROJECTION_SNAPSHOT, { seq: state.seq, version: PROJECTION_VERSION, value: state });
    this.lastPersistedSeq = state.seq;
  }
}

/** Why start-up would not load a stored projection snapshot (and rebuild from the log instead); undefined when it would. */
export function snapshotProblem(snapshot: Snapshot<QmdlStoreState> | undefined, head: number): string | undefined {
  if (!snapshot) return 'no stored projection';
  if (snapshot.version !== PROJECTION_VERSION)
    return `stored projection version ${snapshot.version} != ${PROJECTION_VERSION}`;
  if (snapshot.seq > head) return `stored projection is at seq ${snapshot.seq}, past the log head ${head}`;
  if (snapshot.value.seq !== snapshot.seq) return 'stored projection disagrees with its own sequence';
  return undefined;
}

/**
 * Fold the log's events from `state.seq + 1` up to `toSeq` into `state`,
 * streaming, with the folder of `decider` (O(1) per event; `state` is left as it is).
 */
export async function foldLog(
  log: EventLog,
  state: QmdlStoreState,
  options: {
    readonly decider: LedgerDecider;
    readonly toSeq?: number;
    readonly untilTime?: string;
    readonly onProgress?: (seq: number) => void;
  },
): Promise<QmdlStoreState> {
  const toSeq = options.toSeq ?? log.headSeq();
  if (toSeq <= state.seq) return state;
  const untilMs = options.untilTime === undefined ? undefined : Date.parse(options.untilTime);
  const fold = options.decider.createFold(state);
  for await (const event of log.read({ fromSeq: state.seq + 1, toSeq })) {
    if (untilMs !== undefined && Date.parse(event.time) > untilMs) break;
    fold.apply(event as LedgerEvent);
    if (options.onProgress && event.seq % 10_000 === 0) options.onProgress(event.seq);
  }
  return fold.result();
}

/** Rebuild the projection from the whole log. */
export function rebuildProjection(
  log: EventLog,
  options: { readonly decider: LedgerDecider; readonly toSeq?: number; readonly onProgress?: (seq: number) => void },
): Promise<QmdlStoreState> {
  return foldLog(log, options.decider.initialState(), options);
}

/** First difference between two projections, for a readable report; undefined when equal. */
export function diffProjections(a: QmdlStoreState, b: QmdlStoreState): string | undefined {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const encoded = (value: unknown): string | undefined => (value === undefined ? undefined : canonicalEncode(value));
  for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    const ja = encoded(ra[key]);
    const jb = encoded(rb[key]);
    if (ja !== jb) return `${key}: ${truncate(ja)} != ${truncate(jb)}`;
  }
  return undefined;
}

function truncate(s: string | undefined): string {
  if (s === undefined) return 'undefined';
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/**
 * Replay the log checking invariants after every event; the first finding stops
 * the walk. Starts from `from` (a state already verified, e.g. by an earlier
 * call) or from the empty store.
 */
export async function replayWithInvariants(
  log: EventLog,
  options: {
    readonly from?: QmdlStoreState;
    readonly toSeq?: number;
    readonly onProgress?: (seq: number) => void;
  } = {},
): Promise<{
  readonly state: QmdlStoreState;
  readonly violations: readonly InvariantViolation[];
  readonly checked: number;
}> {
  const from = options.from ?? initialState();
  let checked = 0;
  const toSeq = options.toSeq ?? log.headSeq();
  if (toSeq <= from.seq) return { state: from, violations: [], checked };
  // O(1) per event (the rules for the recordings each step touched), then every
  // state rule once over the final state: a full verification of 1M events over
  // 10,000 recordings used to copy and re-check every recording at each step.
  const checker = createHistoryChecker(from);
  for await (const event of log.read({ fromSeq: from.seq + 1, toSeq })) {
    checked++;
    const violations = checker.step(event as LedgerEvent);
    if (violations.length > 0)
      return {
        state: checker.result(),
        violations: violations.map((v) => ({ ...v, seq: v.seq ?? event.seq })),
        checked,
      };
    if (options.onProgress && event.seq % 10_000 === 0) options.onProgress(event.seq);
  }
  const state = checker.result();
  return { state, violations: checker.checkAll(), checked };
}

export type { StoredEvent };
