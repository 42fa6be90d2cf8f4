/**
 * The event stream under slow clients: clients that open the SSE stream from
 * the start of a big log and never read must not make the server hold the log
 * for them, and a client that falls too far behind is ended with a message
 * saying where to resume — from which it resumes with no gap and no duplicate.
 * Against the built binary on a real LevelDB store of ~60,000 events.
 */
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildStore } from '../bench/support/store-fixture';
import {
  analysisQueue,
  eventually,
  parseSseBlock,
  request,
  spawnServer,
  tempDir,
  type SpawnedServer,
  type SseMessage,
} from './helpers/server';

const STALLED_CLIENTS = 10;
const MAX_BEHIND = 100;
/** What one stalled stream may hold: a socket buffer's worth (16 KiB high-water mark) plus the frame that crossed it, with room to spare. */
const BUFFERED_PER_STREAM = 64 * 1024;

/** An SSE client that reads nothing until told to: its socket fills and the server sees backpressure. */
interface StalledClient {
  /** Starts reading; resolves with every frame once the server ends the stream. */
  drain(): Promise<SseMessage[]>;
  close(): void;
}

function parseFrames(text: string): SseMessage[] {
  return text.split('\n\n').flatMap((block) => parseSseBlock(block) ?? []);
}

function openStalled(
  baseUrl: string,
  rawPath: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<StalledClient> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname,
        port: url.port,
        path: rawPath,
        headers: { accept: 'text/event-stream', ...headers },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode ?? 0}`));
        res.pause();
        resolve({
          drain: () =>
            new Promise<SseMessage[]>((done, fail) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => done(parseFrames(Buffer.concat(chunks).toString('utf8'))));
              res.on('error', fail);
              res.resume();
            }),
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
  });
}

/** Reads an SSE stream until `until` has been received, then closes it. */
function readUntil(
  baseUrl: string,
  rawPath: string,
  headers: Readonly<Record<string, string>>,
  until: number,
): Promise<SseMessage[]> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: url.hostname,
        port: url.port,
        path: rawPath,
        headers: { accept: 'text/event-stream', ...headers },
        agent: false,
      },
      (res) => {
        // Chunks kept apart (re-scanning one growing string would cost the square of its size).
        const chunks: Buffer[] = [];
        const last = `id: ${until}\n`;
        let tail = '';
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          tail = (tail + chunk.toString('latin1')).slice(-(last.length + 4096));
          const at = tail.indexOf(last);
          if (at >= 0 && tail.indexOf('\n\n', at) >= 0) {
            req.destroy();
            const text = Buffer.concat(chunks).toString('utf8');
            resolve(parseFrames(text.slice(0, text.indexOf('\n\n', text.lastIndexOf(last)) + 2)));
          }
        });
        res.on('end', () => reject(new Error('the resumed stream ended early')));
      },
    );
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
  });
}

async function metric(baseUrl: string, name: string): Promise<number> {
  const body = (await request(baseUrl, '/metrics')).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  if (m?.[1] === undefined) throw new Error(`/metrics has no ${name}`);
  return Number(m[1]);
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) / 1024;
}

describe('SSE backpressure against a spawned server on a 60,000-event log', () => {
  jest.setTimeout(300_000);
  let dataDir: string;
  let server: SpawnedServer;
  let head: number;

  beforeAll(async () => {
    dataDir = path.join(tempDir('qmdl-ledger-sse-'), 'data');
    head = (await buildStore({ dataDir, recordings: 600, dataEventsPerRecording: 98 })).events;
    server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'none',
      '--no-auto-start',
      '--sse-max-behind',
      String(MAX_BEHIND),
    ]);
  });

  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited;
    rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('holds no more than a socket buffer per client that never reads, and ends them past --sse-max-behind with where to resume', async () => {
    expect(head).toBeGreaterThanOrEqual(60_000);
    const pid = server.proc.pid as number;
    // The service's own analysis reactor records two events per fixture recording at start-up;
    // they would count against --sse-max-behind like any commit. The test commits only after they are done.
    await eventually(
      async () => {
        const status = await analysisQueue(server.baseUrl);
        return status.queued.length === 0 && status.running === null ? true : undefined;
      },
      240_000,
      200,
    );
    const rssBefore = rssMb(pid);
    // The server's start-up recorded a few events of its own on top of the fixture.
    const connectedAt = await metric(server.baseUrl, 'qmdl_ledger_head_seq');
    const clients = await Promise.all(
      Array.from({ length: STALLED_CLIENTS }, () => openStalled(server.baseUrl, '/api/events/stream?after=0')),
    );

    // Every stream is waiting for its client: the server stopped reading the log for it.
    await eventually(
      async () =>
        (await metric(server.baseUrl, 'qmdl_ledger_sse_streams_stalled')) === STALLED_CLIENTS ? true : undefined,
      120_000,
      200,
    );
    expect(await metric(server.baseUrl, 'qmdl_ledger_sse_streams')).toBe(STALLED_CLIENTS);
    expect(await metric(server.baseUrl, 'qmdl_ledger_sse_buffered_bytes')).toBeLessThanOrEqual(
      STALLED_CLIENTS * BUFFERED_PER_STREAM,
    );
    // Pushing the catch-up regardless (as before) grew the server by hundreds of MB for ten such clients.
    expect(rssMb(pid) - rssBefore).toBeLessThan(100);

    // Commits past the bound end every stalled stream (and free what it held).
    let newHead = connectedAt;
    while (newHead - connectedAt <= MAX_BEHIND) {
      // Eight at a time: they share group commits.
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(server.baseUrl, '/api/time-offset', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ offset_seconds: i }),
          }),
        ),
      );
      expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200));
      newHead = Math.max(...answers.map((res) => Number(res.headers['x-ledger-seq'])));
    }
    await eventually(
      async () =>
        (await metric(server.baseUrl, 'qmdl_ledger_sse_streams_ended_behind_total')) === STALLED_CLIENTS
          ? true
          : undefined,
      60_000,
      200,
    );
    await eventually(
      async () => ((await metric(server.baseUrl, 'qmdl_ledger_sse_streams')) === 0 ? true : undefined),
      60_000,
      200,
    );

    // A client that reads again gets a gapless prefix, then the end message naming its last event…
    for (const client of clients.slice(2)) client.close();
    const drained = await Promise.all(clients.slice(0, 2).map((client) => client.drain()));
    for (const frames of drained) {
      const end = frames[frames.length - 1];
      expect(end?.event).toBe('end');
      const message = JSON.parse(end?.data ?? '{}') as { code?: string; lastEventId?: number };
      expect(message.code).toBe('STREAM_BEHIND');
      const received = frames.slice(0, -1).map((f) => Number(f.id));
      expect(received.length).toBeGreaterThan(0);
      expect(received).toEqual(Array.from({ length: received.length }, (_, i) => i + 1));
      expect(message.lastEventId).toBe(received[received.length - 1]);
      expect(end?.id).toBe(String(message.lastEventId));

      // …and resuming from it continues with the next event: nothing missed, nothing twice.
      const resumed = await readUntil(
        server.baseUrl,
        '/api/events/stream',
        { 'Last-Event-ID': String(message.lastEventId) },
        newHead,
      );
      const rest = resumed.map((f) => Number(f.id));
      expect([...received, ...rest]).toEqual(Array.from({ length: newHead }, (_, i) => i + 1));
    }
  });
});
