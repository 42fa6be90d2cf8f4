/**
 * The recorder's write path, start-up recovery and disk guards, against real
 * files and the LevelDB store (openLedger in this process; the crash test
 * spawns the real service).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { LedgerEvent } from '@ledger/domain';
import { encodeHdlcFrame, generateCapture } from '@ledger/qmdl';
import { openLedger, silentLogger, type OpenedLedger, type RecorderSettings } from '@ledger/store';
import { gunzipPrefix, waitFor } from './helpers/qmdl-files';

const settings = (over: Partial<RecorderSettings> = {}): RecorderSettings => ({
  source: 'synthetic:rate=500,seed=3',
  autoStart: false,
  flushIntervalMs: 50,
  flushKiB: 32,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
  ...over,
});

const cli = { actor: { kind: 'cli' as const }, correlationId: 'test' };

async function events(ledger: OpenedLedger, type?: string): Promise<LedgerEvent[]> {
  const out: LedgerEvent[] = [];
  for await (const e of ledger.log.read(type ? { types: [type] } : {})) out.push(e as LedgerEvent);
  return out;
}

describe('recorder write path (real files, LevelDB)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-recorder-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the Rayhunter layout and commits sizes that a reader can decompress exactly', async () => {
    const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder: settings() });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const name = ledger.state().current?.name ?? '';
    await waitFor('data events', () => (ledger.state().current?.containers ?? 0) > 20);
    // Every committed size is a cut point that decompresses to exactly the committed uncompressed bytes.
    const current = ledger.state().current!;
    const file = path.join(dir, 'qmdl', `${name}.qmdl.gz`);
    const prefix = readFileSync(file).subarray(0, current.qmdlSizeBytes);
    expect(zlib.gunzipSync(prefix, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length).toBe(
      current.uncompressedBytes,
    );
    await ledger.execute({ type: 'StopRecording', data: { reason: 'requested' } }, cli);
    const entry = ledger.state().entries[name]!;
    expect(entry.stopReason).toBe('requested');
    expect(statSync(file).size).toBe(entry.qmdlSizeBytes);
    // A clean stop writes the gzip trailer: a strict gunzip accepts the whole file.
    expect(zlib.gunzipSync(readFileSync(file)).length).toBe(entry.uncompressedBytes);
    expect(existsSync(path.join(dir, 'qmdl', `${name}.ndjson`))).toBe(true);
    const data = await events(ledger, 'RecordingDataAppended');
    // Coalesced: far fewer events than containers.
    expect(data.length).toBeLessThan(entry.containers);
    await ledger.close();
  }, 30_000);

  it('replays a capture through qmdl: into a recording whose bytes equal the input frames, then stops with source-ended', async () => {
    const capture = generateCapture({ seed: 11, messages: 3000 });
    const input = path.join(dir, 'input.qmdl');
    writeFileSync(input, capture);
    const ledger = await openLedger({
      dataDir: path.join(dir, 'data'),
      appVersion: 't',
      logger: silentLogger,
      recorder: settings({ source: `qmdl:${input}?pace=fast` }),
    });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const name = ledger.state().current?.name ?? '';
    await waitFor('source-ended stop', () => ledger.state().entries[name]?.stopReason === 'source-ended', 20_000);
    const out = gunzipPrefix(path.join(dir, 'data', 'qmdl', `${name}.qmdl.gz`));
    expect(out.equals(capture)).toBe(true);
    expect(ledger.state().entries[name]?.uncompressedBytes).toBe(capture.length);
    await ledger.close();
  }, 30_000);

  it('skips and counts garbage and truncated frames from a tcp producer, never failing', async () => {
    const frames = generateCapture({ seed: 5, messages: 200 });
    const garbage = Buffer.from([0x7d, 0x01, 0x02, 0x7e, 0x55, 0x66, 0x77, 0x7e]); // bad escape, then bad CRC
    const partial = encodeHdlcFrame(Buffer.from([1, 2, 3, 4, 5, 6])).subarray(0, 4);
    const server = net.createServer((socket) => {
      socket.end(Buffer.concat([garbage, frames, partial]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const ledger = await openLedger({
      dataDir: dir,
      appVersion: 't',
      logger: silentLogger,
      recorder: settings({ source: `tcp:127.0.0.1:${port}` }),
    });
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const name = ledger.state().current?.name ?? '';
    await waitFor('all frames', () => (ledger.state().current?.uncompressedBytes ?? 0) >= frames.length);
    const stats = ledger.metrics().sourceStats;
    expect(stats?.framesBad).toBeGreaterThanOrEqual(2);
    expect(stats?.bytesSkipped).toBeGreaterThan(0);
    expect(ledger.state().current?.name).toBe(name);
    await ledger.execute({ type: 'StopRecording', data: { reason: 'requested' } }, cli);
    expect(gunzipPrefix(path.join(dir, 'qmdl', `${name}.qmdl.gz`)).equals(frames)).toBe(true);
    await ledger.close();
    server.close();
  }, 30_000);

  it('refuses to start below --min-space-start-mb with the original message, and stops with disk-low below --min-space-continue-mb', async () => {
    let free = 10 * 1024 * 1024;
    const ledger = await openLedger({
      dataDir: dir,
      appVersion: 't',
      logger: silentLogger,
      recorder: settings({ minSpaceStartMb: 50, minSpaceContinueMb: 5 }),
      availableBytes: async () => free,
    });
    const refused = await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    expect(refused).toMatchObject({
      ok: false,
      refusal: { code: 'INSUFFICIENT_DISK_SPACE', message: 'Insufficient disk space: 10MB available, 50MB required' },
    });
    free = 100 * 1024 * 1024;
    await ledger.execute({ type: 'StartRecording', data: {} }, cli);
    const name = ledger.state().current?.name ?? '';
    await waitFor('data', () => (ledger.state().current?.containers ?? 0) > 0);
    free = 1024 * 1024;
    await waitFor('disk-low stop', () => ledger.state().entries[name]?.stopReason === 'disk-low');
    await ledger.close();
  }, 30_000);
});

describe('start-up recovery (real files, LevelDB)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-recovery-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('removes files of deleted recordings, marks missing files damaged, adopts orphans, and records clean and unclean boots', async () => {
    let ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder: settings() });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      await ledger.execute({ type: 'StartRecording', data: {} }, cli);
      names.push(ledger.state().current?.name ?? '');
      await waitFor('data', () => (ledger.state().current?.containers ?? 0) > 0);
    }
    await ledger.execute({ type: 'StopRecording', data: { reason: 'requested' } }, cli);
    const [a, b, c] = names as [string, string, string];
    await ledger.close();
    const qmdl = path.join(dir, 'qmdl');
    // A delete whose post-commit unlink never ran (crash between append and effect): simulate by restoring the file.
    const keep = readFileSync(path.join(qmdl, `${a}.qmdl.gz`));
    ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder: settings() });
    expect(ledger.recovery?.previousShutdownClean).toBe(true);
    await ledger.execute({ type: 'DeleteRecording', data: { name: a } }, cli);
    await ledger.close();
    writeFileSync(path.join(qmdl, `${a}.qmdl.gz`), keep);
    unlinkSync(path.join(qmdl, `${b}.qmdl.gz`));
    writeFileSync(path.join(qmdl, '1600000000.qmdl'), generateCapture({ seed: 1, messages: 10 }));
    ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder: settings() });
    expect(ledger.recovery).toMatchObject({ removedDeleted: [a], damaged: [b], adopted: ['1600000000'] });
    expect(existsSync(path.join(qmdl, `${a}.qmdl.gz`))).toBe(false);
    expect(ledger.state().entries[b]?.damaged?.missing).toEqual([path.join(qmdl, `${b}.qmdl.gz`)]);
    expect(ledger.state().entries['1600000000']).toMatchObject({
      compressed: false,
      qmdlSizeBytes: statSync(path.join(qmdl, '1600000000.qmdl')).size,
    });
    expect(ledger.state().entries[c]).toBeDefined();
    expect((await ledger.verify()).ok).toBe(true);
    await ledger.close();
  }, 30_000);
});

describe('start-up with an orphan file whose name is no representable time', () => {
  it('starts, leaves the file alone and adopts nothing for it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-orphan-'));
    try {
      mkdirSync(path.join(dir, 'qmdl'), { recursive: true });
      const odd = path.join(dir, 'qmdl', '99999999999999999999.qmdl');
      writeFileSync(odd, generateCapture({ seed: 2, messages: 3 }));
      const ledger = await openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder: settings() });
      expect(ledger.recovery?.adopted).toEqual([]);
      expect(existsSync(odd)).toBe(true);
      expect(Object.keys(ledger.state().entries)).toEqual([]);
      await ledger.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a full disk (tmpfs of a few MB)', () => {
  const canMount = process.getuid?.() === 0 && process.platform === 'linux';
  const maybe = canMount ? it : it.skip;
  let mountPoint: string;
  beforeEach(() => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), 'ledger-fulldisk-'));
    if (canMount) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint]);
  });
  afterEach(() => {
    if (canMount) execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  maybe(
    'ends in a stopped recording with a reason and a working store: delete still works',
    async () => {
      const dataDir = path.join(mountPoint, 'data');
      mkdirSync(dataDir);
      const ledger = await openLedger({
        dataDir,
        appVersion: 't',
        logger: silentLogger,
        // rate 0 = as fast as possible; no continue guard, so the disk really fills and the write fails.
        recorder: settings({ source: 'synthetic:rate=0,seed=9', flushKiB: 64 }),
      });
      await ledger.execute({ type: 'StartRecording', data: {} }, cli);
      const name = ledger.state().current?.name ?? '';
      await waitFor('write-failed stop', () => ledger.state().entries[name]?.stopReason, 60_000);
      const entry = ledger.state().entries[name]!;
      expect(entry.stopReason).toBe('write-failed');
      expect(entry.stopDetail).toMatch(/ENOSPC/);
      // The file is a valid prefix of exactly its committed size.
      const file = path.join(dataDir, 'qmdl', `${name}.qmdl.gz`);
      expect(statSync(file).size).toBe(entry.qmdlSizeBytes);
      expect(gunzipPrefix(file).length).toBe(entry.uncompressedBytes);
      const deleted = await ledger.execute({ type: 'DeleteRecording', data: { name } }, cli);
      expect(deleted.ok).toBe(true);
      expect(existsSync(file)).toBe(false);
      expect((await ledger.verify()).ok).toBe(true);
      await ledger.close();
    },
    90_000,
  );
});
