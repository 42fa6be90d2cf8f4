/**
 * A device's audit log through the fleet service is the device's own event API: for each filter
 * and cursor of `GET /api/events` (type, recording, actor, correlation, since/until, free text,
 * severity, order, limit, before/after), `GET /api/fleet/devices/{storeId}/events` answers the
 * same page. Real PostgreSQL (a private cluster), the real `fleet` binary, and a device log made
 * by a real store — recordings, a request with its own correlation id, and analyses whose findings
 * and completions carry different severities — shipped as `export` wrote it.
 */
import { promises as fs } from 'node:fs';
import { FINDING_WINDOW_PACKETS, type AnalysisFindingData, type AnalyzerVersion } from '@ledger/domain';
import { recordOnce, shipExported } from './helpers/fleet-device';
import { startPostgres, type PgCluster } from './helpers/postgres';
import { request, spawnService, startInProcess, type InProcessServer, type SpawnedServer } from './helpers/server';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(180_000);

const ANALYZERS: AnalyzerVersion[] = [
  { key: 'imsi_requested', name: 'Identity (IMSI or IMEI) requested in suspicious manner', version: 4 },
  { key: 'null_cipher', name: 'Null Cipher', version: 1 },
];

interface Page {
  events: Array<{ seq: number }>;
  next?: number;
  head: number;
}

