/**
 * The HTTP API against the built binary (`serve`, loopback only),
 * every figure against a baseline measured in the same run:
 *  (a) GET /api/qmdl-manifest with 1,000 recordings, 50 connections
 *      (autocannon) vs a bare express handler sending the same pre-serialised
 *      JSON (target >= 0.8x);
 *  (b) GET /api/qmdl/{name} of a large recording vs plain zlib gunzip of the
 *      same file in this process (target >= 0.8x);
 *  (c) the server's peak RSS (VmHWM) while two such downloads and an ingest
 *      (synthetic source, as fast as it goes) run together, vs 150 MB;
 *  (d) GET /api/events 900,000 events deep vs at the head (deep at most 1.5x
 *      the head's cost), on the run's 1,000,000-event store.
 */
import { spawn } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { RecordingTotals } from '@ledger/domain';
import {
  type BenchContext,
  type BenchModule,
  type BenchResult,
  higherIsBetter,
  lowerIsBetter,
  medianOf,
} from './harness';
import { bigStore } from './support/big-store';
import { BUILD_ROOT, cannon, get, peakRssDuring, peakRssResult, startServer } from './support/processes';
import { buildStore } from './support/store-fixture';
import { writeLargeRecording } from './support/large-recording';

const MB = 1e6;

async function gunzipFile(file: string): Promise<number> {
  let bytes = 0;
  await pipeline(
    createReadStream(file, { highWaterMark: 64 * 1024 }),
    zlib.createGunzip(),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        bytes += chunk.length;
        cb();
      },
    }),
  );
  return bytes;
}

