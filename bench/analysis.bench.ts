/**
 * The analyzers' cost, each figure against a baseline measured in the same run:
 *  (a) the analysis reactor of `serve` re-analysing the 1 GB (raw) recording
 *      (POST /api/analysis/{name} until the queue is empty again) vs
 *      GET /api/pcap/{name} of the same recording from the same server, in MB
 *      of raw QMDL per second (target >= 0.5x);
 *  (b) the CPU time of `serve` ingesting from the synthetic source at its
 *      default rate with the analysis reactor (live analysis of the active
 *      recording) vs the same ingest with --no-analysis (target: <= 10% more,
 *      i.e. a ratio >= 0.91x), over the first 30 s of the recording and over
 *      30 s from 93 s on, once V8's compilation has settled;
 *  (c) `qmdl-ledger analyze` of a real-capture-sized recording (the real
 *      captures, concatenated) vs tshark reading our pcapng
 *      export of the same bytes with `-T fields` and the fields the heuristics
 *      read, messages per second (target >= 5x).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RecordingTotals } from '@ledger/domain';
import {
  type BenchContext,
  type BenchModule,
  type BenchResult,
  higherIsBetter,
  lowerIsBetter,
  medianOf,
  rowSelected,
} from './harness';
import { writeLargeRecording } from './support/large-recording';
import { MAIN_JS, type Server, analysisQueue, get, repoRoot, startServer } from './support/processes';
import { buildStore } from './support/store-fixture';

const MB = 1e6;

/** Completed analyses of `name` in the log. */
async function completions(server: Server, name: string): Promise<number> {
  const res = await get(`${server.baseUrl}/api/events?type=RecordingAnalysisCompleted&order=asc&limit=1000`);
  if (res.status !== 200) throw new Error(`GET /api/events: ${res.status}`);
  const { events } = JSON.parse(res.body.toString('utf8')) as { events: Array<{ recording?: string }> };
  return events.filter((e) => e.recording === name).length;
}

