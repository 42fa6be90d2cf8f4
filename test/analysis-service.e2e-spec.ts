/**
 * The analysis reactor of `serve`, against the built binary (`npm run build`
 * first) on real LevelDB and real files: a real capture replayed into a
 * recording is analysed by itself; its report is the CLI's report of the same
 * bytes, served by /api/analysis-report and in the zip; its findings are events;
 * /api/analysis is the real queue; POST re-analyses; a crash in the middle of an
 * analysis (SIGKILL, restart) resumes it without a duplicate finding.
 * No output is printed or snapshotted: cmcc carries an identity in clear text.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AnalysisHarness, type AnalysisRow } from '@ledger/analysis';
import { FINDING_WINDOW_PACKETS } from '@ledger/domain';
import { buildUpcasters, MIGRATIONS } from '@ledger/migrations';
import { openQmdlReadStream } from '@ledger/qmdl';
import { RadioMessageReader } from '@ledger/radio';
import { openLedger, silentLogger } from '@ledger/store';
import { FindingCoalescer } from '../apps/qmdl-ledger/src/analysis/finding-coalescer';
import { enabledAnalyzers, analyzerConfigOf } from '../apps/qmdl-ledger/src/analysis/analysis-queue';
import {
  analysisQueue,
  eventually,
  MAIN_JS,
  readZip,
  request,
  runCli,
  spawnServer,
  stopServer,
  tempDirs,
  type AnalysisQueueStatus,
  type Manifest,
  type SpawnedServer,
  type EventJson,
} from './helpers/server';
import { replaySample } from './helpers/samples';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(180_000);

const IMSI_REQUESTED = 'Identity (IMSI or IMEI) requested in suspicious manner';

const temp = tempDirs();
afterAll(() => temp.removeAll());

async function events(base: string, type: string): Promise<EventJson[]> {
  const res = await request(base, `/api/events?type=${type}&order=asc&limit=1000`);
  expect(res.status).toBe(200);
  return res.json<{ events: EventJson[] }>().events;
}

/** Waits until the queue is empty and `name` is finished with `completions` completed analyses in the log. */
async function analysed(base: string, name: string, completions: number): Promise<EventJson[]> {
  return eventually(
    async () => {
      const s = await analysisQueue(base);
      const done = (await events(base, 'RecordingAnalysisCompleted')).filter((e) => e.recording === name);
      return s.queued.length === 0 && s.running === null && s.finished.includes(name) && done.length >= completions
        ? done
        : undefined;
    },
    120_000,
    200,
  );
}

function rowsOf(ndjson: string): {
  metadata: { analyzers: { name: string; version: number }[]; report_version: number };
  rows: AnalysisRow[];
} {
  const [first, ...rest] = ndjson.trim().split('\n');
  return { metadata: JSON.parse(first as string), rows: rest.map((l) => JSON.parse(l) as AnalysisRow) };
}

/** The CLI's report of the recording's own bytes (downloaded from the service). */
async function cliReport(base: string, name: string, dir: string): Promise<string> {
  const file = path.join(dir, `${name}-${Date.now()}.qmdl`);
  writeFileSync(file, (await request(base, `/api/qmdl/${name}`)).body);
  const cli = await runCli(['analyze', file, '--format', 'ndjson'], {}, 120_000);
  expect([0, 1]).toContain(cli.code);
  return cli.stdout;
}

it('is built', () => {
  expect(existsSync(MAIN_JS)).toBe(true);
});

