/**
 * An active recording deleted while its live analysis session opens: the
 * deletion removes `<name>.ndjson`, and the session must not create it again
 * (a deleted recording never gets a report file back, so `GET /api/store/verify`
 * never reports DELETED_FILES_PRESENT for a healthy store). A real LevelDB store
 * and real files; the interleaving is forced by the reactor's
 * `beforeLiveReportOpen` hook (the deletion commits and runs its file effect
 * there), and the files are looked at once the reactor has stopped, i.e. after
 * the session's open has run to its end.
 */
import { promises as fs } from 'node:fs';
import type { StoreVerifyReport } from '@ledger/store';
import { AnalysisReactor } from '../apps/qmdl-ledger/src/analysis/analysis-reactor';
import { eventually, request, startInProcess, type InProcessServer } from './helpers/server';

describe('live analysis of an active recording deleted as its session opens', () => {
  let server: InProcessServer;
  let reactor: AnalysisReactor | undefined;

  beforeAll(async () => {
    server = await startInProcess();
  });
  afterAll(async () => {
    await reactor?.stop();
    await server.close();
  });

  it('the report file is not created again, and the store verifies clean', async () => {
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const name = server.ledger.state().current?.name ?? '';
    const report = server.ledger.paths(name).analysis;
    // The recording's (empty) report exists from its start, as the original daemon makes it.
    await fs.stat(report);

    const hooked: string[] = [];
    reactor = new AnalysisReactor({
      ledger: server.ledger,
      runtime: server.ledger.runtimeMetadata(),
      beforeLiveReportOpen: async (recording) => {
        hooked.push(recording);
        const res = await request(server.baseUrl, `/api/delete-recording/${encodeURIComponent(recording)}`, {
          method: 'POST',
        });
        expect(res.status).toBeLessThan(300);
        expect(server.ledger.state().names[recording]).toBe('deleted');
        await expect(fs.stat(report)).rejects.toMatchObject({ code: 'ENOENT' });
      },
    }).start();
    await eventually(() => (hooked.length > 0 ? true : undefined), 30_000);
    // Stopping waits for the live loop, so the session's open has run to its end (or been given up).
    await reactor.stop();
    reactor = undefined;

    expect(hooked).toEqual([name]);
    await expect(fs.stat(report)).rejects.toMatchObject({ code: 'ENOENT' });
    const res = await request(server.baseUrl, '/api/store/verify?full=true', { timeoutMs: 60_000 });
    expect(res.json<StoreVerifyReport>()).toMatchObject({ ok: true, findings: [] });
  });
});
