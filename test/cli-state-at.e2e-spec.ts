/**
 * `qmdl-ledger state --at <seq>` for every sequence of a test log equals the
 * manifest the API served at that sequence: a real `serve` (synthetic source)
 * is driven through the Rayhunter API, every `/api/qmdl-manifest` body is kept
 * with its `X-Ledger-Seq`, the server is stopped, and the CLI replays the same
 * data directory. Sequences the polling did not catch live are compared with
 * the API's own time travel (`/api/qmdl-manifest?at=<seq>`), read while the
 * server still ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuilt, CLI, ROOT, runCli } from './helpers/cli';

jest.setTimeout(90_000);

let dataDir: string;
let server: ChildProcess | undefined;
let base = '';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer(): Promise<void> {
  server = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--source',
      'synthetic:rate=40,seed=3',
      '--no-auto-start',
      '--flush-interval-ms',
      '100',
      '--min-space-start-mb',
      '0',
      '--min-space-continue-mb',
      '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  server.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}${err}`)), 20_000);
    server!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+?:\d+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server!.on('exit', (code) => reject(new Error(`serve exited ${String(code)}: ${out}${err}`)));
  });
}

async function stopServer(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server!.on('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server!.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  assertBuilt();
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'qmdl-ledger-state-at-'));
});

afterAll(async () => {
  await stopServer();
  await fs.rm(dataDir, { recursive: true, force: true });
});

it('state --at <seq> equals the /api/qmdl-manifest body served at that X-Ledger-Seq, for every seq', async () => {
  await startServer();
  const served = new Map<number, string>();
  const manifest = async (): Promise<{ seq: number; body: string }> => {
    const res = await fetch(`${base}/api/qmdl-manifest`);
    expect(res.status).toBe(200);
    const seq = Number(res.headers.get('x-ledger-seq'));
    const body = await res.text();
    served.set(seq, body);
    return { seq, body };
  };
  const post = async (what: string): Promise<void> => {
    const res = await fetch(`${base}/api/${what}`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(Number(res.headers.get('x-ledger-seq'))).toBeGreaterThan(0);
    await manifest();
  };
  const poll = async (ms: number): Promise<void> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(60)) await manifest();
  };

  await manifest();
  await post('start-recording');
  await poll(400);
  await post('stop-recording');
  await post('start-recording');
  await poll(300);
  const current = JSON.parse((await manifest()).body) as { current_entry: { name: string } };
  await post(`delete-recording/${current.current_entry.name}`);
  await post('start-recording');
  await poll(250);
  await post('start-recording'); // restarts: stop the old one, start a new one
  await poll(250);
  await post('stop-recording');
  const first = (JSON.parse((await manifest()).body) as { entries: Array<{ name: string }> }).entries[0]!.name;
  await post(`delete-recording/${first}`);
  const { seq: head } = await manifest();

  // The API's time travel for the sequences the polling did not catch live.
  const timeTravel = new Map<number, string>();
  for (let seq = 0; seq <= head; seq++) {
    if (served.has(seq)) continue;
    const res = await fetch(`${base}/api/qmdl-manifest?at=${seq}`);
    expect(res.status).toBe(200);
    timeTravel.set(seq, await res.text());
  }
  await stopServer();

  expect(served.size).toBeGreaterThan(10);
  for (let seq = 0; seq <= head; seq++) {
    const result = await runCli(['state', dataDir, '--at', String(seq)]);
    expect(result.code).toBe(0);
    const expected = served.get(seq) ?? timeTravel.get(seq);
    expect({ seq, manifest: JSON.parse(result.stdout) as unknown }).toEqual({
      seq,
      manifest: JSON.parse(expected!) as unknown,
    });
    if (served.has(seq)) expect(result.stdout.trimEnd()).toBe(served.get(seq));
  }
});
