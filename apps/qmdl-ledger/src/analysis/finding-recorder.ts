import type { AnalysisFindingData } from '@ledger/domain';

/** Closed windows of findings, as the coalescer hands them out. */
export interface FindingBatch {
  /** The last packet the batch covers (the end of its last window). */
  readonly through: number;
  readonly findings: readonly AnalysisFindingData[];
}

/** Windows waiting behind the commit in flight before `add` waits for it (bounds memory). */
const MAX_PENDING_WINDOWS = 64;

/**
 * Records closed finding windows without making the analysis wait for each
 * durable commit: one commit is in flight at a time, and the windows that close
 * meanwhile go into the next one together (the decider accepts findings of any
 * window up to a command's `through`). Order is kept, so `through` only grows,
 * and each commit is atomic: after a crash, the recorded `findingsThrough` is
 * the end of some whole batch, and a resumed run records exactly what is after it.
 * A failed commit fails the next `add` or `drain`, and nothing is sent after it.
 */
export class FindingRecorder {
  private pending: AnalysisFindingData[] = [];
  private pendingThrough = 0;
  private pendingWindows = 0;
  private inFlight?: Promise<void>;
  private failure?: { readonly error: unknown };

  constructor(private readonly commit: (batch: FindingBatch) => Promise<void>) {}

  /** Queues a closed window; waits only when too many windows are waiting already. */
  async add(batch: FindingBatch | undefined): Promise<void> {
    this.throwIfFailed();
    if (batch === undefined) return;
    this.pending.push(...batch.findings);
    this.pendingThrough = batch.through;
    this.pendingWindows++;
    if (this.inFlight === undefined) this.send();
    else if (this.pendingWindows >= MAX_PENDING_WINDOWS) {
      await this.inFlight;
      this.throwIfFailed();
    }
  }

  /** Waits until everything queued is committed (or throws what failed). */
  async drain(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
    this.throwIfFailed();
  }

  private send(): void {
    const batch = { through: this.pendingThrough, findings: this.pending };
    this.pending = [];
    this.pendingWindows = 0;
    this.inFlight = this.commit(batch).then(
      () => {
        this.inFlight = undefined;
        if (this.pendingWindows > 0 && this.failure === undefined) this.send();
      },
      (error: unknown) => {
        this.inFlight = undefined;
        this.failure = { error };
      },
    );
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
