/**
 * The pcapng export against the built binary (`serve`, loopback only), each
 * figure against a baseline measured in the same run:
 *  (a) GET /api/pcap/{name} of the 1 GB (raw) recording vs GET /api/qmdl/{name}
 *      of the same recording, in MB of raw QMDL per second (target >= 0.5x);
 *  (b) the server's peak RSS (VmHWM) while two such exports and an ingest
 *      (synthetic source, as fast as it goes) run together, vs 150 MB.
 */
import path from 'node:path';
import type { RecordingTotals } from '@ledger/domain';
import { type BenchContext, type BenchModule, type BenchResult, higherIsBetter, medianOf } from './harness';
import { writeLargeRecording } from './support/large-recording';
import { analysisQueue, get, peakRssDuring, peakRssResult, startServer } from './support/processes';
import { buildStore } from './support/store-fixture';

const MB = 1e6;

/** Waits until the service's analysis reactor has nothing queued or running; the ms it took. */
async function analysisIdle(baseUrl: string): Promise<number> {
  const start = performance.now();
  for (;;) {
    const status = await analysisQueue(baseUrl);
    if (status.queued.length === 0 && status.running === null) return performance.now() - start;
    if (performance.now() - start > 30 * 60_000) throw new Error('the start-up analysis did not finish in 30 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function run(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const results: BenchResult[] = [];
  const dataDir = path.join(ctx.tmpDir, 'store');
  let large: RecordingTotals | undefined;
  const fixture = await buildStore({
    dataDir,
    recordings: 10,
    dataEventsPerRecording: 3,
    realFile: { index: 0, write: (file) => (large = writeLargeRecording(file, ctx.quick ? 64 * MB : 1024 * MB)) },
  });
  if (large === undefined) throw new Error('the large recording was not written');
  const raw = large.uncompressedBytes;
  const name = fixture.names[0] ?? '';
  ctx.log(
    `recording ${name}: ${(raw / MB).toFixed(0)} MB raw, ${(large.qmdlSizeBytes / MB).toFixed(0)} MB gzip, ${large.containers} containers`,
  );

  const server = await startServer({ dataDir, source: 'synthetic:rate=0,seed=3' });
  try {
    // The service's analysis reactor analyses every fixture recording at start-up, the large one
    // included, on the same JS thread as the export (~25 ms of CPU per MB): measured while it runs,
    // the export's figure depended on how much of it overlapped the rounds. Both sides are measured after it.
    const waited = await analysisIdle(server.baseUrl);
    ctx.log(`start-up analysis of the fixture recordings done after ${(waited / 1000).toFixed(1)} s`);
    // (a) the export vs the plain download of the same recording, interleaved.
    const rounds = ctx.quick ? 1 : 3;
    const pcap: number[] = [];
    const qmdl: number[] = [];
    let pcapBytes = 0;
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      const q = await get(`${server.baseUrl}/api/qmdl/${name}`, { discard: true, timeoutMs: 600_000 });
      if (q.status !== 200 || q.bytes !== raw)
        throw new Error(`qmdl download: ${q.status}, ${q.bytes} of ${raw} bytes`);
      qmdl.push(raw / MB / ((performance.now() - t) / 1000));
      t = performance.now();
      const p = await get(`${server.baseUrl}/api/pcap/${name}`, { discard: true, timeoutMs: 600_000 });
      // Every synthetic message is an LTE RRC OTA log with a GSMTAP form: the pcapng is about as large as the QMDL.
      if (p.status !== 200 || p.bytes < raw / 2)
        throw new Error(`pcap export: ${p.status}, ${p.bytes} bytes for ${raw} of QMDL`);
      pcap.push(raw / MB / ((performance.now() - t) / 1000));
      pcapBytes = p.bytes;
      ctx.log(
        `round ${round + 1}: GET /api/pcap ${pcap[round]?.toFixed(0)} MB/s of QMDL (${(p.bytes / MB).toFixed(0)} MB pcapng), GET /api/qmdl ${qmdl[round]?.toFixed(0)} MB/s`,
      );
    }
    results.push({
      name: `GET /api/pcap/{name}, ${(raw / MB).toFixed(0)} MB raw QMDL`,
      measured: { unit: 'MB/s', value: medianOf(pcap) },
      baseline: {
        name: 'GET /api/qmdl/{name} of the same recording, same server',
        unit: 'MB/s',
        value: medianOf(qmdl),
      },
      ratio: higherIsBetter(medianOf(pcap), medianOf(qmdl)),
      target: { min: 0.5 },
      notes: `${rounds} interleaved rounds; MB of decompressed QMDL per second for both; ${(pcapBytes / MB).toFixed(0)} MB of pcapng; the client counts and discards the body`,
    });

    // (b) peak RSS with two exports and an ingest at once.
    const rss = await peakRssDuring(server, [`/api/pcap/${name}`, `/api/pcap/${name}`], (d) => {
      if (d.status !== 200 || d.bytes !== pcapBytes)
        throw new Error(`a concurrent export failed: ${d.status}, ${d.bytes} of ${pcapBytes} bytes`);
    });
    ctx.log(
      `RSS: peak ${rss.peakMb.toFixed(0)} MB (VmHWM), sampled max ${rss.sampledMaxMb.toFixed(0)} MB; ${(rss.downloaded / MB).toFixed(0)} MB of pcapng exported, ${(rss.ingested / MB).toFixed(1)} MB gzip ingested meanwhile`,
    );
    results.push(
      peakRssResult('server peak RSS, 2 pcap exports of the large recording + ingest at once', rss, 'exports'),
    );
  } finally {
    await server.stop();
  }
  return results;
}

const bench: BenchModule = { title: 'HTTP: pcapng export throughput and memory', run };
export default bench;
