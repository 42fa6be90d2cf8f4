/**
 * A crash in the middle of an analysis after the fact, for real: a real
 * capture repeated into an imported recording that raises findings in many
 * coalesced windows, `serve` (the built binary, `npm run build` first) killed
 * with SIGKILL while it analyses it — started, some finding windows recorded,
 * not completed — and restarted on the same data directory. The resumed
 * analysis must complete once, under its id, with exactly the findings and the
 * report a clean analysis of the same bytes in a second store gets.
 *
 * The analysis is paced by serve's test-only LEDGER_TEST_ANALYSIS_CHUNK_PAUSE_MS
 * (a pause after each 64 KiB chunk): its run lasts at least chunks × pause on
 * any machine, a slower one only makes it longer, so the kill lands in its
 * middle whatever the speed. The restart runs unpaced.
 * No output is printed or snapshotted: the captures carry identities in clear text.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  eventually,
  MAIN_JS,
  request,
  runCli,
  spawnServer,
  stopServer,
  tempDirs,
  type EventJson,
  type SpawnedServer,
} from './helpers/server';
import { samplePath } from './helpers/samples';

jest.setTimeout(240_000);

const temp = tempDirs();
afterAll(() => temp.removeAll());

/** A Rayhunter recording name (its start time). */
const NAME = '1715000000';
/** attach-2020-lte (412 KB, about 4,900 messages, 15 High findings) 12 times: 4.9 MB, 77 chunks, about 60 windows. */
const REPEATS = 12;
const PAUSE_MS = 200;

const capture = (): Buffer => Buffer.concat(Array<Buffer>(REPEATS).fill(readFileSync(samplePath('attach-2020-lte'))));

/** A new data directory holding the capture as an imported recording (not analysed yet: no serve has run). */
async function importedStore(work: string, label: string, bytes: Buffer): Promise<string> {
  const rayhunter = path.join(work, `${label}-rayhunter`);
  mkdirSync(rayhunter);
  writeFileSync(path.join(rayhunter, `${NAME}.qmdl`), bytes);
  const data = path.join(work, `${label}-data`);
  const imported = await runCli(['import-rayhunter', rayhunter, data, '--json'], {}, 60_000);
  expect(imported.code).toBe(0);
  return data;
}

interface AnalysisLog {
  started: EventJson[];
  findings: EventJson[];
  completed: EventJson[];
}

async function eventsOf(base: string, type: string): Promise<EventJson[]> {
  const res = await request(base, `/api/events?type=${type}&order=asc&limit=1000`);
  expect(res.status).toBe(200);
  const page = res.json<{ events: EventJson[] }>().events;
  expect(page.length).toBeLessThan(1000);
  return page.filter((e) => e.recording === NAME);
}

async function analysisLog(base: string): Promise<AnalysisLog> {
  return {
    started: await eventsOf(base, 'RecordingAnalysisStarted'),
    findings: await eventsOf(base, 'RecordingAnalysisFinding'),
    completed: await eventsOf(base, 'RecordingAnalysisCompleted'),
  };
}

/** Waits for the recording's analysis to complete; gives up at once if serve logs that it failed. */
async function completed(server: SpawnedServer): Promise<AnalysisLog> {
  return eventually(
    async () => {
      const failed = `${server.stdout()}${server.stderr()}`
        .split('\n')
        .find((line) => line.includes(`analysis of ${NAME} failed`));
      if (failed !== undefined) throw new Error(failed);
      const log = await analysisLog(server.baseUrl);
      return log.completed.length > 0 ? log : undefined;
    },
    180_000,
    200,
  );
}

/** An event's data without the analysis id (two stores' analyses of the same bytes differ only there). */
function withoutId(event: EventJson | undefined): Record<string, unknown> {
  const { analysisId: _id, ...rest } = event?.data ?? {};
  return rest;
}

async function report(base: string): Promise<string[]> {
  const res = await request(base, `/api/analysis-report/${NAME}`);
  expect(res.status).toBe(200);
  return res.body.toString('utf8').split('\n');
}

