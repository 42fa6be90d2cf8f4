/**
 * Generates the forensics fixtures: real data directories made by the real
 * store, then damaged the way the field damages them.
 *
 *   npm run build && node dist/scripts/make-fixtures.js <out-dir> [name ...]
 *
 * writes `<out-dir>/<name>/` (a data directory, or for the Rayhunter fixture a
 * Rayhunter store directory) and `<out-dir>/<name>.json` (what was done to it:
 * the sequence altered or removed, the file deleted, …) for each fixture. The
 * CLI end-to-end tests run it into a temp dir; nothing binary is committed.
 *
 * `intact`                      a few recordings made, stopped, one deleted while active, a GPS fix
 * `crashed-mid-recording`       a child process recording with a fast synthetic source, SIGKILLed mid-recording
 * `torn-tail`                   intact plus one more append whose write in LevelDB's newest .log is cut short
 * `altered-event`               one RecordingDataAppended's stored value changed (its size set to 1)
 * `removed-event`               one event's key deleted
 * `files-deleted-by-hand`       a finished recording's .qmdl.gz removed
 * `rayhunter-corrupt-manifest`  a Rayhunter store: manifest.toml cut mid-entry with trailing junk, plus files
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { QmdlStoreState } from '@ledger/domain';
import { LevelEventLog, rawEventAccess } from '@ledger/event-log';
import { encodeHdlcFrame } from '@ledger/qmdl';
import {
  ledgerLocation,
  openLedger,
  recordingsDir,
  silentLogger,
  type LedgerCommand,
  type OpenedLedger,
} from '@ledger/store';
import { buildUpcasters, MIGRATIONS } from '@ledger/migrations';

export const FIXTURE_NAMES = [
  'intact',
  'crashed-mid-recording',
  'torn-tail',
  'altered-event',
  'removed-event',
  'files-deleted-by-hand',
  'rayhunter-corrupt-manifest',
] as const;

export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** What the generator did, written to `<name>.json` for the tests. */
export type FixtureInfo = Record<string, unknown> & { readonly name: FixtureName; readonly dir: string };

const APP_VERSION = '0.0.0-fixtures';
const SOURCE = 'synthetic:rate=400,seed=7';

const recorder = (source: string, autoStart: boolean) => ({
  source,
  autoStart,
  flushIntervalMs: 25,
  flushKiB: 2,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
});

const cli = { actor: { kind: 'cli' as const, command: 'make-fixtures' } };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function run(ledger: OpenedLedger, command: LedgerCommand): Promise<number> {
  const result = await ledger.execute(command, { ...cli, correlationId: randomUUID() });
  if (!result.ok) throw new Error(`${command.type} refused: ${result.refusal.code}: ${result.refusal.message}`);
  return result.seq;
}

/** Waits until the active recording has at least `events` committed data events. */
async function waitForData(ledger: OpenedLedger, events: number, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  const name = ledger.state().current?.name;
  if (name === undefined) throw new Error('no active recording');
  let seen = 0;
  const sub = ledger.committed$.subscribe((event) => {
    if (event.type === 'RecordingDataAppended' && event.recording === name) seen += 1;
  });
  try {
    while (seen < events) {
      if (Date.now() - start > timeoutMs)
        throw new Error(`recording ${name}: only ${seen} data events after ${timeoutMs} ms`);
      await sleep(10);
    }
  } finally {
    sub.unsubscribe();
  }
}

/**
 * The intact store: recording A (stopped, requested), recording B with a GPS
 * fix (stopped), recording C deleted while active (stop + delete in one
 * append), a clock offset. Closed cleanly.
 */
