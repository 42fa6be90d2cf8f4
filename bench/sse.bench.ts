/**
 * The SSE event stream under clients that do not read: 50
 * clients open `GET /api/events/stream?after=0` on the 1,000,000-event store
 * and never read. The server must wait for each socket instead of pushing the
 * catch-up: its peak RSS (VmHWM, reset when the phase starts) stays under the
 * 200 MB budget.
 */
import http from 'node:http';
import { type BenchContext, type BenchModule, type BenchResult, lowerIsBetter } from './harness';
import { bigStore } from './support/big-store';
import { get, memoryOf, resetPeak, startServer } from './support/processes';

const CLIENTS = 50;
const BUDGET_MB = 200;

async function metric(baseUrl: string, name: string): Promise<number> {
  const body = (await get(`${baseUrl}/metrics`)).body.toString('utf8');
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(body)?.[1] ?? NaN);
}

/** An SSE client that never reads: its socket fills, then the server sees backpressure. */
function stalledClient(baseUrl: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${baseUrl}/api/events/stream?after=0`,
      { agent: false, headers: { accept: 'text/event-stream' } },
      (res) => {
        res.pause();
        if (res.statusCode === 200) resolve(req);
        else reject(new Error(`SSE answered ${res.statusCode ?? 0}`));
      },
    );
    req.on('error', reject);
  });
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const store = await bigStore(ctx);
  const server = await startServer({ dataDir: store.dataDir });
  const clients: http.ClientRequest[] = [];
  try {
    const before = memoryOf(server.pid)?.rssMb ?? NaN;
    const reset = resetPeak(server.pid);
    for (let i = 0; i < CLIENTS; i++) clients.push(await stalledClient(server.baseUrl));
    const until = Date.now() + 300_000;
    let stalled = 0;
    while ((stalled = await metric(server.baseUrl, 'qmdl_ledger_sse_streams_stalled')) < CLIENTS) {
      if (Date.now() > until) throw new Error(`only ${stalled} of ${CLIENTS} SSE streams stalled`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Stay stalled a while: a server that kept reading the log for them would keep growing.
    const samples: number[] = [];
    for (let i = 0; i < 25; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      samples.push(memoryOf(server.pid)?.rssMb ?? NaN);
    }
    const buffered = await metric(server.baseUrl, 'qmdl_ledger_sse_buffered_bytes');
    const peak = memoryOf(server.pid)?.hwmMb ?? NaN;
    ctx.log(
      `SSE: ${CLIENTS} stalled clients, peak ${peak.toFixed(0)} MB (VmHWM), RSS ${before.toFixed(0)} → ${Math.max(...samples).toFixed(0)} MB, ${(buffered / 1024).toFixed(0)} KiB buffered for them`,
    );
    return [
      {
        name: `server peak RSS, ${CLIENTS} stalled SSE clients from seq 0 (log of ${store.events})`,
        measured: { unit: 'MB', value: peak },
        baseline: { name: `a ${BUDGET_MB} MB memory budget`, unit: 'MB', value: BUDGET_MB },
        ratio: lowerIsBetter(peak, BUDGET_MB),
        target: { min: 1, note: `peak RSS under ${BUDGET_MB} MB` },
        notes: `VmHWM of the server${reset ? ' since the clients connected (reset through /proc/<pid>/clear_refs)' : ' over its whole life'}; RSS ${before.toFixed(0)} MB before; every stream waiting for its socket to drain, ${(buffered / 1024).toFixed(0)} KiB written and not yet read in all`,
      },
    ];
  } finally {
    for (const req of clients) req.destroy();
    await server.stop();
  }
}

const bench: BenchModule = { title: 'SSE: stalled event-stream clients', run };
export default bench;
