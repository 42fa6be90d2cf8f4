/**
 * Frames and messages the analysis cannot read are report rows with a skip
 * reason (as the original writes them) and counted in RecordingAnalysisCompleted:
 * damaged frames (bad CRC, bad escape, too short, a cut last frame) of imported
 * captures — a crafted one and the real cmcc capture, whose first 45 bytes are a
 * bad-CRC frame — and log messages cut short or of an unknown LTE RRC layout in a
 * recording analysed live, whose live report is the one made after the fact.
 * Against the built binary (`npm run build` first), real LevelDB, real files.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { craftedMessages, type AnalysisRow } from '@ledger/analysis';
import { encodeHdlcFrame } from '@ledger/qmdl';
import { unreadableFrames } from '@ledger/radio';
import { craftedDiagMessage } from './helpers/crafted-capture';
import { samplePath } from './helpers/samples';
import { tcpFedServer } from './helpers/tcp-producer';
import {
  analysisQueue,
  eventually,
  request,
  runCli,
  spawnServer,
  stopServer,
  tempDirs,
  type Manifest,
  type SpawnedServer,
  type EventJson,
} from './helpers/server';

jest.setTimeout(180_000);

const temp = tempDirs();
afterAll(() => temp.removeAll());

/** A security mode command selecting EEA0 (the null-cipher analyzer's High), logged at `timeMs`. */
function nullCipherFrame(timeMs: number): Buffer {
  return encodeHdlcFrame(craftedDiagMessage(craftedMessages.securityModeCommandEea0, timeMs));
}

const T0 = Date.UTC(2024, 4, 6, 7, 8, 9, 0);
const good = nullCipherFrame(T0);
const { frames: unreadable, cut } = unreadableFrames(good);

const REASON: Record<string, string> = {
  HDLC_BAD_CRC: 'HdlcDecapsulationError(InvalidChecksum)',
  HDLC_BAD_ESCAPE: 'HdlcDecapsulationError(InvalidEscapeSequence)',
  HDLC_TOO_SHORT: 'HdlcDecapsulationError(TooShort)',
  MESSAGE_TRUNCATED: 'MessageParsingError(Incomplete)',
  LTE_RRC_UNKNOWN_VERSION: 'InvalidLteRrcOtaExtHeaderVersion(5)',
  LTE_RRC_UNKNOWN_PDU: 'InvalidLteRrcOtaHeaderPduNum(15, 3)',
  FRAME_CUT: 'HdlcDecapsulationError(NoTrailingCharacter)',
};

function skipped(reason: string): AnalysisRow {
  return { packet_timestamp: null, skipped_message_reason: reason, events: [] };
}

function reportOf(ndjson: string): { metadata: { analyzers: { name: string }[] }; rows: AnalysisRow[] } {
  const [first, ...rest] = ndjson.trim().split('\n');
  return { metadata: JSON.parse(first as string), rows: rest.map((l) => JSON.parse(l) as AnalysisRow) };
}

/** The row of a null-cipher finding at `packet`, or the skip reason of a skipped row. */
function summary(row: AnalysisRow): string {
  if (row.skipped_message_reason !== null) return `skipped ${row.skipped_message_reason}`;
  return row.events.flatMap((e) => (e === null ? [] : [`${e.event_type} ${e.message}`])).join(' | ');
}

function countByReason(rows: readonly AnalysisRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows)
    if (r.skipped_message_reason !== null) out[r.skipped_message_reason] = (out[r.skipped_message_reason] ?? 0) + 1;
  return out;
}

async function completions(base: string, name: string): Promise<EventJson[]> {
  const res = await request(base, '/api/events?type=RecordingAnalysisCompleted&order=asc&limit=1000');
  return res.json<{ events: EventJson[] }>().events.filter((e) => e.recording === name);
}

