import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryEventLog } from '@ledger/event-log';
import type { ChainHead, DataAnswer, EventsAnswer, FleetTarget, ShippedFile } from './fleet-target';
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
