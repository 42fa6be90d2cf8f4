import { LedgerError } from '@ledger/domain';
import type { FleetDatabase } from './fleet-database';

/**
 * A batch as the columns `fleet_events` is filled from: one array per column (seq, hash, type,
 * recording, time, actor, actor address, correlation id; one `unnest` row per event), and the
 * lines joined by newlines, split by `string_to_array` in the statement (a line holds none): one
 * text parameter instead of an array whose every quote pg would escape.
 */
export type EventColumns = readonly [
  number[],
  string[],
  string[],
  Array<string | null>,
  string[],
  string[],
  Array<string | null>,
  string[],
  string,
];

/** The next batch of a device onto the head this instance wrote for it last, and what its row becomes. */
export interface KnownHeadAppend {
  readonly tokenDigest: string;
  readonly storeId: string;
  readonly reportedHeadSeq: number | null;
  readonly reportedLagBytes: number | null;
  /** The head the batch was folded onto: appended only if the device's row still has it. */
  readonly base: { readonly seq: number; readonly hash: string };
  readonly head: { readonly seq: number; readonly hash: string };
  readonly columns: EventColumns;
  /** The projection at `head`, as JSON. */
  readonly state: string;
  readonly activeRecording: string | null;
  readonly recordings: number;
}

export interface GroupedAppendsOptions {
  /** Group statements in flight at once (the others wait and are grouped). */
  readonly concurrency: number;
  /** At most this many batches, events and bytes of JSON (states and lines) in one statement; one batch always goes. */
  readonly maxBatches: number;
  readonly maxEvents: number;
  readonly maxBytes: number;
}

interface Waiting {
  readonly append: KnownHeadAppend;
  readonly resolve: (appended: boolean) => void;
  readonly reject: (error: unknown) => void;
}

const STATEMENT = `SELECT fleet_append_batches(${Array.from({ length: 22 }, (_, i) => `$${i + 1}`).join(', ')}) AS appended`;

/**
 * Appends batches onto known heads (`fleet_append_batches`, schema version 7), those that wait
 * together in one statement and one commit. A batch that finds no statement in flight is sent at
 * once (alone); while `concurrency` statements are in flight the next batches wait, and the next
 * statement takes all that waited (up to the bounds) — so grouping costs a batch no wait of its
 * own, and what PostgreSQL spends per statement (executor start, commit) and this process per
 * round trip is shared by the batches of a busy instance. A batch is acknowledged only once its
 * statement committed. A failed statement fails none of its batches on the others' account: unless
 * the database is unreachable, each is tried again alone, so a batch gets the answer it would get
 * on its own.
 *
 * @example
 * const appends = new GroupedAppends(db, { concurrency: 4, maxBatches: 64, maxEvents: 5000, maxBytes: 8 << 20 });
 * const appended = await appends.append({ tokenDigest, storeId, base, head, columns, state, ... });
 */
export class GroupedAppends {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: FleetDatabase,
    private readonly options: GroupedAppendsOptions,
  ) {}

  /** True once the batch is stored and the head moved to `head`; false (nothing written) when the row's head was not `base`. */
  append(append: KnownHeadAppend): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ append, resolve, reject });
      this.send();
    });
  }

  private send(): void {
    while (this.inFlight < this.options.concurrency && this.waiting.length > 0) {
      const group = this.take();
      this.inFlight += 1;
      void this.run(group).finally(() => {
        this.inFlight -= 1;
        this.send();
      });
    }
  }

  private take(): Waiting[] {
    let n = 0;
    let events = 0;
    let bytes = 0;
    for (const { append } of this.waiting) {
      const size = append.columns[0].length;
      const length = append.state.length + append.columns[8].length;
      if (
        n > 0 &&
        (n >= this.options.maxBatches ||
          events + size > this.options.maxEvents ||
          bytes + length > this.options.maxBytes)
      )
        break;
      n += 1;
      events += size;
      bytes += length;
    }
    return this.waiting.splice(0, n);
  }

  private async run(group: Waiting[]): Promise<void> {
    let appended: Set<Waiting>;
    try {
      appended = await this.statement(group);
    } catch (error) {
      const unavailable = error instanceof LedgerError && error.code === 'DATABASE_UNAVAILABLE';
      if (group.length === 1 || unavailable) {
        for (const waiting of group) waiting.reject(error);
        return;
      }
      // Nothing of the group was written (one statement): each batch again on its own.
      await Promise.all(
        group.map((waiting) =>
          this.statement([waiting]).then(
            (alone) => waiting.resolve(alone.has(waiting)),
            (cause: unknown) => waiting.reject(cause),
          ),
        ),
      );
      return;
    }
    for (const waiting of group) waiting.resolve(appended.has(waiting));
  }

  /** One statement for the group; the batches it appended. */
  private async statement(group: readonly Waiting[]): Promise<Set<Waiting>> {
    // One lock order for every group (by store id): two groups holding rows the other wants cannot happen.
    const sorted = [...group].sort((a, b) =>
      a.append.storeId < b.append.storeId ? -1 : a.append.storeId > b.append.storeId ? 1 : 0,
    );
    const perBatch = {
      token: [] as string[],
      storeId: [] as string[],
      reportedHead: [] as Array<number | null>,
      reportedLag: [] as Array<number | null>,
      baseSeq: [] as number[],
      baseHash: [] as string[],
      firstSeq: [] as number[],
      headSeq: [] as number[],
      headHash: [] as string[],
      states: [] as string[],
      active: [] as Array<string | null>,
      recordings: [] as number[],
    };
    const batchOf: number[] = [];
    const columns: unknown[][] = Array.from({ length: 8 }, () => []);
    const bodies: string[] = [];
    sorted.forEach(({ append }, i) => {
      perBatch.token.push(append.tokenDigest);
      perBatch.storeId.push(append.storeId);
      perBatch.reportedHead.push(append.reportedHeadSeq);
      perBatch.reportedLag.push(append.reportedLagBytes);
      perBatch.baseSeq.push(append.base.seq);
      perBatch.baseHash.push(append.base.hash);
      perBatch.firstSeq.push(append.columns[0][0] ?? 0);
      perBatch.headSeq.push(append.head.seq);
      perBatch.headHash.push(append.head.hash);
      perBatch.states.push(append.state);
      perBatch.active.push(append.activeRecording);
      perBatch.recordings.push(append.recordings);
      for (let k = 0; k < append.columns[0].length; k++) batchOf.push(i + 1);
      for (let c = 0; c < 8; c++) (columns[c] as unknown[]).push(...(append.columns[c] as unknown[]));
      bodies.push(append.columns[8]);
    });
    const rows = await this.db.query<{ appended: number[] }>(
      STATEMENT,
      [
        perBatch.token,
        perBatch.storeId,
        perBatch.reportedHead,
        perBatch.reportedLag,
        perBatch.baseSeq,
        perBatch.baseHash,
        perBatch.firstSeq,
        perBatch.headSeq,
        perBatch.headHash,
        perBatch.states.join('\n'),
        perBatch.active,
        perBatch.recordings,
        batchOf,
        ...columns,
        bodies.join('\n'),
      ],
      'fleet_append_batches',
    );
    const positions = rows[0]?.appended ?? [];
    return new Set(positions.map((p) => sorted[p - 1]).filter((w): w is Waiting => w !== undefined));
  }
}