async function run(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const results: BenchResult[] = [];
  const dataDir = path.join(ctx.tmpDir, 'store-1000');
  const target = ctx.quick ? 64 * MB : 1024 * MB;
  let large: RecordingTotals | undefined;
  const fixture = await buildStore({
    dataDir,
    recordings: 1_000,
    dataEventsPerRecording: 3,
    realFile: { index: 0, write: (file) => (large = writeLargeRecording(file, target)) },
  });
  if (large === undefined) throw new Error('the large recording was not written');
  const largeName = fixture.names[0] ?? '';
  const largeFile = path.join(dataDir, 'qmdl', `${largeName}.qmdl.gz`);
  ctx.log(
    `store: 1,000 recordings (${fixture.events} events) in ${fixture.seconds.toFixed(1)} s; recording ${largeName}: ${(large.uncompressedBytes / MB).toFixed(0)} MB raw, ${(large.qmdlSizeBytes / MB).toFixed(0)} MB gzip`,
  );

  const server = await startServer({ dataDir, source: 'synthetic:rate=0,seed=3' });
  try {
    // (a) the manifest vs a bare express handler with the same bytes.
    const manifest = await get(`${server.baseUrl}/api/qmdl-manifest`);
    const entries = (JSON.parse(manifest.body.toString('utf8')) as { entries: unknown[] }).entries.length;
    const bodyFile = path.join(ctx.tmpDir, 'manifest.json');
    writeFileSync(bodyFile, manifest.body);
    const bare = spawn(process.execPath, [path.join(BUILD_ROOT, 'bench/support/bare-express-server.js'), bodyFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const bareUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        bare.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
        bare.once('exit', (code) => reject(new Error(`bare express exited ${String(code)}`)));
      });
      const seconds = ctx.quick ? 2 : 6;
      const rounds = ctx.quick ? 1 : 2;
      const ours: number[] = [];
      const base: number[] = [];
      await cannon(`${server.baseUrl}/api/qmdl-manifest`, { connections: 50, seconds: 1 }); // warm-up
      await cannon(`${bareUrl}/api/qmdl-manifest`, { connections: 50, seconds: 1 });
      for (let round = 0; round < rounds; round++) {
        ours.push((await cannon(`${server.baseUrl}/api/qmdl-manifest`, { connections: 50, seconds })).requests.average);
        base.push((await cannon(`${bareUrl}/api/qmdl-manifest`, { connections: 50, seconds })).requests.average);
        ctx.log(
          `manifest round ${round + 1}: qmdl-ledger ${ours[round]?.toFixed(0)} req/s, bare express ${base[round]?.toFixed(0)} req/s`,
        );
      }
      results.push({
        name: `GET /api/qmdl-manifest, ${entries} recordings, 50 connections`,
        measured: { unit: 'req/s', value: medianOf(ours) },
        baseline: { name: 'bare express, same pre-serialised JSON', unit: 'req/s', value: medianOf(base) },
        ratio: higherIsBetter(medianOf(ours), medianOf(base)),
        target: { min: 0.8 },
        notes: `${(manifest.bytes / 1024).toFixed(0)} KiB body; autocannon ${seconds} s × ${rounds} interleaved rounds, loopback; server and baseline are separate processes`,
      });
    } finally {
      bare.kill('SIGTERM');
    }

    // (b) a large download vs gunzip of the same file.
    const rounds = ctx.quick ? 1 : 2;
    const served: number[] = [];
    const gunzip: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      const res = await get(`${server.baseUrl}/api/qmdl/${largeName}`, { discard: true, timeoutMs: 300_000 });
      if (res.status !== 200 || res.bytes !== large.uncompressedBytes)
        throw new Error(`download: ${res.status}, ${res.bytes} of ${large.uncompressedBytes} bytes`);
      served.push(res.bytes / MB / ((performance.now() - t) / 1000));
      t = performance.now();
      const n = await gunzipFile(largeFile);
      gunzip.push(n / MB / ((performance.now() - t) / 1000));
      ctx.log(
        `download round ${round + 1}: GET /api/qmdl ${served[round]?.toFixed(0)} MB/s, gunzip ${gunzip[round]?.toFixed(0)} MB/s`,
      );
    }
    results.push({
      name: `GET /api/qmdl/{name}, ${(large.uncompressedBytes / MB).toFixed(0)} MB raw`,
      measured: { unit: 'MB/s', value: medianOf(served) },
      baseline: {
        name: 'zlib gunzip of the same file (read stream → createGunzip)',
        unit: 'MB/s',
        value: medianOf(gunzip),
      },
      ratio: higherIsBetter(medianOf(served), medianOf(gunzip)),
      target: { min: 0.8 },
      notes: `${rounds} interleaved rounds; MB of decompressed QMDL; the client counts and discards the body`,
    });

    // (c) peak RSS with two downloads and an ingest at once.
    const rss = await peakRssDuring(server, [`/api/qmdl/${largeName}`, `/api/qmdl/${largeName}`], (d) => {
      if (d.status !== 200 || d.bytes !== large?.uncompressedBytes) throw new Error('a concurrent download failed');
    });
    ctx.log(
      `RSS: peak ${rss.peakMb.toFixed(0)} MB (VmHWM), sampled max ${rss.sampledMaxMb.toFixed(0)} MB; ${(rss.downloaded / MB).toFixed(0)} MB downloaded, ${(rss.ingested / MB).toFixed(1)} MB gzip ingested meanwhile`,
    );
    results.push(peakRssResult('server peak RSS, 2 large downloads + ingest at once', rss, 'downloads'));
  } finally {
    await server.stop();
  }

  // (d) event pages at the head and deep in the big store.
  const store = await bigStore(ctx);
  const big = await startServer({ dataDir: store.dataDir });
  try {
    const head = (
      JSON.parse((await get(`${big.baseUrl}/api/events?limit=1`)).body.toString('utf8')) as { head: number }
    ).head;
    const depth = ctx.quick ? 90_000 : 900_000;
    const before = head - depth;
    const headUrl = `${big.baseUrl}/api/events?limit=100`;
    const deepUrl = `${big.baseUrl}/api/events?limit=100&before=${before}`;
    const check = JSON.parse((await get(deepUrl)).body.toString('utf8')) as { events: Array<{ seq: number }> };
    if (check.events[0]?.seq !== before - 1 || check.events.length !== 100)
      throw new Error('deep page is not where it should be');
    const seconds = ctx.quick ? 2 : 4;
    const rounds = ctx.quick ? 1 : 2;
    const headRate: number[] = [];
    const deepRate: number[] = [];
    await cannon(headUrl, { connections: 8, seconds: 1 });
    await cannon(deepUrl, { connections: 8, seconds: 1 });
    for (let round = 0; round < rounds; round++) {
      headRate.push((await cannon(headUrl, { connections: 8, seconds })).requests.average);
      deepRate.push((await cannon(deepUrl, { connections: 8, seconds })).requests.average);
      ctx.log(
        `events round ${round + 1}: head page ${headRate[round]?.toFixed(0)} req/s, ${depth} deep ${deepRate[round]?.toFixed(0)} req/s`,
      );
    }
    const headMs = 1000 / medianOf(headRate);
    const deepMs = 1000 / medianOf(deepRate);
    results.push({
      name: `GET /api/events, 100 events ${depth} deep (log of ${head})`,
      measured: { unit: 'ms/req', value: deepMs },
      baseline: { name: 'the head page (newest 100)', unit: 'ms/req', value: headMs },
      ratio: lowerIsBetter(deepMs, headMs),
      target: { min: 0.67, note: 'deep page at most 1.5x the head page' },
      notes: `cost = 1 / throughput at 8 connections (autocannon ${seconds} s × ${rounds} interleaved rounds); desc pages with before=<seq>`,
    });
  } finally {
    await big.stop();
  }
  return results;
}

const bench: BenchModule = { title: 'HTTP: manifest, downloads, memory, event pages', run };
export default bench;
