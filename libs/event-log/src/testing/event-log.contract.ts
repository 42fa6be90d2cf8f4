/**
 * The one contract suite of the event-log port, run against every adapter
 * (memory-event-log.spec.ts, level-event-log.spec.ts). Not exported from the
 * lib's index: it imports jest globals.
 */
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { errorCodeOf, GENESIS_HASH, type Actor, type NewEvent, type StoredEvent } from '@ledger/domain';
import { databaseOf, type AbstractLevelEventLog, type EventLogOptions } from '../abstract-level-event-log';
import { hashEvent } from '../canonical';
import { EventRejectedError } from '../errors';
import { MAX_EVENT_BYTES } from '../validation';
import { decodeSequenceKey, encodeSequenceKey } from '../sequence-key';
import { UpcasterRegistry } from '../upcasters';

export interface ContractSubject {
  /** Opens a log on a fresh store (a fresh temp dir for LevelDB). */
  open(options?: EventLogOptions): Promise<AbstractLevelEventLog>;
  /** Removes what `open` created; every log is closed before. */
  dispose(): Promise<void>;
}

/** A valid event; `n` makes its data, correlation id and time distinct. */
export function makeEvent(n: number, overrides: Partial<NewEvent> = {}, actor: Actor = { kind: 'system' }): NewEvent {
  const time = new Date(Date.UTC(2024, 0, 1, 0, 0, 0) + n * 1000).toISOString();
  return {
    type: 'ClockOffsetSet',
    v: 1,
    time,
    systemTime: time,
    data: { n },
    metadata: { actor, correlationId: `corr-${n}`, bootId: 'boot-1', appVersion: '0.1.0' },
    ...overrides,
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function seqs(events: readonly StoredEvent[]): number[] {
  return events.map((e) => e.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Raw access to the documented key layout (README "Key layout"), as forensics tooling would do it. */
function rawEventKey(seq: number): string {
  return `!events!${encodeSequenceKey(seq)}`;
}

/** A mixed log: 4 recordings, 3 types, http from two addresses, shared correlation ids, time going backwards once. */
function mixedEvents(count: number): NewEvent[] {
  const types = ['RecordingStarted', 'RecordingDataAppended', 'RecordingStopped'];
  return range(1, count).map((n) => {
    const actor: Actor =
      n % 5 === 0
        ? { kind: 'http', remoteAddress: n % 10 === 0 ? '10.0.0.1' : '10.0.0.2' }
        : n % 3 === 0
          ? { kind: 'cli' }
          : { kind: 'recorder' };
    const base = makeEvent(n === 7 ? 2 : n, { type: types[n % 3] ?? 'X' }, actor);
    return {
      ...base,
      ...(n % 4 === 0 ? {} : { recording: `rec-${n % 4}` }),
      metadata: { ...base.metadata, correlationId: `corr-${Math.floor(n / 3)}` },
    };
  });
}

export function describeEventLogContract(name: string, makeSubject: () => ContractSubject): void {
  describe(`EventLog contract: ${name}`, () => {
    let subject: ContractSubject;
    const opened: AbstractLevelEventLog[] = [];
    const open = async (options?: EventLogOptions): Promise<AbstractLevelEventLog> => {
      const log = await subject.open(options);
      opened.push(log);
      return log;
    };

    beforeEach(() => {
      subject = makeSubject();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((log) => log.close()));
      await subject.dispose();
    });

    describe('sequence keys sort numerically past 2^32', () => {
      it('encodes as 16 zero-padded lowercase hex digits and decodes back', () => {
        expect(encodeSequenceKey(2 ** 32 - 1)).toBe('00000000ffffffff');
        expect(encodeSequenceKey(2 ** 32)).toBe('0000000100000000');
        expect(encodeSequenceKey(2 ** 40)).toBe('0000010000000000');
        for (const n of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER])
          expect(decodeSequenceKey(encodeSequenceKey(n))).toBe(n);
        expect(decodeSequenceKey('00000000FFFFFFFF')).toBeUndefined();
        expect(decodeSequenceKey('1')).toBeUndefined();
        expect(() => encodeSequenceKey(-1)).toThrow(TypeError);
        expect(() => encodeSequenceKey(1.5)).toThrow(TypeError);
      });

      it('iterates in numeric order in the database', async () => {
        const log = await open();
        const scratch = databaseOf(log).sublevel<string, string>('contract-key-order', {
          keyEncoding: 'utf8',
          valueEncoding: 'utf8',
        });
        const numbers = [2 ** 40, 1, 2 ** 32, 255, 2 ** 32 - 1, 256, 16, 2 ** 32 + 1];
        await scratch.batch(
          numbers.map((n) => ({ type: 'put' as const, key: encodeSequenceKey(n), value: String(n) })),
        );
        const keys = await scratch.keys().all();
        expect(keys.map((k) => decodeSequenceKey(k))).toEqual([...numbers].sort((a, b) => a - b));
      });
    });

    describe('store metadata', () => {
      it('has a random store id, a creation time and format version 1', async () => {
        const log = await open();
        expect(log.metadata.storeId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(Number.isNaN(Date.parse(log.metadata.createdAt))).toBe(false);
        expect(log.metadata.formatVersion).toBe(1);
        expect(log.headSeq()).toBe(0);
        expect(log.headHash()).toBe(GENESIS_HASH);
      });
    });

    describe('append', () => {
      it('assigns gapless sequences from 1 and chains the hashes', async () => {
        const log = await open();
        const first = await log.append([makeEvent(1), makeEvent(2), makeEvent(3)]);
        const second = await log.append([makeEvent(4), makeEvent(5)]);
        const all = [...first, ...second];
        expect(seqs(all)).toEqual([1, 2, 3, 4, 5]);
        all.forEach((event, i) => {
          expect(event.prev).toBe(i === 0 ? GENESIS_HASH : all[i - 1]?.hash);
          expect(event.hash).toBe(hashEvent(event));
        });
        expect(log.headSeq()).toBe(5);
        expect(log.headHash()).toBe(second[1]?.hash);
        expect(await log.get(3)).toEqual(first[2]);
      });

      it('returns the events as they read back (JSON form, envelope fields only)', async () => {
        const log = await open();
        const event = {
          ...makeEvent(1),
          data: { keep: 1, dropped: undefined },
          extra: 'not part of the envelope',
        } as NewEvent;
        const [stored] = await log.append([event]);
        expect(stored?.data).toEqual({ keep: 1 });
        expect(stored).not.toHaveProperty('extra');
        expect(await log.get(1)).toEqual(stored);
      });

      it('resolves an empty append with [] and writes nothing', async () => {
        const log = await open();
        await expect(log.append([])).resolves.toEqual([]);
        expect(log.headSeq()).toBe(0);
        expect(log.stats().batches).toBe(0);
      });

      it('rejects a malformed event as a programmer error (TypeError) and writes nothing', async () => {
        const log = await open();
        await expect(log.append([makeEvent(1), { ...makeEvent(2), type: '' }])).rejects.toThrow(TypeError);
        await expect(log.append([{ ...makeEvent(1), time: 'yesterday' }])).rejects.toThrow(TypeError);
        await expect(log.append([{ ...makeEvent(1), data: { big: 1n } }])).rejects.toThrow(TypeError);
        await expect(log.append([makeEvent(1)], { expectedSeq: -1 })).rejects.toThrow(TypeError);
        expect(log.headSeq()).toBe(0);
      });

      it('checks events by the rules append enforces, without appending: the code and index of the first bad one', async () => {
        const log = await open();
        const deep = (depth: number): unknown => (depth === 0 ? 1 : { a: deep(depth - 1) });
        const cases: Array<[NewEvent[], string | undefined, number | undefined]> = [
          [[makeEvent(1), makeEvent(2)], undefined, undefined],
          [[makeEvent(1), { ...makeEvent(2), data: deep(200) }], undefined, undefined],
          [[makeEvent(1), { ...makeEvent(2), data: deep(300) }], 'EVENT_NOT_REPRESENTABLE', 1],
          [[{ ...makeEvent(1), data: { big: 1n } }], 'EVENT_NOT_REPRESENTABLE', 0],
          [
            [makeEvent(1), makeEvent(2), { ...makeEvent(3), data: { text: 'x'.repeat(MAX_EVENT_BYTES) } }],
            'EVENT_TOO_LARGE',
            2,
          ],
          // Multi-byte characters count as the bytes they take in UTF-8.
          [[{ ...makeEvent(1), data: { text: 'é'.repeat(MAX_EVENT_BYTES / 2) } }], 'EVENT_TOO_LARGE', 0],
          [[{ ...makeEvent(1), data: { text: 'x'.repeat(MAX_EVENT_BYTES - 1024) } }], undefined, undefined],
          [[{ ...makeEvent(1), type: '' }], 'MALFORMED_EVENT', 0],
        ];
        for (const [events, code, index] of cases) {
          const rejection = log.checkAppendable(events);
          expect([code, rejection?.code, rejection?.index]).toEqual([code, code, index]);
          if (code === undefined) continue;
          // append refuses the same events with the same code, and writes nothing.
          const head = log.headSeq();
          const error = await log.append(events).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(EventRejectedError);
          expect(error).toBeInstanceOf(TypeError);
          expect([(error as EventRejectedError).code, (error as EventRejectedError).index]).toEqual([code, index]);
          expect(log.headSeq()).toBe(head);
        }
      });

      it('refuses an append whose expectedSeq is not the head (SEQUENCE_CONFLICT)', async () => {
        const log = await open();
        await log.append([makeEvent(1)], { expectedSeq: 0 });
        expect(await errorCodeOf(log.append([makeEvent(2)], { expectedSeq: 0 }))).toBe('SEQUENCE_CONFLICT');
        expect(log.headSeq()).toBe(1);
        await expect(log.append([makeEvent(2)], { expectedSeq: 1 })).resolves.toHaveLength(1);
      });

      it('checks expectedSeq per caller at the position its events would land in a group', async () => {
        const log = await open();
        const a = log.append([makeEvent(1), makeEvent(2)], { expectedSeq: 0 });
        const b = log.append([makeEvent(3)], { expectedSeq: 2 });
        const c = log.append([makeEvent(4)], { expectedSeq: 0 });
        const d = log.append([makeEvent(5)]);
        expect(seqs(await a)).toEqual([1, 2]);
        expect(seqs(await b)).toEqual([3]);
        expect(await errorCodeOf(c)).toBe('SEQUENCE_CONFLICT');
        expect(seqs(await d)).toEqual([4]);
        expect((await log.verify()).ok).toBe(true);
      });

      it('writes all events of a failed batch or none, and leaves the head unchanged', async () => {
        const log = await open();
        await log.append([makeEvent(1)]);
        const headHash = log.headHash();
        // Every write of the log goes through one batch: make its write fail after all puts were staged.
        const db = databaseOf(log) as { batch: (...args: unknown[]) => unknown };
        const realBatch = db.batch;
        const diskFull = new Error('injected: disk full');
        let staged = 0;
        db.batch = (...args: unknown[]) => {
          const batch = realBatch.apply(databaseOf(log), args) as {
            length: number;
            write: () => Promise<void>;
            close: () => Promise<void>;
          };
          batch.write = async () => {
            staged += batch.length;
            await batch.close();
            throw diskFull;
          };
          return batch;
        };
        try {
          const calls = [
            log.append([makeEvent(2), makeEvent(3), makeEvent(4)]),
            log.append([makeEvent(5)]),
            log.append([makeEvent(6)]),
          ];
          for (const call of calls) {
            expect(await errorCodeOf(call)).toBe('WRITE_FAILED');
            await expect(call).rejects.toHaveProperty('cause', diskFull);
          }
        } finally {
          db.batch = realBatch;
        }
        expect(staged).toBe(5 * 5 + 1); // 5 events × (event, type, actor, correlation, time) + head, in one group
        expect(log.headSeq()).toBe(1);
        expect(log.headHash()).toBe(headHash);
        expect(seqs(await collect(log.read()))).toEqual([1]);
        expect(await log.get(2)).toBeUndefined();
        expect(await collect(log.read({ correlationId: 'corr-3' }))).toEqual([]);
        expect(log.stats().failedBatches).toBeGreaterThan(0);
        const [next] = await log.append([makeEvent(7)]);
        expect(next?.seq).toBe(2);
        expect(next?.prev).toBe(headHash);
        expect((await log.verify()).ok).toBe(true);
      });

      it('group-commits concurrent appends: fewer batches than calls, each caller gets contiguous sequences', async () => {
        const log = await open();
        await log.append([makeEvent(0)]);
        const before = log.stats().batches;
        const calls = range(1, 64).map((i) => log.append(range(1, (i % 3) + 1).map((j) => makeEvent(i * 10 + j))));
        const results = await Promise.all(calls);
        const batches = log.stats().batches - before;
        expect(batches).toBeLessThan(64);
        expect(batches).toBeGreaterThanOrEqual(1);
        for (const [i, stored] of results.entries()) {
          expect(stored).toHaveLength(((i + 1) % 3) + 1);
          const first = stored[0]?.seq ?? 0;
          expect(seqs(stored)).toEqual(range(first, first + stored.length - 1));
          expect(stored.map((e) => (e.data as { n: number }).n)).toEqual(
            range(1, stored.length).map((j) => (i + 1) * 10 + j),
          );
        }
        const all = results.flat();
        expect(seqs(all).sort((a, b) => a - b)).toEqual(range(2, log.headSeq()));
        expect((await log.verify()).ok).toBe(true);
      });

      it('refuses appends after close (LOG_CLOSED) but commits those accepted before', async () => {
        const log = await open();
        const accepted = log.append([makeEvent(1)]);
        const closing = log.close();
        expect(await errorCodeOf(log.append([makeEvent(2)]))).toBe('LOG_CLOSED');
        expect(seqs(await accepted)).toEqual([1]);
        await closing;
        await expect(log.close()).resolves.toBeUndefined();
        expect(await errorCodeOf(log.append([makeEvent(3)]))).toBe('LOG_CLOSED');
        expect(await errorCodeOf(log.get(1))).toBe('LOG_CLOSED');
      });
    });

    describe('reads', () => {
      let log: AbstractLevelEventLog;
      let all: StoredEvent[];
      beforeEach(async () => {
        log = await open();
        all = [...(await log.append(mixedEvents(120).slice(0, 60))), ...(await log.append(mixedEvents(120).slice(60)))];
      });

      it('streams forward, in reverse, over a range and up to a limit', async () => {
        expect(seqs(await collect(log.read()))).toEqual(range(1, 120));
        expect(seqs(await collect(log.read({ reverse: true })))).toEqual(range(1, 120).reverse());
        expect(seqs(await collect(log.read({ fromSeq: 10, toSeq: 20 })))).toEqual(range(10, 20));
        expect(seqs(await collect(log.read({ fromSeq: 10, toSeq: 20, reverse: true })))).toEqual(
          range(10, 20).reverse(),
        );
        expect(seqs(await collect(log.read({ limit: 5 })))).toEqual([1, 2, 3, 4, 5]);
        expect(seqs(await collect(log.read({ reverse: true, limit: 3 })))).toEqual([120, 119, 118]);
        expect(seqs(await collect(log.read({ fromSeq: 200 })))).toEqual([]);
        expect(await log.get(121)).toBeUndefined();
      });

      it('streams without loading the log: stopping early is fine', async () => {
        const firstThree: number[] = [];
        for await (const event of log.read()) {
          firstThree.push(event.seq);
          if (firstThree.length === 3) break;
        }
        expect(firstThree).toEqual([1, 2, 3]);
      });

      const filters: Array<[string, Record<string, unknown>, (e: StoredEvent) => boolean]> = [
        ['one type', { types: ['RecordingStopped'] }, (e) => e.type === 'RecordingStopped'],
        [
          'several types',
          { types: ['RecordingStopped', 'RecordingStarted'] },
          (e) => e.type !== 'RecordingDataAppended',
        ],
        ['recording', { recording: 'rec-2' }, (e) => e.recording === 'rec-2'],
        ['actor kind', { actor: 'cli' }, (e) => e.metadata.actor.kind === 'cli'],
        ['http actor', { actor: 'http' }, (e) => e.metadata.actor.kind === 'http'],
        [
          'http remote address',
          { actor: 'http:10.0.0.1' },
          (e) => e.metadata.actor.kind === 'http' && e.metadata.actor.remoteAddress === '10.0.0.1',
        ],
        ['correlation id', { correlationId: 'corr-7' }, (e) => e.metadata.correlationId === 'corr-7'],
        ['since', { since: '2024-01-01T00:01:00.000Z' }, (e) => e.time >= '2024-01-01T00:01:00.000Z'],
        [
          'since and until',
          { since: '2024-01-01T00:00:02Z', until: '2024-01-01T00:00:09.000Z' },
          (e) => e.time >= '2024-01-01T00:00:02.000Z' && e.time < '2024-01-01T00:00:09.000Z',
        ],
        [
          'recording and types',
          { recording: 'rec-1', types: ['RecordingStarted', 'RecordingStopped'] },
          (e) => e.recording === 'rec-1' && e.type !== 'RecordingDataAppended',
        ],
        [
          'types, actor and time',
          { types: ['RecordingDataAppended'], actor: 'recorder', until: '2024-01-01T00:01:00.000Z' },
          (e) =>
            e.type === 'RecordingDataAppended' &&
            e.metadata.actor.kind === 'recorder' &&
            e.time < '2024-01-01T00:01:00.000Z',
        ],
      ];
      it.each(filters)('filters by %s', async (_name, filter, predicate) => {
        const expected = seqs(all.filter(predicate));
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(all.length);
        expect(seqs(await collect(log.read(filter)))).toEqual(expected);
        expect(seqs(await collect(log.read({ ...filter, reverse: true })))).toEqual([...expected].reverse());
        expect(seqs(await collect(log.read({ ...filter, fromSeq: 30, toSeq: 90, limit: 4 })))).toEqual(
          expected.filter((s) => s >= 30 && s <= 90).slice(0, 4),
        );
      });

      it('drives a filtered read from an index: events it does not select are never read', async () => {
        const victim = all.find((e) => e.recording !== 'rec-2' && e.seq > 1);
        await databaseOf(log).put(rawEventKey(victim?.seq ?? 0), '{not json');
        expect(await errorCodeOf(collect(log.read()))).toBe('CORRUPT_EVENT');
        expect(seqs(await collect(log.read({ recording: 'rec-2' })))).toEqual(
          seqs(all.filter((e) => e.recording === 'rec-2')),
        );
        expect((await log.page({ recording: 'rec-2', order: 'desc', limit: 5 })).events).toHaveLength(5);
      });

      it('rejects malformed read options as programmer errors', () => {
        expect(() => log.read({ fromSeq: -1 })).toThrow(TypeError);
        expect(() => log.read({ types: [] })).toThrow(TypeError);
        expect(() => log.read({ since: 'not a time' })).toThrow(TypeError);
        expect(() => log.read({ actor: 'robot' as 'cli' })).toThrow(TypeError);
      });
    });

    describe('pages', () => {
      it('walks the whole log with cursors in both directions, with and without a filter, no duplicate, no gap', async () => {
        const log = await open();
        const all = await log.append(mixedEvents(250));
        for (const filter of [
          {},
          { types: ['RecordingStarted'] },
          { recording: 'rec-3', actor: 'recorder' as const },
        ]) {
          const expected = seqs(
            all.filter(
              (e) =>
                (filter.types === undefined || filter.types.includes(e.type)) &&
                (filter.recording === undefined ||
                  (e.recording === filter.recording && e.metadata.actor.kind === 'recorder')),
            ),
          );
          for (const order of ['asc', 'desc'] as const) {
            const seen: number[] = [];
            let cursor: number | undefined;
            let pages = 0;
            do {
              const page = await log.page({
                ...filter,
                order,
                limit: 17,
                ...(cursor === undefined ? {} : order === 'asc' ? { after: cursor } : { before: cursor }),
              });
              expect(page.head).toBe(250);
              expect(page.events.length).toBeLessThanOrEqual(17);
              seen.push(...seqs(page.events));
              cursor = page.next;
              pages += 1;
            } while (cursor !== undefined && pages < 100);
            expect(seen).toEqual(order === 'asc' ? expected : [...expected].reverse());
          }
        }
      });

      it('defaults to 100 events, allows 1..1000 and bounds pages by after/before', async () => {
        const log = await open();
        await log.append(range(1, 150).map((n) => makeEvent(n)));
        const first = await log.page();
        expect(seqs(first.events)).toEqual(range(1, 100));
        expect(first.next).toBe(100);
        const last = await log.page({ after: first.next });
        expect(seqs(last.events)).toEqual(range(101, 150));
        expect(last.next).toBeUndefined();
        expect(seqs((await log.page({ order: 'desc', limit: 3 })).events)).toEqual([150, 149, 148]);
        expect(seqs((await log.page({ after: 10, before: 15 })).events)).toEqual([11, 12, 13, 14]);
        expect(seqs((await log.page({ order: 'desc', after: 10, before: 15 })).events)).toEqual([14, 13, 12, 11]);
        expect((await log.page({ before: 1 })).events).toEqual([]);
        await expect(log.page({ limit: 0 })).rejects.toThrow(TypeError);
        await expect(log.page({ limit: 1001 })).rejects.toThrow(TypeError);
        expect((await log.page({ limit: 1000 })).events).toHaveLength(150);
      });

      it('seeks to a deep page instead of reading up to it', async () => {
        const log = await open();
        await log.append(range(1, 300).map((n) => makeEvent(n)));
        await databaseOf(log).put(rawEventKey(5), '{not json');
        expect(seqs((await log.page({ after: 250, limit: 10 })).events)).toEqual(range(251, 260));
        expect(seqs((await log.page({ before: 200, order: 'desc', limit: 10 })).events)).toEqual(
          range(190, 199).reverse(),
        );
        expect(seqs((await log.page({ types: ['ClockOffsetSet'], after: 250, limit: 10 })).events)).toEqual(
          range(251, 260),
        );
        expect(await errorCodeOf(log.page({ before: 10, order: 'desc' }))).toBe('CORRUPT_EVENT');
      });
    });

    describe('subscribe', () => {
      it('catches up and goes live with appends racing the hand-over: every seq exactly once, in order', async () => {
        const log = await open();
        const total = 1200;
        for (let i = 0; i < 600; i += 100) await log.append(range(i + 1, i + 100).map((n) => makeEvent(n)));

        // Hold the catch-up's second read until an append has committed, so live events
        // certainly arrive while it is still reading (whatever the disk's speed).
        let firstRacingCommit: Promise<unknown> = Promise.resolve();
        const db = databaseOf(log) as unknown as { iterator: (...args: unknown[]) => unknown };
        const realIterator = db.iterator;
        db.iterator = (...args: unknown[]) => {
          const iterator = realIterator.apply(databaseOf(log), args) as {
            nextv: (...a: unknown[]) => Promise<unknown>;
          };
          const realNextv = iterator.nextv.bind(iterator);
          let calls = 0;
          iterator.nextv = async (...a: unknown[]) => {
            calls += 1;
            if (calls === 2) await firstRacingCommit;
            return realNextv(...a);
          };
          return iterator;
        };

        const received: number[] = [];
        let headWhenCaughtUp = 0;
        const done = new Promise<void>((resolve, reject) => {
          const subscription = log.subscribe({ after: 0 }).subscribe({
            next: (event) => {
              received.push(event.seq);
              if (event.seq === 600) headWhenCaughtUp = log.headSeq();
              if (event.seq === total) {
                subscription.unsubscribe();
                resolve();
              }
            },
            error: reject,
          });
        });
        db.iterator = realIterator;
        firstRacingCommit = log.append(range(601, 625).map((k) => makeEvent(k)));
        // More appends race the rest of the catch-up, the buffer drain and the live phase.
        const appending = (async () => {
          await firstRacingCommit;
          for (let n = 626; n <= total; n += 25) {
            await log.append(range(n, n + 24).map((k) => makeEvent(k)));
            if (n % 100 === 1) await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        await Promise.all([appending, done]);
        expect(received).toEqual(range(1, total));
        // The race really happened: events were committed while the catch-up was still reading.
        expect(headWhenCaughtUp).toBeGreaterThan(600);
      });

      it('starts after the given sequence and applies filters to catch-up and live events', async () => {
        const log = await open();
        const first = await log.append(mixedEvents(60));
        const expectedCatchUp = seqs(first.filter((e) => e.seq > 20 && e.recording === 'rec-1'));
        const events = firstValueFrom(
          log.subscribe({ after: 20, recording: 'rec-1' }).pipe(take(expectedCatchUp.length + 2), toArray()),
        );
        await log.append([
          { ...makeEvent(61), recording: 'rec-9' },
          { ...makeEvent(62), recording: 'rec-1' },
        ]);
        await log.append([{ ...makeEvent(63), recording: 'rec-1' }]);
        expect(seqs(await events)).toEqual([...expectedCatchUp, 62, 63]);
      });

      it('completes when the log closes', async () => {
        const log = await open();
        await log.append([makeEvent(1)]);
        const received: number[] = [];
        let gotSecond: () => void = () => undefined;
        const second = new Promise<void>((resolve) => (gotSecond = resolve));
        const completed = new Promise<void>((resolve, reject) =>
          log.subscribe().subscribe({
            next: (event) => {
              received.push(event.seq);
              if (event.seq === 2) gotSecond();
            },
            error: reject,
            complete: resolve,
          }),
        );
        await log.append([makeEvent(2)]);
        await second;
        await log.close();
        await completed;
        expect(received).toEqual([1, 2]);
        await expect(lastValueFrom(log.subscribe().pipe(toArray()))).resolves.toEqual([]);
      });

      it('stops the catch-up when unsubscribed', async () => {
        const log = await open();
        await log.append(range(1, 1000).map((n) => makeEvent(n)));
        const received: number[] = [];
        const subscription = log.subscribe().subscribe((event) => {
          received.push(event.seq);
          if (received.length === 3) subscription.unsubscribe();
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(received).toEqual([1, 2, 3]);
        await log.close();
      });

      it('does not hold appends back for a subscriber that never finishes its work', async () => {
        const log = await open();
        let calls = 0;
        log.subscribe().subscribe(() => {
          calls += 1;
        });
        const never = log.subscribe().subscribe(() => new Promise(() => undefined));
        for (let n = 1; n <= 20; n++) await log.append([makeEvent(n)]);
        expect(log.headSeq()).toBe(20);
        expect(calls).toBe(20);
        never.unsubscribe();
      });
    });

    describe('stored text', () => {
      /** Every read path that upcasts would show `offsetSeconds`; the stored form never does. */
      const upcastingV1 = (): UpcasterRegistry =>
        new UpcasterRegistry().register({
          type: 'ClockOffsetSet',
          fromVersion: 1,
          upcast: (d) => ({ ...(d as object), offsetSeconds: 0 }),
        });

      it('readStored yields each event exactly as written (never upcast), in range, and its hash recomputes', async () => {
        const log = await open({ upcasters: upcastingV1() });
        await log.append([makeEvent(1), makeEvent(2), makeEvent(3), makeEvent(4)]);
        const all = await collect(log.readStored());
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        for (const { seq, text } of all) {
          expect(text).toBe(await databaseOf(log).get(rawEventKey(seq)));
          const event = JSON.parse(text) as StoredEvent;
          expect(event.v).toBe(1);
          expect(hashEvent(event)).toBe(event.hash);
        }
        expect((await collect(log.readStored({ fromSeq: 2, toSeq: 3 }))).map((e) => e.seq)).toEqual([2, 3]);
        expect(await collect(log.readStored({ fromSeq: 5 }))).toEqual([]);
      });

      it('tailStoredBatches yields the stored texts after `after`, in batches of at most maxBatch, caught up then live', async () => {
        const log = await open({ upcasters: upcastingV1() });
        await log.append(range(1, 600).map((n) => makeEvent(n)));
        const controller = new AbortController();
        const batches: Array<ReadonlyArray<{ seq: number; text: string }>> = [];
        const consuming = (async () => {
          for await (const batch of log.tailStoredBatches({ after: 20, maxBatch: 7, signal: controller.signal })) {
            batches.push(batch);
            if (batch[batch.length - 1]?.seq === 603) controller.abort();
          }
        })();
        await log.append([makeEvent(601), makeEvent(602)]);
        await log.append([makeEvent(603)]);
        await consuming;
        expect(batches.flat()).toEqual(await collect(log.readStored({ fromSeq: 21, toSeq: 603 })));
        expect(batches.every((b) => b.length >= 1 && b.length <= 7)).toBe(true);
        // As stored: not upcast.
        expect((JSON.parse(batches[0]?.[0]?.text ?? '{}') as StoredEvent).v).toBe(1);
        expect(() => log.tailStoredBatches({ maxBatch: 0 })).toThrow(TypeError);
        expect(() => log.tailStoredBatches({ after: -1 })).toThrow(TypeError);
      });
    });

    describe('tail (pull-based)', () => {
      /** Counts what the store hands out: events fetched by iterators, iterators opened and closed. */
      function meterReads(log: AbstractLevelEventLog): {
        fetched: () => number;
        open: () => number;
        restore: () => void;
      } {
        const db = databaseOf(log) as unknown as { iterator: (...args: unknown[]) => unknown };
        const realIterator = db.iterator;
        let fetched = 0;
        let open = 0;
        db.iterator = (...args: unknown[]) => {
          const iterator = realIterator.apply(databaseOf(log), args) as {
            nextv: (...a: unknown[]) => Promise<unknown[]>;
            close: () => Promise<void>;
          };
          const realNextv = iterator.nextv.bind(iterator);
          const realClose = iterator.close.bind(iterator);
          open += 1;
          let closed = false;
          iterator.nextv = async (...a: unknown[]) => {
            const entries = await realNextv(...a);
            fetched += entries.length;
            return entries;
          };
          iterator.close = async () => {
            if (!closed) open -= 1;
            closed = true;
            return realClose();
          };
          return iterator;
        };
        return { fetched: () => fetched, open: () => open, restore: () => (db.iterator = realIterator) };
      }

      it('catches up and goes live with appends racing the hand-over: every seq exactly once, in order', async () => {
        const log = await open();
        const total = 1200;
        for (let i = 0; i < 600; i += 100) await log.append(range(i + 1, i + 100).map((n) => makeEvent(n)));
        const received: number[] = [];
        let headWhenCaughtUp = 0;
        const consuming = (async () => {
          for await (const event of log.tail({ after: 0 })) {
            received.push(event.seq);
            if (event.seq === 300) {
              // The consumer is slow mid catch-up: commits land meanwhile.
              await log.append(range(601, 625).map((k) => makeEvent(k)));
            }
            if (event.seq === 600) headWhenCaughtUp = log.headSeq();
            if (event.seq === total) break;
          }
        })();
        const appending = (async () => {
          for (let n = 626; n <= total; n += 25) {
            await log.append(range(n, n + 24).map((k) => makeEvent(k)));
            if (n % 100 === 1) await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        await Promise.all([appending, consuming]);
        expect(received).toEqual(range(1, total));
        expect(headWhenCaughtUp).toBeGreaterThan(600);
      });

      it("reads at the consumer's pace: a consumer that stops pulling makes the log read nothing more", async () => {
        const log = await open();
        await log.append(range(1, 2000).map((n) => makeEvent(n)));
        const meter = meterReads(log);
        const iterator = log.tail({ after: 0 })[Symbol.asyncIterator]();
        expect((await iterator.next()).value).toMatchObject({ seq: 1 });
        const fetchedAfterOne = meter.fetched();
        for (let i = 0; i < 10; i++) await log.append(range(1, 100).map((n) => makeEvent(2000 + i * 100 + n)));
        await new Promise((resolve) => setImmediate(resolve));
        // One batch (256) was read for the first event — classic-level may hand it over in two
        // steps of up to 256 entries each —; 1,000 events later, nothing more.
        expect(fetchedAfterOne).toBeLessThanOrEqual(2 * 256);
        expect(meter.fetched()).toBe(fetchedAfterOne);
        await iterator.return?.();
        meter.restore();
      });

      it('yields non-empty batches of at most maxBatch, filtered in catch-up and live alike', async () => {
        const log = await open();
        const first = await log.append(mixedEvents(600));
        const expected = seqs(first.filter((e) => e.seq > 20 && e.recording === 'rec-1'));
        const batches: number[][] = [];
        const consuming = (async () => {
          for await (const batch of log.tailBatches({ after: 20, recording: 'rec-1', maxBatch: 7 })) {
            batches.push(seqs(batch));
            if (batch[batch.length - 1]?.seq === 603) break;
          }
        })();
        await log.append([
          { ...makeEvent(601), recording: 'rec-9' },
          { ...makeEvent(602), recording: 'rec-1' },
        ]);
        await log.append([{ ...makeEvent(603), recording: 'rec-1' }]);
        await consuming;
        expect(batches.flat()).toEqual([...expected, 602, 603]);
        expect(batches.every((b) => b.length >= 1 && b.length <= 7)).toBe(true);
      });

      it('closes its store iterator when the consumer abandons it mid catch-up', async () => {
        const log = await open();
        await log.append(range(1, 1000).map((n) => makeEvent(n)));
        const meter = meterReads(log);
        const received: number[] = [];
        for await (const event of log.tail()) {
          received.push(event.seq);
          if (received.length === 3) break;
        }
        expect(received).toEqual([1, 2, 3]);
        expect(meter.open()).toBe(0);
        meter.restore();
        // Nothing of the abandoned tail is left to slow appends or reads down.
        await log.append([makeEvent(1001)]);
        expect(log.headSeq()).toBe(1001);
      });

      it('ends a tail waiting for the next commit when its signal aborts', async () => {
        const log = await open();
        await log.append([makeEvent(1)]);
        const controller = new AbortController();
        const iterator = log.tail({ signal: controller.signal })[Symbol.asyncIterator]();
        expect((await iterator.next()).value).toMatchObject({ seq: 1 });
        const waiting = iterator.next();
        controller.abort();
        await expect(waiting).resolves.toEqual({ done: true, value: undefined });
        // An already aborted signal: the tail ends before reading anything.
        await expect(collect(log.tail({ signal: controller.signal }))).resolves.toEqual([]);
      });

      it('ends when the log closes, and a tail of a closed log ends at once', async () => {
        const log = await open();
        await log.append(range(1, 300).map((n) => makeEvent(n)));
        const live = log.tail({ after: 300 })[Symbol.asyncIterator]();
        const waitingLive = live.next();
        const catchingUp = log.tail()[Symbol.asyncIterator]();
        expect((await catchingUp.next()).value).toMatchObject({ seq: 1 });
        await log.close();
        await expect(waitingLive).resolves.toEqual({ done: true, value: undefined });
        // Mid catch-up: at most the chunk already read, then the end; never an error.
        const rest = [];
        for (let step = await catchingUp.next(); step.done !== true; step = await catchingUp.next())
          rest.push(step.value.seq);
        expect(rest.length).toBeLessThan(300);
        await expect(collect(log.tail())).resolves.toEqual([]);
      });

      it('refuses bad options as programmer errors (TypeError)', async () => {
        const log = await open();
        expect(() => log.tail({ after: -1 })).toThrow(TypeError);
        expect(() => log.tailBatches({ maxBatch: 0 })).toThrow(TypeError);
        expect(() => log.tail({ types: [] })).toThrow(TypeError);
      });
    });

    describe('upcasting', () => {
      it('reads old shapes as the newest version on every read path; the stored form keeps verifying', async () => {
        const upcasters = new UpcasterRegistry()
          .register({ type: 'ClockOffsetSet', fromVersion: 1, upcast: (d) => ({ ...(d as object), offsetSeconds: 0 }) })
          .register({
            type: 'ClockOffsetSet',
            fromVersion: 2,
            upcast: (d) => ({ ...(d as object), source: 'upcast' }),
          });
        const log = await open({ upcasters });
        const [stored] = await log.append([
          makeEvent(1),
          { ...makeEvent(2), v: 3, data: { n: 2, offsetSeconds: 5, source: 'cli' } },
        ]);
        expect(stored?.v).toBe(1);
        const v3 = { n: 1, offsetSeconds: 0, source: 'upcast' };
        expect(await log.get(1)).toMatchObject({ v: 3, data: v3, hash: stored?.hash });
        expect((await collect(log.read()))[0]).toMatchObject({ v: 3, data: v3 });
        expect((await log.page()).events[0]).toMatchObject({ v: 3, data: v3 });
        expect((await log.page()).events[1]).toMatchObject({ v: 3, data: { n: 2, offsetSeconds: 5, source: 'cli' } });
        const live = firstValueFrom(log.subscribe({ after: 2 }));
        expect(await firstValueFrom(log.subscribe())).toMatchObject({ v: 3, data: v3 });
        await log.append([makeEvent(3)]);
        expect(await live).toMatchObject({ seq: 3, v: 3, data: { n: 3, offsetSeconds: 0, source: 'upcast' } });
        const raw = JSON.parse((await databaseOf(log).get(rawEventKey(1))) ?? '{}') as StoredEvent;
        expect(raw).toMatchObject({ v: 1, data: { n: 1 } });
        expect((await log.verify()).ok).toBe(true);
      });
    });

    describe('importSealed: sealed events continue the chain as they are', () => {
      /** Every key and value of the log's database but the store metadata (its id differs per log). */
      const rawEntries = async (log: AbstractLevelEventLog): Promise<Array<[string, string]>> =>
        (await databaseOf(log).iterator().all()).filter(([key]) => key !== '!meta!store');
      let source: AbstractLevelEventLog;
      let sealed: readonly StoredEvent[];
      beforeEach(async () => {
        source = await open();
        sealed = await source.append(mixedEvents(12));
      });

      it('writes the events, every index entry and the head exactly as the append path did, in batches', async () => {
        const copy = await open();
        const first = await copy.importSealed(sealed.slice(0, 5));
        expect(first).toEqual(sealed.slice(0, 5));
        expect(copy.headSeq()).toBe(5);
        expect(copy.headHash()).toBe(sealed[4]?.hash);
        await copy.importSealed(sealed.slice(5));
        expect(await rawEntries(copy)).toEqual(await rawEntries(source));
        expect(await collect(copy.readStored())).toEqual(await collect(source.readStored()));
        expect(await copy.verify()).toMatchObject({ ok: true, checked: 12, headHash: source.headHash() });
        expect(seqs(await collect(copy.read({ recording: 'rec-1' })))).toEqual(
          seqs(await collect(source.read({ recording: 'rec-1' }))),
        );
        // Appends continue the imported chain.
        const [next] = await copy.append([makeEvent(13)]);
        expect(next).toMatchObject({ seq: 13, prev: sealed[11]?.hash });
        expect((await copy.verify()).ok).toBe(true);
      });

      it('takes the identity of the log it copies only when asked, with an import from seq 1', async () => {
        const copy = await open();
        const before = copy.metadata;
        const identity = { storeId: 'store-of-the-original', createdAt: '2024-01-01T00:00:00.000Z' };
        await expect(copy.importSealed(sealed.slice(1, 3), { identity })).rejects.toThrow(TypeError);
        await copy.importSealed(sealed.slice(0, 3), { identity });
        expect(copy.metadata).toEqual({ ...identity, formatVersion: before.formatVersion });
        const stored = JSON.parse((await databaseOf(copy).get('!meta!store')) ?? '{}') as unknown;
        expect(stored).toEqual(copy.metadata);
        const plain = await open();
        const own = plain.metadata;
        await plain.importSealed(sealed.slice(0, 3));
        expect(plain.metadata).toEqual(own);
      });

      it('is published to subscribers like an append', async () => {
        const copy = await open();
        const seen = lastValueFrom(copy.subscribe().pipe(take(12), toArray()));
        await copy.importSealed(sealed);
        expect(seqs(await seen)).toEqual(range(1, 12));
      });

      describe('refuses a broken chain whole, writing nothing', () => {
        let copy: AbstractLevelEventLog;
        let before: Array<[string, string]>;
        beforeEach(async () => {
          copy = await open();
          await copy.importSealed(sealed.slice(0, 4));
          before = await rawEntries(copy);
        });
        const refused = async (events: readonly StoredEvent[], code: string, details?: object): Promise<void> => {
          const error = await copy.importSealed(events).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(
            errorCodeOf(() => {
              throw error;
            }),
          ).toBe(code);
          if (details !== undefined) expect((error as { details?: unknown }).details).toEqual(details);
          expect(await rawEntries(copy)).toEqual(before);
          expect(copy.headSeq()).toBe(4);
          expect(copy.headHash()).toBe(sealed[3]?.hash);
          expect((await copy.verify()).ok).toBe(true);
        };
        const event = (seq: number): StoredEvent => sealed[seq - 1] as StoredEvent;

        it('a gap at the head or inside the events (SEQUENCE_GAP)', async () => {
          await refused(sealed.slice(5, 8), 'SEQUENCE_GAP', { index: 0, seq: 6 });
          await refused(sealed.slice(2, 6), 'SEQUENCE_GAP', { index: 0, seq: 3 });
          await refused([event(5), event(6), event(8)], 'SEQUENCE_GAP', { index: 2, seq: 8 });
        });

        it('an event that does not match its hash (BAD_HASH), though its neighbours are intact', async () => {
          const altered = { ...event(6), data: { n: 600 } };
          await refused([event(5), altered, event(7)], 'BAD_HASH', { index: 1, seq: 6 });
          const rehashedWrongly = { ...event(5), hash: event(6).hash };
          await refused([rehashedWrongly], 'BAD_HASH', { index: 0, seq: 5 });
        });

        it('an event re-sealed onto another chain (BAD_PREV): at the head, and between the events', async () => {
          const other = await open();
          const [foreign] = await other.append(range(1, 5).map((n) => makeEvent(100 + n)));
          const stranger = (await collect(other.read({ fromSeq: 5 })))[0] as StoredEvent;
          expect(foreign?.seq).toBe(1);
          await refused([stranger], 'BAD_PREV', { index: 0, seq: 5 });
          const relinked = { ...event(6), prev: event(4).hash };
          await refused([event(5), { ...relinked, hash: hashEvent(relinked) }], 'BAD_PREV', { index: 1, seq: 6 });
        });

        it('a malformed event, as append does (EventRejectedError, a TypeError)', async () => {
          const noActor = { ...event(5), metadata: { correlationId: 'c', bootId: 'b', appVersion: 'v' } };
          for (const bad of [
            { ...event(5), seq: -1 },
            { ...event(5), prev: 'not a hash' },
            { ...event(5), recording: 'a\u0000b' },
            noActor,
          ] as unknown as StoredEvent[]) {
            const error = await copy.importSealed([bad]).catch((e: unknown) => e);
            expect(error).toBeInstanceOf(EventRejectedError);
            expect(await rawEntries(copy)).toEqual(before);
          }
          expect(copy.headSeq()).toBe(4);
        });

        it('events another append got ahead of (the head moved: SEQUENCE_GAP), and the append is kept', async () => {
          const appended = copy.append([makeEvent(50)]);
          expect(await errorCodeOf(copy.importSealed([event(5)]))).toBe('SEQUENCE_GAP');
          expect(await appended).toHaveLength(1);
          expect(copy.headSeq()).toBe(5);
          expect((await copy.verify()).ok).toBe(true);
        });
      });
    });

    describe('verify', () => {
      let log: AbstractLevelEventLog;
      let all: readonly StoredEvent[];
      beforeEach(async () => {
        log = await open();
        all = await log.append(range(1, 10).map((n) => makeEvent(n)));
      });
      const stored = (seq: number): StoredEvent => {
        const event = all[seq - 1];
        if (event === undefined) throw new Error(`no event ${seq}`);
        return event;
      };

      it('passes an intact log, whole or in part, and reports progress', async () => {
        const progress: number[] = [];
        expect(await log.verify({ onProgress: (seq) => progress.push(seq) })).toEqual({
          ok: true,
          from: 1,
          to: 10,
          checked: 10,
          headHash: log.headHash(),
        });
        expect(progress.at(-1)).toBe(10);
        expect(await log.verify({ from: 4, to: 6 })).toMatchObject({ ok: true, checked: 3, headHash: stored(6).hash });
      });

      it('detects an altered data byte (BAD_HASH at that seq)', async () => {
        const raw = (await databaseOf(log).get(rawEventKey(4))) ?? '';
        await databaseOf(log).put(rawEventKey(4), raw.replace('"n":4', '"n":5'));
        expect((await log.verify()).firstBad).toMatchObject({ seq: 4, code: 'BAD_HASH' });
      });

      it('detects a removed event (SEQUENCE_GAP at the seq after the hole)', async () => {
        await databaseOf(log).del(rawEventKey(5));
        expect(await log.verify()).toMatchObject({ ok: false, checked: 4, firstBad: { seq: 6, code: 'SEQUENCE_GAP' } });
        await databaseOf(log).del(rawEventKey(10));
        expect((await log.verify({ from: 7 })).firstBad).toMatchObject({ seq: 10, code: 'SEQUENCE_GAP' });
      });

      it('detects a relinked event whose own hash was recomputed (BAD_PREV), also when verifying from inside the log', async () => {
        const relinked = { ...stored(6), prev: stored(4).hash };
        await databaseOf(log).put(rawEventKey(6), JSON.stringify({ ...relinked, hash: hashEvent(relinked) }));
        expect((await log.verify()).firstBad).toMatchObject({ seq: 6, code: 'BAD_PREV' });
        expect((await log.verify({ from: 6 })).firstBad).toMatchObject({ seq: 6, code: 'BAD_PREV' });
      });

      it('detects reordered events re-sealed under new sequences (BAD_PREV)', async () => {
        const resealed = (event: StoredEvent, seq: number): string => {
          const moved = { ...event, seq };
          return JSON.stringify({ ...moved, hash: hashEvent(moved) });
        };
        await databaseOf(log).batch([
          { type: 'put', key: rawEventKey(3), value: resealed(stored(4), 3) },
          { type: 'put', key: rawEventKey(4), value: resealed(stored(3), 4) },
        ]);
        expect((await log.verify()).firstBad).toMatchObject({ seq: 3, code: 'BAD_PREV' });
      });

      it('detects swapped values (BAD_KEY), unparseable values (UNREADABLE) and foreign keys (BAD_KEY)', async () => {
        await databaseOf(log).put(rawEventKey(3), JSON.stringify(stored(4)));
        expect((await log.verify()).firstBad).toMatchObject({ seq: 3, code: 'BAD_KEY' });
        await databaseOf(log).put(rawEventKey(3), 'garbage');
        expect((await log.verify()).firstBad).toMatchObject({ seq: 3, code: 'UNREADABLE' });
        await databaseOf(log).put(rawEventKey(3), JSON.stringify(stored(3)));
        expect((await log.verify()).ok).toBe(true);
        await databaseOf(log).put(`${rawEventKey(3)}x`, '{}');
        expect((await log.verify()).firstBad).toMatchObject({ seq: 4, code: 'BAD_KEY' });
      });
    });

    describe('verify: indexes', () => {
      let log: AbstractLevelEventLog;
      beforeEach(async () => {
        log = await open();
        await log.append(mixedEvents(20));
      });
      const indexKeyOf = (index: string, value: string, seq: number): string =>
        `!${index}!${value}\u0000${encodeSequenceKey(seq)}`;

      it('passes intact indexes, whole and in part', async () => {
        expect((await log.verify()).ok).toBe(true);
        expect((await log.verify({ from: 5, to: 12 })).ok).toBe(true);
      });

      it('finds an index entry an event gives but the index lacks (INDEX_MISMATCH at that event), also in part of the log', async () => {
        const event = await log.get(9);
        await databaseOf(log).del(indexKeyOf('idx-recording', event?.recording ?? '', 9));
        expect((await log.verify()).firstBad).toMatchObject({ seq: 9, code: 'INDEX_MISMATCH' });
        expect((await log.verify({ from: 8, to: 10 })).firstBad).toMatchObject({ seq: 9, code: 'INDEX_MISMATCH' });
        expect((await log.verify({ from: 10 })).ok).toBe(true);
        // A query by that recording would have missed the event: the finding is about what users see.
        expect((await collect(log.read({ recording: event?.recording ?? '' }))).map((e) => e.seq)).not.toContain(9);
      });

      it('finds an entry no event gives, and one past the head, on a whole-log check', async () => {
        await databaseOf(log).put(indexKeyOf('idx-type', 'RecordingDeleted', 6), '');
        expect((await log.verify()).firstBad).toMatchObject({ seq: 6, code: 'INDEX_MISMATCH' });
        await databaseOf(log).del(indexKeyOf('idx-type', 'RecordingDeleted', 6));
        expect((await log.verify()).ok).toBe(true);
        await databaseOf(log).put(indexKeyOf('idx-correlation', 'c99', 99), '');
        expect((await log.verify()).firstBad).toMatchObject({ seq: 99, code: 'INDEX_MISMATCH' });
        await databaseOf(log).put(indexKeyOf('idx-correlation', 'c99', 99).slice(0, -3), '');
        expect((await log.verify()).firstBad).toMatchObject({ code: 'INDEX_MISMATCH' });
      });
    });

    describe('snapshots', () => {
      it('round-trips named snapshots and reads an absent one as undefined', async () => {
        const log = await open();
        expect(await log.readSnapshot('store')).toBeUndefined();
        await log.writeSnapshot('store', { seq: 3, version: 1, value: { active: 'rec-1', names: ['a', 'b'] } });
        await log.writeSnapshot('other', { seq: 1, version: 2, value: 42 });
        expect(await log.readSnapshot('store')).toEqual({
          seq: 3,
          version: 1,
          value: { active: 'rec-1', names: ['a', 'b'] },
        });
        await log.writeSnapshot('store', { seq: 4, version: 1, value: null });
        expect(await log.readSnapshot('store')).toEqual({ seq: 4, version: 1, value: null });
        expect(await log.readSnapshot<number>('other')).toEqual({ seq: 1, version: 2, value: 42 });
        await expect(log.writeSnapshot('', { seq: 1, version: 1, value: 1 })).rejects.toThrow(TypeError);
      });
    });
  });
}
