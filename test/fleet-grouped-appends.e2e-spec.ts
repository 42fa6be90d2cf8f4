/**
 * Grouped appends (`fleet_append_batches`) on a real PostgreSQL: batches that
 * wait together go in one statement, and each gets the answer it would get on
 * its own — appended, refused because its head moved (nothing of it written),
 * or the error of a statement of its own — whatever the others in its group do.
 */
import { GENESIS_HASH, type StoredEvent } from '@ledger/domain';
import { enrollDevice } from '../apps/qmdl-ledger/src/fleet/devices.service';
import { tokenDigest } from '../apps/qmdl-ledger/src/fleet/device-tokens';
import { FleetDatabase, isUniqueViolation } from '../apps/qmdl-ledger/src/fleet/fleet-database';
import { type EventColumns, GroupedAppends, type KnownHeadAppend } from '../apps/qmdl-ledger/src/fleet/grouped-appends';
import { sealedChain } from '../bench/support/fleet-devices';
import { startPostgres, type PgCluster } from './helpers/postgres';

jest.setTimeout(120_000);

let pg: PgCluster;

beforeAll(async () => {
  pg = await startPostgres();
});

afterAll(async () => {
  await pg?.stop();
});

/** A fresh database with `n` devices enrolled (tokens unbound), and the database's statements counted. */
async function fleetWith(n: number): Promise<{ db: FleetDatabase; tokens: string[]; statements: () => number }> {
  const db = await FleetDatabase.open({ url: await pg.createDatabase() });
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) tokens.push((await enrollDevice(db, `device-${i}`)).token);
  const query = jest.spyOn(db, 'query');
  return {
    db,
    tokens,
    statements: () => query.mock.calls.filter(([sql]) => sql.includes('fleet_append_batches')).length,
  };
}

function storeIdOf(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

function columnsOf(lines: readonly string[]): EventColumns {
  const events = lines.map((l) => JSON.parse(l) as StoredEvent);
  return [
    events.map((e) => e.seq),
    events.map((e) => e.hash),
    events.map((e) => e.type),
    events.map(() => null),
    events.map((e) => e.time),
    events.map((e) => String(e.metadata.actor.kind)),
    events.map(() => null),
    events.map((e) => e.metadata.correlationId),
    lines.join('\n'),
  ];
}

/** Device `i`'s events `from`..`to` (1-based, inclusive) onto the head before them. */
function batchOf(token: string, i: number, from: number, to: number, storeId = storeIdOf(i)): KnownHeadAppend {
  const chain = sealedChain(storeId, to);
  const lines = chain.slice(from - 1, to);
  const before = from === 1 ? undefined : (JSON.parse(chain[from - 2] ?? '') as StoredEvent);
  const last = JSON.parse(lines[lines.length - 1] ?? '') as StoredEvent;
  return {
    tokenDigest: tokenDigest(token),
    storeId,
    reportedHeadSeq: to,
    reportedLagBytes: null,
    base: before === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: before.seq, hash: before.hash },
    head: { seq: last.seq, hash: last.hash },
    columns: columnsOf(lines),
    state: JSON.stringify({ seq: last.seq, device: i }),
    activeRecording: null,
    recordings: i,
  };
}

async function rowsOf(db: FleetDatabase): Promise<Array<{ store_id: string; events: number; head_seq: number }>> {
  return db.query(
    `SELECT d.store_id, d.head_seq::int, (SELECT count(*)::int FROM fleet_events e WHERE e.store_id = d.store_id) AS events
       FROM fleet_devices d ORDER BY d.id`,
  );
}