it('is built', () => {
  expect(existsSync(MAIN_JS)).toBe(true);
});

describe('serve killed with SIGKILL in the middle of an analysis after the fact', () => {
  it('resumes it under the same id after a restart: completed once, no finding window twice, the clean report line for line', async () => {
    const work = temp.make('qmdl-ledger-analysis-crash-');
    const bytes = capture();
    const cleanData = await importedStore(work, 'clean', bytes);
    const crashData = await importedStore(work, 'crash', bytes);

    const crashed = await spawnServer(['--data-dir', crashData, '--no-auto-start'], {
      LEDGER_TEST_ANALYSIS_CHUNK_PAUSE_MS: String(PAUSE_MS),
    });
    // Started, at least one window of findings committed, not completed: the analysis is running. Kill it there.
    const atKill = await eventually(
      async () => {
        const log = await analysisLog(crashed.baseUrl);
        return log.started.length > 0 && log.findings.length > 0 ? log : undefined;
      },
      120_000,
      50,
    ).finally(() => crashed.proc.kill('SIGKILL'));
    expect(await crashed.exited).toBe('SIGKILL');
    expect(atKill.started).toHaveLength(1);
    expect(atKill.completed).toHaveLength(0);
    const analysisId = atKill.started[0]?.data['analysisId'] as string;

    // The same bytes analysed once, without a crash, in a second store.
    const clean = await spawnServer(['--data-dir', cleanData, '--no-auto-start']);
    const [cleanLog, cleanReport] = await completed(clean)
      .then(async (log) => [log, await report(clean.baseUrl)] as const)
      .finally(() => stopServer(clean));
    const cleanFindings = cleanLog.findings.map(withoutId);
    // Several coalesced windows, and the kill left most of them to the resumed run.
    const windows = new Set(cleanFindings.map((f) => f['windowEnd']));
    expect(windows.size).toBeGreaterThanOrEqual(20);
    expect(atKill.findings.length).toBeLessThan(cleanFindings.length / 2);
    expect(atKill.findings.map(withoutId)).toEqual(cleanFindings.slice(0, atKill.findings.length));

    const restarted = await spawnServer(['--data-dir', crashData, '--no-auto-start']);
    try {
      const base = restarted.baseUrl;
      const log = await completed(restarted);
      // One analysis: started once before the crash, resumed under its id, completed once.
      expect(log.started.map((e) => e.data['analysisId'])).toEqual([analysisId]);
      expect(log.completed.map((e) => e.data['analysisId'])).toEqual([analysisId]);
      // Every finding of the recording, whatever its analysis: what was recorded before the kill stays as it was,
      // the resumed run adds the rest, and together they are the clean analysis's findings, each window once.
      expect(log.findings.slice(0, atKill.findings.length)).toEqual(atKill.findings);
      expect(log.findings.every((f) => f.data['analysisId'] === analysisId)).toBe(true);
      expect(log.findings.map(withoutId)).toEqual(cleanFindings);
      expect(withoutId(log.completed[0])).toEqual(withoutId(cleanLog.completed[0]));

      const served = await report(base);
      expect(served).toEqual(cleanReport);
      const file = path.join(work, `${NAME}-download.qmdl`);
      writeFileSync(file, (await request(base, `/api/qmdl/${NAME}`)).body);
      expect(readFileSync(file).equals(bytes)).toBe(true);
      const cli = await runCli(['analyze', file, '--format', 'ndjson'], {}, 120_000);
      expect(cli.code).toBe(1);
      // The CLI's metadata names the machine it runs on, the served one the recording's: the rows are the same.
      expect(cli.stdout.split('\n').slice(1)).toEqual(served.slice(1));
      expect(existsSync(path.join(crashData, 'qmdl', `${NAME}.ndjson.partial`))).toBe(false);
    } finally {
      await stopServer(restarted);
    }
  });
});
