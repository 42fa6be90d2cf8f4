/**
 * The write path:
 *  (a) ingest through the whole write path of a real ledger — a diag source
 *      (a QMDL file replayed as fast as it can be read and split into frames) →
 *      recorder → gzip (level 6) → file → flush + fdatasync per commit window →
 *      AppendRecordingData committed durably — vs one zlib.deflateSync of the
 *      same bytes at the same level (target >= 0.7x);
 *  (b) the latency of one AppendRecordingData commit with 10,000 recordings in
 *      the store vs with 10 (target <= 1.1x, i.e. lowerIsBetter ratio >= 0.91):
 *      the original daemon rewrote its whole manifest per write; ours must not
 *      depend on store size.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { filter, firstValueFrom } from 'rxjs';
import type { Command } from '@ledger/domain';
import { openLedger, silentLogger, type OpenedLedger, type RecorderSettings } from '@ledger/store';
import {
  type BenchContext,
  type BenchModule,
  type BenchResult,
  higherIsBetter,
  lowerIsBetter,
  medianOf,
} from './harness';
import { buildStore } from './support/store-fixture';
import { syntheticContainers } from './support/synthetic';

const LEVEL = 6;
const MB = 1e6;
/** The service's defaults (serve --flush-interval-ms 1000 --flush-kib 256). */
const RECORDER: Omit<RecorderSettings, 'source'> = {
  autoStart: false,
  flushIntervalMs: 1000,
  flushKiB: 256,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
};
const SYSTEM = { actor: { kind: 'system' as const }, correlationId: 'bench' };

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function wholePath(
  dataDir: string,
  source: string,
  expectedBytes: number,
): Promise<{ mbPerSecond: number; commits: number; compressed: number }> {
  const ledger = await openLedger({
    dataDir,
    appVersion: '0.1.0-bench',
    logger: silentLogger,
    recorder: { ...RECORDER, source },
  });
  try {
    const stopped = firstValueFrom(ledger.committed$.pipe(filter((e) => e.type === 'RecordingStopped')));
    const commitsBefore = ledger.metrics().commits;
    const started = performance.now();
    const result = await ledger.execute({ type: 'StartRecording', data: {} }, SYSTEM);
    if (!result.ok) throw new Error(`start refused: ${result.refusal.code}`);
    const stop = await stopped;
    const seconds = (performance.now() - started) / 1000;
    if (stop.type !== 'RecordingStopped' || stop.data.reason !== 'source-ended')
      throw new Error(`recording stopped: ${JSON.stringify(stop.data)}`);
    if (stop.data.uncompressedBytes !== expectedBytes)
      throw new Error(`ingested ${stop.data.uncompressedBytes} of ${expectedBytes} bytes`);
    return {
      mbPerSecond: expectedBytes / MB / seconds,
      commits: ledger.metrics().commits - commitsBefore,
      compressed: stop.data.qmdlSizeBytes,
    };
  } finally {
    await ledger.close();
  }
}

async function ingest(ctx: BenchContext): Promise<BenchResult> {
  const capture = Buffer.concat(
    syntheticContainers(ctx.quick ? 4 * MB : 48 * MB, { seed: 7, rateMessagesPerSecond: 0 }),
  );
  const file = path.join(ctx.tmpDir, 'capture.qmdl');
  writeFileSync(file, capture);
  const source = `qmdl:${file}?pace=fast`;
  const rounds = ctx.quick ? 1 : 3;
  const mb = capture.length / MB;
  ctx.log(
    `ingest: ${mb.toFixed(1)} MB of synthetic frames, level ${LEVEL}, flush window 1000 ms / 256 KiB, ${rounds} interleaved rounds`,
  );
  await wholePath(path.join(ctx.tmpDir, 'warmup'), source, capture.length);
  const measured: number[] = [];
  const baseline: number[] = [];
  let commits = 0;
  for (let round = 0; round < rounds; round++) {
    const r = await wholePath(path.join(ctx.tmpDir, `ingest-${round}`), source, capture.length);
    measured.push(r.mbPerSecond);
    commits = r.commits;
    const t = performance.now();
    zlib.deflateSync(capture, { level: LEVEL });
    baseline.push(mb / ((performance.now() - t) / 1000));
    ctx.log(
      `round ${round + 1}: whole path ${r.mbPerSecond.toFixed(1)} MB/s (${r.commits} commits, ${(r.compressed / MB).toFixed(1)} MB on disk), deflateSync ${baseline[round]?.toFixed(1)} MB/s`,
    );
  }
  return {
    name: `ingest, whole path (source → gzip → file → durable events), ${mb.toFixed(0)} MB`,
    measured: { unit: 'MB/s', value: medianOf(measured) },
    baseline: { name: `zlib.deflateSync, level ${LEVEL}, same bytes`, unit: 'MB/s', value: medianOf(baseline) },
    ratio: higherIsBetter(medianOf(measured), medianOf(baseline)),
    target: { min: 0.7, note: 'the write path costs at most ~43% on top of compression' },
    notes: `qmdl:<file>?pace=fast source (read + HDLC split + CRC check included), ~${commits} durable commits per run (each after flush + fdatasync); MB of raw QMDL`,
  };
}

