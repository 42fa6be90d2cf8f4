/**
 * The baseline of the manifest benchmark: a bare express app (the same express
 * that Nest runs on) answering GET /api/qmdl-manifest with a pre-serialised
 * JSON body. `node bare-express-server.js <body.json>`; prints its URL.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

interface Res {
  type(t: string): Res;
  send(body: string): void;
}
interface ExpressApp {
  disable(setting: string): void;
  set(setting: string, value: unknown): void;
  get(path: string, handler: (req: unknown, res: Res) => void): void;
  listen(port: number, host: string, callback: () => void): Server;
}

const express = require('express') as () => ExpressApp;
const body = readFileSync(process.argv[2] ?? '', 'utf8');
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/api/qmdl-manifest', (_req, res) => {
  res.type('application/json').send(body);
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`bare express listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
