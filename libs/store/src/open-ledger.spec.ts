import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodeOf, parseRfc3339 } from '@ledger/domain';
import { MemoryEventLog, rawEventAccess } from '@ledger/event-log';
import { diagSourceFactory, type DiagSourceFactory } from '@ledger/qmdl';
import { openLedger } from './open-ledger';
import { PROJECTION_SNAPSHOT, PROJECTION_VERSION } from './qmdl-store.projection';
import { silentLogger } from './logger';

const recorder = {
  source: 'none',
  autoStart: false,
  flushIntervalMs: 50,
  flushKiB: 16,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
};
const cli = { actor: { kind: 'cli' as const }, correlationId: 'c' };

describe('Ledger.verify', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-verify-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('checks only what was appended since the last clean verification, and everything when asked for full', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const first = await ledger.verify();
    expect(first).toMatchObject({ ok: true, scope: 'full', from: 1, checked: ledger.state().seq });
    await ledger.execute({ type: 'StopRecording', data: { reason: 'requested' } }, cli);
    const second = await ledger.verify();
    expect(second).toMatchObject({
      ok: true,
      scope: 'incremental',
      from: first.head + 1,
      checked: 1,
      projection: { ok: true },
    });

    // Tamper with an event that was already verified: only a full verification reads it again.
    let text = '{}';
    for await (const stored of log.readStored({ fromSeq: 2, toSeq: 2 })) text = stored.text;
    const stored = JSON.parse(text) as { data: Record<string, unknown> };
    await rawEventAccess(log).overwrite(2, JSON.stringify({ ...stored, data: { ...stored.data, version: 'edited' } }));
    expect((await ledger.verify()).ok).toBe(true);
    const full = await ledger.verify({ full: true });
    expect(full).toMatchObject({ ok: false, scope: 'full', firstBad: { seq: 2, code: 'BAD_HASH' } });
    await ledger.close();
    await log.close();
  });

  it('verifies ok while commands keep committing during the check', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const name = ledger.state().current?.name ?? '';
    // Verifications start, then commits follow one after another while they read.
    const verifications = [ledger.verify({ full: true }), ledger.verify({ full: true })];
    let size = 0;
    for (let i = 0; i < 300; i++) {
      size += 10;
      await ledger.execute(
        {
          type: 'AppendRecordingData',
          data: { name, totals: { qmdlSizeBytes: size, uncompressedBytes: size, containers: size } },
        },
        cli,
      );
    }
    const reports = await Promise.all(verifications);
    expect(reports.every((r) => r.head < ledger.state().seq)).toBe(true);
    for (const report of reports) expect(report).toMatchObject({ ok: true, projection: { ok: true } });
    expect(await ledger.verify()).toMatchObject({ ok: true, scope: 'incremental' });
    await ledger.close();
    await log.close();
  });
});

describe('Ledger.stateAt', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-stateat-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers the projection as it was at every sequence, in any order of questions', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const seen = new Map<number, string>();
    seen.set(ledger.state().seq, JSON.stringify(ledger.state()));
    for (let i = 0; i < 4; i++) {
      await ledger.execute({ type: 'StartRecording', data: {} }, cli);
      seen.set(ledger.state().seq, JSON.stringify(ledger.state()));
      await ledger.execute({ type: 'DeleteAllRecordings', data: {} }, cli);
      seen.set(ledger.state().seq, JSON.stringify(ledger.state()));
    }
    const order = [...seen.keys()];
    for (const seq of [...order.slice().reverse(), ...order, ...order.filter((_, i) => i % 2 === 0)]) {
      expect(JSON.stringify(await ledger.stateAt({ seq }))).toBe(seen.get(seq));
    }
    await ledger.close();
    await log.close();
  });

  it("refuses a sequence past the head (no state after an event that has not happened); a later time gives the head's", async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const head = ledger.state().seq;
    expect(JSON.stringify(await ledger.stateAt({ seq: head }))).toBe(JSON.stringify(ledger.state()));
    expect(await errorCodeOf(ledger.stateAt({ seq: head + 1 }))).toBe('SEQUENCE_PAST_HEAD');
    expect(JSON.stringify(await ledger.stateAt({ time: '2999-01-01T00:00:00Z' }))).toBe(JSON.stringify(ledger.state()));
    await ledger.close();
    await log.close();
  });
});

