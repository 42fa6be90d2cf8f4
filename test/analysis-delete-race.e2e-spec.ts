/**
 * A recording deleted while the analysis reactor writes its report: the
 * report must never be put in place or created again, so `GET /api/store/verify`
 * (the admin badge) never reports DELETED_FILES_PRESENT for a healthy store.
 * A real LevelDB store and real files; the interleavings are forced by the
 * reactor's hooks (the deletion commits and runs its file effect there):
 * `beforeReportInPlace` for the analysis after the fact (the store is verified
 * from inside the reactor's next command — after the point where the report
 * would have been renamed), `beforeLiveReportOpen` for the live session of the
 * active recording (the files are looked at once the reactor has stopped, i.e.
 * after the session's open has run to its end).
 */
import { promises as fs } from 'node:fs';
import type { Ledger, StoreVerifyReport } from '@ledger/store';
import { AnalysisReactor } from '../apps/qmdl-ledger/src/analysis/analysis-reactor';
import { eventually, recordingEvents, request, startInProcess, type InProcessServer } from './helpers/server';

describe('analysis of a recording deleted before its report is in place', () => {
  let server: InProcessServer;
  let reactor: AnalysisReactor | undefined;

  beforeAll(async () => {
    server = await startInProcess();
  });
  afterEach(async () => {
    await reactor?.stop();
    reactor = undefined;
  });
  afterAll(async () => {
    await server.close();
  });

  const verify = async (): Promise<StoreVerifyReport> => {
    const res = await request(server.baseUrl, '/api/store/verify?full=true', { timeoutMs: 60_000 });
    expect(res.status).toBe(200);
    return res.json<StoreVerifyReport>();
  };

  it('no report is renamed into place, and the store verifies clean throughout', async () => {
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const name = server.ledger.state().current?.name ?? '';
    await eventually(async () =>
      (await recordingEvents(server.ledger, name)).some((e) => e.type === 'RecordingDataAppended') ? true : undefined,
    );
    expect((await request(server.baseUrl, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    const entry = server.ledger.state().entries[name];
    expect(entry).toBeDefined();
    const report = server.ledger.paths(name, entry?.compressed).analysis;

    const reports: StoreVerifyReport[] = [];
    const hooked: string[] = [];
    const real = server.ledger;
    // The ledger as the reactor sees it: every command it runs is preceded by a verification of the store.
    const ledger = new Proxy(real, {
      get(target, key) {
        if (key === 'execute')
          return async (...args: Parameters<Ledger['execute']>) => {
            if (target.state().names[name] === 'deleted') reports.push(await verify());
            return target.execute(...args);
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    reactor = new AnalysisReactor({
      ledger,
      runtime: real.runtimeMetadata(),
      beforeReportInPlace: async (recording) => {
        hooked.push(recording);
        const res = await request(server.baseUrl, `/api/delete-recording/${encodeURIComponent(recording)}`, {
          method: 'POST',
        });
        expect(res.status).toBeLessThan(300);
        expect(real.state().names[recording]).toBe('deleted');
      },
    }).start();

    await eventually(async () => {
      const status = reactor?.status();
      return hooked.length > 0 && status?.running === null ? true : undefined;
    }, 30_000);
    expect(hooked).toEqual([name]);
    reports.push(await verify());
    for (const r of reports) expect(r).toMatchObject({ ok: true, findings: [] });
    await expect(fs.stat(report)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.stat(`${report}.partial`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an active recording deleted as its live session opens: the report file is not created again, and the store verifies clean', async () => {
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
    expect(await verify()).toMatchObject({ ok: true, findings: [] });
  });
});
