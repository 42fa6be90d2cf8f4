/**
 * The real, built `qmdl-ledger` CLI on data directories made by
 * scripts/make-fixtures.ts (generated into a temp dir): findings, first bad
 * sequences, exit codes, JSON output, and that reading never writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { parse as parseToml } from 'smol-toml';
import { assertBuilt, makeFixtures, ROOT, runCli, runJson } from './helpers/cli';

jest.setTimeout(60_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let fixtures: string;
let tmp: string;
const info = (name: string): Json => JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')) as Json;
const dir = (name: string): string => path.join(fixtures, name);

beforeAll(async () => {
  assertBuilt();
  fixtures = makeFixtures();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'qmdl-ledger-cli-'));
});

afterAll(async () => {
  await fs.rm(fixtures, { recursive: true, force: true });
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Every file under `root`: size, mtime and content hash. */
async function fingerprint(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const stat = await fs.stat(file);
    out[path.relative(root, file)] = `${stat.size} ${stat.mtimeMs} ${createHash('sha256')
      .update(await fs.readFile(file))
      .digest('hex')}`;
  }
  return out;
}

describe('intact store', () => {
  it('verify finds nothing and exits 0', async () => {
    const report = await runJson<Json>(['verify', dir('intact')]);
    expect(report['ok']).toBe(true);
    expect(report['findings']).toEqual([]);
    expect(report['head']).toBe(info('intact')['headSeq']);
  });

  it('inspect reports the head, the recordings, one clean boot and the migrations', async () => {
    const report = await runJson<Json>(['inspect', dir('intact')]);
    expect(report['headSeq']).toBe(info('intact')['headSeq']);
    expect(report['eventCount']).toBe(info('intact')['headSeq']);
    expect(report['recordings']['names']).toEqual(info('intact')['recordings']);
    expect(report['active']).toBeNull();
    expect(report['boots']).toHaveLength(1);
    expect(report['boots'][0]['ended']).toBe('clean');
    expect(Object.keys(report['migrations'])).toContain('0001');
  });

  it('events --json is one parseable event per line and honours the filters', async () => {
    const all = await runCli(['events', dir('intact'), '--json']);
    expect(all.code).toBe(0);
    const events = all.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json);
    expect(events.map((e) => e['seq'])).toEqual(
      Array.from({ length: info('intact')['headSeq'] as number }, (_, i) => i + 1),
    );
    const started = await runCli([
      'events',
      dir('intact'),
      '--json',
      '--type',
      'RecordingStarted,RecordingDeleted',
      '--newest-first',
      '--limit',
      '2',
    ]);
    const picked = started.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Json);
    expect(picked.map((e) => e['type'])).toEqual(['RecordingDeleted', 'RecordingStarted']);
    expect(picked[0]!['seq']).toBeGreaterThan(picked[1]!['seq']);
    const gps = await runCli(['events', dir('intact'), '--json', '--type', 'GpsFixRecorded']);
    expect(JSON.parse(gps.stdout) as Json).toMatchObject({ v: 2, data: { source: 'api' } });
  });

  it('timeline shows the life of one recording, and the deleted one as deleted', async () => {
    const [first] = info('intact')['recordings'] as string[];
    const life = await runJson<Json>(['timeline', dir('intact'), '--recording', first!]);
    expect(life['status']).toBe('finished');
    const types = (life['events'] as Json[]).map((e) => e['type']);
    expect(types[0]).toBe('RecordingStarted');
    expect(types[types.length - 1]).toBe('RecordingStopped');
    const gone = await runJson<Json>(['timeline', dir('intact'), '--recording', info('intact')['deleted'] as string]);
    expect(gone['status']).toBe('deleted');
    expect((gone['events'] as Json[]).slice(-2).map((e) => e['type'])).toEqual([
      'RecordingStopped',
      'RecordingDeleted',
    ]);
    const unknown = await runCli(['timeline', dir('intact'), '--recording', '42']);
    expect(unknown.code).toBe(1);
  });

  it('state prints the manifest JSON; --at takes a sequence or a time', async () => {
    const head = await runCli(['state', dir('intact')]);
    expect(head.code).toBe(0);
    const manifest = JSON.parse(head.stdout) as Json;
    expect(manifest['entries'].map((e: Json) => e['name'])).toEqual(info('intact')['recordings']);
    expect(Object.keys(manifest['entries'][0])).toEqual([
      'name',
      'start_time',
      'last_message_time',
      'qmdl_size_bytes',
      'rayhunter_version',
      'system_os',
      'arch',
      'stop_reason',
      'upload_time',
      'gps_mode',
      'compressed',
    ]);
    expect(manifest['current_entry']).toBeNull();
    const empty = JSON.parse((await runCli(['state', dir('intact'), '--at', '0'])).stdout) as Json;
    expect(empty).toEqual({ entries: [], current_entry: null });
    const started = JSON.parse(
      (await runCli(['events', dir('intact'), '--json', '--type', 'RecordingStarted', '--limit', '1'])).stdout,
    ) as Json;
    const atStart = JSON.parse((await runCli(['state', dir('intact'), '--at', String(started['seq'])])).stdout) as Json;
    expect(atStart['current_entry']['name']).toBe(started['recording']);
    const byTime = JSON.parse(
      (await runCli(['state', dir('intact'), '--at', started['time'] as string])).stdout,
    ) as Json;
    expect(byTime['current_entry']['name']).toBe(started['recording']);
  });

  it('bisect finds no failing invariant and exits 0', async () => {
    const report = await runJson<Json>(['bisect', dir('intact')]);
    expect(report['ok']).toBe(true);
    expect(report['replayed']).toBe(info('intact')['headSeq']);
  });

  it('the read commands leave every file of the store untouched', async () => {
    const before = await fingerprint(dir('intact'));
    for (const args of [
      ['inspect'],
      ['verify'],
      ['state'],
      ['events'],
      ['bisect'],
      ['timeline', '--recording', (info('intact')['recordings'] as string[])[0]!],
    ]) {
      const [command, ...rest] = args;
      expect((await runCli([command!, dir('intact'), ...rest])).code).toBe(0);
    }
    expect((await runCli(['export', dir('intact'), '--out', path.join(tmp, 'untouched.ndjson')])).code).toBe(0);
    expect((await runCli(['export-rayhunter', dir('intact'), path.join(tmp, 'untouched-rh')])).code).toBe(0);
    expect(await fingerprint(dir('intact'))).toEqual(before);
  });
});

