/**
 * The projection, on a store of 1,000,000 events in 10,000 recordings
 * (100,000 / 1,000 with --quick), built once per run:
 *  (a) a full projection rebuild (`rebuildProjection` over the LevelDB log: read,
 *      upcast, fold with the domain's `createFold`) vs raw iteration of the same log's event values +
 *      JSON.parse (target >= 0.5x);
 *  (b) cold start: from spawning the built binary to the first
 *      `GET /api/qmdl-manifest` answer, against a 1 s budget (target:
 *      ratio >= 1, i.e. within 1 s). For scale, bench/README.md gives a
 *      `node -e` that only opens the same LevelDB and reads one key.
 */
import { spawn } from 'node:child_process';
import { ledgerDecider } from '@ledger/domain';
import { LevelEventLog, rawEventAccess } from '@ledger/event-log';
import { ledgerLocation, rebuildProjection, replayWithInvariants } from '@ledger/store';
import {
  type BenchContext,
  type BenchModule,
  type BenchResult,
  higherIsBetter,
  lowerIsBetter,
  medianOf,
} from './harness';
import { bigStore } from './support/big-store';
import { get, startServer } from './support/processes';

async function timedRebuild(location: string): Promise<{ seconds: number; seq: number }> {
  const log = await LevelEventLog.open({ location });
  try {
    const started = performance.now();
    const state = await rebuildProjection(log, { decider: ledgerDecider });
    return { seconds: (performance.now() - started) / 1000, seq: state.seq };
  } finally {
    await log.close();
  }
}

/** A full invariant replay (what `verify` and `bisect` do): fold every event and check every rule at every step. */
async function timedCheckedReplay(location: string): Promise<{ seconds: number; checked: number }> {
  const log = await LevelEventLog.open({ location });
  try {
    const started = performance.now();
    const result = await replayWithInvariants(log);
    if (result.violations.length > 0) throw new Error(`the bench store breaks ${result.violations[0]?.rule ?? '?'}`);
    return { seconds: (performance.now() - started) / 1000, checked: result.checked };
  } finally {
    await log.close();
  }
}

/** The floor for any reader of the log: iterate every stored event value and JSON.parse it. */
async function timedRawParse(location: string): Promise<{ seconds: number; count: number }> {
  const log = await LevelEventLog.open({ location, createIfMissing: false });
  try {
    const started = performance.now();
    let count = 0;
    let sink = 0;
    for await (const { text } of rawEventAccess(log).entries()) {
      sink += (JSON.parse(text) as { seq: number }).seq;
      count++;
    }
    if (sink < 0) throw new Error('unreachable');
    return { seconds: (performance.now() - started) / 1000, count };
  } finally {
    await log.close();
  }
}

/** Spawn the binary, time the first manifest answer, stop it cleanly (which also persists its projection). */
async function coldStart(dataDir: string): Promise<{ totalMs: number; listeningMs: number; entries: number }> {
  const server = await startServer({ dataDir });
  try {
    const res = await get(`${server.baseUrl}/api/qmdl-manifest`);
    const totalMs = performance.now() - server.spawnedAt;
    if (res.status !== 200) throw new Error(`manifest answered ${res.status}`);
    const entries = (JSON.parse(res.body.toString('utf8')) as { entries: unknown[] }).entries.length;
    return { totalMs, listeningMs: server.listeningMs, entries };
  } finally {
    await server.stop();
  }
}

