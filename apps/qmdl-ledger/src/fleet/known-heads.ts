import type { QmdlStoreState } from '@ledger/domain';

/** What an instance last wrote for a device: its head and the projection at that head. */
export interface KnownHead {
  readonly storeId: string;
  readonly seq: number;
  readonly hash: string;
  readonly state: QmdlStoreState;
  /** Length of the projection's JSON: what the entry is charged against the budget. */
  readonly size: number;
}

/**
 * The heads this instance appended last, by device-token digest, so that the
 * next batch of a device can be folded and appended in one statement without
 * first reading the device's row. It is a hint, never a source of truth: the
 * append checks the head in PostgreSQL and refuses when another instance (or
 * anything else) moved it, and the caller then takes the general path — so the
 * service stays stateless in what matters. Bounded by the total size of the
 * projections it holds; the least recently used go first.
 *
 * @example
 * const heads = new KnownHeads(64 * 1024 * 1024);
 * heads.remember(digest, { storeId, seq, hash, state, size: json.length });
 * heads.get(digest); // the entry, or undefined
 */
export class KnownHeads {
  private readonly entries = new Map<string, KnownHead>();
  private total = 0;

  constructor(private readonly budget: number) {}

  get(digest: string): KnownHead | undefined {
    const known = this.entries.get(digest);
    if (known !== undefined) {
      // Map order is insertion order: re-inserting marks it as the most recently used.
      this.entries.delete(digest);
      this.entries.set(digest, known);
    }
    return known;
  }

  remember(digest: string, known: KnownHead): void {
    this.forget(digest);
    // One projection larger than a quarter of the budget would evict most others for one device.
    if (known.size > this.budget / 4) return;
    this.entries.set(digest, known);
    this.total += known.size;
    // Only when over the budget: a Map iterator starts at the oldest slot and walks past the ones
    // `get` emptied by re-inserting, so iterating on every call would cost what the cache saves.
    if (this.total <= this.budget) return;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.budget) break;
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
  }

  forget(digest: string): void {
    const known = this.entries.get(digest);
    if (known === undefined) return;
    this.entries.delete(digest);
    this.total -= known.size;
  }
}
