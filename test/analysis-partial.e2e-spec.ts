/**
 * The report an analysis was writing, `<name>.ndjson.partial`, left on disk
 * where a SIGKILL in the middle of an analysis leaves it (the run writes the
 * partial and renames it over `<name>.ndjson` only once whole; a kill skips
 * both the rename and the clean-up). Real LevelDB stores and real files: the
 * recording's deletion removes the partial with its other files, the
 * verification counts a deleted recording's partial as a file that should be
 * gone, and start-up removes one a kill left.
 */
import { promises as fs } from 'node:fs';
import type { StoreVerifyReport } from '@ledger/store';
import { eventually, recordingEvents, request, startInProcess, tempDir, type InProcessServer } from './helpers/server';

jest.setTimeout(60_000);

describe('a half-written analysis report', () => {
  let dataDir: string;
  let server: InProcessServer | undefined;

  beforeEach(async () => {
    dataDir = tempDir();
    server = await startInProcess({ dataDir });
  });
  afterEach(async () => {
    await server?.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const post = async (p: string): Promise<void> => {
    expect((await request(server!.baseUrl, p, { method: 'POST' })).status).toBe(202);
  };
  const verify = async (): Promise<StoreVerifyReport> => {
    const res = await request(server!.baseUrl, '/api/store/verify?full=true', { timeoutMs: 60_000 });
    expect(res.status).toBe(200);
    return res.json<StoreVerifyReport>();
  };
  const exists = (file: string): Promise<boolean> =>
    fs.stat(file).then(
      () => true,
      () => false,
    );

  /** A finished recording with data, and where its analysis would write its report. */
  async function finished(): Promise<{ name: string; partial: string; report: string }> {
    await post('/api/start-recording');
    const name = server!.ledger.state().current?.name ?? '';
    await eventually(async () =>
      (await recordingEvents(server!.ledger, name)).some((e) => e.type === 'RecordingDataAppended') ? true : undefined,
    );
    await post('/api/stop-recording');
    const paths = server!.ledger.paths(name);
    return { name, partial: paths.analysisPartial, report: paths.analysis };
  }

  it('a deleted recording takes its partial report with it, and the store verifies clean', async () => {
    const { name, partial } = await finished();
    await fs.writeFile(partial, '{"analyzers":[]}\n{"packet_timestamp":');
    // A live recording's partial is no finding: an analysis may be writing it now.
    expect(await verify()).toMatchObject({ ok: true, findings: [] });

    await post(`/api/delete-recording/${name}`);
    expect(await exists(partial)).toBe(false);
    expect(await verify()).toMatchObject({ ok: true, findings: [] });
  });

  it('the verification finds a deleted recording’s partial report as a file that should be gone', async () => {
    const { name, partial } = await finished();
    await post(`/api/delete-recording/${name}`);
    // Where a kill leaves it when the deletion's effect ran before the analysis opened its partial.
    await fs.writeFile(partial, '{"analyzers":[]}\n');
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ check: 'files', code: 'DELETED_FILES_PRESENT', recording: name }),
    ]);
    expect(report.findings[0]?.message).toContain(`${name}.ndjson.partial`);
  });

  it('start-up removes the partial reports a kill left, a live or a deleted recording’s, and keeps the reports', async () => {
    const kept = await finished();
    const gone = await finished();
    await post(`/api/delete-recording/${gone.name}`);
    await fs.writeFile(kept.report, '{"analyzers":[]}\n');
    await fs.writeFile(kept.partial, '{"analyzers":[]}\n{"packet_timestamp":');
    await fs.writeFile(gone.partial, '{"analyzers":[]}\n');
    await server?.close();
    server = undefined;

    server = await startInProcess({ dataDir });
    expect(server.ledger.recovery).toMatchObject({ removedPartials: [kept.name], removedDeleted: [gone.name] });
    expect(await exists(kept.partial)).toBe(false);
    expect(await exists(gone.partial)).toBe(false);
    expect(await fs.readFile(kept.report, 'utf8')).toBe('{"analyzers":[]}\n');
    expect(await verify()).toMatchObject({ ok: true, findings: [] });
  });
});
