/**
 * `serve`'s runtime tuning is visible: the buffer governor's
 * statistics are in `/metrics`, read from the governor `serve` runs with the
 * limit it was given; without a governor (`--buffer-limit-mb 0`) there are none.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { eventually, request, spawnServer, type SpawnedServer, tempDir } from './helpers/server';

jest.setTimeout(120_000);

const RECORDING = '1700000000';
const MB = 1024 * 1024;

/** A data directory holding one finished recording of 32 MiB (raw), adopted at start-up. */
function storeWithRecording(): string {
  const dataDir = tempDir('qmdl-ledger-runtime-');
  mkdirSync(path.join(dataDir, 'qmdl'), { recursive: true });
  writeFileSync(
    path.join(dataDir, 'qmdl', `${RECORDING}.qmdl.gz`),
    zlib.gzipSync(Buffer.alloc(32 * MB, 0x7e), { level: 1 }),
  );
  return dataDir;
}

/** The value of one sample line of the Prometheus text (`name` with its labels), or undefined. */
function sample(metrics: string, name: string): number | undefined {
  const escaped = name.replace(/[{}"=]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(metrics);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

describe('serve runtime tuning', () => {
  const dirs: string[] = [];
  const servers: SpawnedServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the buffer governor's limit, last sample and collections in /metrics", async () => {
    const dataDir = storeWithRecording();
    dirs.push(dataDir);
    const server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'none',
      '--no-auto-start',
      '--buffer-limit-mb',
      '1',
    ]);
    servers.push(server);
    // A download streams its 32 MiB through zlib's output buffers: far above the 1 MiB limit.
    const download = await request(server.baseUrl, `/api/qmdl/${RECORDING}`, { timeoutMs: 60_000 });
    expect(download.status).toBe(200);
    expect(download.body.length).toBe(32 * MB);
    const metrics = await eventually(
      async () => {
        const text = (await request(server.baseUrl, '/metrics')).body.toString('utf8');
        return (sample(text, 'qmdl_ledger_buffer_governor_collections_total{kind="minor"}') ?? 0) > 0
          ? text
          : undefined;
      },
      60_000,
      200,
    );
    expect(sample(metrics, 'qmdl_ledger_buffer_governor_limit_bytes')).toBe(1 * MB);
    expect(sample(metrics, 'qmdl_ledger_buffer_governor_sampled_bytes')).toBeGreaterThan(0);
    expect(Number.isInteger(sample(metrics, 'qmdl_ledger_buffer_governor_collections_total{kind="major"}'))).toBe(true);
    expect(sample(metrics, 'qmdl_ledger_buffer_governor_failed_samples_total')).toBe(0);
  });

  it('has no buffer governor metrics with --buffer-limit-mb 0', async () => {
    const dataDir = tempDir('qmdl-ledger-runtime-');
    dirs.push(dataDir);
    const server = await spawnServer(['--data-dir', dataDir, '--source', 'none', '--buffer-limit-mb', '0']);
    servers.push(server);
    const metrics = (await request(server.baseUrl, '/metrics')).body.toString('utf8');
    expect(metrics).toContain('qmdl_ledger_head_seq');
    expect(metrics).not.toContain('qmdl_ledger_buffer_governor');
  });
});
