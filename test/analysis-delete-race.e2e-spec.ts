/**
 * A recording deleted while its analysis after the fact is finishing: the
 * report written for it must never be put in place, so `GET /api/store/verify`
 * (the admin badge) never reports DELETED_FILES_PRESENT for a healthy store.
 * A real LevelDB store and real files; the interleaving is forced by the
 * reactor's `beforeReportInPlace` hook (the deletion commits and runs its file
 * effect there), and the store is verified from inside the reactor's next
 * command — after the point where the report would have been renamed.
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
  afterAll(async () => {
    await reactor?.stop();
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
});