async function openWithRecordings(
  ctx: BenchContext,
  recordings: number,
): Promise<{ ledger: OpenedLedger; name: string }> {
  const dataDir = path.join(ctx.tmpDir, `store-${recordings}`);
  const fixture = await buildStore({ dataDir, recordings, dataEventsPerRecording: 3 });
  ctx.log(`store with ${recordings} recordings: ${fixture.events} events built in ${fixture.seconds.toFixed(1)} s`);
  const ledger = await openLedger({
    dataDir,
    appVersion: '0.1.0-bench',
    logger: silentLogger,
    recorder: { ...RECORDER, source: 'none' },
  });
  const result = await ledger.execute({ type: 'StartRecording', data: {} }, SYSTEM);
  const name = ledger.state().current?.name;
  if (!result.ok || name === undefined) throw new Error('could not start a recording');
  return { ledger, name };
}

async function perWrite(ctx: BenchContext): Promise<BenchResult> {
  const writes = ctx.quick ? 150 : 1500;
  const small = await openWithRecordings(ctx, 10);
  const large = await openWithRecordings(ctx, ctx.quick ? 2_000 : 10_000);
  const largeCount = Object.keys(large.ledger.state().entries).length;
  const latencies = { small: [] as number[], large: [] as number[] };
  try {
    // Interleaved, one write at a time each: the disk's noise falls on both alike.
    for (let i = 1; i <= writes + 50; i++) {
      for (const [key, store] of [
        ['small', small],
        ['large', large],
      ] as const) {
        const command: Command = {
          type: 'AppendRecordingData',
          data: {
            name: store.name,
            totals: {
              qmdlSizeBytes: 10 + i * 4096,
              uncompressedBytes: i * 16384,
              containers: i * 10,
              lastMessageTime: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
            },
          },
        };
        const t = performance.now();
        const result = await store.ledger.execute(command, { actor: { kind: 'recorder' }, correlationId: `w${i}` });
        const ms = performance.now() - t;
        if (!result.ok) throw new Error(`write refused: ${result.refusal.code}`);
        if (i > 50) latencies[key].push(ms); // the first 50 warm up the JIT
      }
    }
  } finally {
    await small.ledger.close();
    await large.ledger.close();
  }
  const m10 = medianOf(latencies.small);
  const mLarge = medianOf(latencies.large);
  ctx.log(
    `per write: median ${m10.toFixed(3)} ms with 10 recordings, ${mLarge.toFixed(3)} ms with ${largeCount}; p90 ${percentile(latencies.small, 0.9).toFixed(3)} / ${percentile(latencies.large, 0.9).toFixed(3)} ms`,
  );
  return {
    name: `AppendRecordingData commit latency, ${largeCount} recordings in the store`,
    measured: { unit: 'ms', value: mLarge },
    baseline: { name: 'same with 10 recordings', unit: 'ms', value: m10 },
    ratio: lowerIsBetter(mLarge, m10),
    target: { min: 0.91, note: 'per-write cost independent of store size (<= 1.1x)' },
    notes:
      `median of ${writes} durable single writes each, interleaved; p90 ${percentile(latencies.large, 0.9).toFixed(2)} vs ${percentile(latencies.small, 0.9).toFixed(2)} ms, ` +
      `mean ${(latencies.large.reduce((a, b) => a + b, 0) / writes).toFixed(2)} vs ${(latencies.small.reduce((a, b) => a + b, 0) / writes).toFixed(2)} ms`,
  };
}

const bench: BenchModule = {
  title: 'ingest: whole write path and per-write cost vs store size',
  async run(ctx) {
    return [await ingest(ctx), await perWrite(ctx)];
  },
};
export default bench;