describe('a real capture replayed into a recording', () => {
  let server: SpawnedServer | undefined;
  let base = '';
  let name = '';
  const work = temp.make('qmdl-ledger-analysis-');

  beforeAll(async () => {
    ({ server, recording: name } = await replaySample('cmcc-2015-lte-gsm', work));
    base = server.baseUrl;
    await analysed(base, name, 1);
  });
  afterAll(() => stopServer(server));

  it('serves the report the CLI makes of the same bytes, with the Low identity-request finding', async () => {
    const served = await request(base, `/api/analysis-report/${name}`);
    expect(served.status).toBe(200);
    const report = rowsOf(served.body.toString('utf8'));
    const cli = rowsOf(await cliReport(base, name, work));
    expect(report.metadata.report_version).toBe(2);
    expect(report.metadata.analyzers).toEqual(cli.metadata.analyzers);
    expect(report.rows).toEqual(cli.rows);
    const imsi = report.metadata.analyzers.findIndex((a) => a.name === IMSI_REQUESTED);
    expect(imsi).toBeGreaterThanOrEqual(0);
    expect(report.rows.filter((r) => r.events[imsi]?.event_type === 'Low')).toHaveLength(1);
    expect(served.body.toString('utf8')).not.toMatch(/\d{14,}/);
  });

  it('puts the same report in the zip as <name>.ndjson', async () => {
    const members = readZip((await request(base, `/api/zip/${name}.zip`)).body);
    const member = members.find((m) => m.name === `${name}.ndjson`);
    expect(member?.data.equals((await request(base, `/api/analysis-report/${name}`)).body)).toBe(true);
  });

  it('records the analysis in the log: started, each finding above Informational (coalesced), completed with its counts', async () => {
    const started = (await events(base, 'RecordingAnalysisStarted')).filter((e) => e.recording === name);
    const completed = (await events(base, 'RecordingAnalysisCompleted')).filter((e) => e.recording === name);
    const findings = (await events(base, 'RecordingAnalysisFinding')).filter((e) => e.recording === name);
    expect(started).toHaveLength(1);
    expect(started[0]?.data).toMatchObject({ reason: 'new' });
    expect(completed).toHaveLength(1);
    const id = started[0]?.data['analysisId'];
    expect(completed[0]?.data['analysisId']).toBe(id);
    const severities = completed[0]?.data['severities'] as Record<string, number>;
    const low = findings.filter((f) => f.data['analyzer'] === 'imsi_requested' && f.data['severity'] === 'Low');
    expect(low).toHaveLength(1);
    expect(low[0]?.data['message']).toMatch(/\(packet \d+\)$/);
    expect(String(low[0]?.data['message'])).not.toMatch(/\d{14,}/);
    // Coalesced: the counts of the finding events add up to the completion's per severity.
    for (const severity of ['Low', 'Medium', 'High']) {
      const counted = findings
        .filter((f) => f.data['severity'] === severity)
        .reduce((n, f) => n + Number(f.data['count']), 0);
      expect(counted).toBe(severities[severity]);
    }
    const keys = findings.map(
      (f) => `${String(f.data['analyzer'])}|${String(f.data['severity'])}|${String(f.data['windowEnd'])}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lists it as finished, and re-analyses it on POST (202 with the queue): a new report, both analyses in the log', async () => {
    expect(await analysisQueue(base)).toEqual({ queued: [], running: null, finished: [name] });
    const before = (await request(base, `/api/analysis-report/${name}`)).body;
    const res = await request(base, `/api/analysis/${name}`, { method: 'POST' });
    expect(res.status).toBe(202);
    const queue = res.json<AnalysisQueueStatus>();
    expect(Object.keys(queue)).toEqual(['queued', 'running', 'finished']);
    expect([...queue.queued, queue.running]).toContain(name);
    expect(queue.finished).not.toContain(name);
    const done = await analysed(base, name, 2);
    expect(done).toHaveLength(2);
    expect(done[0]?.data['analysisId']).not.toBe(done[1]?.data['analysisId']);
    const reasons = (await events(base, 'RecordingAnalysisStarted'))
      .filter((e) => e.recording === name)
      .map((e) => e.data['reason']);
    expect(reasons).toEqual(['new', 'requested']);
    expect((await request(base, `/api/analysis-report/${name}`)).body.equals(before)).toBe(true);
    expect((await request(base, '/api/analysis/1', { method: 'POST' })).status).toBe(404);
  });

  it('refuses a re-analysis asked from another origin (403, nothing queued or recorded)', async () => {
    const before = (await events(base, 'RecordingAnalysisStarted')).length;
    const res = await request(base, `/api/analysis/${name}`, {
      method: 'POST',
      headers: { origin: 'http://attacker.example' },
    });
    expect(errorOf(res)).toEqual({ status: 403, code: 'CROSS_ORIGIN_REFUSED' });
    expect(await analysisQueue(base)).toEqual({ queued: [], running: null, finished: [name] });
    expect((await events(base, 'RecordingAnalysisStarted')).length).toBe(before);
  });

  it('honours the config switches: turning an analyzer on re-analyses the recording with it', async () => {
    const config = (await request(base, '/api/config')).json<{ analyzers: Record<string, boolean> }>();
    const changed = { ...config, analyzers: { ...config.analyzers, test_analyzer: true } };
    const res = await request(base, '/api/config', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(changed),
    });
    expect(res.status).toBe(202);
    await analysed(base, name, 3);
    const reasons = (await events(base, 'RecordingAnalysisStarted'))
      .filter((e) => e.recording === name)
      .map((e) => e.data['reason']);
    expect(reasons).toEqual(['new', 'requested', 'analyzer-changed']);
    const report = rowsOf((await request(base, `/api/analysis-report/${name}`)).body.toString('utf8'));
    expect(report.metadata.analyzers.map((a) => a.name)).toContain('Test Analyzer');
    const file = path.join(work, `${name}-switch.qmdl`);
    writeFileSync(file, (await request(base, `/api/qmdl/${name}`)).body);
    const cli = await runCli(['analyze', file, '--format', 'ndjson', '--enable', 'test_analyzer'], {}, 120_000);
    expect(report.rows).toEqual(rowsOf(cli.stdout).rows);
  });
});

describe('an analyzer version bump', () => {
  it('re-analyses a recording whose report an older version of an enabled analyzer made; the log shows both analyses', async () => {
    const work = temp.make('qmdl-ledger-analysis-bump-');
    const replayed = await replaySample('cmcc-2015-lte-gsm', work);
    const { dataDir: data, recording: name } = replayed;
    let server: SpawnedServer | undefined = replayed.server;
    await analysed(server.baseUrl, name, 1);
    await stopServer(server);

    // The report on disk as an older build made it: imsi_requested one version behind.
    const ledger = await openLedger({
      dataDir: data,
      appVersion: '0.0.0-test',
      logger: silentLogger,
      migrations: MIGRATIONS,
      upcasters: buildUpcasters(),
      recorder: {
        source: 'synthetic:rate=1',
        autoStart: false,
        flushIntervalMs: 100,
        flushKiB: 16,
        minSpaceStartMb: 0,
        minSpaceContinueMb: 0,
      },
    });
    const older = enabledAnalyzers(analyzerConfigOf(ledger.state().config)).map((a) =>
      a.key === 'imsi_requested' ? { ...a, version: a.version - 1 } : a,
    );
    const context = { actor: { kind: 'system' as const }, correlationId: 'test-older-build' };
    expect(
      (
        await ledger.execute(
          {
            type: 'StartRecordingAnalysis',
            data: { name, analysisId: 'older-build', reason: 'new', analyzers: older },
          },
          context,
        )
      ).ok,
    ).toBe(true);
    expect(
      (
        await ledger.execute(
          {
            type: 'CompleteRecordingAnalysis',
            data: {
              name,
              analysisId: 'older-build',
              analyzers: older,
              messages: 0,
              analysed: 0,
              skipped: {},
              severities: {},
              reportRows: 0,
            },
          },
          context,
        )
      ).ok,
    ).toBe(true);
    await ledger.close();
    // ...and its file as that build wrote it: the same rows under a metadata line naming the older version.
    const reportFile = path.join(data, 'qmdl', `${name}.ndjson`);
    const [line, ...rest] = readFileSync(reportFile, 'utf8').split('\n');
    const metadata = JSON.parse(line as string) as { analyzers: { name: string; version: number }[] };
    const olderReport = [
      JSON.stringify({
        ...metadata,
        analyzers: metadata.analyzers.map((a) => (a.name === IMSI_REQUESTED ? { ...a, version: a.version - 1 } : a)),
      }),
      ...rest,
    ].join('\n');
    writeFileSync(reportFile, olderReport);

    server = await spawnServer(['--data-dir', data, '--no-auto-start']);
    try {
      const base = server.baseUrl;
      const done = await analysed(base, name, 3);
      const started = (await events(base, 'RecordingAnalysisStarted')).filter((e) => e.recording === name);
      expect(started.map((e) => e.data['reason'])).toEqual(['new', 'new', 'analyzer-changed']);
      expect(done.map((e) => e.data['analysisId'])).toContain('older-build');
      const latest = done.at(-1)?.data['analyzers'] as Array<{ key: string; version: number }>;
      expect(latest.find((a) => a.key === 'imsi_requested')?.version).toBe(
        older.find((a) => a.key === 'imsi_requested')!.version + 1,
      );
      // A new report replaced the older build's: its metadata names the current versions, as the CLI's does.
      const served = (await request(base, `/api/analysis-report/${name}`)).body.toString('utf8');
      expect(served).not.toBe(olderReport);
      const report = rowsOf(served);
      const cli = rowsOf(await cliReport(base, name, work));
      expect(report.metadata.analyzers.find((a) => a.name === IMSI_REQUESTED)?.version).toBe(
        older.find((a) => a.key === 'imsi_requested')!.version + 1,
      );
      expect(report.metadata.analyzers).toEqual(cli.metadata.analyzers);
      expect(report.rows).toEqual(cli.rows);
    } finally {
      await stopServer(server);
    }
  });
});

describe('a crash in the middle of an analysis', () => {
  it('resumes after SIGKILL and a restart without a duplicate finding, and the report is whole', async () => {
    const work = temp.make('qmdl-ledger-analysis-crash-');
    const replayed = await replaySample('cmcc-2015-lte-gsm', work);
    const { dataDir: data, recording: name } = replayed;
    let server: SpawnedServer | undefined = replayed.server;
    await analysed(server.baseUrl, name, 1);
    server.proc.kill('SIGKILL');
    await server.exited;

    // Where a crash leaves an analysis: started, its first windows of findings recorded, no completion.
    // Recorded here with the reactor's own coalescer over the recording's own bytes.
    const ledger = await openLedger({
      dataDir: data,
      appVersion: '0.0.0-test',
      logger: silentLogger,
      migrations: MIGRATIONS,
      upcasters: buildUpcasters(),
      recorder: {
        source: 'synthetic:rate=1',
        autoStart: false,
        flushIntervalMs: 100,
        flushKiB: 16,
        minSpaceStartMb: 0,
        minSpaceContinueMb: 0,
      },
    });
    const analysisId = 'crashed-analysis';
    const config = analyzerConfigOf(ledger.state().config);
    const analyzers = enabledAnalyzers(config);
    const context = { actor: { kind: 'system' as const }, correlationId: `test-${analysisId}` };
    expect(
      (
        await ledger.execute(
          { type: 'StartRecordingAnalysis', data: { name, analysisId, reason: 'requested', analyzers } },
          context,
        )
      ).ok,
    ).toBe(true);
    const harness = new AnalysisHarness({ config });
    const coalescer = new FindingCoalescer({ analysisId, analyzers });
    const reader = new RadioMessageReader();
    const entry = ledger.state().entries[name]!;
    let recordedWindows = 0;
    for await (const chunk of openQmdlReadStream(ledger.paths(name, entry.compressed).qmdl)) {
      for (const message of reader.pushAll(chunk as Buffer)) {
        for (const row of harness.analyze(message)) {
          const closed = coalescer.add(row, message.index);
          if (closed !== undefined && recordedWindows < 1) {
            recordedWindows++;
            expect(
              (
                await ledger.execute(
                  {
                    type: 'RecordAnalysisFindings',
                    data: { name, analysisId, through: closed.through, findings: closed.findings },
                  },
                  context,
                )
              ).ok,
            ).toBe(true);
          }
        }
      }
    }
    expect(recordedWindows).toBe(1);
    await ledger.close();
    writeFileSync(path.join(data, 'qmdl', `${name}.ndjson.partial`), '{"half a report');

    server = await spawnServer(['--data-dir', data, '--no-auto-start']);
    try {
      const base = server.baseUrl;
      await eventually(
        async () =>
          (await events(base, 'RecordingAnalysisCompleted')).some((e) => e.data['analysisId'] === analysisId)
            ? true
            : undefined,
        120_000,
        200,
      );
      const started = (await events(base, 'RecordingAnalysisStarted')).filter(
        (e) => e.data['analysisId'] === analysisId,
      );
      expect(started).toHaveLength(1);
      const findings = (await events(base, 'RecordingAnalysisFinding')).filter(
        (e) => e.data['analysisId'] === analysisId,
      );
      const keys = findings.map(
        (f) => `${String(f.data['analyzer'])}|${String(f.data['severity'])}|${String(f.data['windowEnd'])}`,
      );
      expect(new Set(keys).size).toBe(keys.length);
      const completed = (await events(base, 'RecordingAnalysisCompleted')).find(
        (e) => e.data['analysisId'] === analysisId,
      );
      const severities = completed?.data['severities'] as Record<string, number>;
      for (const severity of ['Low', 'Medium', 'High']) {
        expect(
          findings.filter((f) => f.data['severity'] === severity).reduce((n, f) => n + Number(f.data['count']), 0),
        ).toBe(severities[severity]);
      }
      expect(findings.every((f) => Number(f.data['windowEnd']) % FINDING_WINDOW_PACKETS === 0)).toBe(true);
      const report = rowsOf((await request(base, `/api/analysis-report/${name}`)).body.toString('utf8'));
      expect(report.rows).toEqual(rowsOf(await cliReport(base, name, work)).rows);
      expect(existsSync(path.join(data, 'qmdl', `${name}.ndjson.partial`))).toBe(false);
    } finally {
      await stopServer(server);
    }
  });
});

describe('the active recording', () => {
  it('is analysed as it is written: /api/analysis-report/live grows, its rows are the start of the report made once it finished, and that report is the one the same bytes get analysed after the fact', async () => {
    const work = temp.make('qmdl-ledger-analysis-live-');
    const server = await spawnServer([
      '--data-dir',
      path.join(work, 'data'),
      '--source',
      // Fast enough that windows with a decodable SIB1 (the test analyzer's Low) close while it records.
      'synthetic:rate=2000',
      '--flush-interval-ms',
      '100',
      '--no-auto-start',
    ]);
    try {
      const base = server.baseUrl;
      // The test analyzer raises a Low finding at every SIB1, so the synthetic traffic gives report rows.
      const config = (await request(base, '/api/config')).json<{ analyzers: Record<string, boolean> }>();
      const body = JSON.stringify({ ...config, analyzers: { ...config.analyzers, test_analyzer: true } });
      expect(
        (await request(base, '/api/config', { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
          .status,
      ).toBe(202);
      expect((await request(base, '/api/start-recording', { method: 'POST' })).status).toBe(202);
      const lines = async (): Promise<string[]> =>
        (await request(base, '/api/analysis-report/live')).body
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '');
      const first = await eventually(
        async () => {
          const l = await lines();
          return l.length >= 3 ? l : undefined;
        },
        60_000,
        200,
      );
      const later = await eventually(
        async () => {
          const l = await lines();
          return l.length > first.length ? l : undefined;
        },
        60_000,
        200,
      );
      expect(later.slice(0, first.length)).toEqual(first);
      const name = (await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry?.name as string;
      // Findings are recorded while it records: a window of 1,000 packets closes every half second at 2,000 msg/s.
      const recordedLive = await eventually(
        async () => {
          const f = (await events(base, 'RecordingAnalysisFinding')).filter((e) => e.recording === name);
          return f.length > 0 ? f : undefined;
        },
        60_000,
        200,
      );
      expect((await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry?.name).toBe(name);
      expect(
        (await request(base, `/api/analysis-report/${name}`)).body
          .toString('utf8')
          .startsWith(later.slice(0, 2).join('\n')),
      ).toBe(true);
      expect((await request(base, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
      await analysed(base, name, 1);
      const after = (await request(base, `/api/analysis-report/${name}`)).body
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '');
      expect(after.length).toBeGreaterThanOrEqual(later.length);
      expect(after.slice(1, later.length)).toEqual(later.slice(1));
      expect(JSON.parse(after[0] as string)).toMatchObject({ report_version: 2 });

      // One analysis, started when the recording started and completed after it finished; its findings are
      // those of the whole report, coalesced, each window once: the live ones and the rest after the fact.
      const started = (await events(base, 'RecordingAnalysisStarted')).filter((e) => e.recording === name);
      const completed = (await events(base, 'RecordingAnalysisCompleted')).filter((e) => e.recording === name);
      expect(started).toHaveLength(1);
      expect(started[0]?.data).toMatchObject({ reason: 'new' });
      const analysisId = started[0]?.data['analysisId'] as string;
      expect(completed.map((e) => e.data['analysisId'])).toEqual([analysisId]);
      const findings = (await events(base, 'RecordingAnalysisFinding')).filter((e) => e.recording === name);
      expect(findings.slice(0, recordedLive.length)).toEqual(recordedLive);
      const analyzers = enabledAnalyzers(analyzerConfigOf({ analyzers: { test_analyzer: true } }));
      const coalescer = new FindingCoalescer({ analysisId, analyzers });
      const expected = [];
      for (const line of after.slice(1)) {
        const row = JSON.parse(line) as AnalysisRow;
        const message = row.events.find((e) => e !== null)?.message ?? '';
        const packet = Number(/\(packet (\d+)\)$/.exec(message)?.[1] ?? 0);
        expected.push(...(coalescer.add(row, packet)?.findings ?? []));
      }
      expected.push(...(coalescer.close()?.findings ?? []));
      expect(findings.map((f) => f.data)).toEqual(expected);

      // The same bytes analysed after the fact, from the first byte (a requested re-analysis): the
      // report the live analysis made is that report exactly, and so are its counts.
      const liveReport = (await request(base, `/api/analysis-report/${name}`)).body.toString('utf8');
      expect((await request(base, `/api/analysis/${name}`, { method: 'POST' })).status).toBe(202);
      const done = await analysed(base, name, 2);
      const afterTheFact = (await request(base, `/api/analysis-report/${name}`)).body.toString('utf8');
      expect(afterTheFact.split('\n')).toEqual(liveReport.split('\n'));
      const countsOf = (e: EventJson | undefined): Record<string, unknown> => {
        const { analysisId: _id, ...rest } = e?.data ?? {};
        return rest;
      };
      expect(countsOf(done[1])).toEqual(countsOf(done[0]));
    } finally {
      await stopServer(server);
    }
  });
});
