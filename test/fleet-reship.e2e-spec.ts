/**
 * A re-analysed report reaches the fleet service, end to end with every part
 * real: a private PostgreSQL cluster, a `fleet` process, and a `serve` process
 * that replays a real capture (attach-2020-lte, which raises High findings),
 * analyses it and ships it through a logging HTTP proxy. After the upload, an
 * analyzer config change makes the device analyse the recording again (a new
 * RecordingAnalysisCompleted, a report of other findings); the device is
 * SIGKILLed while the new report is on its way (small requests, a low rate)
 * and restarted. The central zip's `.ndjson`, the fleet warnings and the
 * devices list's counts are then the device's new report, the upload resumed
 * where the central side held it, and the old report was served whole until
 * the new one was complete. Uploads of an older version, without a version,
 * or with a bad one are refused with their codes and change nothing. Asked
 * again over HTTP (`POST /api/analysis/{name}`), the next analysis' report
 * replaces that one too.
 */
import { replaySample } from './helpers/samples';
import { startPostgres, type PgCluster } from './helpers/postgres';
import {
  eventually,
  readZip,
  request,
  runCli,
  spawnServer,
  spawnService,
  tempDirs,
  type EventJson,
  type Manifest,
  type SpawnedServer,
} from './helpers/server';
import { errorOf } from './helpers/http-errors';
import { startLoggingProxy, type LoggingProxy } from './helpers/logging-proxy';

jest.setTimeout(600_000);

const WAIT = 240_000;
/** Small requests at a low rate: the new report (~180 KB) takes three uploads seconds apart. */
const CHUNK_KIB = 64;
const SHIP_ARGS = (proxy: string, token: string): string[] => [
  '--ship-to',
  proxy,
  '--ship-token',
  token,
  '--ship-rate-kib',
  '16',
  '--ship-chunk-kib',
  String(CHUNK_KIB),
];

interface Warning {
  severity: string;
  message: string;
  packetTimestamp: string | null;
}

/** The warnings a Rayhunter v2 report holds (its Low, Medium and High events), in a stable order. */
function warningsOf(report: string): Warning[] {
  const out: Warning[] = [];
  for (const line of report.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as {
      packet_timestamp?: string;
      events?: Array<{ event_type: string; message: string } | null>;
    };
    for (const e of row.events ?? []) {
      if (e === null || !['Low', 'Medium', 'High'].includes(e.event_type)) continue;
      out.push({
        severity: e.event_type,
        message: e.message,
        packetTimestamp: row.packet_timestamp === undefined ? null : new Date(row.packet_timestamp).toISOString(),
      });
    }
  }
  return sorted(out);
}

