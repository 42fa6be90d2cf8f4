import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LedgerError } from '@ledger/domain';
import { MemoryEventLog } from '@ledger/event-log';
import {
  ShippingErrorCode,
  type ChainHead,
  type DataAnswer,
  type EventsAnswer,
  type FleetTarget,
  type ReportVersion,
  type ShippedFile,
} from './fleet-target';
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
  readonly url: string = 'http://central.test';
  lines: string[] = [];
  posts = 0;
  /** The seqs of each batch sent. */
  readonly sentSeqs: number[][] = [];
  constructor(private forcedHead?: ChainHead) {}
  async head(): Promise<ChainHead> {
    return this.forcedHead ?? this.current();
  }
  async sendEvents(ndjson: string): Promise<EventsAnswer> {
    this.posts += 1;
    const batch = ndjson.trim().split('\n');
    this.sentSeqs.push(batch.map((line) => (JSON.parse(line) as { seq: number }).seq));
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
  /** `name/file` of every size asked. */
  readonly sizes: string[] = [];
  /** Versions refused as unknown: no shipped RecordingAnalysisCompleted names them (yet). */
  readonly unknown: string[] = [];
  readonly served = new Map<string, { version: string; bytes: Buffer }>();
  readonly stale = new Set<string>();
  /** Awaited before a size is answered (a test commits meanwhile). */
  beforeSize?: (name: string, file: ShippedFile) => Promise<void>;
  readonly held = new Map<string, Buffer>();
  override async fileSize(name: string, file: ShippedFile, version?: string): Promise<number> {
    this.sizes.push(`${name}/${file}`);
    await this.beforeSize?.(name, file);
    return this.held.get(`${name}/${file}/${version ?? ''}`)?.length ?? 0;
  }
  override async putData(
    name: string,
    file: ShippedFile,
    offset: number,
    bytes: Buffer,
    report?: ReportVersion,
  ): Promise<DataAnswer> {
    if (report !== undefined && !this.completed(name, report.version)) {
      this.unknown.push(report.version);
      throw new LedgerError(ShippingErrorCode.SHIP_REFUSED, 'PUT answered 422 UNKNOWN_REPORT_VERSION', {
        details: { status: 422, code: 'UNKNOWN_REPORT_VERSION' },
      });
    }
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
  /** The fleet service knows a report version once the completion of that analysis is among the shipped events. */
  private completed(name: string, analysisId: string): boolean {
    return this.lines.some((line) => {
      const event = JSON.parse(line) as { type: string; recording?: string; data: { analysisId?: string } };
      return (
        event.type === 'RecordingAnalysisCompleted' && event.recording === name && event.data.analysisId === analysisId
      );
    });
  }
}

/** Another fleet service, as after `--ship-to` changed: it holds nothing yet. */
class OtherTarget extends ReportTarget {
  override readonly url = 'http://other-central.test';
}

/** What serve's analysis reactor gives as still to come, read from the log: an analysis started and not completed. */
function startedNotCompleted(ledger: Ledger): () => ReadonlySet<string> {
  return () =>
    new Set(
      Object.entries(ledger.state().analyses ?? {})
        .filter(([, analysis]) => analysis.running !== undefined)
        .map(([name]) => name),
    );
}

/** A finished recording with its committed bytes on disk, imported (as found in the data directory, or with `uploadTime` from the original's manifest). */
async function importFinished(ledger: Ledger, uploadTime?: string): Promise<{ name: string; bytes: Buffer }> {
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
        recoveredFrom: uploadTime === undefined ? 'file-name' : 'manifest',
        ...(uploadTime !== undefined ? { uploadTime } : {}),
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

/** A store in memory with one finished recording, imported, whose analysis `a1` completed with a report. */
async function analysedRecording(dir: string): Promise<{ log: MemoryEventLog; ledger: Ledger; name: string }> {
  const log = await MemoryEventLog.open();
  const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
  const { name } = await importFinished(ledger);
  await analyse(ledger, name, 'a1', '{"report":1}\n');
  return { log, ledger, name };
}

/** A store in memory whose clock is `now`. */
async function openLedgerAt(dir: string, log: MemoryEventLog, now: () => number): Promise<Ledger> {
  return openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log, clock: { now } });
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
    const ledger = await openLedgerAt(dir, log, () => now);
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

  it("ships a recording imported with the original's upload time (its upload elsewhere), and records the fleet's", async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const { name, bytes } = await importFinished(ledger, '2024-06-01T12:00:00Z');
    const target = new ReportTarget();
    const shipper = new Shipper({ ledger, target, coalesceMs: 0 }).start();
    await until(() => shipper.status().uploadedRecordings === 1 && shipper.status().lagEvents === 0);
    expect(target.puts).toEqual([{ name, file: 'qmdl', offset: 0 }]);
    expect(target.held.get(`${name}/qmdl/`)).toEqual(bytes);
    expect(ledger.state().entries[name]).toMatchObject({ uploadTarget: target.url });
    expect(ledger.state().entries[name]?.uploadTime).not.toBe('2024-06-01T12:00:00Z');
    await shipper.stop();
    await ledger.close();
    await log.close();
  });

  it('ships a recording uploaded to another fleet service to the one shipped to now, and records that upload', async () => {
    const log = await MemoryEventLog.open();
    let now = 1_717_236_000_000;
    const ledger = await openLedgerAt(dir, log, () => now);
    const { name, bytes } = await importFinished(ledger);
    await analyse(ledger, name, 'a1', '{"report":1}\n');
    const old = new ReportTarget();
    const options = { ledger, pendingAnalyses: startedNotCompleted(ledger), coalesceMs: 0 };
    const first = new Shipper({ ...options, target: old }).start();
    await until(() => first.status().uploadedRecordings === 1 && first.status().lagEvents === 0);
    await first.stop();
    expect(ledger.state().entries[name]).toMatchObject({ uploadTarget: old.url, uploadedReport: 'a1' });

    now += 3_600_000;
    const target = new OtherTarget();
    const shipper = new Shipper({ ...options, target }).start();
    await until(() => shipper.status().uploadedRecordings === 1 && shipper.status().lagEvents === 0);
    expect(target.held.get(`${name}/qmdl/`)).toEqual(bytes);
    expect(target.served.get(name)).toEqual({ version: 'a1', bytes: Buffer.from('{"report":1}\n') });
    expect(ledger.state().entries[name]).toMatchObject({
      uploadTarget: target.url,
      uploadedReport: 'a1',
      uploadTime: new Date(now).toISOString(),
    });
    const stored: string[] = [];
    for await (const { text } of log.readStored()) stored.push(text);
    expect(target.lines).toEqual(stored);
    expect(shipper.status().lagBytes).toBe(0);
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
    const { log, ledger, name } = await analysedRecording(dir);
    const target = new ReportTarget();
    const options = { ledger, target, pendingAnalyses: startedNotCompleted(ledger), chunkBytes: 8, coalesceMs: 0 };
    const shipper = new Shipper(options).start();
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
    const restarted = new Shipper(options).start();
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

  it('once restarted, asks the central side nothing about a recording recorded as uploaded with its report', async () => {
    const { log, ledger, name } = await analysedRecording(dir);
    const target = new ReportTarget();
    const options = { ledger, target, pendingAnalyses: startedNotCompleted(ledger), coalesceMs: 0 };
    const first = new Shipper(options).start();
    await until(() => first.status().uploadedRecordings === 1 && first.status().lagEvents === 0);
    expect(ledger.state().entries[name]?.uploadedReport).toBe('a1');
    await first.stop();

    // Something to ship, so the restarted shipper has been through the recordings once it is idle.
    await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: 5 } }, cli);
    const asked = target.sizes.length;
    const restarted = new Shipper(options).start();
    await until(() => restarted.status().state === 'idle' && target.lines.length === log.headSeq());
    expect(target.sizes.slice(asked)).toEqual([]);

    // Analysed again since: that report is not the one recorded with the upload, so where it stands is asked, once.
    const second = '{"report":2}\n';
    await analyse(ledger, name, 'a2', second);
    await until(() => target.served.get(name)?.version === 'a2');
    expect(target.served.get(name)?.bytes.toString()).toBe(second);
    expect(target.sizes.slice(asked)).toEqual([`${name}/analysis`]);
    await restarted.stop();
    await ledger.close();
    await log.close();
  });

  it('sends a report completed during a round only after its completion event, never a version the central side cannot know', async () => {
    const { log, ledger, name } = await analysedRecording(dir);
    const gps = '{"lat":1,"lon":2}\n';
    writeFileSync(ledger.paths(name).gps, gps);
    const target = new ReportTarget();
    target.held.set(`${name}/gps/`, Buffer.from(gps));
    // While the shipper waits for the size of the GPS file, the recording is analysed again: its report is the
    // next thing sent, and the events recording the new analysis are not shipped yet.
    const second = '{"report":2}\n';
    target.beforeSize = async (_name, file) => {
      if (file !== 'gps') return;
      target.beforeSize = undefined;
      await analyse(ledger, name, 'a2', second);
    };
    const shipper = new Shipper({
      ledger,
      target,
      pendingAnalyses: startedNotCompleted(ledger),
      coalesceMs: 0,
      backoff: { maxMs: 60_000 },
    }).start();
    await until(() => shipper.status().uploadedRecordings === 1 && shipper.status().lagEvents === 0);
    expect(target.unknown).toEqual([]);
    expect(target.served.get(name)).toEqual({ version: 'a2', bytes: Buffer.from(second) });
    expect(ledger.state().entries[name]?.uploadedReport).toBe('a2');
    expect(shipper.status().lastError).toBeUndefined();
    await shipper.stop();
    await ledger.close();
    await log.close();
  });

  it('stops at forked, sending only its own event at that seq (for the central side to record), when the central head is not an event of this log', async () => {
    const log = await MemoryEventLog.open();
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
    const target = new MemoryTarget({ seq: 1, hash: 'f'.repeat(64) });
    const shipper = new Shipper({ ledger, target, backoff: { minMs: 10, maxMs: 50 } }).start();
    await until(() => shipper.status().state === 'forked');
    expect(shipper.status().lastError?.code).toBe('CHAIN_FORKED');
    await new Promise((r) => setTimeout(r, 200));
    expect(shipper.status().state).toBe('forked');
    expect(target.sentSeqs.length).toBeGreaterThan(0);
    expect(target.sentSeqs.every((seqs) => seqs.length === 1 && seqs[0] === 1)).toBe(true);
    await shipper.stop();
    await ledger.close();
    await log.close();
  });
});