/** Polls every 50 ms until `name` is neither queued nor running and has `count` completed analyses. */
async function analysed(server: Server, name: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await analysisQueue(server.baseUrl);
    if (!s.queued.includes(name) && s.running !== name && (await completions(server, name)) >= count) return;
    if (performance.now() > deadline) throw new Error(`the analysis of ${name} did not finish in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** (a) the reactor's analysis of the 1 GB recording vs its pcap export, interleaved rounds. */
async function largeRecording(ctx: BenchContext): Promise<BenchResult> {
  const dataDir = path.join(ctx.tmpDir, 'store-large');
  let large: RecordingTotals | undefined;
  const fixture = await buildStore({
    dataDir,
    recordings: 1,
    dataEventsPerRecording: 3,
    realFile: { index: 0, write: (file) => (large = writeLargeRecording(file, ctx.quick ? 64 * MB : 1024 * MB)) },
  });
  if (large === undefined) throw new Error('the large recording was not written');
  const raw = large.uncompressedBytes;
  const name = fixture.names[0] ?? '';
  const server = await startServer({ dataDir });
  try {
    // The reactor analyses the new recording by itself at start-up: let it finish before measuring.
    await analysed(server, name, 1, 1_800_000);
    const rounds = ctx.quick ? 1 : 3;
    const analysis: number[] = [];
    const pcap: number[] = [];
    for (let round = 0; round < rounds; round++) {
      let t = performance.now();
      const p = await get(`${server.baseUrl}/api/pcap/${name}`, { discard: true, timeoutMs: 1_800_000 });
      if (p.status !== 200 || p.bytes < raw / 2)
        throw new Error(`pcap export: ${p.status}, ${p.bytes} bytes for ${raw} of QMDL`);
      pcap.push(raw / MB / ((performance.now() - t) / 1000));
      t = performance.now();
      const post = await get(`${server.baseUrl}/api/analysis/${name}`, { method: 'POST' });
      if (post.status !== 202) throw new Error(`POST /api/analysis/${name}: ${post.status}`);
      await analysed(server, name, round + 2, 1_800_000);
      analysis.push(raw / MB / ((performance.now() - t) / 1000));
      ctx.log(
        `round ${round + 1}: analysis ${analysis[round]?.toFixed(1)} MB/s of QMDL, GET /api/pcap ${pcap[round]?.toFixed(1)} MB/s`,
      );
    }
    const report = await get(`${server.baseUrl}/api/analysis-report/${name}`, { discard: true });
    return {
      name: `analysis reactor, ${(raw / MB).toFixed(0)} MB raw QMDL recording (POST /api/analysis until done)`,
      measured: { unit: 'MB/s', value: medianOf(analysis) },
      baseline: {
        name: 'GET /api/pcap/{name} of the same recording, same server',
        unit: 'MB/s',
        value: medianOf(pcap),
      },
      ratio: higherIsBetter(medianOf(analysis), medianOf(pcap)),
      target: { min: 0.5 },
      notes: `${rounds} interleaved rounds (analysis ${analysis.map((v) => v.toFixed(1)).join(', ')}; pcap ${pcap.map((v) => v.toFixed(1)).join(', ')}); MB of decompressed QMDL per second; the analysis writes a ${(report.bytes / MB).toFixed(1)} MB report and records its findings and completion as events; the time is POST to the completion visible in /api/analysis and /api/events (polled every 50 ms)`,
    };
  } finally {
    await server.stop();
  }
}

/** CPU time (user + system, all threads, dead ones included) of a process in ms, from /proc/<pid>/stat. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name; clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU time of every live thread of a process in ms, from /proc/<pid>/task/<tid>/schedstat (ns resolution). */
function threadCpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

/** Starts the recording of a server whose source is the default synthetic one. */
async function startRecording(server: Server): Promise<void> {
  const start = await get(`${server.baseUrl}/api/start-recording`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`start-recording: ${start.status}`);
}

/** Bytes of the active recording's committed gzip so far. */
async function recordedBytes(server: Server): Promise<number> {
  const manifest = JSON.parse((await get(`${server.baseUrl}/api/qmdl-manifest`)).body.toString('utf8')) as {
    current_entry: { qmdl_size_bytes: number } | null;
  };
  return manifest.current_entry?.qmdl_size_bytes ?? 0;
}

interface IngestCpu {
  readonly cpuMs: number;
  readonly threadMs: number;
  readonly bytes: number;
}

/** A measuring window, in seconds from the start of the recordings. */
interface CpuWindow {
  readonly from: number;
  readonly to: number;
}

/**
 * One round: `pairs` pairs of servers (each a fresh store, its recording from the default synthetic source) run at
 * the same time, their recordings started together, and each one's CPU is taken over the same windows (seconds
 * from those starts). So both sides of a round share the machine's neighbours, which one after the other they did
 * not: the same ingest differed by 1.6x between runs minutes apart. Per window, one entry per pair.
 */
async function ingestCpuPairs(
  ctx: BenchContext,
  windows: readonly CpuWindow[],
  pairs = 1,
): Promise<readonly (readonly { readonly analysis: IngestCpu; readonly plain: IngestCpu }[])[]> {
  const servers: Server[] = [];
  try {
    for (let pair = 0; pair < pairs; pair++) {
      for (const [label, args] of [
        ['analysis', []],
        ['plain', ['--no-analysis']],
      ] as const) {
        const dataDir = path.join(ctx.tmpDir, `store-ingest-${label}-${Math.random().toString(36).slice(2)}`);
        servers.push(await startServer({ dataDir, source: 'synthetic', args }));
      }
    }
    // Every recording starts together, so all sides have had the same time to warm up when a window opens.
    await Promise.all(servers.map(startRecording));
    const started = performance.now();
    const until = (seconds: number): Promise<void> =>
      new Promise((resolve) => setTimeout(resolve, Math.max(0, started + seconds * 1000 - performance.now())));
    const perWindow: { analysis: IngestCpu; plain: IngestCpu }[][] = [];
    for (const window of windows) {
      await until(window.from);
      const before = servers.map((s) => ({ cpu: cpuMs(s.pid), thread: threadCpuMs(s.pid) }));
      await until(window.to);
      const after = servers.map((s) => ({ cpu: cpuMs(s.pid), thread: threadCpuMs(s.pid) }));
      const measured = await Promise.all(
        servers.map(async (s, i) => ({
          cpuMs: (after[i]?.cpu ?? 0) - (before[i]?.cpu ?? 0),
          threadMs: (after[i]?.thread ?? 0) - (before[i]?.thread ?? 0),
          bytes: await recordedBytes(s),
        })),
      );
      const pairsOfWindow: { analysis: IngestCpu; plain: IngestCpu }[] = [];
      for (let pair = 0; pair < pairs; pair++)
        pairsOfWindow.push({ analysis: measured[2 * pair] as IngestCpu, plain: measured[2 * pair + 1] as IngestCpu });
      perWindow.push(pairsOfWindow);
    }
    return perWindow;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * (b) CPU of an ingest at the synthetic source's default rate with and without the analysis reactor, in
 * two windows of the same rounds: the first 30 s after a 3 s warm-up (what a freshly started service
 * costs, V8 compiling both sides' code as it gets hot: the analysis adds tens of ms of compilation
 * there, once per process), and 30 s from 90 s on, when the compilation has settled (what every
 * later minute of a recording costs).
 */
async function liveCpu(ctx: BenchContext): Promise<readonly BenchResult[]> {
  // Five rounds: a V8 memory-reducing mark-compact landing in one side's window moves that round by more
  // than the 10% the row allows, and the median of five leaves two such rounds out.
  const rounds = ctx.quick ? 1 : 5;
  const seconds = ctx.quick ? 5 : 30;
  const windows: readonly (CpuWindow & { readonly label: string })[] = [
    { from: 3, to: 3 + seconds, label: 'after a 3 s warm-up' },
    ctx.quick
      ? { from: 10, to: 15, label: 'from 10 s on' }
      : { from: 93, to: 123, label: "from 93 s on (V8's compilation mostly done)" },
  ];
  const withAnalysis = windows.map((): number[] => []);
  const without = windows.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    const perWindow = await ingestCpuPairs(ctx, windows);
    perWindow.forEach((pairs, w) => {
      const { analysis: a, plain: b } = pairs[0] as { analysis: IngestCpu; plain: IngestCpu };
      if (a.bytes === 0 || b.bytes === 0) throw new Error('the ingest recorded nothing');
      withAnalysis[w]?.push(a.threadMs);
      without[w]?.push(b.threadMs);
      ctx.log(
        `round ${round + 1}, ${windows[w]?.label}: with analysis ${a.threadMs.toFixed(0)} ms CPU (stat ${a.cpuMs} ms), without ${b.threadMs.toFixed(0)} ms (stat ${b.cpuMs} ms) over the same ${seconds} s; ${a.bytes} / ${b.bytes} bytes gzip recorded`,
      );
    });
  }
  return windows.map((window, w) => {
    const a = withAnalysis[w] ?? [];
    const b = without[w] ?? [];
    return {
      name:
        w === 0
          ? `serve CPU time, synthetic ingest at its default rate (50 msg/s), ${seconds} s, live analysis on`
          : `the same, ${seconds} s ${window.label}`,
      measured: { unit: 'ms CPU', value: medianOf(a) },
      baseline: { name: 'the same ingest with --no-analysis', unit: 'ms CPU', value: medianOf(b) },
      ratio: lowerIsBetter(medianOf(a), medianOf(b)),
      target: { min: 0.91, note: 'at most 10% more CPU' },
      notes: `${rounds} rounds, each a fresh store and server per side, both sides running at once over the same window (with ${a.map((v) => v.toFixed(0)).join(', ')} ms; without ${b.map((v) => v.toFixed(0)).join(', ')} ms); CPU of every thread of each server process (schedstat), measured ${window.label.replace(/ \(.*/, '')} from the start of the recordings`,
    };
  });
}

/**
 * How the cost of row (b) changes over a recording's first ten minutes (`--row steady-cpu`, never in a run
 * without `--row`: one round lasts over ten minutes). Row (b)'s own windows are its first two; this one adds
 * windows at 273 and 573 s, and runs three pairs at once in each of two rounds, so each window's medians pool
 * six servers per side (a single pair's rounds differ by more than the 10% row (b) allows). Informational: it
 * has no target of its own, and it does not change row (b)'s, which applies to row (b)'s windows as row (b)
 * measures them.
 */
async function steadyCpu(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const pairs = ctx.quick ? 1 : 3;
  const rounds = ctx.quick ? 1 : 2;
  const seconds = ctx.quick ? 5 : 30;
  const starts = ctx.quick ? [3, 10] : [3, 93, 273, 573];
  const windows = starts.map((from) => ({ from, to: from + seconds }));
  const withAnalysis = windows.map((): number[] => []);
  const without = windows.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    const perWindow = await ingestCpuPairs(ctx, windows, pairs);
    perWindow.forEach((pairsOfWindow, w) => {
      for (const { analysis: a, plain: b } of pairsOfWindow) {
        if (a.bytes === 0 || b.bytes === 0) throw new Error('the ingest recorded nothing');
        withAnalysis[w]?.push(a.threadMs);
        without[w]?.push(b.threadMs);
      }
      ctx.log(
        `round ${round + 1}, ${windows[w]?.from} s on: with analysis ${pairsOfWindow.map((p) => p.analysis.threadMs.toFixed(0)).join(' ')} ms, without ${pairsOfWindow.map((p) => p.plain.threadMs.toFixed(0)).join(' ')} ms`,
      );
    });
  }
  return windows.map((window, w) => {
    const a = withAnalysis[w] ?? [];
    const b = without[w] ?? [];
    return {
      name: `serve CPU time, synthetic ingest at its default rate, ${seconds} s from ${window.from} s after the recording started, live analysis on (${pairs} pair${pairs === 1 ? '' : 's'} at once, pooled; informational)`,
      measured: { unit: 'ms CPU', value: medianOf(a) },
      baseline: { name: 'the same ingest with --no-analysis', unit: 'ms CPU', value: medianOf(b) },
      ratio: lowerIsBetter(medianOf(a), medianOf(b)),
      notes: `${rounds} rounds of ${pairs} pairs, every server at once (with ${a.map((v) => v.toFixed(0)).join(', ')} ms; without ${b.map((v) => v.toFixed(0)).join(', ')} ms); CPU of every thread (schedstat); no target: row (b)'s applies to its own windows`,
    };
  });
}

