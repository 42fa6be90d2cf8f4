/**
 * A re-analysis asked with `POST /api/analysis/{name}` is an event
 * (RecordingAnalysisRequested, with who asked) and the queue is a projection
 * of the log: a serve killed (SIGKILL) before the re-analysis starts runs it
 * after the restart. The request is made while no reactor can start it
 * (`serve --no-analysis`), so the kill is certainly before its start.
 * Against the built binary (`npm run build` first), real LevelDB, real files.
 */
import { replaySample } from './helpers/samples';
import {
  analysisQueue,
  eventually,
  request,
  spawnServer,
  stopServer,
  tempDirs,
  type AnalysisQueueStatus,
  type SpawnedServer,
  type EventJson,
} from './helpers/server';

jest.setTimeout(180_000);

const temp = tempDirs();
afterAll(() => temp.removeAll());

async function events(base: string, type: string, name: string): Promise<EventJson[]> {
  const res = await request(base, `/api/events?type=${type}&order=asc&limit=1000`);
  expect(res.status).toBe(200);
  return res.json<{ events: EventJson[] }>().events.filter((e) => e.recording === name);
}

async function completed(base: string, name: string, count: number): Promise<EventJson[]> {
  return eventually(
    async () => {
      const q = await analysisQueue(base);
      const done = await events(base, 'RecordingAnalysisCompleted', name);
      return q.running === null && q.queued.length === 0 && q.finished.includes(name) && done.length >= count
        ? done
        : undefined;
    },
    120_000,
    200,
  );
}

it('survives a kill -9 before it starts: recorded with its actor, queued from the log, run after the restart', async () => {
  const work = temp.make('qmdl-ledger-analysis-request-');
  let server: SpawnedServer | undefined;
  let dataDir = '';
  let name = '';
  try {
    ({ server, dataDir, recording: name } = await replaySample('cmcc-2015-lte-gsm', work));
    await completed(server.baseUrl, name, 1);
    await stopServer(server);

    // No reactor: the request can only be kept by the log.
    server = await spawnServer(['--data-dir', dataDir, '--no-auto-start', '--no-analysis']);
    let base = server.baseUrl;
    const asked = await request(base, `/api/analysis/${name}`, {
      method: 'POST',
      headers: { 'user-agent': 'analysis-request-e2e' },
    });
    expect(asked.status).toBe(202);
    expect(asked.json<AnalysisQueueStatus>()).toEqual({ queued: [name], running: null, finished: [] });
    // Asked again while it waits: the same queue, no second event.
    expect((await request(base, `/api/analysis/${name}`, { method: 'POST' })).status).toBe(202);
    expect(await analysisQueue(base)).toEqual({ queued: [name], running: null, finished: [] });
    const requested = await events(base, 'RecordingAnalysisRequested', name);
    expect(requested).toHaveLength(1);
    expect(requested[0]?.metadata.actor).toEqual({
      kind: 'http',
      remoteAddress: '127.0.0.1',
      userAgent: 'analysis-request-e2e',
    });
    // Not a finished recording: refused, nothing recorded.
    expect((await request(base, '/api/analysis/1', { method: 'POST' })).status).toBe(404);
    server.proc.kill('SIGKILL');
    await server.exited;

    server = await spawnServer(['--data-dir', dataDir, '--no-auto-start']);
    base = server.baseUrl;
    const done = await completed(base, name, 2);
    const starts = await events(base, 'RecordingAnalysisStarted', name);
    expect(starts.map((e) => e.data['reason'])).toEqual(['new', 'requested']);
    // The requested analysis started after the request, and completed under its id.
    expect(starts[1]!.seq).toBeGreaterThan(requested[0]!.seq);
    expect(done[1]?.data['analysisId']).toBe(starts[1]?.data['analysisId']);
    expect(starts[1]?.metadata.actor.kind).toBe('system');
    expect(await analysisQueue(base)).toEqual({ queued: [], running: null, finished: [name] });
    // Taken by that start: a restart runs nothing more.
    await stopServer(server);
    server = await spawnServer(['--data-dir', dataDir, '--no-auto-start']);
    base = server.baseUrl;
    expect(await analysisQueue(base)).toEqual({ queued: [], running: null, finished: [name] });
    expect(await events(base, 'RecordingAnalysisStarted', name)).toHaveLength(2);
  } finally {
    await stopServer(server);
  }
});
