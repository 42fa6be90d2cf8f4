/**
 * Durable appends of the event log (group commit) against raw LevelDB writes
 * of the same bytes, all in the same run on the same disk:
 *  (a) vs non-durable (`sync: false`) batches of 64 raw puts: what the log's
 *      hashing, JSON, indexes and durability cost (target >= 0.5x);
 *  (b) vs one durable (`sync: true`) put per event: what group commit buys
 *      (target >= 10x).
 */
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { NewEvent } from '@ledger/domain';
import { LevelEventLog } from '@ledger/event-log';
import { BenchContext, BenchModule, BenchResult, higherIsBetter, medianOf } from './harness';

const APPENDERS = 64;

/** A RecordingDataAppended-like event of about 200 bytes of JSON. */
function makeEvent(n: number): NewEvent {
  const time = new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString();
  return {
    type: 'RecordingDataAppended',
    v: 1,
    time,
    systemTime: time,
    recording: '1704067200',
    data: { qmdlSizeBytes: n * 4096, containers: n },
    metadata: { actor: { kind: 'recorder' }, correlationId: `c${n}`, bootId: 'b1', appVersion: '0.1.0' },
  };
}

async function durableAppends(location: string, total: number): Promise<{ perSecond: number; batches: number }> {
  const log = await LevelEventLog.open({ location });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: APPENDERS }, async () => {
        for (let n = next++; n < total; n = next++) await log.append([makeEvent(n)]);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: total / seconds, batches: log.stats().batches };
  } finally {
    await log.close();
  }
}

async function rawBatches(location: string, total: number, batchSize: number, sync: boolean): Promise<number> {
  const db = new ClassicLevel<string, string>(location);
  await db.open();
  try {
    const options = { sync };
    const started = performance.now();
    for (let first = 0; first < total; first += batchSize) {
      const ops = [];
      for (let n = first; n < Math.min(total, first + batchSize); n++) {
        ops.push({
          type: 'put' as const,
          key: (n + 1).toString(16).padStart(16, '0'),
          value: JSON.stringify(makeEvent(n)),
        });
      }
      await db.batch(ops, options);
    }
    return total / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
  }
}

async function run(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const total = ctx.quick ? 2_000 : 12_000;
  const syncPuts = ctx.quick ? 100 : 400;
  const rounds = ctx.quick ? 1 : 5;
  const bytes = JSON.stringify(makeEvent(total)).length;
  ctx.log(
    `${total} events of ~${bytes} bytes of JSON, ${APPENDERS} concurrent appenders, ${rounds} interleaved rounds (medians)`,
  );

  // Warm up the JIT on a throw-away store.
  await durableAppends(path.join(ctx.tmpDir, 'warmup'), Math.min(total, 2_000));

  // The disk is shared and noisy: interleave the three measurements and take medians.
  const durable: number[] = [];
  const unsynced: number[] = [];
  const perEventSync: number[] = [];
  let batches = 0;
  for (let round = 0; round < rounds; round++) {
    const appended = await durableAppends(path.join(ctx.tmpDir, `log-${round}`), total);
    durable.push(appended.perSecond);
    batches = appended.batches;
    unsynced.push(await rawBatches(path.join(ctx.tmpDir, `raw-nosync-${round}`), total, APPENDERS, false));
    perEventSync.push(await rawBatches(path.join(ctx.tmpDir, `raw-sync-${round}`), syncPuts, 1, true));
    ctx.log(
      `round ${round + 1}: log ${durable[round]?.toFixed(0)} events/s (${appended.batches} batches), ` +
        `raw batches sync:false ${unsynced[round]?.toFixed(0)}, raw sync put per event ${perEventSync[round]?.toFixed(0)}`,
    );
  }

  const measured = { unit: 'events/s', value: medianOf(durable) };
  const name = `durable append, ${APPENDERS} concurrent appenders, ~${bytes} B events`;
  const notes = `${total} events per round in ~${batches} batches (group commit); each event also writes 5-6 index keys, and each batch the head pointer`;
  return [
    {
      name,
      measured,
      baseline: { name: `raw level batches of ${APPENDERS}, sync:false`, unit: 'events/s', value: medianOf(unsynced) },
      ratio: higherIsBetter(measured.value, medianOf(unsynced)),
      target: { min: 0.5, note: 'hashing, indexes and durability cost at most half the raw write rate' },
      notes,
    },
    {
      name,
      measured,
      baseline: { name: 'raw level, one sync put per event', unit: 'events/s', value: medianOf(perEventSync) },
      ratio: higherIsBetter(measured.value, medianOf(perEventSync)),
      target: { min: 10, note: 'group commit: far fewer fsyncs than events' },
      notes,
    },
  ];
}

const bench: BenchModule = { title: 'event log: durable group-committed appends', run };
export default bench;
