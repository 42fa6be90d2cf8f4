import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryEventLog } from '@ledger/event-log';
import type { ChainHead, DataAnswer, EventsAnswer, FleetTarget, ReportVersion, ShippedFile } from './fleet-target';
import type { Ledger } from './ledger';
import { silentLogger } from './logger';
import { openLedger } from './open-ledger';
import { Shipper } from './shipper';

const recorder = {
  source: 'none',
  autoStart: false,
  flushIntervalMs: 50,
  flushKiB: 16,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
};
const cli = { actor: { kind: 'cli' as const }, correlationId: 'c' };

/** A central side in memory: it keeps what it is sent, with the protocol's head rules. */
class MemoryTarget implements FleetTarget {
  readonly url = 'http://central.test';
  lines: string[] = [];
  posts = 0;
  constructor(private forcedHead?: ChainHead) {}
  async head(): Promise<ChainHead> {
    return this.forcedHead ?? this.current();
  }
  async sendEvents(ndjson: string): Promise<EventsAnswer> {
    this.posts += 1;
    const batch = ndjson.trim().split('\n');
    const first = (JSON.parse(batch[0] as string) as { seq: number }).seq;
    if (this.forcedHead !== undefined) return { ok: false, head: this.forcedHead };
    if (first !== this.lines.length + 1) return { ok: false, head: this.current() };
    this.lines.push(...batch);
    return { ok: true, head: this.current() };
  }
  async fileSize(_name: string, _file: ShippedFile): Promise<number> {
    return 0;
  }
  async putData(_name: string, _file: ShippedFile, offset: number, bytes: Buffer): Promise<DataAnswer> {
    return { ok: true, size: offset + bytes.length };
  }
  private current(): ChainHead {
    const last = this.lines[this.lines.length - 1];
    return last === undefined
      ? { seq: 0, hash: '0'.repeat(64) }
      : { seq: this.lines.length, hash: (JSON.parse(last) as { hash: string }).hash };
  }
}

/**
 * A central side that also keeps files by offset, an analysis report by version: a version is
 * served once all of its length arrived; `stale` versions are answered as older than the stored one.
 */
class ReportTarget extends MemoryTarget {
  readonly puts: Array<{ name: string; file: ShippedFile; offset: number; version?: string }> = [];
  readonly served = new Map<string, { version: string; bytes: Buffer }>();
  readonly stale = new Set<string>();
  private readonly held = new Map<string, Buffer>();
  override async fileSize(name: string, file: ShippedFile, version?: string): Promise<number> {
    return this.held.get(`${name}/${file}/${version ?? ''}`)?.length ?? 0;
  }
  override async putData(
    name: string,
    file: ShippedFile,
    offset: number,
    bytes: Buffer,
    report?: ReportVersion,
  ): Promise<DataAnswer> {
    this.puts.push({ name, file, offset, ...(report !== undefined ? { version: report.version } : {}) });
    if (report !== undefined && this.stale.has(report.version))
      return { ok: false, size: this.served.get(name)?.bytes.length ?? 0, stale: true };
    const key = `${name}/${file}/${report?.version ?? ''}`;
    const have = this.held.get(key) ?? Buffer.alloc(0);
    if (offset > have.length) return { ok: false, size: have.length };
    const next = offset + bytes.length > have.length ? Buffer.concat([have.subarray(0, offset), bytes]) : have;
    this.held.set(key, next);
    if (report !== undefined && next.length === report.length)
      this.served.set(name, { version: report.version, bytes: next });
    return { ok: true, size: next.length };
  }
}

/** A finished recording with its committed bytes on disk, imported (as found in the data directory). */
async function importFinished(ledger: Ledger): Promise<{ name: string; bytes: Buffer }> {
  const name = '1717235000';
  const bytes = Buffer.from('committed bytes of a finished recording');
  mkdirSync(path.dirname(ledger.paths(name).qmdl), { recursive: true });
  writeFileSync(ledger.paths(name).qmdl, bytes);
  const imported = await ledger.execute(
    {
      type: 'ImportRecording',
      data: {
        name,
        startTime: '2024-06-01T09:43:20Z',
        qmdlSizeBytes: bytes.length,
        compressed: true,
        recoveredFrom: 'file-name',
      },
    },
    cli,
  );
  expect(imported.ok).toBe(true);
  return { name, bytes };
}

