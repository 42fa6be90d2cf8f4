/**
 * Crash test: the real service (built binary) ingesting as fast as it can is
 * SIGKILLed at random moments, at least 20 times, and restarted each time.
 * After every restart: every acknowledged write is still there (same seq and
 * hash), every recording's file is a valid gzip prefix of exactly its committed
 * size, the interrupted recording was stopped with reason `interrupted`, and the
 * projection equals a rebuild from the log (GET /api/store/verify).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32, type StoredEvent } from '@ledger/domain';
import { gunzipPrefix } from './helpers/qmdl-files';
import { spawnServer, type SpawnedServer } from './helpers/server';

const KILLS = 22;

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Page {
  events: StoredEvent[];
  next?: number;
  head: number;
}
interface ManifestEntry {
  name: string;
  qmdl_size_bytes: number;
  stop_reason: string | null;
  compressed: boolean;
}
interface Manifest {
  entries: ManifestEntry[];
  current_entry: ManifestEntry | null;
}

async function allEvents(baseUrl: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await getJson<Page>(`${baseUrl}/api/events?order=asc&limit=1000&after=${after}`);
    out.push(...page.events);
    if (page.next === undefined || page.events.length === 0) return out;
    after = page.next;
  }
}

describe('crash safety under SIGKILL during ingest (real service)', () => {
  let dataDir: string;
  let server: SpawnedServer | undefined;
  const args = (): string[] => [
    '--data-dir',
    dataDir,
    '--source',
    'synthetic:rate=0,seed=21',
    '--flush-interval-ms',
    '20',
    '--flush-kib',
    '16',
    '--min-space-start-mb',
    '0',
    '--min-space-continue-mb',
    '0',
  ];

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ledger-crash-'));
  });
  afterAll(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged write and a consistent store across ${KILLS} kills`, async () => {
    const random = mulberry32(7);
    let acknowledged: StoredEvent[] = [];
    let activeAtKill: string | undefined;
    for (let round = 0; round <= KILLS; round++) {
      server = await spawnServer(args());
      const base = server.baseUrl;
      if (round > 0) {
        const events = await allEvents(base);
        const bySeq = new Map(events.map((e) => [e.seq, e]));
        // Every write acknowledged before the kill is still there, unchanged.
        for (const acked of acknowledged) expect(bySeq.get(acked.seq)?.hash).toBe(acked.hash);
        // The recording that was active when the process died was stopped as interrupted.
        if (activeAtKill !== undefined) {
          const stop = events.find((e) => e.type === 'RecordingStopped' && e.recording === activeAtKill);
          expect(stop?.data).toMatchObject({ reason: 'interrupted' });
        }
        const boots = events.filter((e) => e.type === 'ServiceStarted');
        expect(boots[boots.length - 1]?.data).toMatchObject({ previousShutdownClean: false });
        const verify = await getJson<{ ok: boolean; projection: { ok: boolean } }>(`${base}/api/store/verify`);
        expect(verify).toMatchObject({ ok: true, projection: { ok: true } });
        // Every finished recording's file is a valid prefix of exactly its committed size.
        const manifest = await getJson<Manifest>(`${base}/api/qmdl-manifest`);
        for (const entry of manifest.entries) {
          const file = path.join(dataDir, 'qmdl', `${entry.name}.qmdl.gz`);
          expect(statSync(file).size).toBe(entry.qmdl_size_bytes);
          gunzipPrefix(file); // throws on a corrupt stream
        }
      }
      if (round === KILLS) break;
      // Let ingest run for a random moment, note what has been acknowledged, then kill without warning.
      if (random() < 0.2) await fetch(`${base}/api/start-recording`, { method: 'POST' }); // a restart mid-flight
      await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 500)));
      acknowledged = await allEvents(base);
      const manifest = await getJson<Manifest>(`${base}/api/qmdl-manifest`);
      activeAtKill = manifest.current_entry?.name;
      server.proc.kill('SIGKILL');
      await server.exited;
    }
    // A clean shutdown at the end is recorded as such.
    const last = server;
    if (!last) throw new Error('no server');
    last.proc.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    server = await spawnServer([...args(), '--no-auto-start']);
    const events = await allEvents(server.baseUrl);
    const boots = events.filter((e) => e.type === 'ServiceStarted');
    expect(boots).toHaveLength(KILLS + 2);
    expect(boots[boots.length - 1]?.data).toMatchObject({ previousShutdownClean: true });
    expect(
      events.filter((e) => e.type === 'RecordingStopped' && (e.data as { reason: string }).reason === 'interrupted')
        .length,
    ).toBeGreaterThanOrEqual(KILLS / 2);
    server.proc.kill('SIGTERM');
    await server.exited;
  }, 240_000);
});
