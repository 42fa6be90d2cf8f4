/**
 * A `serve` recording from a TCP diag source the test writes into: the test
 * listens, serve (`--source tcp:…`, not auto-started) connects, and the bytes
 * written to `connection()` are what the recorder records (valid frames only).
 */
import net from 'node:net';
import path from 'node:path';
import { eventually, spawnServer, stopServer, type SpawnedServer } from './server';

export interface TcpFedServer {
  readonly server: SpawnedServer;
  /** The socket serve connected on (waits for it). */
  connection(): Promise<net.Socket>;
  close(): Promise<void>;
}

export async function tcpFedServer(workDir: string): Promise<TcpFedServer> {
  const sockets: net.Socket[] = [];
  const producer = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => producer.listen(0, '127.0.0.1', resolve));
  const port = (producer.address() as net.AddressInfo).port;
  const server = await spawnServer([
    '--data-dir',
    path.join(workDir, 'data'),
    '--source',
    `tcp:127.0.0.1:${port}`,
    '--flush-interval-ms',
    '100',
    '--no-auto-start',
  ]);
  return {
    server,
    connection: () => eventually(async () => sockets[0], 30_000, 50),
    close: async () => {
      await stopServer(server);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => producer.close(() => resolve()));
    },
  };
}