describe('damaged stores', () => {
  it('crashed mid-recording: the log is sound, the recording is still active, the boot is open', async () => {
    const crashed = info('crashed-mid-recording');
    expect(crashed['signal']).toBe('SIGKILL');
    const report = await runJson<Json>(['verify', dir('crashed-mid-recording')]);
    expect(report['ok']).toBe(true);
    expect(report['notes'].map((n: Json) => n['code'])).toContain('ACTIVE_RECORDING');
    const inspect = await runJson<Json>(['inspect', dir('crashed-mid-recording')]);
    expect(inspect['active']).toBe(crashed['recording']);
    expect(inspect['boots'].map((b: Json) => b['ended'])).toEqual(['open']);
    const state = JSON.parse((await runCli(['state', dir('crashed-mid-recording')])).stdout) as Json;
    expect(state['current_entry']['name']).toBe(crashed['recording']);
    expect(state['current_entry']['stop_reason']).toBeNull();
  });

  it('crashed mid-recording: the next start (migrate opens the store) stops it as interrupted and counts the unclean boot', async () => {
    const copy = path.join(tmp, 'crashed-copy');
    await fs.cp(dir('crashed-mid-recording'), copy, { recursive: true });
    expect((await runCli(['migrate', copy])).code).toBe(0);
    const inspect = await runJson<Json>(['inspect', copy]);
    expect(inspect['active']).toBeNull();
    expect(inspect['boots'].map((b: Json) => b['ended'])).toEqual(['unclean', 'clean']);
    const life = await runJson<Json>([
      'timeline',
      copy,
      '--recording',
      info('crashed-mid-recording')['recording'] as string,
    ]);
    expect((life['events'] as Json[]).at(-1)).toMatchObject({
      type: 'RecordingStopped',
      data: { reason: 'interrupted' },
    });
    expect((await runJson<Json>(['verify', copy]))['ok']).toBe(true);
  });

  it('torn tail: classic-level drops the torn batch on open, so the log ends before it and verifies', async () => {
    const torn = info('torn-tail');
    const inspect = await runJson<Json>(['inspect', dir('torn-tail')]);
    expect(inspect['headSeq']).toBe(torn['headBeforeTornWrite']);
    expect(inspect['eventCount']).toBe(torn['headBeforeTornWrite']);
    const report = await runJson<Json>(['verify', dir('torn-tail')]);
    expect(report['ok']).toBe(true);
  });

  it('altered event: verify names its sequence (BAD_HASH) and the rule the new value breaks; exit 1', async () => {
    const altered = info('altered-event');
    const report = await runJson<Json>(['verify', dir('altered-event')], 1);
    expect(report['ok']).toBe(false);
    expect(report['firstBad']).toMatchObject({ seq: altered['seq'], code: 'BAD_HASH', check: 'chain' });
    expect(report['findings']).toContainEqual(
      expect.objectContaining({ check: 'invariants', code: 'SIZE_NEVER_DECREASES', seq: altered['seq'] }),
    );
    const text = await runCli(['verify', dir('altered-event')]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`FIRST BAD    seq ${altered['seq']}: BAD_HASH`);
  });

  it('altered event: bisect stops at it and shows the state before and after', async () => {
    const altered = info('altered-event');
    const report = await runJson<Json>(['bisect', dir('altered-event')], 1);
    expect(report['firstBad']['seq']).toBe(altered['seq']);
    expect(report['firstBad']['violations'].map((v: Json) => v['rule'])).toContain('SIZE_NEVER_DECREASES');
    expect(report['firstBad']['before']['current_entry']['qmdl_size_bytes']).toBeGreaterThan(1);
    expect(report['firstBad']['after']['current_entry']['qmdl_size_bytes']).toBe(1);
    expect(report['firstBad']['beforeSeq']).toBe((altered['seq'] as number) - 1);
  });

  it('removed event: verify reports the gap at the first event after the hole; bisect agrees', async () => {
    const removed = info('removed-event');
    const report = await runJson<Json>(['verify', dir('removed-event')], 1);
    expect(report['firstBad']).toMatchObject({ seq: (removed['seq'] as number) + 1, code: 'SEQUENCE_GAP' });
    expect(report['firstBad']['message']).toContain(`${removed['seq']}..${removed['seq']}`);
    const bisect = await runJson<Json>(['bisect', dir('removed-event')], 1);
    expect(bisect['firstBad']['seq']).toBe((removed['seq'] as number) + 1);
    expect(bisect['firstBad']['violations'].map((v: Json) => v['rule'])).toContain('SEQ_GAPLESS');
    const inspect = await runJson<Json>(['inspect', dir('removed-event')]);
    expect(inspect['eventCount']).toBe((inspect['headSeq'] as number) - 1);
  });

  it('files deleted by hand: verify reports FILE_MISSING for that recording; exit 1', async () => {
    const deleted = info('files-deleted-by-hand');
    const report = await runJson<Json>(['verify', dir('files-deleted-by-hand')], 1);
    expect(report['findings']).toHaveLength(1);
    expect(report['firstBad']).toMatchObject({ check: 'files', code: 'FILE_MISSING', recording: deleted['recording'] });
    expect(typeof report['firstBad']['seq']).toBe('number');
  });
});