async function makeIntact(dataDir: string): Promise<FixtureInfo & Record<string, unknown>> {
  const ledger = await openLedger({
    dataDir,
    appVersion: APP_VERSION,
    recorder: recorder(SOURCE, false),
    migrations: MIGRATIONS,
    upcasters: buildUpcasters(),
    logger: silentLogger,
  });
  const names: string[] = [];
  await run(ledger, { type: 'StartRecording', data: {} });
  names.push(ledger.state().current?.name ?? '');
  await waitForData(ledger, 4);
  await run(ledger, { type: 'StopRecording', data: { reason: 'requested' } });
  await run(ledger, { type: 'StartRecording', data: {} });
  names.push(ledger.state().current?.name ?? '');
  await waitForData(ledger, 2);
  await run(ledger, { type: 'RecordGpsFix', data: { lat: 52.52, lon: 13.405, fixTime: new Date().toISOString() } });
  await waitForData(ledger, 2);
  await run(ledger, { type: 'StopRecording', data: { reason: 'requested' } });
  await run(ledger, { type: 'SetClockOffset', data: { offsetSeconds: 2 } });
  await run(ledger, { type: 'StartRecording', data: {} });
  const deleted = ledger.state().current?.name ?? '';
  await waitForData(ledger, 2);
  await run(ledger, { type: 'DeleteRecording', data: { name: deleted } });
  const state: QmdlStoreState = ledger.state();
  await ledger.close();
  return { name: 'intact', dir: dataDir, recordings: names, deleted, headSeq: state.seq + 1 /* ServiceStopped */ };
}

/** Reads the stored events of a closed store (raw, not upcast). */
async function withRawLog<T>(dataDir: string, body: (log: LevelEventLog) => Promise<T>): Promise<T> {
  const log = await LevelEventLog.open({ location: ledgerLocation(dataDir), createIfMissing: false });
  try {
    return await body(log);
  } finally {
    await log.close();
  }
}

/** The seq of the `nth` (1-based) stored event of `type` whose size is above 0. */
async function findEvent(log: LevelEventLog, type: string, nth: number): Promise<{ seq: number; raw: string }> {
  let found = 0;
  for await (const { seq, text: raw } of rawEventAccess(log).entries()) {
    const event = JSON.parse(raw) as { type: string; data: { qmdlSizeBytes?: number } };
    if (event.type === type && (event.data.qmdlSizeBytes ?? 1) > 1 && ++found === nth) return { seq, raw };
  }
  throw new Error(`no ${type} #${nth}`);
}

async function copyDir(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true, filter: (source) => path.basename(source) !== 'LOCK' });
}

async function makeAltered(base: string, dataDir: string): Promise<FixtureInfo> {
  await copyDir(base, dataDir);
  return withRawLog(dataDir, async (log) => {
    const { seq, raw } = await findEvent(log, 'RecordingDataAppended', 3);
    const event = JSON.parse(raw) as { data: { qmdlSizeBytes: number } };
    const original = event.data.qmdlSizeBytes;
    event.data.qmdlSizeBytes = 1;
    await rawEventAccess(log).overwrite(seq, JSON.stringify(event));
    return { name: 'altered-event' as const, dir: dataDir, seq, field: 'data.qmdlSizeBytes', from: original, to: 1 };
  });
}

async function makeRemoved(base: string, dataDir: string): Promise<FixtureInfo> {
  await copyDir(base, dataDir);
  return withRawLog(dataDir, async (log) => {
    const { seq } = await findEvent(log, 'RecordingDataAppended', 2);
    await rawEventAccess(log).remove(seq);
    return { name: 'removed-event' as const, dir: dataDir, seq };
  });
}

async function makeFilesDeleted(base: string, dataDir: string, recording: string): Promise<FixtureInfo> {
  await copyDir(base, dataDir);
  const file = path.join(recordingsDir(dataDir), `${recording}.qmdl.gz`);
  await fs.rm(file);
  return { name: 'files-deleted-by-hand', dir: dataDir, recording, file: path.basename(file) };
}

/**
 * One more append (a ClockOffsetSet) after the store was closed, then the
 * newest LevelDB write-ahead log cut by a few bytes: the torn write of a
 * power cut. LevelDB (paranoid checks off, classic-level's default) drops the
 * torn record on open, so the whole batch — event, indexes and head pointer —
 * is gone and the log reads as it was before the append.
 */