describe('grouped appends (fleet_append_batches, real PostgreSQL)', () => {
  it('batches that wait while a statement is in flight go in one statement; each is stored, its device bound and its head moved', async () => {
    const { db, tokens, statements } = await fleetWith(6);
    try {
      const appends = new GroupedAppends(db, { concurrency: 1, maxBatches: 64, maxEvents: 5000, maxBytes: 1 << 20 });
      const first = await Promise.all(tokens.map((t, i) => appends.append(batchOf(t, i, 1, 10))));
      expect(first).toEqual(tokens.map(() => true));
      // The first went alone (nothing was in flight), the five waiting for it together.
      expect(statements()).toBe(2);
      const next = await Promise.all(tokens.map((t, i) => appends.append(batchOf(t, i, 11, 15))));
      expect(next).toEqual(tokens.map(() => true));
      expect(statements()).toBe(4);
      expect(await rowsOf(db)).toEqual(tokens.map((_, i) => ({ store_id: storeIdOf(i), head_seq: 15, events: 15 })));
      const [device] = await db.query<{
        state: unknown;
        recordings: number;
        reported_head_seq: string;
        bound: boolean;
      }>(
        'SELECT state, recordings, reported_head_seq, bound_at IS NOT NULL AS bound FROM fleet_devices WHERE store_id = $1',
        [storeIdOf(3)],
      );
      expect(device).toEqual({ state: { seq: 15, device: 3 }, recordings: 3, reported_head_seq: '15', bound: true });
    } finally {
      await db.close();
    }
  });

  it('a batch whose head moved is refused in its group (nothing of it written); the others are appended', async () => {
    const { db, tokens } = await fleetWith(4);
    try {
      const appends = new GroupedAppends(db, { concurrency: 1, maxBatches: 64, maxEvents: 5000, maxBytes: 1 << 20 });
      expect(await Promise.all(tokens.map((t, i) => appends.append(batchOf(t, i, 1, 10))))).toEqual([
        true,
        true,
        true,
        true,
      ]);
      const answers = await Promise.all([
        appends.append(batchOf(tokens[0] ?? '', 0, 11, 12)),
        appends.append(batchOf(tokens[1] ?? '', 1, 11, 12)),
        // Onto head 5 (the head is 10): refused.
        appends.append(batchOf(tokens[2] ?? '', 2, 6, 12)),
        // Device 3's events with device 0's token: the token's row is not bound to that store.
        appends.append({ ...batchOf(tokens[3] ?? '', 3, 11, 12), tokenDigest: tokenDigest(tokens[0] ?? '') }),
      ]);
      expect(answers).toEqual([true, true, false, false]);
      expect((await rowsOf(db)).map((r) => [r.head_seq, r.events])).toEqual([
        [12, 12],
        [12, 12],
        [10, 10],
        [10, 10],
      ]);
    } finally {
      await db.close();
    }
  });

  it('a batch whose statement would fail fails alone: its group is tried again batch by batch', async () => {
    const { db, tokens, statements } = await fleetWith(4);
    try {
      const appends = new GroupedAppends(db, { concurrency: 1, maxBatches: 64, maxEvents: 5000, maxBytes: 1 << 20 });
      await appends.append(batchOf(tokens[0] ?? '', 0, 1, 10));
      const answers = await Promise.allSettled([
        appends.append(batchOf(tokens[1] ?? '', 1, 1, 10)),
        appends.append(batchOf(tokens[2] ?? '', 2, 1, 10)),
        // Token 3's first batch for the store token 0 is bound to: a unique violation.
        appends.append(batchOf(tokens[3] ?? '', 3, 1, 10, storeIdOf(0))),
      ]);
      expect(answers.slice(0, 2)).toEqual([
        { status: 'fulfilled', value: true },
        { status: 'fulfilled', value: true },
      ]);
      const refused = answers[2];
      expect(refused?.status === 'rejected' && isUniqueViolation(refused.reason)).toBe(true);
      // The first alone, the group of three (rolled back), then each of the three alone.
      expect(statements()).toBe(5);
      expect(await rowsOf(db)).toEqual([
        { store_id: storeIdOf(0), head_seq: 10, events: 10 },
        { store_id: storeIdOf(1), head_seq: 10, events: 10 },
        { store_id: storeIdOf(2), head_seq: 10, events: 10 },
        { store_id: null, head_seq: 0, events: 0 },
      ]);
    } finally {
      await db.close();
    }
  });

  it('a group holds at most its bounds of batches and events, and a batch over the bound of events still goes alone', async () => {
    const { db, tokens, statements } = await fleetWith(6);
    try {
      const appends = new GroupedAppends(db, { concurrency: 1, maxBatches: 2, maxEvents: 25, maxBytes: 1 << 20 });
      await appends.append(batchOf(tokens[0] ?? '', 0, 1, 10));
      const sizes = [5, 5, 5, 20, 30];
      const answers = await Promise.all([
        appends.append(batchOf(tokens[0] ?? '', 0, 11, 20)),
        ...sizes.map((n, k) => appends.append(batchOf(tokens[k + 1] ?? '', k + 1, 1, n))),
      ]);
      expect(answers).toEqual([true, true, true, true, true, true]);
      // 1-10 alone, 11-20 alone (nothing in flight), then [5, 5] (two batches), [5, 20] (25 events), [30].
      expect(statements()).toBe(5);
      expect((await rowsOf(db)).map((r) => r.events)).toEqual([20, ...sizes]);
    } finally {
      await db.close();
    }
  });
});