describe('exit codes', () => {
  it('usage errors exit 2', async () => {
    expect((await runCli(['state', dir('intact'), '--at', 'yesterday'])).code).toBe(2);
    expect((await runCli(['state', dir('intact'), '--at', '99999'])).code).toBe(2);
    expect((await runCli(['verify'])).code).toBe(2);
    expect((await runCli(['verify', dir('intact'), '--no-such-flag'])).code).toBe(2);
    expect((await runCli(['events', dir('intact'), '--actor', 'robot'])).code).toBe(2);
    expect((await runCli(['timeline', dir('intact')])).code).toBe(2);
  });

  it('events --type with no such event type exits 2 naming it and the known types, instead of listing nothing', async () => {
    for (const type of ['Bogus', 'RecordingStarted,Bogus']) {
      const result = await runCli(['events', dir('intact'), '--type', type]);
      expect([type, result.code]).toEqual([type, 2]);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Bogus');
      for (const known of [
        'StoreCreated',
        'RecordingStarted',
        'RecordingStopped',
        'GpsFixRecorded',
        'MigrationApplied',
      ])
        expect(result.stderr).toContain(known);
    }
  });

  it('help shows a required option as required: timeline --recording, export --out', async () => {
    const timeline = await runCli(['timeline', '--help']);
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toMatch(/^Usage: qmdl-ledger timeline --recording <name> /m);
    expect(timeline.stdout).toMatch(/--recording <name>\s+\(required\)/);
    expect(timeline.stdout).not.toMatch(/--json\s+\(required\)/);
    expect((await runCli(['export', '--help'])).stdout).toMatch(/--out <file\.ndjson>\s+\(required\)/);
  });

  it('a directory without a store exits 1', async () => {
    const result = await runCli(['verify', tmp]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('STORE_NOT_FOUND');
  });

  describe('while another process holds the store', () => {
    let holder: ChildProcess;
    beforeAll(async () => {
      const script = `const { ClassicLevel } = require('classic-level'); const db = new ClassicLevel(process.argv[1]); db.open().then(() => process.stdout.write('locked\\n')); setInterval(() => {}, 1000);`;
      holder = spawn(process.execPath, ['-e', script, path.join(dir('intact'), 'ledger')], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    });
    afterAll(() => {
      holder.kill('SIGKILL');
    });

    it('read commands exit 3 with a plain message; --snapshot works on a copy', async () => {
      const locked = await runCli(['verify', dir('intact')]);
      expect(locked.code).toBe(3);
      expect(locked.stderr.trim()).toBe(
        'qmdl-ledger: store is in use by another process (is qmdl-ledger serve running?); use --snapshot to work on a copy',
      );
      expect((await runCli(['verify', dir('intact'), '--snapshot'])).code).toBe(0);
    });

    it('migrate exits 3', async () => {
      expect((await runCli(['migrate', dir('intact')])).code).toBe(3);
    });

    it('migrate takes the --snapshot the message suggests: it lists from a copy and applies nothing', async () => {
      const before = await fingerprint(dir('intact'));
      for (const args of [['--snapshot'], ['--dry-run', '--snapshot']]) {
        const result = await runCli(['migrate', dir('intact'), ...args, '--json']);
        expect([args.join(' '), result.code]).toEqual([args.join(' '), 0]);
        const listed = JSON.parse(result.stdout) as { applied: string[]; pending: string[] };
        expect(listed.applied.some((m) => m.startsWith('0001_'))).toBe(true);
        expect(listed.pending).toEqual([]);
      }
      const text = await runCli(['migrate', dir('intact'), '--snapshot']);
      expect(text.code).toBe(0);
      expect(text.stderr).toContain('nothing is applied');
      expect(await fingerprint(dir('intact'))).toEqual(before);
    });
  });
});

/**
 * Every key and value of a closed LevelDB store, but the projection snapshot
 * (the import rebuilds it at a later seq) and the store's `createdAt` (an
 * export holds events only: the import takes StoreCreated's time, a moment
 * after the original metadata was written).
 */
async function rawEntries(location: string): Promise<Array<[string, string]>> {
  const db = new ClassicLevel<string, string>(location, { createIfMissing: false });
  await db.open();
  try {
    return (await db.iterator().all())
      .filter(([key]) => !key.startsWith('!snapshots!'))
      .map(([key, value]) => [
        key,
        key === '!meta!store' ? JSON.stringify({ ...(JSON.parse(value) as object), createdAt: undefined }) : value,
      ]);
  } finally {
    await db.close();
  }
}

describe('export and import', () => {
  it('import re-creates the log exactly (seq, prev, hash, metadata) in a new store, and refuses a non-empty one', async () => {
    const out = path.join(tmp, 'intact.ndjson');
    expect((await runCli(['export', dir('intact'), '--out', out])).code).toBe(0);
    const target = path.join(tmp, 'imported');
    const imported = await runJson<Json>(['import', out, target]);
    expect(imported['verified']).toBe(true);
    const again = path.join(tmp, 'again.ndjson');
    expect((await runCli(['export', target, '--out', again])).code).toBe(0);
    expect(await fs.readFile(again, 'utf8')).toBe(await fs.readFile(out, 'utf8'));
    const a = await runJson<Json>(['inspect', dir('intact')]);
    const b = await runJson<Json>(['inspect', target]);
    expect(b).toMatchObject({ storeId: a['storeId'], headSeq: a['headSeq'], headHash: a['headHash'] });
    expect((await runCli(['state', target])).stdout).toBe((await runCli(['state', dir('intact')])).stdout);
    // The raw import writes the same keys and values as the append path did (events, every index entry, head).
    expect(await rawEntries(path.join(target, 'ledger'))).toEqual(await rawEntries(path.join(dir('intact'), 'ledger')));
    expect((await runCli(['import', out, target])).code).toBe(1);
    expect((await runCli(['export', dir('intact'), '--out', out])).code).toBe(1);
  });

  it('import refuses an export whose event was edited, and leaves nothing behind', async () => {
    const out = path.join(tmp, 'edit.ndjson');
    expect((await runCli(['export', dir('intact'), '--out', out])).code).toBe(0);
    const lines = (await fs.readFile(out, 'utf8')).trim().split('\n');
    lines[4] = lines[4]!.replace('"qmdlSizeBytes":', '"qmdlSizeBytes":9');
    await fs.writeFile(out, `${lines.join('\n')}\n`);
    const target = path.join(tmp, 'edited');
    const result = await runCli(['import', out, target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('BAD_HASH');
    expect(existsSync(target)).toBe(false);
  });

  it('export of a broken log writes the file but exits 1', async () => {
    const result = await runCli(['export', dir('altered-event'), '--out', path.join(tmp, 'altered.ndjson')]);
    expect(result.code).toBe(1);
    expect(existsSync(path.join(tmp, 'altered.ndjson'))).toBe(true);
  });
});

describe('Rayhunter stores', () => {
  it('import-rayhunter recovers every recording from a cut manifest with trailing junk, once', async () => {
    const rh = info('rayhunter-corrupt-manifest');
    const target = path.join(tmp, 'from-rayhunter');
    const report = await runJson<Json>(['import-rayhunter', dir('rayhunter-corrupt-manifest'), target]);
    expect(report['manifest']).toBe('damaged');
    expect(report['imported'].map((i: Json) => i['name'])).toEqual(rh['recordings']);
    const from = Object.fromEntries((report['imported'] as Json[]).map((i) => [i['name'], i['recoveredFrom']]));
    for (const name of rh['fromManifest'] as string[]) expect(from[name]).toBe('manifest');
    for (const name of rh['fromFileName'] as string[]) expect(from[name]).toBe('file-name');
    const files = await fs.readdir(path.join(target, 'qmdl'));
    expect(files).toEqual(
      expect.arrayContaining([
        '1700000000.qmdl.gz',
        '1700000000-gps.ndjson',
        '1700000100.qmdl',
        '1700000100.ndjson',
        '1700000300.qmdl.gz',
      ]),
    );

    const state = JSON.parse((await runCli(['state', target])).stdout) as Json;
    expect(state['entries'][0]).toMatchObject({
      name: '1700000000',
      start_time: '2023-11-14T23:13:20+01:00',
      rayhunter_version: '0.12.0',
      gps_mode: 2,
      stop_reason: 'requested',
      compressed: true,
    });
    expect(state['entries'][1]).toMatchObject({ name: '1700000100', compressed: false });
    expect(state['entries'][3]).toMatchObject({ name: '1700000300', start_time: '2023-11-14T22:18:20+00:00' });
    const events = (await runCli(['events', target, '--json', '--type', 'RecordingImported'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    expect(events.map((e) => e['metadata']['actor'])).toEqual(
      Array(4).fill({ kind: 'cli', command: 'import-rayhunter' }),
    );
    expect((await runJson<Json>(['verify', target]))['ok']).toBe(true);

    const twice = await runJson<Json>(['import-rayhunter', dir('rayhunter-corrupt-manifest'), target]);
    expect(twice['imported']).toEqual([]);
    expect(twice['skipped']).toEqual(rh['recordings']);
  });

  it('export-rayhunter writes a manifest.toml and files that import back to the same manifest', async () => {
    const source = path.join(tmp, 'from-rayhunter');
    const out = path.join(tmp, 'rayhunter-out');
    expect((await runCli(['export-rayhunter', source, out])).code).toBe(0);
    const manifest = parseToml(await fs.readFile(path.join(out, 'manifest.toml'), 'utf8')) as Json;
    expect(manifest['entries']).toHaveLength(4);
    expect(manifest['entries'][0]).toEqual({
      name: '1700000000',
      start_time: '2023-11-14T23:13:20+01:00',
      last_message_time: '2023-11-14T23:14:00+01:00',
      qmdl_size_bytes: expect.any(Number),
      rayhunter_version: '0.12.0',
      system_os: 'Linux 3.18.48',
      arch: 'armv7l',
      stop_reason: 'requested',
      gps_mode: 2,
      compressed: true,
    });
    expect(manifest['entries'][1]).not.toHaveProperty('upload_time');
    for (const entry of manifest['entries'] as Json[]) {
      const file = path.join(out, `${entry['name']}.qmdl${entry['compressed'] ? '.gz' : ''}`);
      expect((await fs.stat(file)).size).toBe(entry['qmdl_size_bytes']);
    }
    const back = path.join(tmp, 'round-trip');
    const report = await runJson<Json>(['import-rayhunter', out, back]);
    expect(report['manifest']).toBe('ok');
    expect((await runCli(['state', back])).stdout).toBe((await runCli(['state', source])).stdout);
  });
});
