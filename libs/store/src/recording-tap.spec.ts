import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MemoryEventLog } from '@ledger/event-log';
import { silentLogger } from './logger';
import { openLedger } from './open-ledger';
import { RecordingTap } from './recording-tap';

const bytes = (...values: number[]): Buffer => Buffer.from(values);

describe('RecordingTap', () => {
  const tapOf = (start: number, maxBytes: number): { tap: RecordingTap; closed: RecordingTap[] } => {
    const closed: RecordingTap[] = [];
    return { tap: new RecordingTap('r', start, maxBytes, (t) => closed.push(t)), closed };
  };

  it('gives the bytes handed from its start, in order, across and within chunks, and lets go of what was taken', () => {
    const { tap } = tapOf(10, 100);
    const source = bytes(1, 2, 3);
    tap.push(source);
    source.fill(0); // the source reuses its buffer: the tap kept a copy
    tap.push(bytes(4, 5));
    tap.push(bytes(6));
    expect(tap.take(10, 10)).toEqual(Buffer.alloc(0));
    expect(tap.take(10, 14)).toEqual(bytes(1, 2, 3, 4));
    expect(tap.start).toBe(14);
    expect(tap.take(10, 16)).toBeUndefined(); // already let go of
    expect(tap.take(15, 16)).toEqual(bytes(6)); // byte 14 is skipped
    expect(tap.take(16, 17)).toBeUndefined(); // not handed yet
    expect(tap.lost).toBe(false);
  });

  it('is lost for good once more than maxBytes wait to be taken, and holds nothing then', () => {
    const { tap } = tapOf(0, 4);
    tap.push(bytes(1, 2, 3));
    expect(tap.take(0, 2)).toEqual(bytes(1, 2));
    tap.push(bytes(4, 5, 6)); // 4 wait: at the bound
    expect(tap.lost).toBe(false);
    tap.push(bytes(7)); // 5 wait
    expect(tap.lost).toBe(true);
    expect(tap.take(2, 3)).toBeUndefined();
    tap.push(bytes(8));
    expect(tap.take(7, 8)).toBeUndefined();
  });

  it('tells its writer when it is closed, once, and gives nothing after', () => {
    const { tap, closed } = tapOf(0, 10);
    tap.push(bytes(1));
    tap.close();
    tap.close();
    expect(closed).toEqual([tap]);
    expect(tap.lost).toBe(true);
    expect(tap.take(0, 1)).toBeUndefined();
  });
});

describe('Ledger.tapRecording', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-tap-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tapped as the start is committed, it holds every raw byte the file inflates to, up to each committed size', async () => {
    const ledger = await openLedger({
      dataDir: dir,
      appVersion: 't',
      logger: silentLogger,
      log: await MemoryEventLog.open(),
      recorder: {
        source: 'synthetic:rate=2000',
        autoStart: false,
        flushIntervalMs: 20,
        flushKiB: 4,
        minSpaceStartMb: 0,
        minSpaceContinueMb: 0,
      },
    });
    try {
      const taps: Array<RecordingTap | undefined> = [];
      const committed: number[] = [];
      const subscription = ledger.committed$.subscribe((event) => {
        if (event.type === 'RecordingStarted' && event.recording !== undefined)
          taps.push(ledger.tapRecording(event.recording, { maxBytes: 16 * 1024 * 1024 }));
        if (event.type === 'RecordingDataAppended') committed.push(event.data.uncompressedBytes);
      });
      const cli = { actor: { kind: 'cli' as const }, correlationId: 'c' };
      await ledger.execute({ type: 'StartRecording', data: {} }, cli);
      const name = ledger.state().current?.name ?? '';
      expect(ledger.tapRecording('not-recorded', { maxBytes: 1 })).toBeUndefined();
      const [tap] = taps;
      expect(tap?.start).toBe(0);
      while (committed.length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
      // Each commit's bytes, taken as they are committed, as the live analysis does.
      const parts: Buffer[] = [];
      let at = 0;
      for (const size of committed.slice(0, 5)) {
        parts.push(tap?.take(at, size) as Buffer);
        at = size;
      }
      await ledger.execute({ type: 'StopRecording', data: { reason: 'requested' } }, cli);
      subscription.unsubscribe();
      const entry = ledger.state().entries[name];
      parts.push(tap?.take(at, entry?.uncompressedBytes ?? 0) as Buffer);
      const raw = gunzipSync(readFileSync(ledger.paths(name).qmdl));
      expect(raw.length).toBe(entry?.uncompressedBytes);
      expect(raw.length).toBeGreaterThan(at);
      expect(Buffer.concat(parts).equals(raw)).toBe(true);
      // No tap of a recording that is not being written any more.
      expect(ledger.tapRecording(name, { maxBytes: 1 })).toBeUndefined();
      tap?.close();
    } finally {
      await ledger.close();
    }
  });
});