async function analysed(base: string, names: readonly string[], count = 1): Promise<void> {
  await eventually(
    async () => {
      const q = await analysisQueue(base);
      if (q.running !== null || q.queued.length > 0 || !names.every((n) => q.finished.includes(n))) return undefined;
      for (const n of names) if ((await completions(base, n)).length < count) return undefined;
      return true;
    },
    120_000,
    200,
  );
}

describe('imported captures with damaged frames', () => {
  const work = temp.make('qmdl-ledger-unreadable-import-');
  const crafted = '1715000000';
  const cmcc = '1438395060';
  let server: SpawnedServer | undefined;
  let base = '';

  beforeAll(async () => {
    const store = path.join(work, 'rayhunter');
    mkdirSync(store);
    // High, the six unreadable frames, High again, then a cut last frame.
    writeFileSync(
      path.join(store, `${crafted}.qmdl`),
      Buffer.concat([good, ...unreadable.map((f) => f.bytes), nullCipherFrame(T0 + 1000), cut]),
    );
    copyFileSync(samplePath('cmcc-2015-lte-gsm'), path.join(store, `${cmcc}.qmdl`));
    const data = path.join(work, 'data');
    const imported = await runCli(['import-rayhunter', store, data, '--json'], {}, 60_000);
    expect(imported.code).toBe(0);
    server = await spawnServer(['--data-dir', data, '--no-auto-start']);
    base = server.baseUrl;
    await analysed(base, [crafted, cmcc]);
  });
  afterAll(() => stopServer(server));

  it('reports each damaged frame and unreadable message as a skipped row in its place, with no time; packet N counts them', async () => {
    const report = reportOf((await request(base, `/api/analysis-report/${crafted}`)).body.toString('utf8'));
    const last = unreadable.length + 2;
    expect(report.rows.map(summary)).toEqual([
      expect.stringMatching(/^High .* \(packet 1\)$/),
      ...unreadable.map((f) => `skipped ${REASON[f.reason]}`),
      expect.stringMatching(new RegExp(`^High .* \\(packet ${last}\\)$`)),
      `skipped ${REASON['FRAME_CUT']}`,
    ]);
    for (const row of report.rows.filter((r) => r.skipped_message_reason !== null))
      expect(row).toEqual(skipped(row.skipped_message_reason as string));
    expect(report.rows[0]?.packet_timestamp).toBe('2024-05-06T07:08:09+00:00');
  });

  it('counts them by reason in RecordingAnalysisCompleted, as many as the report has rows', async () => {
    const [done] = await completions(base, crafted);
    const report = reportOf((await request(base, `/api/analysis-report/${crafted}`)).body.toString('utf8'));
    expect(done?.data['skipped']).toEqual(countByReason(report.rows));
    expect(done?.data['skipped']).toEqual(
      Object.fromEntries([...unreadable.map((f) => f.reason), 'FRAME_CUT'].map((r) => [REASON[r], 1])),
    );
    expect(done?.data).toMatchObject({ messages: unreadable.length + 3, reportRows: report.rows.length });
  });

  it("cmcc: its first frame (45 bytes, bad CRC) is the report's first row and counted; the report is the CLI's of the same bytes", async () => {
    const served = (await request(base, `/api/analysis-report/${cmcc}`)).body.toString('utf8');
    const report = reportOf(served);
    expect(report.rows[0]).toEqual(skipped('HdlcDecapsulationError(InvalidChecksum)'));
    const [done] = await completions(base, cmcc);
    expect((done?.data['skipped'] as Record<string, number>)['HdlcDecapsulationError(InvalidChecksum)']).toBe(1);
    const file = path.join(work, 'cmcc-download.qmdl');
    writeFileSync(file, (await request(base, `/api/qmdl/${cmcc}`)).body);
    const cli = await runCli(['analyze', file, '--format', 'ndjson'], {}, 120_000);
    expect(reportOf(cli.stdout).rows).toEqual(report.rows);
    expect(served).not.toMatch(/\d{14,}/);
  });
});