async function makeTornTail(base: string, dataDir: string): Promise<FixtureInfo> {
  await copyDir(base, dataDir);
  const location = ledgerLocation(dataDir);
  const headBefore = await withRawLog(dataDir, async (log) => {
    const head = log.headSeq();
    const now = new Date().toISOString();
    await log.append([
      {
        type: 'ClockOffsetSet',
        v: 1,
        time: now,
        systemTime: now,
        data: { offsetSeconds: 5 },
        metadata: {
          actor: { kind: 'cli', command: 'make-fixtures' },
          correlationId: randomUUID(),
          bootId: randomUUID(),
          appVersion: APP_VERSION,
        },
      },
    ]);
    return head;
  });
  const logs = (await fs.readdir(location)).filter((f) => f.endsWith('.log')).sort();
  const newest = logs[logs.length - 1];
  if (newest === undefined) throw new Error('no LevelDB .log file to tear');
  const file = path.join(location, newest);
  const size = (await fs.stat(file)).size;
  const cut = 16;
  await fs.truncate(file, size - cut);
  return {
    name: 'torn-tail',
    dir: dataDir,
    headBeforeTornWrite: headBefore,
    tornSeq: headBefore + 1,
    logFile: newest,
    sizeBefore: size,
    cutBytes: cut,
  };
}

/** Runs a child that records with a fast source and kills it (SIGKILL) mid-recording. */
async function makeCrashed(dataDir: string): Promise<FixtureInfo> {
  const child = spawn(process.execPath, [__filename, '--child-record', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const recording = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the recording child did not report in 20 s')), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /recording (\d+)\n/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`the recording child exited early (${code})`)));
  });
  // Let it write a little more, so the kill lands between flushes, mid-recording.
  await sleep(120);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  const signal = await exited;
  return { name: 'crashed-mid-recording', dir: dataDir, recording, signal, pid: child.pid };
}

/** The child side of `crashed-mid-recording`: record until killed. */
async function childRecord(dataDir: string): Promise<void> {
  const ledger = await openLedger({
    dataDir,
    appVersion: APP_VERSION,
    recorder: recorder('synthetic:rate=2000,seed=11', true),
    migrations: MIGRATIONS,
    upcasters: buildUpcasters(),
    logger: silentLogger,
  });
  await waitForData(ledger, 5);
  process.stdout.write(`recording ${ledger.state().current?.name ?? ''}\n`);
  await new Promise(() => undefined); // until SIGKILL
}

/** A Rayhunter 0.12 store whose manifest was cut mid-entry by a power loss, with junk after it. */
async function makeRayhunter(dir: string): Promise<FixtureInfo> {
  await fs.mkdir(dir, { recursive: true });
  const frames = Buffer.concat([
    encodeHdlcFrame(Buffer.from([1, 2, 3, 4])),
    encodeHdlcFrame(Buffer.from([0x7e, 0x7d, 5])),
  ]);
  const gz = gzipSync(frames);
  const files: Record<string, Buffer | string> = {
    '1700000000.qmdl.gz': gz,
    '1700000000.ndjson': '',
    '1700000000-gps.ndjson':
      '{"latest_packet_timestamp":"2023-11-14T22:13:25Z","system_time":"2023-11-14T22:13:25Z","lat":52.5,"lon":13.4}\n',
    '1700000100.qmdl': frames,
    '1700000200.qmdl.gz': gz,
    '1700000300.qmdl.gz': gz,
    '1700000300.ndjson': '',
  };
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content);
  const manifest = [
    '[[entries]]',
    'name = "1700000000"',
    'start_time = "2023-11-14T23:13:20+01:00"',
    'last_message_time = "2023-11-14T23:14:00+01:00"',
    `qmdl_size_bytes = ${gz.length}`,
    'rayhunter_version = "0.12.0"',
    'system_os = "Linux 3.18.48"',
    'arch = "armv7l"',
    'stop_reason = "requested"',
    'gps_mode = 2',
    'compressed = true',
    '',
    '[[entries]]',
    'name = "1700000100"',
    'start_time = "2023-11-14T23:15:00+01:00"',
    `qmdl_size_bytes = ${frames.length}`,
    'rayhunter_version = "0.12.0"',
    '',
    '[[entries]]',
    'name = "1700000200"',
    'start_time = "2023-11-14T23:16:40+01:00"',
    'qmdl_si',
  ].join('\n');
  const junk = Buffer.from([0, 0, 0, 0x7b, 0x7b, 0x5b, 0x5b, 0xff, 0xfe, 0x0a, 0x67, 0x61, 0x72, 0x62]);
  await fs.writeFile(path.join(dir, 'manifest.toml'), Buffer.concat([Buffer.from(manifest), junk]));
  return {
    name: 'rayhunter-corrupt-manifest',
    dir,
    recordings: ['1700000000', '1700000100', '1700000200', '1700000300'],
    fromManifest: ['1700000000', '1700000100'],
    fromFileName: ['1700000200', '1700000300'],
  };
}

