/**
 * An HTTP proxy for the fleet tests that notes the request line of everything
 * a device asks the central service, in arrival order (how many requests of a
 * kind, from which offset an upload resumed).
 */
import http from 'node:http';
import type { Socket } from 'node:net';

export interface LoggingProxy {
  readonly url: string;
  /** `METHOD path?query` of every request, in arrival order. */
  readonly requests: string[];
  /** Requests not answered (or cut off) yet. */
  inFlight(): number;
  close(): Promise<void>;
}

/** An HTTP proxy to `target` that notes each request line (what the device asked, in order). */
export async function startLoggingProxy(target: string): Promise<LoggingProxy> {
  const upstream = new URL(target);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let open = 0;
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    open += 1;
    res.on('close', () => (open -= 1));
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    // A device killed mid-upload: the central side must see the request cut off, as it would without a proxy.
    req.on('close', () => {
      if (!req.complete) out.destroy();
    });
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inFlight: () => open,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