describe('a recording analysed live whose messages cannot all be read', () => {
  it('has the skipped rows in its live report, which is the report the same bytes get after the fact', async () => {
    const work = temp.make('qmdl-ledger-unreadable-live-');
    const fed = await tcpFedServer(work);
    const server = fed.server;
    try {
      const base = server.baseUrl;
      expect((await request(base, '/api/start-recording', { method: 'POST' })).status).toBe(202);
      const socket = await fed.connection();
      // The source drops damaged frames (the recorder keeps valid frames only); the valid frames whose
      // message cannot be read are recorded, and analysed live.
      socket.write(Buffer.concat([good, ...unreadable.map((f) => f.bytes), nullCipherFrame(T0 + 1000)]));
      const readable = unreadable.filter((f) => !f.reason.startsWith('HDLC_'));
      const expected = [
        expect.stringMatching(/^High .* \(packet 1\)$/),
        ...readable.map((f) => `skipped ${REASON[f.reason]}`),
        expect.stringMatching(new RegExp(`^High .* \\(packet ${readable.length + 2}\\)$`)),
      ];
      const live = await eventually(
        async () => {
          const text = (await request(base, '/api/analysis-report/live')).body.toString('utf8');
          return reportOf(text).rows.length >= expected.length ? text : undefined;
        },
        60_000,
        200,
      );
      expect(reportOf(live).rows.map(summary)).toEqual(expected);
      const name = (await request(base, '/api/qmdl-manifest')).json<Manifest>().current_entry?.name as string;
      expect((await request(base, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
      await analysed(base, [name]);
      const finished = (await request(base, `/api/analysis-report/${name}`)).body.toString('utf8');
      expect(finished).toBe(live);

      // Analysed again after the fact, from the first byte: the same report, the same counts.
      expect((await request(base, `/api/analysis/${name}`, { method: 'POST' })).status).toBe(202);
      await analysed(base, [name], 2);
      expect((await request(base, `/api/analysis-report/${name}`)).body.toString('utf8')).toBe(live);
      const [first, second] = await completions(base, name);
      expect(first?.data['skipped']).toEqual(countByReason(reportOf(live).rows));
      const { analysisId: _a, ...counts } = first?.data ?? {};
      const { analysisId: _b, ...again } = second?.data ?? {};
      expect(again).toEqual(counts);
    } finally {
      await fed.close();
    }
  });
});

describe('a recording whose file cannot be read', () => {
  const work = temp.make('qmdl-ledger-unreadable-file-');
  const name = '1715000000';
  let server: SpawnedServer | undefined;
  let base = '';

  beforeAll(async () => {
    const store = path.join(work, 'rayhunter');
    mkdirSync(store);
    writeFileSync(path.join(store, `${name}.qmdl`), good);
    const data = path.join(work, 'data');
    expect((await runCli(['import-rayhunter', store, data, '--json'], {}, 60_000)).code).toBe(0);
    // A directory where its file was: there, but nothing can read it.
    const file = path.join(data, 'qmdl', `${name}.qmdl`);
    rmSync(file);
    mkdirSync(file);
    server = await spawnServer(['--data-dir', data, '--no-auto-start']);
    base = server.baseUrl;
    await eventually(
      () =>
        `${server?.stdout() ?? ''}${server?.stderr() ?? ''}`.includes(`analysis of ${name} failed`) ? true : undefined,
      60_000,
    );
  });
  afterAll(() => stopServer(server));

  it('is finished (the UI shows its report, not "Loading…" for good), with a report that says its analysis failed and why', async () => {
    expect(await analysisQueue(base)).toEqual({ queued: [], running: null, finished: [name] });
    const report = reportOf((await request(base, `/api/analysis-report/${name}`)).body.toString('utf8'));
    expect(report.metadata.analyzers).toEqual([]);
    expect(report.rows).toEqual([
      skipped(`analysis failed: cannot read ${path.join(work, 'data', 'qmdl', `${name}.qmdl`)}`),
    ]);
    expect(await completions(base, name)).toEqual([]);
  });
});
