/**
 * A recording deleted while the analysis reactor writes its report: the
 * report must never be put in place or created again, so `GET /api/store/verify`
 * (the admin badge) never reports DELETED_FILES_PRESENT for a healthy store.
 * A real LevelDB store and real files; the interleavings are forced by the
 * reactor's hooks (the deletion commits and runs its file effect there):
 * `beforeReportInPlace` for the analysis after the fact (the store is verified
 * from inside the reactor's next command — after the point where the report
 * would have been renamed), `beforePartialOpen` for the same analysis before
 * its partial report is opened, `beforeLiveReportOpen` for the live session of the
 * active recording (the files are looked at once the reactor has stopped, i.e.
 * after the session's open has run to its end).
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Ledger, RecordingPaths, StoreVerifyReport } from '@ledger/store';
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

  /** A recording started, given data and stopped: the analysis after the fact takes it. */
  const finishedRecording = async (): Promise<{ name: string; paths: RecordingPaths }> => {
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const name = server.ledger.state().current?.name ?? '';
    await eventually(async () =>
      (await recordingEvents(server.ledger, name)).some((e) => e.type === 'RecordingDataAppended') ? true : undefined,
    );
    expect((await request(server.baseUrl, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    const entry = server.ledger.state().entries[name];
    expect(entry).toBeDefined();
    return { name, paths: server.ledger.paths(name, entry?.compressed) };
  };

  /** Deletes a recording over HTTP: the deletion is committed and its file effect has run when it answers. */
  const deleteRecording = async (recording: string): Promise<void> => {
    const res = await request(server.baseUrl, `/api/delete-recording/${encodeURIComponent(recording)}`, {
      method: 'POST',
    });
    expect(res.status).toBeLessThan(300);
    expect(server.ledger.state().names[recording]).toBe('deleted');
  };

  /**
   * The ledger as the reactor sees it: every command it runs once `name` is deleted is preceded by `before`
   * (a verification of the store); `qmdl`, when given, is where it reads the recording from.
   */
  const reactorLedger = (name: string, before: () => Promise<void>, qmdl?: string): Ledger =>
    new Proxy(server.ledger, {
      get(target, key) {
        if (key === 'execute')
          return async (...args: Parameters<Ledger['execute']>) => {
            if (target.state().names[name] === 'deleted') await before();
            return target.execute(...args);
          };
        if (key === 'paths' && qmdl !== undefined)
          return (...args: Parameters<Ledger['paths']>) => {
            const paths = target.paths(...args);
            return args[0] === name ? { ...paths, qmdl } : paths;
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });

  /** Waits until the reactor was hooked and no analysis runs any more. */
  const hookedAndIdle = async (hooked: readonly string[]): Promise<void> => {
    await eventually(async () => {
      const status = reactor?.status();
      return hooked.length > 0 && status?.running === null ? true : undefined;
    }, 30_000);
  };

  it('no report is renamed into place, and the store verifies clean throughout', async () => {
    const { name, paths } = await finishedRecording();
    const report = paths.analysis;

    const reports: StoreVerifyReport[] = [];
    const hooked: string[] = [];
    reactor = new AnalysisReactor({
      ledger: reactorLedger(name, async () => {
        reports.push(await verify());
      }),
      runtime: server.ledger.runtimeMetadata(),
      beforeReportInPlace: async (recording) => {
        hooked.push(recording);
        await deleteRecording(recording);
      },
    }).start();

    await hookedAndIdle(hooked);
    expect(hooked).toEqual([name]);
    reports.push(await verify());
    for (const r of reports) expect(r).toMatchObject({ ok: true, findings: [] });
    await expect(fs.stat(report)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.stat(`${report}.partial`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a finished recording deleted before its partial report opens: no partial is created, and the store verifies clean throughout', async () => {
    const { name, paths } = await finishedRecording();
    // The run reads a copy of the recording, so it goes on past the deletion (the deleted file's read would end it at
    // once) and the store is verified while a partial it created could still be there: in beforeReportInPlace and
    // before each command the run sends.
    const copies = await fs.mkdtemp(join(tmpdir(), 'analysis-partial-race-'));
    const copy = join(copies, basename(paths.qmdl));

    const reports: StoreVerifyReport[] = [];
    const partials: boolean[] = [];
    const hooked: string[] = [];
    const seen = async (): Promise<void> => {
      partials.push(
        await fs.stat(paths.analysisPartial).then(
          () => true,
          () => false,
        ),
      );
      reports.push(await verify());
    };
    try {
      reactor = new AnalysisReactor({
        ledger: reactorLedger(name, seen, copy),
        runtime: server.ledger.runtimeMetadata(),
        beforePartialOpen: async (recording) => {
          hooked.push(recording);
          await fs.copyFile(paths.qmdl, copy);
          await deleteRecording(recording);
          await expect(fs.stat(paths.qmdl)).rejects.toMatchObject({ code: 'ENOENT' });
        },
        beforeReportInPlace: seen,
      }).start();

      await hookedAndIdle(hooked);
      expect(hooked).toEqual([name]);
      await seen();
      for (const r of reports) expect(r).toMatchObject({ ok: true, findings: [] });
      expect(partials.every((present) => !present)).toBe(true);
      await expect(fs.stat(paths.analysis)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await fs.rm(copies, { recursive: true, force: true });
    }
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
        await deleteRecording(recording);
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