describe('clock offset', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-offset-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([3600, -3600])(
    "keeps a synthetic recording's last message time after its start time with a clock offset of %i s",
    async (offsetSeconds) => {
      const log = await MemoryEventLog.open();
      const ledger = await openLedger({
        dataDir: dir,
        appVersion: 't',
        logger: silentLogger,
        recorder: { ...recorder, source: 'synthetic:rate=500' },
        log,
      });
      await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds } }, cli);
      await ledger.execute({ type: 'StartRecording', data: {} }, cli);
      for (
        const until = Date.now() + 30_000;
        ledger.state().current?.lastMessageTime === undefined && Date.now() < until;
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const current = ledger.state().current;
      const start = parseRfc3339(current?.startTime ?? '');
      const last = parseRfc3339(current?.lastMessageTime ?? '');
      expect(start).toBeDefined();
      expect(last).toBeDefined();
      // Both on the adjusted clock: the last message is after the start, and not an offset away from it.
      expect(last).toBeGreaterThanOrEqual(start ?? Infinity);
      expect((last ?? 0) - (start ?? 0)).toBeLessThan(Math.abs(offsetSeconds) * 1000);
      await ledger.close();
      await log.close();
    },
  );
});

describe('the diag source', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-source-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a factory parsed by the caller: no second parse, every recording made from it, its spec recorded at boot', async () => {
    const parsed = diagSourceFactory('synthetic:rate=500');
    if (parsed === undefined) throw new Error('synthetic parses to a factory');
    let created = 0;
    const counted: DiagSourceFactory = {
      spec: parsed.spec,
      create: (options) => {
        created += 1;
        return parsed.create(options);
      },
    };
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({
      dataDir: dir,
      appVersion: 't',
      logger: silentLogger,
      recorder: { ...recorder, source: counted },
      log,
    });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    expect(created).toBe(2);
    const boots = [];
    for await (const event of log.read({ types: ['ServiceStarted'] })) boots.push(event.data);
    expect(boots).toEqual([expect.objectContaining({ source: 'synthetic:rate=500' })]);
    await ledger.close();
    await log.close();
  });
});

describe("a recording records the config's gps_mode, however it is started", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-gps-mode-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the boot auto-start and a started command both record it (a LevelDB store on disk, reopened)', async () => {
    const live = { ...recorder, source: 'synthetic:rate=200' };
    const first = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder: live });
    const { config } = first.state();
    expect((await first.execute({ type: 'ChangeConfig', data: { config: { ...config, gps_mode: 2 } } }, cli)).ok).toBe(
      true,
    );
    expect((await first.execute({ type: 'StartRecording', data: {} }, cli)).ok).toBe(true);
    expect(first.state().current?.gpsMode).toBe(2);
    await first.close();

    const booted = await openLedger({
      dataDir: dir,
      appVersion: 't',
      logger: silentLogger,
      recorder: { ...live, autoStart: true },
    });
    const current = booted.state().current;
    expect(current).toBeDefined();
    expect(current?.gpsMode).toBe(2);
    const started = [];
    for await (const event of booted.log.read({ types: ['RecordingStarted'] })) started.push(event.data);
    expect(started).toEqual([expect.objectContaining({ gpsMode: 2 }), expect.objectContaining({ gpsMode: 2 })]);
    await booted.close();
  });
});

describe('the projection snapshot at start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-snapshot-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores a rebuilt projection at once, and leaves a loaded one with a short tail as it was', async () => {
    const log = await MemoryEventLog.open();
    const open = (): ReturnType<typeof openLedger> =>
      openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const stored = async (): Promise<number | undefined> => (await log.readSnapshot<unknown>(PROJECTION_SNAPSHOT))?.seq;

    // A refused snapshot (another version) is replaced by the rebuilt state before the store is served.
    await log.writeSnapshot(PROJECTION_SNAPSHOT, { seq: 0, version: PROJECTION_VERSION + 1, value: null });
    const first = await open();
    expect(first.projectionLoad.from).toBe('rebuild');
    expect(await stored()).toBe(first.state().seq);
    await first.close();
    const closedAt = log.headSeq();
    expect(await stored()).toBe(closedAt);

    // Loaded from the snapshot the close stored: start-up's few events are folded again next time, not stored now.
    const second = await open();
    expect(second.projectionLoad).toMatchObject({ from: 'snapshot', snapshotSeq: closedAt });
    expect(second.state().seq).toBeGreaterThan(closedAt);
    expect(await stored()).toBe(closedAt);
    await second.close();
    expect(await stored()).toBe(log.headSeq());
    await log.close();
  });
});