/** The real captures (../shared/samples beside the repository, or QMDL_SAMPLES). */
function sampleFiles(): string[] {
  const root = repoRoot();
  const candidates = [
    process.env['QMDL_SAMPLES'],
    path.resolve(root, '..', 'shared', 'samples'),
    path.resolve(root, '..', '..', 'shared', 'samples'),
  ].filter((d): d is string => d !== undefined);
  const dir = candidates.find((d) => existsSync(path.join(d, 'SHA256SUMS')));
  if (dir === undefined) throw new Error(`the real captures are missing: looked in ${candidates.join(', ')}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.qmdl'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Runs a command to completion, stdout discarded; resolves with its wall time (ms) and stderr. */
function timed(command: string, args: readonly string[]): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += stderr.length > 10_000 ? '' : c));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - t, code, stderr }));
  });
}

/** What the heuristics read, as tshark fields (those the decoder spec compares). */
const TSHARK_FIELDS = [
  'frame.number',
  'gsmtap.type',
  'lte-rrc.c1',
  'lte-rrc.MCC_MNC_Digit',
  'lte-rrc.trackingAreaCode',
  'lte-rrc.cellIdentity',
  'lte-rrc.schedulingInfoList',
  'lte-rrc.cellReselectionPriority',
  'lte-rrc.cipheringAlgorithm',
  'lte-rrc.integrityProtAlgorithm',
  'lte-rrc.releaseCause',
  'lte-rrc.redirectedCarrierInfo',
  'lte-rrc.establishmentCause',
  'nas_eps.security_header_type',
  'nas_eps.nas_msg_emm_type',
  'nas_eps.nas_msg_esm_type',
  'nas_eps.emm.toc',
  'nas_eps.emm.cause',
  'nas_eps.emm.id_type2',
  'nas_eps.emm.detach_type_ul',
  'nas_eps.emm.detach_type_dl',
  'nas_eps.emm.eps_att_type',
];

/** (c) `qmdl-ledger analyze` vs tshark -T fields on our pcapng of the same messages. */
async function versusTshark(ctx: BenchContext): Promise<BenchResult> {
  const samples = sampleFiles().map((f) => readFileSync(f));
  const sampleBytes = samples.reduce((a, b) => a + b.length, 0);
  // Real Rayhunter recordings run from a few MB to tens of MB; the samples are each a few hundred KB.
  const target = ctx.quick ? 2 * MB : 16 * MB;
  const copies = Math.max(1, Math.round(target / sampleBytes));
  const qmdl = path.join(ctx.tmpDir, 'real-sized.qmdl');
  const fd = openSync(qmdl, 'wx');
  for (let i = 0; i < copies; i++) for (const s of samples) writeSync(fd, s);
  closeSync(fd);
  const pcap = path.join(ctx.tmpDir, 'real-sized.pcapng');
  const exported = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, 'pcap', qmdl, '-o', pcap, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`pcap exited ${code}: ${out}`))));
  });
  const packets = (JSON.parse(exported) as { stats: { converted: number } }).stats.converted;
  const rounds = ctx.quick ? 1 : 3;
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const a = await timed(process.execPath, [MAIN_JS, 'analyze', qmdl, '--format', 'ndjson']);
    if (a.code !== 0 && a.code !== 1) throw new Error(`analyze exited ${a.code}: ${a.stderr}`);
    const t = await timed('tshark', [
      '-r',
      pcap,
      '-T',
      'fields',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=,',
      ...TSHARK_FIELDS.flatMap((f) => ['-e', f]),
    ]);
    if (t.code !== 0) throw new Error(`tshark exited ${t.code}: ${t.stderr}`);
    ours.push(packets / (a.ms / 1000));
    theirs.push(packets / (t.ms / 1000));
    ctx.log(
      `round ${round + 1}: analyze ${a.ms.toFixed(0)} ms (${ours[round]?.toFixed(0)} msg/s), tshark ${t.ms.toFixed(0)} ms (${theirs[round]?.toFixed(0)} msg/s)`,
    );
  }
  return {
    name: `qmdl-ledger analyze, real captures concatenated (${((sampleBytes * copies) / MB).toFixed(1)} MB, ${packets} messages)`,
    measured: { unit: 'msg/s', value: medianOf(ours) },
    baseline: {
      name: `tshark -r <our pcapng> -T fields (${TSHARK_FIELDS.length} fields the heuristics read)`,
      unit: 'msg/s',
      value: medianOf(theirs),
    },
    ratio: higherIsBetter(medianOf(ours), medianOf(theirs)),
    target: { min: 5 },
    notes: `${rounds} interleaved rounds; ${copies} copies of the ${samples.length} samples; both whole processes (start-up included) with their output discarded, rates over the same ${packets} messages (the pcapng's packets); the pcapng export itself is not timed`,
  };
}

/** The rows by key (`--row`), in the order they run. */
const ROWS: ReadonlyArray<readonly [string, (ctx: BenchContext) => Promise<BenchResult | readonly BenchResult[]>]> = [
  ['reactor', largeRecording],
  ['live-cpu', liveCpu],
  ['tshark', versusTshark],
  // Over ten minutes a round: only when asked for by name.
  ['steady-cpu', steadyCpu],
];

async function run(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [key, row] of ROWS) {
    if (!rowSelected(ctx, key) || (key === 'steady-cpu' && ctx.row === undefined)) continue;
    results.push(...[await row(ctx)].flat());
  }
  return results;
}

const bench: BenchModule = { title: 'Analysis: the reactor, live analysis, and tshark', run };
export default bench;