const ANALYZERS = [{ key: 'null_cipher', name: 'Null Cipher', version: 1 }];

/** An analysis as the reactor records it: started, its report put in place, completed. */
async function analyse(ledger: Ledger, name: string, analysisId: string, report: string | undefined): Promise<void> {
  const started = await ledger.execute(
    { type: 'StartRecordingAnalysis', data: { name, analysisId, reason: 'requested', analyzers: ANALYZERS } },
    cli,
  );
  expect(started.ok).toBe(true);
  if (report === undefined) return;
  writeFileSync(ledger.paths(name).analysis, report);
  await completeAnalysis(ledger, name, analysisId);
}

async function completeAnalysis(ledger: Ledger, name: string, analysisId: string): Promise<void> {
  const completed = await ledger.execute(
    {
      type: 'CompleteRecordingAnalysis',
      data: {
        name,
        analysisId,
        analyzers: ANALYZERS,
        messages: 0,
        analysed: 0,
        skipped: {},
        severities: {},
        reportRows: 1,
      },
    },
    cli,
  );
  expect(completed.ok).toBe(true);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not met');
}

describe('Shipper', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-shipper-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ships every event exactly as stored, from the central head, and follows new commits', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const target = new MemoryTarget();
    const shipper = new Shipper({ ledger, target, batchEvents: 2 }).start();
    await until(() => shipper.status().state === 'idle' && shipper.status().lagEvents === 0);
    await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: 3 } }, cli);
    await until(() => target.lines.length === log.headSeq());
    const stored: string[] = [];
    for await (const { text } of log.readStored()) stored.push(text);
    expect(target.lines).toEqual(stored);
    expect(shipper.status()).toMatchObject({ shippedSeq: log.headSeq(), lagEvents: 0 });
    await shipper.stop();
    await ledger.close();
    await log.close();
  });

  it("records an upload at the ledger's clock plus the store's offset, and ships on a clock that stands still", async () => {
    const log = await MemoryEventLog.open();
    const now = 1_717_236_000_000;
    const ledger = await openLedger({
      dataDir: dir,
      appVersion: 't',
      logger: silentLogger,
      recorder,
      log,
      clock: { now: () => now },
    });
    await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: 30 } }, cli);
    const { name, bytes } = await importFinished(ledger);
    const target = new MemoryTarget();
    const shipper = new Shipper({ ledger, target }).start();
    await until(() => shipper.status().uploadedRecordings === 1 && shipper.status().lagEvents === 0);
    const uploadTime = new Date(now + 30_000).toISOString();
    expect(ledger.state().entries[name]?.uploadTime).toBe(uploadTime);
    const uploaded = JSON.parse(target.lines[target.lines.length - 1] as string) as {
      type: string;
      data: { uploadTime: string; sizeBytes: number };
    };
    expect(uploaded).toMatchObject({ type: 'RecordingUploaded', data: { uploadTime, sizeBytes: bytes.length } });
    await shipper.stop();
    await ledger.close();
    await log.close();
  });

  it('after a 409 from a central side restored to an older head, ships again from there, as a reactor the ledger lists', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const target = new MemoryTarget();
    const shipper = new Shipper({ ledger, target, batchEvents: 3, coalesceMs: 0 }).start();
    for (let i = 0; i < 6; i++) await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: i } }, cli);
    await until(() => target.lines.length === log.headSeq() && shipper.status().state === 'idle');
    target.lines.splice(2);
    const posts = target.posts;
    await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: 60 } }, cli);
    await until(() => target.lines.length === log.headSeq() && shipper.status().lagEvents === 0);
    const stored: string[] = [];
    for await (const { text } of log.readStored()) stored.push(text);
    expect(target.lines).toEqual(stored);
    // The batch past the restored head was refused, then everything from seq 3 on went again.
    expect(target.posts - posts).toBeGreaterThanOrEqual(2);
    expect(ledger.reactors().find((r) => r.name === 'shipper')).toMatchObject({
      position: log.headSeq(),
      lagEvents: 0,
    });
    await shipper.stop();
    await ledger.close();
    await log.close();
  });

  it('ships a report under the analysis that wrote it, and again, from 0 and whole, when the uploaded recording is analysed again', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const { name } = await importFinished(ledger);
    await analyse(ledger, name, 'a1', '{"report":1}\n');
    const target = new ReportTarget();
    const shipper = new Shipper({ ledger, target, awaitAnalysis: true, chunkBytes: 8, coalesceMs: 0 }).start();
    await until(() => shipper.status().uploadedRecordings === 1 && shipper.status().lagEvents === 0);
    expect(target.served.get(name)).toEqual({ version: 'a1', bytes: Buffer.from('{"report":1}\n') });

    // Analysed again after the upload: the new report goes under its own version, from byte 0, in order.
    const second = '{"report":2,"rows":["a longer report than the first"]}\n';
    await analyse(ledger, name, 'a2', second);
    await until(() => target.served.get(name)?.version === 'a2');
    expect(target.served.get(name)?.bytes.toString()).toBe(second);
    const offsets = target.puts.filter((p) => p.version === 'a2').map((p) => p.offset);
    expect(offsets).toEqual(Array.from({ length: Math.ceil(second.length / 8) }, (_, i) => i * 8));
    expect(shipper.status().uploadedRecordings).toBe(1);

    // While an analysis runs, the file may already be its report (put in place just before it completes):
    // nothing is sent, not even by a shipper that starts then and asks the central side afresh.
    await shipper.stop();
    await analyse(ledger, name, 'a3', undefined);
    const third = '{"report":3,"rows":["in place before its completion is recorded, and longer still"]}\n';
    writeFileSync(ledger.paths(name).analysis, third);
    const before = target.puts.length;
    const restarted = new Shipper({ ledger, target, awaitAnalysis: true, chunkBytes: 8, coalesceMs: 0 }).start();
    await until(() => restarted.status().state === 'idle' && restarted.status().lagEvents === 0);
    expect(target.puts.length).toBe(before);
    await completeAnalysis(ledger, name, 'a3');
    await until(() => target.served.get(name)?.version === 'a3');
    expect(target.served.get(name)?.bytes.toString()).toBe(third);
    expect(target.puts.slice(before).every((p) => p.version === 'a3')).toBe(true);

    // An answer that the central side holds a newer report than the one completed is taken as it is, not retried.
    target.stale.add('a4');
    await analyse(ledger, name, 'a4', `{"report":4,"rows":["${'x'.repeat(200)}"]}\n`);
    await until(() => target.puts.some((p) => p.version === 'a4'));
    await until(() => restarted.status().state === 'idle' && restarted.status().lagEvents === 0);
    await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: 1 } }, cli);
    await until(() => restarted.status().state === 'idle' && restarted.status().lagEvents === 0);
    expect(target.puts.filter((p) => p.version === 'a4')).toHaveLength(1);
    expect(target.served.get(name)?.version).toBe('a3');
    await restarted.stop();
    await ledger.close();
    await log.close();
  });

  it('stops at forked, sending nothing more, when the central head is not an event of this log', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const target = new MemoryTarget({ seq: 1, hash: 'f'.repeat(64) });
    const shipper = new Shipper({ ledger, target, backoff: { minMs: 10, maxMs: 50 } }).start();
    await until(() => shipper.status().state === 'forked');
    expect(shipper.status().lastError?.code).toBe('CHAIN_FORKED');
    expect(target.posts).toBe(0);
    await shipper.stop();
    await ledger.close();
    await log.close();
  });
});
