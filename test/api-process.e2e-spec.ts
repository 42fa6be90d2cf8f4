/**
 * `qmdl-ledger serve` as a process (the built binary; `npm test` builds it
 * first, QMDL_LEDGER_MAIN may point at another build): --help, bad flags (exit
 * 2), a store already in use (exit 3, no stack trace), and SIGTERM/SIGINT with
 * an SSE client connected (exit 0 within 5 s).
 */
import { existsSync, rmSync } from 'node:fs';
import { eventually, MAIN_JS, openSse, request, runCli, spawnServer, tempDir } from './helpers/server';

jest.setTimeout(60_000);

const built = existsSync(MAIN_JS);
if (!built) process.stderr.write(`api-process: ${MAIN_JS} is missing; run npm run build first\n`);

describe('qmdl-ledger serve (spawned)', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir('qmdl-ledger-proc-');
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is built', () => {
    expect(built).toBe(true);
  });

  it('lists its flags in --help', async () => {
    const { code, stdout } = await runCli(['serve', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--data-dir',
      '--port',
      '--host',
      '--source',
      '--no-auto-start',
      '--read-only',
      '--admin-token',
      '--min-space-start-mb',
      '--min-space-continue-mb',
      '--flush-interval-ms',
      '--flush-kib',
      '--rayhunter-ui',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it('exits 2 with a clear message on a bad flag or environment value', async () => {
    for (const [args, env, needle] of [
      [['serve', '--port', 'eighty'], {}, '--port'],
      [['serve', '--flush-kib', '0'], {}, '--flush-kib'],
      [['serve', '--source', 'carrier-pigeon'], {}, '--source'],
      [['serve'], { LEDGER_READ_ONLY: 'maybe' }, 'LEDGER_READ_ONLY'],
      [['serve'], { PORT: '70000' }, '--port'],
    ] as Array<[string[], Record<string, string>, string]>) {
      const { code, stderr } = await runCli([...args, '--data-dir', dir()], env);
      expect([args.join(' '), code]).toEqual([args.join(' '), 2]);
      expect(stderr).toContain(needle);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 3 with "store is in use by another process" when the store is locked, no stack trace', async () => {
    const dataDir = dir();
    const first = await spawnServer(['--data-dir', dataDir, '--source', 'none']);
    try {
      const second = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--source', 'none']);
      expect(second.code).toBe(3);
      expect(second.stderr).toContain('store is in use by another process');
      expect(second.stderr).not.toMatch(/\n\s+at /);
    } finally {
      first.proc.kill('SIGTERM');
      await first.exited;
    }
  });

  it('prints its listening line, warns when bound off loopback without a token', async () => {
    const server = await spawnServer(['--data-dir', dir(), '--source', 'none', '--host', '0.0.0.0']);
    try {
      expect(server.stdout()).toMatch(/^qmdl-ledger listening on http:\/\/0\.0\.0\.0:\d+ \(data: .+, source: none\)$/m);
      // stderr is another pipe: the warning, written before the listening line, may arrive after it.
      await eventually(
        () => (/without --admin-token/.test(server.stdout() + server.stderr()) ? true : undefined),
        5_000,
      );
    } finally {
      server.proc.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    }
  });

  it('applies pending migrations at start-up, once, each recorded as MigrationApplied', async () => {
    const dataDir = dir();
    for (let boot = 0; boot < 2; boot++) {
      const server = await spawnServer(['--data-dir', dataDir, '--source', 'none']);
      try {
        const res = await fetch(`${server.baseUrl}/api/events?type=MigrationApplied&order=asc`);
        const body = (await res.json()) as { events: Array<{ data: { id: string } }> };
        expect(body.events.map((e) => e.data.id)).toEqual(['0001']);
      } finally {
        server.proc.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      }
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`shuts down on ${signal} within 5 s with an SSE client connected, exit 0, and records ServiceStopped`, async () => {
      const dataDir = dir();
      const server = await spawnServer(['--data-dir', dataDir, '--source', 'synthetic:rate=500']);
      const base = server.baseUrl.replace('0.0.0.0', '127.0.0.1');
      const sse = openSse(base, '/api/events/stream?after=0');
      expect(await sse.status).toBe(200);
      await sse.waitFor(3);
      expect((await request(base, '/healthz')).status).toBe(200);
      const t0 = Date.now();
      server.proc.kill(signal);
      const code = await server.exited;
      const took = Date.now() - t0;
      sse.close();
      expect(code).toBe(0);
      expect(took).toBeLessThan(5000);
      // The LOCK is released and the shutdown was recorded: a new process opens the store.
      const again = await spawnServer(['--data-dir', dataDir, '--source', 'none', '--no-auto-start']);
      try {
        const stopped = (await request(again.baseUrl, '/api/events?type=ServiceStopped&limit=1')).json<{
          events: Array<{ data: { signal?: string } }>;
        }>();
        expect(stopped.events[0]?.data.signal).toBe(signal);
      } finally {
        again.proc.kill('SIGTERM');
        await again.exited;
      }
    });
  }
});