/** Generates the named fixtures (all by default) under `outDir`; returns what was done to each. */
export async function makeFixtures(options: {
  readonly outDir: string;
  readonly names?: readonly FixtureName[];
}): Promise<Record<string, FixtureInfo>> {
  const names = new Set<FixtureName>(options.names ?? FIXTURE_NAMES);
  const out: Record<string, FixtureInfo> = {};
  await fs.mkdir(options.outDir, { recursive: true });
  const at = (name: FixtureName): string => path.join(options.outDir, name);
  const record = async (info: FixtureInfo): Promise<void> => {
    out[info.name] = info;
    await fs.writeFile(`${at(info.name)}.json`, `${JSON.stringify(info, null, 2)}\n`);
  };
  const needsBase = [...names].some((n) => n !== 'crashed-mid-recording' && n !== 'rayhunter-corrupt-manifest');
  if (needsBase) {
    const base = path.join(options.outDir, '.base');
    await fs.rm(base, { recursive: true, force: true });
    const intact = await makeIntact(base);
    const recordings = intact['recordings'] as string[];
    if (names.has('intact')) {
      await copyDir(base, at('intact'));
      await record({ ...intact, dir: at('intact') });
    }
    if (names.has('torn-tail')) await record(await makeTornTail(base, at('torn-tail')));
    if (names.has('altered-event')) await record(await makeAltered(base, at('altered-event')));
    if (names.has('removed-event')) await record(await makeRemoved(base, at('removed-event')));
    if (names.has('files-deleted-by-hand'))
      await record(await makeFilesDeleted(base, at('files-deleted-by-hand'), recordings[0] ?? ''));
    await fs.rm(base, { recursive: true, force: true });
  }
  if (names.has('crashed-mid-recording')) await record(await makeCrashed(at('crashed-mid-recording')));
  if (names.has('rayhunter-corrupt-manifest')) await record(await makeRayhunter(at('rayhunter-corrupt-manifest')));
  return out;
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === '--child-record' && argv[1]) return childRecord(argv[1]);
  const [outDir, ...rest] = argv;
  if (!outDir || outDir.startsWith('-')) {
    process.stderr.write(`usage: node dist/scripts/make-fixtures.js <out-dir> [${FIXTURE_NAMES.join(' | ')} ...]\n`);
    process.exitCode = 2;
    return;
  }
  const unknown = rest.filter((n) => !(FIXTURE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown fixture(s): ${unknown.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const name of rest.length > 0 ? rest : FIXTURE_NAMES)
    await fs.rm(path.join(outDir, name), { recursive: true, force: true });
  const made = await makeFixtures({ outDir, names: rest.length > 0 ? (rest as FixtureName[]) : FIXTURE_NAMES });
  for (const info of Object.values(made)) process.stdout.write(`${info.name}: ${info.dir}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`make-fixtures: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
