/** The outcome of one request inside a commit. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Writes all requests of one group in one batch; returns one outcome per
 * request, in order. Throwing fails every request of the group.
 */
export type CommitFn<TRequest, TResult> = (requests: readonly TRequest[]) => Promise<ReadonlyArray<Outcome<TResult>>>;

interface Pending<TRequest, TResult> {
  readonly request: TRequest;
  readonly resolve: (value: TResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: at most one commit is in flight. Requests that arrive while it
 * is written queue up, and when it finishes they are all committed together in
 * the next single batch (so one fsync serves them all). A lone request is
 * committed on the next microtask, which also gathers requests issued in the
 * same tick.
 *
 * Scheduling uses promise jobs only (no timers), so fake timers in tests
 * cannot stall a commit.
 */
export class GroupCommit<TRequest, TResult> {
  private queue: Array<Pending<TRequest, TResult>> = [];
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;
  private groups = 0;

  constructor(private readonly commit: CommitFn<TRequest, TResult>) {}

  /** Number of commits (batches) attempted so far. */
  get commits(): number {
    return this.groups;
  }

  /** Number of requests waiting for the next commit. */
  get queued(): number {
    return this.queue.length;
  }

  submit(request: TRequest): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.running) this.start();
    });
  }

  /** Resolves once nothing is queued or in flight. */
  drain(): Promise<void> {
    return this.idle;
  }

  private start(): void {
    this.running = true;
    this.idle = new Promise<void>((resolve) => {
      this.markIdle = resolve;
    });
    void Promise.resolve().then(() => this.loop());
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      this.groups += 1;
      let outcomes: ReadonlyArray<Outcome<TResult>>;
      try {
        outcomes = await this.commit(group.map((p) => p.request));
      } catch (error) {
        outcomes = group.map(() => ({ ok: false, error }));
      }
      group.forEach((pending, i) => {
        const outcome = outcomes[i] ?? { ok: false, error: new Error('commit returned no outcome for a request') };
        if (outcome.ok) pending.resolve(outcome.value);
        else pending.reject(outcome.error);
      });
      // Let the callers just resolved run their continuations first: the
      // appends they issue right away then join the next group.
      await Promise.resolve();
    }
    this.running = false;
    this.markIdle();
  }
}
