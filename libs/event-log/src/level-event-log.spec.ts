import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodeOf } from '@ledger/domain';
import { databaseOf } from './abstract-level-event-log';
import { LevelEventLog } from './level-event-log';
import { levelErrorCodes } from './errors';
import { collect, describeEventLogContract, makeEvent } from './testing/event-log.contract';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'event-log-spec-'));
}

describeEventLogContract('LevelEventLog', () => {
  const dir = tempDir();
  let n = 0;
  return {
    open: (options) => LevelEventLog.open({ ...options, location: path.join(dir, `store-${n++}`) }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('LevelEventLog on disk', () => {
  let dir: string;
  let location: string;
  const opened: LevelEventLog[] = [];
  const open = async (options: Partial<Parameters<typeof LevelEventLog.open>[0]> = {}): Promise<LevelEventLog> => {
    const log = await LevelEventLog.open({ location, ...options });
    opened.push(log);
    return log;
  };

  beforeEach(() => {
    dir = tempDir();
    location = path.join(dir, 'ledger');
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((log) => log.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('persists head, hash, events and metadata across a reopen, and keeps the chain going', async () => {
    const first = await open();
    await first.append([makeEvent(1), makeEvent(2)]);
    await first.writeSnapshot('store', { seq: 2, version: 1, value: { ok: true } });
    const { metadata } = first;
    const headHash = first.headHash();
    await first.close();

    const second = await open();
    expect(second.location).toBe(location);
    expect(second.metadata).toEqual(metadata);
    expect(second.headSeq()).toBe(2);
    expect(second.headHash()).toBe(headHash);
    const [third] = await second.append([makeEvent(3)]);
    expect(third).toMatchObject({ seq: 3, prev: headHash });
    expect((await collect(second.read())).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await second.readSnapshot('store')).toEqual({ seq: 2, version: 1, value: { ok: true } });
    expect((await second.verify()).ok).toBe(true);
  });

  it('refuses a second open of the same location (STORE_LOCKED, Level error as cause)', async () => {
    await open();
    const opening = open();
    expect(await errorCodeOf(opening)).toBe('STORE_LOCKED');
    const error = (await opening.catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('store is in use by another process');
    expect(levelErrorCodes(error.cause)).toContain('LEVEL_LOCKED');
  });

  it('refuses to open a store another process holds (STORE_LOCKED)', async () => {
    await (await open()).close();
    const script = path.join(dir, 'hold-lock.js');
    writeFileSync(
      script,
      `const { ClassicLevel } = require(${JSON.stringify(require.resolve('classic-level'))});
       const db = new ClassicLevel(process.argv[2]);
       db.open().then(() => process.send('locked'), (e) => process.send('failed: ' + e.message));
       process.on('message', () => db.close().then(() => process.exit(0)));`,
    );
    const child = fork(script, [location], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      const message = await new Promise((resolve) => child.once('message', resolve));
      expect(message).toBe('locked');
      expect(await errorCodeOf(open())).toBe('STORE_LOCKED');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('release');
      await exited;
    }
    await expect(open()).resolves.toBeDefined();
  });

  it('refuses a location that is not a store (NOT_A_STORE)', async () => {
    mkdirSync(location);
    writeFileSync(path.join(location, 'notes.txt'), 'hello');
    expect(await errorCodeOf(open())).toBe('NOT_A_STORE');
    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    expect(await errorCodeOf(open({ location: file }))).toBe('NOT_A_STORE');
  });

  it('refuses a LevelDB database that holds other data (NOT_A_STORE)', async () => {
    const { ClassicLevel } = await import('classic-level');
    const foreign = new ClassicLevel<string, string>(location);
    await foreign.put('someone', 'else');
    await foreign.close();
    expect(await errorCodeOf(open())).toBe('NOT_A_STORE');
  });

  it('refuses a store of a newer format version (UNSUPPORTED_FORMAT_VERSION)', async () => {
    const log = await open();
    await databaseOf(log).put('!meta!store', JSON.stringify({ ...log.metadata, formatVersion: 2 }));
    await log.close();
    expect(await errorCodeOf(open())).toBe('UNSUPPORTED_FORMAT_VERSION');
  });

  it('does not create a store when createIfMissing is false (STORE_NOT_FOUND)', async () => {
    expect(await errorCodeOf(open({ createIfMissing: false }))).toBe('STORE_NOT_FOUND');
  });
});
