/**
 * `serve` says what it does at start-up: `--read-only`
 * changes no file in the data directory, and a data directory that cannot be
 * used, a `qmdl:` source file that does not exist or a port in use exit 2 at
 * once with a clear message — before anything is written.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { eventually, MAIN_JS, request, runCli, spawnServer, tempDir } from './helpers/server';

jest.setTimeout(120_000);

/** Every file under `dir` (recursively) with the SHA-256 of its content. */
function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const rel = path.relative(dir, full);
      if (statSync(full).isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(full);
      } else {
        out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
      }
    }
  };
  walk(dir);
  return out;
}

describe('serve start-up and modes', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir('qmdl-ledger-startup-');
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('is built', () => {
    expect(existsSync(MAIN_JS)).toBe(true);
  });

  it('--read-only changes no file in the data directory while it serves requests', async () => {
    const dataDir = dir();
    // A store with history and a recording whose data was committed.
    const writer = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'synthetic:rate=500',
      '--flush-interval-ms',
      '50',
    ]);
    await eventually(async () => {
      const manifest = (await request(writer.baseUrl, '/api/qmdl-manifest')).json<{
        current_entry: { qmdl_size_bytes: number } | null;
      }>();
      return (manifest.current_entry?.qmdl_size_bytes ?? 0) > 0 ? true : undefined;
    }, 30_000);
    expect((await request(writer.baseUrl, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    writer.proc.kill('SIGTERM');
    expect(await writer.exited).toBe(0);

    const before = hashTree(dataDir);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['ledger/CURRENT', 'ledger/LOG']));
    const reader = await spawnServer(['--data-dir', dataDir, '--read-only']);
    try {
      const manifest = (await request(reader.baseUrl, '/api/qmdl-manifest')).json<{
        entries: Array<{ name: string }>;
      }>();
      const name = manifest.entries[0]?.name;
      expect(name).toBeDefined();
      expect((await request(reader.baseUrl, `/api/qmdl/${name}`)).status).toBe(200);
      expect((await request(reader.baseUrl, `/api/zip/${name}`)).status).toBe(200);
      expect((await request(reader.baseUrl, '/api/events?limit=10')).status).toBe(200);
      expect((await request(reader.baseUrl, '/api/store/verify?full=true')).json<{ ok: boolean }>().ok).toBe(true);
      expect((await request(reader.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(403);
    } finally {
      reader.proc.kill('SIGTERM');
      expect(await reader.exited).toBe(0);
    }
    expect(hashTree(dataDir)).toEqual(before);
  });

  it('--read-only on a directory without a store exits 2 and creates nothing', async () => {
    const dataDir = path.join(dir(), 'absent');
    const { code, stderr } = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--read-only']);
    expect(code).toBe(2);
    expect(stderr).toContain('STORE_NOT_FOUND');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('exits 2 at once with a clear message when the data directory cannot be used', async () => {
    const base = dir();
    const file = path.join(base, 'a-file');
    writeFileSync(file, 'not a directory');
    const notAStore = path.join(base, 'not-a-store');
    mkdirSync(path.join(notAStore, 'ledger'), { recursive: true });
    writeFileSync(path.join(notAStore, 'ledger', 'something'), 'junk');
    for (const [dataDir, code] of [
      // procfs answers ENOENT for any new directory: Node's recursive mkdir spun on it forever.
      ['/proc/nope', 'DATA_DIR_UNUSABLE'],
      ['/proc/nope/deeper', 'DATA_DIR_UNUSABLE'],
      [file, 'DATA_DIR_UNUSABLE'],
      [path.join(file, 'below-a-file'), 'DATA_DIR_UNUSABLE'],
      [notAStore, 'NOT_A_STORE'],
    ] as const) {
      const result = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--source', 'none'], {}, 30_000);
      expect([dataDir, result.code]).toEqual([dataDir, 2]);
      expect(result.stderr).toContain(dataDir);
      expect(result.stderr).toContain(code);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 2 when the qmdl: source file does not exist, before creating the store', async () => {
    const dataDir = path.join(dir(), 'store');
    const missing = path.join(dir(), 'missing.qmdl.gz');
    const { code, stderr } = await runCli([
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--source',
      `qmdl:${missing}`,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(missing);
    expect(stderr).toContain('--source');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('exits 2 when the port is in use, before creating the store', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    const dataDir = path.join(dir(), 'store');
    try {
      const { code, stderr } = await runCli([
        'serve',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--data-dir',
        dataDir,
        '--source',
        'none',
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain(`127.0.0.1:${port}`);
      expect(stderr).toContain('address in use');
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
