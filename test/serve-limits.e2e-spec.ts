/**
 * Nothing a client does ends `serve`: under a low
 * open-files limit, hundreds of idle connections and slow downloads leave the
 * service alive, recording and verifiable; downloads are capped (503
 * TOO_MANY_DOWNLOADS with Retry-After) and a download whose client stopped
 * reading is ended after the idle timeout, freeing its slot.
 */
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { eventually, request, runCli, spawnServer, type SpawnedServer, startInProcess } from './helpers/server';
import { RAW_BYTES, RECORDING, stalledDownload, storeWithLargeRecording, type HeldDownload } from './helpers/downloads';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(180_000);

/** A connection that sends nothing at all. */
function idleConnection(baseUrl: string): net.Socket {
  const url = new URL(baseUrl);
  const socket = net.connect({ host: url.hostname, port: Number(url.port) });
  socket.on('error', () => undefined);
  return socket;
}

async function activeBytes(baseUrl: string): Promise<number> {
  const manifest = (await request(baseUrl, '/api/qmdl-manifest')).json<{
    current_entry: { qmdl_size_bytes: number } | null;
  }>();
  return manifest.current_entry?.qmdl_size_bytes ?? 0;
}

async function stop(server: SpawnedServer): Promise<number | string> {
  server.proc.kill('SIGTERM');
  return server.exited;
}

describe('serve under hostile load', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const [name, caps, someStream] of [
    ['with its default caps (lowered to fit the limit)', [], true],
    // Caps far above what 256 descriptors allow: accepts and file opens really fail with EMFILE
    // (every download may then be refused: that is the degradation asked for).
    [
      'with caps above the limit, so descriptors really run out',
      ['--max-connections', '5000', '--max-downloads', '1000'],
      false,
    ],
  ] as const) {
    it(`stays alive under ulimit -n 256 with 600 idle connections and 100 slow downloads, ${name}; then serves, records and verifies`, async () => {
      const dataDir = storeWithLargeRecording();
      dirs.push(dataDir);
      const server = await spawnServer(
        ['--data-dir', dataDir, '--source', 'synthetic:rate=200', '--flush-interval-ms', '100', ...caps],
        {},
        30_000,
        { openFilesLimit: 256 },
      );
      const idle: net.Socket[] = [];
      const downloads: HeldDownload[] = [];
      try {
        const before = await eventually(
          async () => ((await activeBytes(server.baseUrl)) > 0 ? activeBytes(server.baseUrl) : undefined),
          30_000,
        );
        for (let i = 0; i < 100; i++) downloads.push(stalledDownload(server.baseUrl));
        for (let i = 0; i < 600; i++) idle.push(idleConnection(server.baseUrl));
        const statuses = await Promise.all(downloads.map((d) => d.status));
        // Downloads stream or are refused (503 or the connection closed): none is a 500.
        if (someStream) expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
        expect(statuses.filter((s) => s !== 200 && s !== 503 && s !== 0)).toEqual([]);
        // Held for a while: the recorder keeps committing meanwhile (commits every 100 ms).
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        for (const socket of idle) socket.destroy();
        for (const d of downloads) d.close();
        await Promise.all(downloads.map((d) => d.closed));

        const health = await eventually(
          async () => {
            const res = await request(server.baseUrl, '/healthz', { timeoutMs: 5_000 }).catch(() => undefined);
            return res?.status === 200 ? res : undefined;
          },
          60_000,
          250,
        );
        expect(health.status).toBe(200);
        // The same recording is still active and still growing.
        const grown = await eventually(
          async () => {
            const bytes = await activeBytes(server.baseUrl);
            return bytes > before ? bytes : undefined;
          },
          30_000,
          250,
        );
        expect(grown).toBeGreaterThan(before);
        const log = (await request(server.baseUrl, '/api/events?type=RecordingStopped')).json<{ events: unknown[] }>();
        expect(log.events).toEqual([]);
        // Descriptors are free again: a whole download works.
        const full = await request(server.baseUrl, `/api/qmdl/${RECORDING}`, { timeoutMs: 60_000 });
        expect([full.status, full.body.length]).toEqual([200, RAW_BYTES]);
        expect(server.proc.exitCode).toBeNull();
      } finally {
        for (const socket of idle) socket.destroy();
        for (const d of downloads) d.close();
        expect(await stop(server)).toBe(0);
      }
      const verify = await runCli(['verify', dataDir], {}, 60_000);
      expect([verify.code, verify.stderr]).toEqual([0, '']);
    });
  }

  it('refuses a download over --max-downloads with 503 TOO_MANY_DOWNLOADS and Retry-After, and takes one again when a slot frees', async () => {
    const dataDir = storeWithLargeRecording();
    dirs.push(dataDir);
    const server = await spawnServer(['--data-dir', dataDir, '--source', 'none', '--max-downloads', '2']);
    const held = [stalledDownload(server.baseUrl), stalledDownload(server.baseUrl, `/api/zip/${RECORDING}`)];
    try {
      expect(await Promise.all(held.map((d) => d.status))).toEqual([200, 200]);
      for (const urlPath of [`/api/qmdl/${RECORDING}`, `/api/zip/${RECORDING}`]) {
        const refused = await request(server.baseUrl, urlPath);
        expect(errorOf(refused)).toEqual({ status: 503, code: 'TOO_MANY_DOWNLOADS' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }
      // Other requests are not affected by the cap.
      expect((await request(server.baseUrl, '/api/qmdl-manifest')).status).toBe(200);
      held[0]?.close();
      await held[0]?.closed;
      const again = await eventually(
        async () => {
          const res = await request(server.baseUrl, `/api/qmdl/${RECORDING}`, { timeoutMs: 60_000 });
          return res.status === 200 ? res : undefined;
        },
        30_000,
        100,
      );
      expect(again.body.length).toBe(RAW_BYTES);
    } finally {
      for (const d of held) d.close();
      expect(await stop(server)).toBe(0);
    }
  });

  it('ends a download whose client stopped reading after --download-idle-timeout-s, and frees its slot', async () => {
    const dataDir = storeWithLargeRecording();
    dirs.push(dataDir);
    const server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'none',
      '--max-downloads',
      '1',
      '--download-idle-timeout-s',
      '1',
    ]);
    try {
      const stalled = stalledDownload(server.baseUrl);
      expect(await stalled.status).toBe(200);
      // The server gives up on it (its FIN waits behind the bytes the client never read):
      // with --max-downloads 1, the next download is taken only once that slot is free.
      await eventually(
        () => (/read nothing for 1 s; download ended/.test(server.stdout() + server.stderr()) ? true : undefined),
        30_000,
      );
      const next = await request(server.baseUrl, `/api/qmdl/${RECORDING}`, { timeoutMs: 60_000 });
      expect([next.status, next.body.length]).toEqual([200, RAW_BYTES]);
      // Reading again, the stalled client gets what was already in flight, then the cut: a truncated body.
      stalled.resume();
      expect(await stalled.closed).toBeLessThan(RAW_BYTES);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  });
});

