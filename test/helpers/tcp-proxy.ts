/**
 * A round-robin TCP load balancer for the fleet tests: each new connection goes
 * to the next upstream port (the list may change while it runs, e.g. a central
 * instance restarted on a new port). A connection to an upstream that is down
 * is dropped, as a real balancer without health checks would.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** Connections handed to each upstream port so far. */
  readonly handed: Map<number, number>;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(upstreams: () => readonly number[]): Promise<TcpProxy> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const handed = new Map<number, number>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const ports = upstreams();
    const port = ports[next++ % Math.max(1, ports.length)];
    if (port === undefined) {
      client.destroy();
      return;
    }
    handed.set(port, (handed.get(port) ?? 0) + 1);
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    handed,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