function sorted(warnings: Warning[]): Warning[] {
  const key = (w: Warning): string => `${w.packetTimestamp ?? ''}|${w.severity}|${w.message}`;
  return [...warnings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function countsOf(warnings: readonly Warning[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of warnings) out[w.severity] = (out[w.severity] ?? 0) + 1;
  return out;
}

describe('fleet: a re-analysed report replaces the central one (real PostgreSQL, fleet and serve; SIGKILL on the way)', () => {
  const temp = tempDirs();
  let pg: PgCluster;
  let db: string;
  let central: SpawnedServer;
  let proxy: LoggingProxy;
  let device: SpawnedServer | undefined;
  let token: string;

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
    central = await spawnService('fleet', ['--db', db]);
    proxy = await startLoggingProxy(central.baseUrl);
    const enrolled = await runCli(['fleet', 'enroll', '--db', db, '--label', 'reanalysed']);
    expect(enrolled.code).toBe(0);
    token = enrolled.stdout.trim();
  });

  afterAll(async () => {
    if (device !== undefined) {
      device.proc.kill('SIGTERM');
      await device.exited;
    }
    if (central !== undefined) {
      central.proc.kill('SIGTERM');
      await central.exited;
    }
    await proxy?.close();
    await pg?.stop();
    temp.removeAll();
  });

  test('the new report is served centrally (zip, warnings, counts) once whole; older, unversioned and bad uploads are refused', async () => {
    try {
      await scenario();
    } catch (error) {
      if (device !== undefined) process.stderr.write(`--- device stderr:\n${device.stderr().slice(-4000)}\n`);
      process.stderr.write(`--- central stderr:\n${central.stderr().slice(-4000)}\n`);
      throw error;
    }
  });

  async function scenario(): Promise<void> {
    const workDir = temp.make('qmdl-ledger-reship-');
    const replayed = await replaySample('attach-2020-lte', workDir, { serveArgs: SHIP_ARGS(proxy.url, token) });
    device = replayed.server;
    const { dataDir, recording: name } = replayed;
    const storeId = (await request(device.baseUrl, '/api/events?order=asc&limit=1')).json<{
      events: Array<{ data: { storeId: string } }>;
    }>().events[0]?.data.storeId as string;
    const auth = { authorization: `Bearer ${token}` };
    const reportSize = async (version?: string): Promise<{ size: number; version: string | null }> =>
      (
        await request(
          central.baseUrl,
          `/api/fleet/v1/devices/${storeId}/recordings/${name}/data/size?file=analysis${version === undefined ? '' : `&version=${version}`}`,
          { headers: auth },
        )
      ).json();
    const completions = async (): Promise<EventJson[]> =>
      (
        await request(device?.baseUrl ?? '', `/api/events?type=RecordingAnalysisCompleted&recording=${name}&order=asc`)
      ).json<{ events: EventJson[] }>().events;
    const deviceReport = async (): Promise<string> =>
      (await request(device?.baseUrl ?? '', `/api/analysis-report/${name}`)).text();
    const centralReport = async (): Promise<string | undefined> => {
      const zip = await request(central.baseUrl, `/api/fleet/devices/${storeId}/zip/${name}`);
      expect(zip.status).toBe(200);
      return readZip(zip.body)
        .find((m) => m.name === `${name}.ndjson`)
        ?.data.toString('utf8');
    };
    const centralWarnings = async (): Promise<Warning[]> =>
      sorted(
        (await request(central.baseUrl, `/api/fleet/warnings?device=${storeId}&limit=1000`))
          .json<Array<Warning & { recording: string }>>()
          .map(({ severity, message, packetTimestamp }) => ({ severity, message, packetTimestamp })),
      );
    const listedCounts = async (): Promise<Record<string, number> | undefined> =>
      (await request(central.baseUrl, '/api/fleet/devices'))
        .json<Array<{ storeId: string; warnings: Record<string, number> }>>()
        .find((d) => d.storeId === storeId)?.warnings;

    // Shipped and uploaded once its analysis completed: the central report is the device's.
    await eventually(
      async () => {
        const manifest = (await request(device?.baseUrl ?? '', '/api/qmdl-manifest')).json<Manifest>();
        const entry = manifest.entries.find((e) => e.name === name) as { upload_time?: string | null } | undefined;
        return typeof entry?.upload_time === 'string' ? true : undefined;
      },
      WAIT,
      200,
    );
    const [first] = await completions();
    const firstId = String(first?.data['analysisId']);
    const oldReport = await deviceReport();
    expect(await centralReport()).toBe(oldReport);
    const oldWarnings = warningsOf(oldReport);
    expect(oldWarnings.length).toBeGreaterThan(0);
    expect(await centralWarnings()).toEqual(oldWarnings);
    expect(await reportSize()).toEqual({ size: Buffer.byteLength(oldReport), version: firstId });

    // Another analyzer set: the device analyses the recording again and writes another report.
    const config = await request(device.baseUrl, '/api/config', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ analyzers: { test_analyzer: true, lte_sib6_and_7_downgrade: false } }),
    });
    expect(config.status).toBe(202);
    const second = await eventually(
      async () => (await completions()).find((e) => e.data['analysisId'] !== firstId),
      WAIT,
      100,
    );
    const secondId = String(second.data['analysisId']);
    const newReport = await deviceReport();
    const newLength = Buffer.byteLength(newReport);
    expect(newReport).not.toBe(oldReport);
    expect(newLength).toBeGreaterThan(2 * CHUNK_KIB * 1024);
    const newWarnings = warningsOf(newReport);
    expect(newWarnings).not.toEqual(oldWarnings);

    // SIGKILL while the new report is on its way: part of it is held centrally, the old one is still served whole.
    const held = await eventually(
      async () => {
        const { size } = await reportSize(secondId);
        return size > 0 && size < newLength ? size : undefined;
      },
      WAIT,
      25,
    );
    device.proc.kill('SIGKILL');
    await device.exited;
    device = undefined;
    // An upload the kill cut off is rolled back; one that had arrived whole is committed: wait for its answer.
    await eventually(() => (proxy.inFlight() === 0 ? true : undefined), WAIT);
    const heldAtKill = (await reportSize(secondId)).size;
    expect(heldAtKill).toBeGreaterThanOrEqual(held);
    expect(heldAtKill).toBeLessThan(newLength);
    expect(await reportSize()).toEqual({ size: Buffer.byteLength(oldReport), version: firstId });
    expect(await centralReport()).toBe(oldReport);
    expect(await centralWarnings()).toEqual(oldWarnings);

    // Restarted (no recording, nothing left to analyse): the upload resumes from what the central side holds.
    const mark = proxy.requests.length;
    const restarted = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'none',
      '--no-auto-start',
      ...SHIP_ARGS(proxy.url, token),
    ]);
    device = restarted;
    await eventually(async () => ((await reportSize()).version === secondId ? true : undefined), WAIT, 200);
    const resumed = proxy.requests
      .slice(mark)
      .filter((r) => r.startsWith('PUT ') && r.includes('file=analysis') && r.includes(`version=${secondId}`));
    expect(resumed[0]).toContain(`offset=${heldAtKill}&`);
    expect(await deviceReport()).toBe(newReport);
    expect(await reportSize()).toEqual({ size: newLength, version: secondId });
    expect(await centralReport()).toBe(newReport);
    expect(await centralWarnings()).toEqual(newWarnings);
    expect(await listedCounts()).toEqual(countsOf(newWarnings));

    // An older version changes nothing (409 with what is stored), nor does an upload without a version.
    const put = (query: string, body: string | Buffer) =>
      request(central.baseUrl, `/api/fleet/v1/devices/${storeId}/recordings/${name}/data?${query}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body,
      });
    const older = await put(
      `offset=0&file=analysis&version=${firstId}&length=${Buffer.byteLength(oldReport)}`,
      oldReport,
    );
    expect(errorOf(older)).toEqual({ status: 409, code: 'STALE_REPORT_VERSION' });
    expect(older.json()).toMatchObject({ size: newLength, version: secondId });
    const unversioned = await put('offset=0&file=analysis', oldReport);
    expect(errorOf(unversioned)).toEqual({ status: 409, code: 'STALE_REPORT_VERSION' });
    // The same version again is acknowledged and stores nothing twice; bytes past its length are refused.
    const again = await put(`offset=0&file=analysis&version=${secondId}&length=${newLength}`, newReport);
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ size: newLength, version: secondId });
    const longer = await put(`offset=0&file=analysis&version=${secondId}&length=${newLength}`, `${newReport}x`);
    expect(errorOf(longer)).toEqual({ status: 422, code: 'REPORT_LENGTH_MISMATCH' });
    const otherLength = await put(`offset=0&file=analysis&version=${secondId}&length=${newLength + 1}`, newReport);
    expect(errorOf(otherLength)).toEqual({ status: 422, code: 'REPORT_LENGTH_MISMATCH' });
    // A version no shipped completion of the recording names, a malformed one, one for another file.
    const unknown = await put('offset=0&file=analysis&version=not-an-analysis&length=1', 'x');
    expect(errorOf(unknown)).toEqual({ status: 422, code: 'UNKNOWN_REPORT_VERSION' });
    expect(errorOf(await put('offset=0&file=analysis&version=a%20b&length=1', 'x'))).toEqual({
      status: 400,
      code: 'INVALID_REPORT_VERSION',
    });
    expect(errorOf(await put(`offset=0&file=analysis&version=${secondId}`, 'x'))).toEqual({
      status: 400,
      code: 'INVALID_REPORT_VERSION',
    });
    expect(errorOf(await put(`offset=0&file=gps&version=${secondId}&length=1`, 'x'))).toEqual({
      status: 400,
      code: 'INVALID_QUERY',
    });
    expect(await centralReport()).toBe(newReport);
    expect(await centralWarnings()).toEqual(newWarnings);
    expect(await listedCounts()).toEqual(countsOf(newWarnings));

    // Asked again over HTTP (same analyzers): a new analysis, so a new version, which the central side
    // takes even where the bytes are alike; the one before it is now older.
    const asked = await request(restarted.baseUrl, `/api/analysis/${name}`, { method: 'POST' });
    expect(asked.status).toBe(202);
    const third = await eventually(
      async () => (await completions()).find((e) => ![firstId, secondId].includes(String(e.data['analysisId']))),
      WAIT,
      100,
    );
    const thirdId = String(third.data['analysisId']);
    await eventually(async () => ((await reportSize()).version === thirdId ? true : undefined), WAIT, 200);
    const thirdReport = await deviceReport();
    expect(await reportSize()).toEqual({ size: Buffer.byteLength(thirdReport), version: thirdId });
    expect(await centralReport()).toBe(thirdReport);
    expect(await centralWarnings()).toEqual(warningsOf(thirdReport));
    const previous = await put(`offset=0&file=analysis&version=${secondId}&length=${newLength}`, newReport);
    expect(errorOf(previous)).toEqual({ status: 409, code: 'STALE_REPORT_VERSION' });
    expect(previous.json()).toMatchObject({ version: thirdId });
  }
});