describe('a download whose file disagrees with the recorded length', () => {
  it('is cut, never sent whole: a body shorter or longer than its Content-Length does not complete', async () => {
    const server = await startInProcess();
    try {
      expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
      await eventually(async () => ((await activeBytes(server.baseUrl)) > 0 ? true : undefined), 30_000);
      expect((await request(server.baseUrl, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
      const manifest = (await request(server.baseUrl, '/api/qmdl-manifest')).json<{
        entries: Array<{ name: string }>;
      }>();
      const name = manifest.entries[0]?.name ?? '';
      const good = await request(server.baseUrl, `/api/qmdl/${name}`);
      const length = Number(good.headers['content-length']);
      expect([good.status, good.body.length]).toEqual([200, length]);
      const file = path.join(server.dataDir, 'qmdl', `${name}.qmdl.gz`);
      // Replaced behind the store's back (a disk that returns other bytes): fewer, then more bytes than recorded.
      for (const raw of [Buffer.alloc(Math.max(1, Math.floor(length / 2)), 1), Buffer.alloc(length + 1024 * 1024, 1)]) {
        writeFileSync(file, zlib.gzipSync(raw));
        const outcome = await request(server.baseUrl, `/api/qmdl/${name}`).then(
          (res) => ({ complete: res.body.length === Number(res.headers['content-length']) }),
          () => ({ complete: false }),
        );
        expect(outcome).toEqual({ complete: false });
      }
    } finally {
      await server.close();
    }
  });
});
