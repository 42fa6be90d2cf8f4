/**
 * Where the live session of the active recording gets its bytes: from the
 * recorder's writer in process (the tap taken as the recording starts), from
 * the file up to where a late tap starts (a session opened while the
 * recording was already going, as after a restart), and from the file again
 * when the tap let go of bytes the session had not taken (it fell behind).
 * Whichever it was, the live report of the whole recording is, line for
 * line, the report the analysis after the fact then makes of the file. A real
 * LevelDB store, the synthetic source and real files; the report is read in
 * `beforePartialOpen`, after the live session closed and before the analysis
 * after the fact rewrites it.
 */
import { promises as fs } from 'node:fs';
import type { Ledger, RecordingTap } from '@ledger/store';
import { AnalysisReactor } from '../apps/qmdl-ledger/src/analysis/analysis-reactor';
import { eventually, recordingEvents, request, startInProcess, type InProcessServer } from './helpers/server';

jest.setTimeout(120_000);

describe('the live session of the active recording', () => {
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

  interface Taps {
    /** Where each tap the reactor took starts (raw bytes). */
    readonly starts: number[];
    /** The raw offset each one was taken from when the test made it let go (`loseAt`). */
    readonly lostAt: number[];
    /** Set: the recording's file is not where the reactor looks for it (until the live report is read). */
    readonly hidden?: boolean;
  }

  /**
   * The ledger as the reactor sees it, its taps counted; with `loseAt`, a tap lets go at its take with that
   * number from past byte 0; while `taps.hidden`, the recording's file is not where the reactor looks.
   */
  const tapping = (taps: Taps, loseAt?: number): Ledger =>
    new Proxy(server.ledger, {
      get(target, key) {
        if (key === 'paths')
          return (...args: Parameters<Ledger['paths']>) => {
            const paths = target.paths(...args);
            // The analysis after the fact reads the file: it takes its paths before any hook runs.
            const live = reactor?.status().running === null;
            return taps.hidden === true && live ? { ...paths, qmdl: `${paths.qmdl}.hidden` } : paths;
          };
        if (key === 'tapRecording')
          return (...args: Parameters<Ledger['tapRecording']>): RecordingTap | undefined => {
            const tap = target.tapRecording(...args);
            if (tap === undefined) return undefined;
            taps.starts.push(tap.start);
            let takes = 0;
            const take = tap.take.bind(tap);
            tap.take = (from, to) => {
              if (from > 0 && ++takes === loseAt) {
                taps.lostAt.push(from);
                tap.close();
              }
              return take(from, to);
            };
            return tap;
          };
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });

  const dataCommits = async (name: string): Promise<number> =>
    (await recordingEvents(server.ledger, name)).filter((e) => e.type === 'RecordingDataAppended').length;

  /**
   * Records for a few seconds with the reactor given `ledger` started before the recording (or after `lateBy`
   * data commits), stops, and returns the live report of the whole recording and the report after the fact.
   */
  const record = async (
    ledger: Ledger,
    taps: Taps,
    lateBy?: number,
  ): Promise<{ live: string; afterTheFact: string }> => {
    const reports = new Map<string, string>();
    const start = (): AnalysisReactor =>
      new AnalysisReactor({
        ledger,
        runtime: server.ledger.runtimeMetadata(),
        beforePartialOpen: async (recording) => {
          reports.set(recording, await fs.readFile(server.ledger.paths(recording).analysis, 'utf8'));
        },
      }).start();
    if (lateBy === undefined) reactor = start();
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const name = server.ledger.state().current?.name ?? '';
    if (lateBy !== undefined) {
      await eventually(async () => ((await dataCommits(name)) >= lateBy ? true : undefined), 30_000, 20);
      reactor = start();
    }
    // Long enough for a few live ticks (once a second).
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect((await request(server.baseUrl, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    await eventually(async () => {
      const status = reactor?.status();
      const done = (await recordingEvents(server.ledger, name)).some((e) => e.type === 'RecordingAnalysisCompleted');
      return done && status?.running === null && reports.has(name) ? true : undefined;
    }, 60_000);
    const afterTheFact = await fs.readFile(server.ledger.paths(name).analysis, 'utf8');
    return { live: reports.get(name) as string, afterTheFact };
  };

  const expectSameReports = ({ live, afterTheFact }: { live: string; afterTheFact: string }): void => {
    const lines = live.split('\n');
    // The metadata line and rows: the synthetic traffic's undecodable messages.
    expect(lines.length).toBeGreaterThan(10);
    expect(live).toContain('skipped_message_reason');
    expect(afterTheFact.split('\n')).toEqual(lines);
  };

  it('fed by the tap taken as the recording started', async () => {
    // Had the live session read the file, it would have failed, opened again with a late tap, and so on.
    const taps: Taps = { starts: [], lostAt: [], hidden: true };
    expectSameReports(await record(tapping(taps), taps));
    // Tapped as its start was committed: from the first byte, once.
    expect(taps.starts).toEqual([0]);
  });

  it('opened while the recording was going: from the file up to where its tap starts, then from the tap', async () => {
    const taps: Taps = { starts: [], lostAt: [] };
    expectSameReports(await record(tapping(taps), taps, 5));
    expect(taps.starts).toHaveLength(1);
    expect(taps.starts[0]).toBeGreaterThan(0);
  });

  it('whose tap let go of bytes it had not taken: from the file again, past what it analysed already', async () => {
    const taps: Taps = { starts: [], lostAt: [] };
    expectSameReports(await record(tapping(taps, 1), taps));
    expect(taps.starts).toEqual([0]);
    expect(taps.lostAt).toHaveLength(1);
    expect(taps.lostAt[0]).toBeGreaterThan(0);
  });

  it('opened while the recording was going, its late tap then letting go: from the file again from its first byte', async () => {
    // The file was read up to where the tap starts, then the tap fed the session, then it let go: the compressed
    // file is read again from its start (a gzip stream inflates only from there), past what was analysed.
    const taps: Taps = { starts: [], lostAt: [] };
    expectSameReports(await record(tapping(taps, 1), taps, 5));
    expect(taps.starts).toHaveLength(1);
    expect(taps.starts[0]).toBeGreaterThan(0);
    expect(taps.lostAt).toHaveLength(1);
    expect(taps.lostAt[0]).toBeGreaterThanOrEqual(taps.starts[0] ?? Infinity);
  });
});