describe("a device's events through the fleet service (real PostgreSQL)", () => {
  let pg: PgCluster;
  let central: SpawnedServer;
  let device: InProcessServer;
  let storeId = '';
  const names: string[] = [];
  let since = '';

  /** An analysis of `name` as the reactor records it: started, findings of one window each, completed. */
  async function analyse(
    name: string,
    analysisId: string,
    findings: Array<Pick<AnalysisFindingData, 'analyzer' | 'severity' | 'packet'>>,
    severities: Record<string, number>,
  ): Promise<void> {
    const context = { actor: { kind: 'system' as const }, correlationId: `analysis-${analysisId}` };
    const run = async (command: Parameters<InProcessServer['ledger']['execute']>[0]): Promise<void> => {
      expect((await device.ledger.execute(command, context)).ok).toBe(true);
    };
    await run({ type: 'StartRecordingAnalysis', data: { name, analysisId, reason: 'new', analyzers: ANALYZERS } });
    for (const f of findings) {
      const windowEnd = Math.ceil(f.packet / FINDING_WINDOW_PACKETS) * FINDING_WINDOW_PACKETS;
      const analyzer = ANALYZERS.find((a) => a.key === f.analyzer) as AnalyzerVersion;
      await run({
        type: 'RecordAnalysisFindings',
        data: {
          name,
          analysisId,
          through: windowEnd,
          findings: [
            {
              ...f,
              analysisId,
              analyzerName: analyzer.name,
              message: `finding of ${f.analyzer} (packet ${f.packet})`,
              packetTime: '2024-06-01T10:00:00+00:00',
              count: 1,
              lastPacket: f.packet,
              windowEnd,
            },
          ],
        },
      });
    }
    await run({
      type: 'CompleteRecordingAnalysis',
      data: {
        name,
        analysisId,
        analyzers: ANALYZERS,
        messages: 3000,
        analysed: 2900,
        skipped: {},
        severities,
        reportRows: 2,
      },
    });
  }

  beforeAll(async () => {
    pg = await startPostgres();
    const db = await pg.createDatabase();
    central = await spawnService('fleet', ['--db', db]);
    device = await startInProcess({ keep: true, recorder: { source: 'synthetic:rate=400', autoStart: false } });
    names.push(await recordOnce(device));
    since = new Date().toISOString();
    names.push(await recordOnce(device));
    await request(device.baseUrl, '/api/time-offset', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'fleet-events-offset' },
      body: '{"offset_seconds":3}',
    });
    await analyse(
      names[0] as string,
      'a-low-and-a-high',
      [
        { analyzer: 'imsi_requested', severity: 'Low', packet: 10 },
        { analyzer: 'null_cipher', severity: 'High', packet: 1500 },
      ],
      { Informational: 4, Low: 1, Medium: 0, High: 1 },
    );
    await analyse(names[1] as string, 'informational-only', [], { Informational: 2, Low: 0, Medium: 0, High: 0 });
    storeId = device.ledger.log.metadata.storeId;

    await shipExported(device, central.baseUrl, db, 'events');
  });

  afterAll(async () => {
    central?.proc.kill('SIGTERM');
    await central?.exited;
    await device?.close();
    if (device) await fs.rm(device.dataDir, { recursive: true, force: true });
    await pg?.stop();
  });

  const queries = (): string[] => [
    '',
    'order=asc&limit=7',
    'limit=5&before=20',
    'order=asc&after=10&limit=3',
    'type=RecordingStarted,RecordingStopped',
    `recording=${names[0]}&order=asc`,
    'actor=system',
    'actor=http&limit=1000',
    'correlation=fleet-events-offset',
    `since=${since}&order=asc`,
    `until=${since}`,
    'q=OFFSETSECONDS',
    'severity=Informational',
    'severity=Low',
    'severity=High',
    'severity=Low&type=RecordingAnalysisFinding',
    'severity=High&order=asc&limit=1',
  ];

  test('every filter and cursor of the event API gives the device’s page', async () => {
    for (const query of queries()) {
      const own = await request(device.baseUrl, `/api/events?${query}`);
      const theirs = await request(central.baseUrl, `/api/fleet/devices/${storeId}/events?${query}`);
      expect([query, theirs.status]).toEqual([query, 200]);
      expect([query, theirs.json<Page>()]).toEqual([query, own.json<Page>()]);
    }
  });

  test('the comparisons are not vacuous: the severity filters tell findings and completions apart', async () => {
    const page = async (query: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> =>
      (await request(central.baseUrl, `/api/fleet/devices/${storeId}/events?${query}`)).json<{
        events: Array<{ type: string; data: Record<string, unknown> }>;
      }>().events;
    expect((await page('severity=Informational')).map((e) => e.type)).toEqual([
      'RecordingAnalysisCompleted',
      'RecordingAnalysisCompleted',
      'RecordingAnalysisFinding',
      'RecordingAnalysisFinding',
    ]);
    expect((await page('severity=Low')).map((e) => [e.type, e.data['severity'] ?? e.data['analysisId']])).toEqual([
      ['RecordingAnalysisCompleted', 'a-low-and-a-high'],
      ['RecordingAnalysisFinding', 'High'],
      ['RecordingAnalysisFinding', 'Low'],
    ]);
    expect((await page('severity=High')).map((e) => [e.type, e.data['severity'] ?? e.data['analysisId']])).toEqual([
      ['RecordingAnalysisCompleted', 'a-low-and-a-high'],
      ['RecordingAnalysisFinding', 'High'],
    ]);
    expect(await page('correlation=fleet-events-offset')).toHaveLength(1);
  });
  test('the manifest as it was (`?at=` a seq or an RFC 3339 time) is the device’s, also for a bad or future `at`', async () => {
    const head = device.ledger.log.headSeq();
    for (const at of [
      '',
      '?at=5',
      `?at=${since}`,
      '?at=2000-01-01T00:00:00Z',
      '?at=2999-01-01T00:00:00Z',
      `?at=${head}`,
    ]) {
      const own = await request(device.baseUrl, `/api/qmdl-manifest${at}`);
      const theirs = await request(central.baseUrl, `/api/fleet/devices/${storeId}/qmdl-manifest${at}`);
      expect([at, theirs.status, theirs.headers['x-ledger-seq']]).toEqual([at, 200, own.headers['x-ledger-seq']]);
      expect([at, theirs.text()]).toEqual([at, own.text()]);
    }
    // The device answers a Rayhunter route's error in plain text, the fleet service in JSON: the same status and code.
    for (const at of ['?at=yesterday', `?at=${head + 1000}`]) {
      const own = await request(device.baseUrl, `/api/qmdl-manifest${at}`);
      const theirs = await request(central.baseUrl, `/api/fleet/devices/${storeId}/qmdl-manifest${at}`);
      expect([at, errorOf(theirs)]).toEqual([at, errorOf(own)]);
      expect(own.status).toBe(400);
    }
  });
  test('the devices list names the device with its head (seq and hash), chain, recordings and last visit', async () => {
    const [last] = (await request(device.baseUrl, '/api/events?limit=1')).json<{
      events: Array<{ seq: number; hash: string }>;
    }>().events;
    const listed = (await request(central.baseUrl, '/api/fleet/devices')).json<Array<Record<string, unknown>>>();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      storeId,
      label: 'events',
      head: { seq: last?.seq, hash: last?.hash },
      chain: 'ok',
      activeRecording: null,
      recordings: 2,
      warnings: {},
    });
    expect(Date.parse(String(listed[0]?.['lastSeen']))).toBeGreaterThan(Date.now() - 600_000);
  });
});