/** The same process start, but only opening LevelDB and reading one key. */
function nodeOpenLevel(location: string): Promise<number> {
  const started = performance.now();
  const script = `const {ClassicLevel}=require('classic-level');const db=new ClassicLevel(process.argv[1]);db.open().then(()=>db.get('!meta!head')).then(()=>db.close()).then(()=>process.exit(0))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, location], {
      stdio: 'ignore',
      cwd: require.resolve('classic-level').replace(/node_modules.*$/, ''),
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`node -e exited ${String(code)}`)),
    );
  });
}

async function run(ctx: BenchContext): Promise<readonly BenchResult[]> {
  const store = await bigStore(ctx);
  const location = ledgerLocation(store.dataDir);
  // Three interleaved rounds, median: the shared machine's load moves both sides from round to round.
  const rounds = 3;
  ctx.log(`${store.events} events, ${store.recordings} recordings; ${rounds} round`);

  const rebuild: number[] = [];
  const raw: number[] = [];
  const checkedReplay: number[] = [];
  let events = 0;
  for (let round = 0; round < rounds; round++) {
    const r = await timedRebuild(location);
    const p = await timedRawParse(location);
    const c = await timedCheckedReplay(location);
    events = p.count;
    rebuild.push(p.count / r.seconds);
    raw.push(p.count / p.seconds);
    checkedReplay.push(c.checked / c.seconds);
    ctx.log(
      `round ${round + 1}: rebuild ${r.seconds.toFixed(2)} s (to seq ${r.seq}), raw iterate+parse ${p.seconds.toFixed(2)} s (${p.count} events), replay checking every rule ${c.seconds.toFixed(2)} s`,
    );
  }

  const starts: Array<{ totalMs: number; listeningMs: number; entries: number }> = [];
  const bare: number[] = [];
  for (let round = 0; round < (ctx.quick ? 2 : 4); round++) {
    const start = await coldStart(store.dataDir);
    bare.push(await nodeOpenLevel(location));
    ctx.log(
      `cold start ${round + 1}: first manifest (${start.entries} entries) at ${start.totalMs.toFixed(0)} ms, listening at ${start.listeningMs.toFixed(0)} ms; node -e open LevelDB + get: ${bare[round]?.toFixed(0)} ms`,
    );
    starts.push(start);
  }
  const cold = medianOf(starts.map((s) => s.totalMs));
  const listening = medianOf(starts.map((s) => s.listeningMs));
  const bareMs = medianOf(bare);

  return [
    {
      name: `projection rebuild, ${events} events`,
      measured: { unit: 'events/s', value: medianOf(rebuild) },
      baseline: { name: 'raw iteration + JSON.parse of the same log', unit: 'events/s', value: medianOf(raw) },
      ratio: higherIsBetter(medianOf(rebuild), medianOf(raw)),
      target: { min: 0.5, note: 'a rebuild costs at most twice reading the log' },
      notes: `${rounds} interleaved rounds; rebuild = LevelEventLog.read (256-event nextv chunks, parse, upcast) + createFold`,
    },
    {
      name: `replay checking every rule at every step, ${events} events / ${store.recordings} recordings`,
      measured: { unit: 'events/s', value: medianOf(checkedReplay) },
      baseline: { name: 'the projection rebuild of the same log', unit: 'events/s', value: medianOf(rebuild) },
      ratio: higherIsBetter(medianOf(checkedReplay), medianOf(rebuild)),
      target: {
        min: 0.5,
        note: 'checking every rule costs at most twice a rebuild (verify, bisect, /api/store/verify?full=true); a goal, not a budget',
      },
      notes: `${rounds} interleaved rounds; replayWithInvariants = the rebuild's read and fold + checkTransition and the state rules of the recordings each step touched, then every state rule once`,
    },
    {
      name: `cold start to first manifest, ${store.events} events / ${store.recordings} recordings`,
      measured: { unit: 'ms', value: cold },
      baseline: { name: 'a 1 s start-up budget', unit: 'ms', value: 1000 },
      ratio: lowerIsBetter(cold, 1000),
      target: { min: 1, note: 'first manifest within 1 s of process start' },
      notes:
        `spawn of the built binary (serve, --source none) to the first 200 of GET /api/qmdl-manifest, median of ${starts.length} starts; listening line at ${listening.toFixed(0)} ms; ` +
        `for scale, node -e opening the same LevelDB and reading one key: ${bareMs.toFixed(0)} ms`,
    },
  ];
}

const bench: BenchModule = { title: 'projection: rebuild rate and cold start on a big store', run };
export default bench;
