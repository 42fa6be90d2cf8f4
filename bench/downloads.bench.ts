/**
 * The server's memory while 200 clients hold downloads they
 * do not read (each takes the headers and the first chunk, then stops), and
 * after they leave. Against the built binary (`serve`, loopback), with
 * `--max-downloads 200` so every one of them streams, and an idle timeout long
 * enough not to end them during the measurement:
 *  (a) peak RSS (VmHWM since the phase began) vs the 200 MB budget;
 *  (b) RSS once they have left vs the RSS before they came.
 */
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeFileSync } from 'node:fs';
import type { RecordingTotals } from '@ledger/domain';
import { type BenchContext, type BenchModule, type BenchResult, lowerIsBetter } from './harness';
import { memoryOf, resetPeak, startServer } from './support/processes';
import { buildStore } from './support/store-fixture';
import { syntheticContainers } from './support/synthetic';

const MB = 1e6;
const BUDGET_MB = 200;

/** A recording far larger than what loopback socket buffers take in, so a download that is not read stays open. */
function writeRecording(file: string, rawBytes: number): RecordingTotals {
  const parts = syntheticContainers(8 * 1024 * 1024, { seed: 5, rateMessagesPerSecond: 0 });
  const block = Buffer.concat(parts);
  const copies = Math.max(1, Math.round(rawBytes / block.length));
  const raw = Buffer.concat(Array.from({ length: copies }, () => block));
  const gz = zlib.gzipSync(raw, { level: 1 });
  writeFileSync(file, gz);
  return { qmdlSizeBytes: gz.length, uncompressedBytes: raw.length, containers: parts.length * copies };
}

interface Held {
  readonly status: Promise<number>;
  close(): void;
}

function stalled(baseUrl: string, name: string): Held {
  const url = new URL(baseUrl);
  let req: http.ClientRequest | undefined;
  const status = new Promise<number>((resolve) => {
    req = http.get({ host: url.hostname, port: url.port, path: `/api/qmdl/${name}`, agent: false }, (res) => {
      resolve(res.statusCode ?? 0);
      res.once('data', () => res.pause());
      res.on('error', () => undefined);
    });
    req.on('error', () => resolve(0));
  });
  return { status, close: () => req?.destroy() };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function run(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const clients = ctx.quick ? 50 : 200;
  const dataDir = path.join(ctx.tmpDir, 'store');
  let totals: RecordingTotals | undefined;
  const fixture = await buildStore({
    dataDir,
    recordings: 1,
    dataEventsPerRecording: 1,
    realFile: { index: 0, write: (file) => (totals = writeRecording(file, 64 * 1024 * 1024)) },
  });
  const name = fixture.names[0] ?? '';
  if (totals === undefined) throw new Error('the recording was not written');
  ctx.log(
    `recording ${name}: ${(totals.uncompressedBytes / MB).toFixed(0)} MB raw, ${(totals.qmdlSizeBytes / MB).toFixed(1)} MB gzip`,
  );

  const server = await startServer({
    dataDir,
    args: ['--max-downloads', String(clients), '--download-idle-timeout-s', '600'],
  });
  const held: Held[] = [];
  try {
    await sleep(1000);
    const before = memoryOf(server.pid)?.rssMb ?? NaN;
    const reset = resetPeak(server.pid);
    for (let i = 0; i < clients; i++) held.push(stalled(server.baseUrl, name));
    const statuses = await Promise.all(held.map((h) => h.status));
    const streaming = statuses.filter((s) => s === 200).length;
    if (streaming !== clients)
      throw new Error(
        `${clients - streaming} of ${clients} downloads did not start (${[...new Set(statuses)].join(', ')})`,
      );
    // Let every pipeline fill up to where its client's socket stops taking data.
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) {
      await sleep(100);
      const m = memoryOf(server.pid);
      if (m) samples.push(m.rssMb);
    }
    const peak = memoryOf(server.pid)?.hwmMb ?? NaN;
    for (const h of held) h.close();
    // Memory given back once they left: the lowest RSS over the next few seconds.
    let after = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 50; i++) {
      await sleep(100);
      after = Math.min(after, memoryOf(server.pid)?.rssMb ?? Number.POSITIVE_INFINITY);
    }
    ctx.log(
      `RSS: ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (VmHWM) with ${clients} stalled downloads (sampled max ${Math.max(...samples).toFixed(0)} MB), ${after.toFixed(0)} MB 5 s after they left`,
    );
    return [
      {
        name: `server peak RSS, ${clients} stalled downloads`,
        measured: { unit: 'MB', value: peak },
        baseline: { name: `a ${BUDGET_MB} MB memory budget`, unit: 'MB', value: BUDGET_MB },
        ratio: lowerIsBetter(peak, BUDGET_MB),
        target: { min: 1, note: `peak RSS under ${BUDGET_MB} MB` },
        notes: `VmHWM of the server${reset ? ' since the phase began (reset through /proc/<pid>/clear_refs)' : ' over its whole life'}; each client takes the headers and the first chunk of a ${(totals.uncompressedBytes / MB).toFixed(0)} MB download, then stops reading; --max-downloads ${clients}`,
      },
      {
        name: `server RSS after ${clients} stalled downloads left`,
        measured: { unit: 'MB', value: after },
        baseline: { name: 'RSS before they came', unit: 'MB', value: before },
        ratio: lowerIsBetter(after, before),
        target: { min: 0.8, note: 'back within 1.25x of the RSS before' },
        notes: 'lowest RSS sampled every 100 ms over the 5 s after the clients closed their connections',
      },
    ];
  } finally {
    for (const h of held) h.close();
    await server.stop();
  }
}

const bench: BenchModule = { title: 'Downloads: memory under stalled clients', run };
export default bench;
