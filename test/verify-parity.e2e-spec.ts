/**
 * One verification: `GET /api/store/verify` and `qmdl-ledger verify` run the
 * same checks and report the same findings for the same store. A real LevelDB
 * store on disk, served by the real HTTP server, damaged under it: one stored
 * event edited beneath the chain (`rawEventAccess`), one recording's file
 * removed and another's cut short. The endpoint and the CLI (on a copy taken
 * while the server holds the store) must agree finding for finding.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { rawEventAccess, type LevelEventLog } from '@ledger/event-log';
import type { StoreVerifyReport } from '@ledger/store';
import { runCli } from './helpers/cli';
import { recordingEvents, request, startInProcess, type InProcessServer } from './helpers/server';

interface Manifest {
  readonly entries: ReadonlyArray<{ readonly name: string; readonly qmdl_size_bytes: number }>;
  readonly current_entry: { readonly name: string; readonly qmdl_size_bytes: number } | null;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  for (const until = Date.now() + timeoutMs; Date.now() < until;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('GET /api/store/verify and qmdl-ledger verify: one verification', () => {
  let server: InProcessServer;

  beforeAll(async () => {
    server = await startInProcess();
  });
  afterAll(async () => {
    await server.close();
  });

  /** A recording with at least three data commits, stopped. */
  async function record(): Promise<string> {
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const name = server.ledger.state().current?.name ?? '';
    await eventually('three data commits', async () => {
      const appended = (await recordingEvents(server.ledger, name)).filter((e) => e.type === 'RecordingDataAppended');
      return appended.length >= 3 ? true : undefined;
    });
    expect((await request(server.baseUrl, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    return name;
  }

  const verifyOverHttp = async (): Promise<StoreVerifyReport> => {
    const res = await request(server.baseUrl, '/api/store/verify?full=true', { timeoutMs: 60_000 });
    expect(res.status).toBe(200);
    return res.json<StoreVerifyReport>();
  };
  const verifyWithCli = async (): Promise<{ code: number | null; report: StoreVerifyReport }> => {
    // The server holds the LOCK: --snapshot verifies a copy taken now.
    const result = await runCli(['verify', server.dataDir, '--snapshot', '--json'], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    return { code: result.code, report: JSON.parse(result.stdout) as StoreVerifyReport };
  };

  it('a sound store: both report no finding', async () => {
    await record();
    const overHttp = await verifyOverHttp();
    const cli = await verifyWithCli();
    expect(overHttp).toMatchObject({ ok: true, findings: [] });
    expect(cli.code).toBe(0);
    expect(cli.report).toMatchObject({ ok: true, findings: [], head: overHttp.head, headHash: overHttp.headHash });
    expect(cli.report.notes).toEqual(overHttp.notes);
  });

  it('an edited event, a missing file and a cut file: the same findings, in the same order', async () => {
    const first = await record();
    const second = await record();

    // A data commit of the first recording between two others, its size set to 1 beneath the chain: the size decreases.
    const appended = (await recordingEvents(server.ledger, first)).filter((e) => e.type === 'RecordingDataAppended');
    const sizeOf = (event: (typeof appended)[number] | undefined): number =>
      Number((event?.data as { qmdlSizeBytes?: number } | undefined)?.qmdlSizeBytes ?? 0);
    const target = appended.find((e, i) => i > 0 && i < appended.length - 1 && sizeOf(appended[i - 1]) > 1);
    expect(target).toBeDefined();
    const raw = rawEventAccess(server.ledger.log as LevelEventLog);
    let text = '';
    for await (const entry of raw.entries()) if (entry.seq === target?.seq) text = entry.text;
    const stored = JSON.parse(text) as { data: Record<string, unknown> };
    expect(stored.data['qmdlSizeBytes']).toBeGreaterThan(1);
    await raw.overwrite(target?.seq ?? 0, JSON.stringify({ ...stored, data: { ...stored.data, qmdlSizeBytes: 1 } }));

    // The first recording's file removed, the second's cut to half its size.
    const manifest = (await request(server.baseUrl, '/api/qmdl-manifest')).json<Manifest>();
    expect(manifest.current_entry).toBeNull();
    await fs.rm(server.ledger.paths(first).qmdl);
    const cut = server.ledger.paths(second).qmdl;
    const size = manifest.entries.find((e) => e.name === second)?.qmdl_size_bytes ?? 0;
    expect(size).toBeGreaterThan(1);
    await fs.truncate(cut, Math.floor(size / 2));

    const overHttp = await verifyOverHttp();
    const cli = await verifyWithCli();
    expect(cli.code).toBe(1);
    expect(overHttp.ok).toBe(false);
    expect(cli.report.head).toBe(overHttp.head);
    expect(cli.report.findings).toEqual(overHttp.findings);
    expect(cli.report.firstBad).toEqual(overHttp.firstBad);
    expect(cli.report.notes).toEqual(overHttp.notes);
    expect(cli.report.invariants).toEqual(overHttp.invariants);

    // …and the findings are the damage done, each where it was done.
    const fileOf = (name: string): string => path.basename(server.ledger.paths(name).qmdl);
    expect(overHttp.firstBad).toMatchObject({ check: 'chain', code: 'BAD_HASH', seq: target?.seq });
    expect(overHttp.findings).toContainEqual(
      expect.objectContaining({ check: 'invariants', code: 'SIZE_NEVER_DECREASES', seq: target?.seq }),
    );
    const lastOf = async (name: string): Promise<number | undefined> =>
      (await recordingEvents(server.ledger, name)).at(-1)?.seq;
    expect(overHttp.findings.filter((f) => f.check === 'files')).toEqual([
      {
        check: 'files',
        code: 'FILE_MISSING',
        recording: first,
        seq: await lastOf(first),
        message: `${fileOf(first)} of recording ${first} is missing`,
      },
      {
        check: 'files',
        code: 'FILE_SIZE_MISMATCH',
        recording: second,
        seq: await lastOf(second),
        message: `${fileOf(second)} is ${Math.floor(size / 2)} bytes, the log says ${size}`,
      },
    ]);
  });
});
