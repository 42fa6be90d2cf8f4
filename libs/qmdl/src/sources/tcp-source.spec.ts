import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameSplitter } from '../frame-splitter';
import { generateCapture } from '../synthetic';
import { bytesOf } from '../test-util';
import { createDiagSource } from './create-diag-source';
import type { DiagChunk } from './diag-source';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(
  handler: (socket: Socket, index: number) => void,
  port = 0,
): Promise<{ server: Server; port: number }> {
  let index = 0;
  const server = createServer((socket) => handler(socket, index++));
  servers.push(server);
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('tcp source', () => {
  it('reconnects after the producer drops, skipping garbage and the frame cut by the drop', async () => {
    const first = generateCapture({ seed: 1, messages: 30 });
    const second = generateCapture({ seed: 2, messages: 40 });
    const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x7e]);
    const cut = generateCapture({ seed: 3, messages: 1 }).subarray(0, 15);
    const { port } = await listen((socket, index) => {
      if (index === 0) socket.end(Buffer.concat([garbage, first, cut]));
      else socket.write(second);
    });
    const source = createDiagSource(`tcp:127.0.0.1:${port}`, { reconnectInitialMs: 20 });
    const controller = new AbortController();
    const received: DiagChunk[] = [];
    let frames = 0;
    for await (const chunk of source?.chunks(controller.signal) ?? []) {
      received.push(chunk);
      frames += chunk.frameCount;
      if (frames >= 70) controller.abort();
    }
    expect(bytesOf(Buffer.concat(received.map((c) => c.frames)))).toEqual(bytesOf(Buffer.concat([first, second])));
    expect(source?.stats()).toEqual({
      framesOk: 70,
      framesBad: 2,
      bytesSkipped: garbage.length + cut.length,
      reconnects: 1,
    });
  });

  it('keeps retrying with backoff while nobody listens, then connects', async () => {
    const probe = await listen(() => undefined);
    const port = probe.port;
    await new Promise((resolve) => probe.server.close(resolve));
    servers.splice(servers.indexOf(probe.server), 1);
    const source = createDiagSource(`tcp:127.0.0.1:${port}`, { reconnectInitialMs: 10, reconnectMaxMs: 40 });
    const controller = new AbortController();
    const capture = generateCapture({ seed: 4, messages: 5 });
    // Listen only once the source has retried three times, however long that takes on this machine.
    const listening = (async () => {
      while ((source?.stats().reconnects ?? 0) < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      await listen((socket) => socket.write(capture), port);
    })();
    const chunks: DiagChunk[] = [];
    for await (const chunk of source?.chunks(controller.signal) ?? []) {
      chunks.push(chunk);
      if (chunks.reduce((n, c) => n + c.frameCount, 0) >= 5) controller.abort();
    }
    await listening;
    expect(new FrameSplitter().push(Buffer.concat(chunks.map((c) => c.frames)))).toHaveLength(5);
    expect(source?.stats().reconnects).toBeGreaterThanOrEqual(3);
  });

  it('ends on abort while the peer sends nothing more, and closes its socket', async () => {
    let serverSide: Socket | undefined;
    const { port } = await listen((socket) => {
      serverSide = socket;
      socket.write(generateCapture({ seed: 5, messages: 1 }));
    });
    const source = createDiagSource(`tcp:127.0.0.1:${port}`);
    const controller = new AbortController();
    // The peer keeps the connection open and silent: a source that ignored the abort would never end.
    for await (const _chunk of source?.chunks(controller.signal) ?? []) setTimeout(() => controller.abort(), 30);
    if (!serverSide) throw new Error('no connection');
    if (!serverSide.closed) await once(serverSide, 'close');
    expect(serverSide.closed).toBe(true);
  });
});
