import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StoredEvent } from '@ledger/domain';
import { MemoryEventLog, type EventLog } from '@ledger/event-log';
import type { Ledger } from './ledger';
import { silentLogger } from './logger';
import { openLedger } from './open-ledger';
import { reactorCheckpoint, reactorCorrelationId } from './reactor';
import { inputCommands, inputSeqOf, inputsOf, outputFor } from './testing/reactor.fixtures';

const recorder = {
  source: 'none',
  autoStart: false,
  flushIntervalMs: 50,
  flushKiB: 16,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
};
const cli = { actor: { kind: 'cli' as const }, correlationId: 'seed' };

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function inputSeqs(log: EventLog): Promise<number[]> {
  const out: number[] = [];
  for await (const event of log.read({ types: ['ClockOffsetSet'] })) out.push(event.seq);
  return out;
}

/** The input seqs named by the reactor's recorded output, in log order (duplicates kept). */
async function handledSeqs(log: EventLog, name: string): Promise<number[]> {
  const out: number[] = [];
  for await (const event of log.read({ correlationId: reactorCorrelationId(name) })) out.push(inputSeqOf(event));
  return out;
}

const adapters: Array<
  [string, (dir: string) => Promise<{ ledger: Ledger; log: EventLog; reopen: () => Promise<Ledger> }>]
> = [
  [
    'MemoryEventLog',
    async (dir) => {
      const log = await MemoryEventLog.open();
      const open = (): Promise<Ledger> =>
        openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder, log });
      return { ledger: await open(), log, reopen: open };
    },
  ],
  [
    'LevelEventLog',
    async (dir) => {
      const open = (): Promise<Ledger> => openLedger({ dataDir: dir, appVersion: 't', logger: silentLogger, recorder });
      const ledger = await open();
      return { ledger, log: ledger.log, reopen: open };
    },
  ],
];

describe.each(adapters)('reactors on %s', (_adapter, make) => {
  let dir: string;
  let ledger: Ledger;
  let log: EventLog;
  let reopen: () => Promise<Ledger>;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-reactor-'));
    ({ ledger, log, reopen } = await make(dir));
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    if (_adapter === 'MemoryEventLog') await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handles every input once, catching up and then live, and records its output with its checkpoint', async () => {
    await ledger.executeAll(inputCommands(250), cli);
    const reactor = ledger.runReactor({
      name: 'echo',
      batchSize: 40,
      handle: (events) => inputsOf(events).map(outputFor),
    });
    for (let i = 0; i < 5; i++) await ledger.executeAll(inputCommands(10), cli);
    const inputs = await inputSeqs(log);
    await until(
      () => reactor.status().lagEvents === 0 && reactor.status().position >= log.headSeq(),
      'the reactor to catch up',
    );
    expect(await handledSeqs(log, 'echo')).toEqual(inputs);
    expect(reactor.status()).toMatchObject({ name: 'echo', state: 'live', failures: 0, lagEvents: 0 });
    expect(ledger.reactors().map((s) => s.name)).toEqual(['echo']);
    expect(await reactorCheckpoint(log, 'echo')).toBe(reactor.status().position);
  });

  it('retries a failing batch with backoff and neither skips nor repeats an input', async () => {
    await ledger.executeAll(inputCommands(30), cli);
    let calls = 0;
    const reactor = ledger.runReactor({
      name: 'flaky',
      batchSize: 10,
      backoff: { minMs: 1, maxMs: 4 },
      handle: (events) => {
        calls += 1;
        if (calls === 2 || calls === 3) throw new Error('injected handler failure');
        return inputsOf(events).map(outputFor);
      },
    });
    await until(() => reactor.status().lagEvents === 0, 'the reactor to catch up');
    expect(reactor.status().failures).toBe(2);
    expect(reactor.status().lastError?.message).toBe('injected handler failure');
    expect(await handledSeqs(log, 'flaky')).toEqual(await inputSeqs(log));
  });

  it('after a failure between recording the output and writing the checkpoint, resumes after that batch (no output twice)', async () => {
    await ledger.executeAll(inputCommands(30), cli);
    const realWrite = log.writeSnapshot.bind(log);
    let failed = false;
    (log as { writeSnapshot: EventLog['writeSnapshot'] }).writeSnapshot = async (name, snapshot) => {
      if (name.startsWith('reactor:') && !failed) {
        failed = true;
        throw new Error('injected: disk full while writing the checkpoint');
      }
      return realWrite(name, snapshot);
    };
    const reactor = ledger.runReactor({
      name: 'snap',
      batchSize: 10,
      backoff: { minMs: 1, maxMs: 4 },
      handle: (events) => inputsOf(events).map(outputFor),
    });
    await until(() => reactor.status().lagEvents === 0, 'the reactor to catch up');
    expect(failed).toBe(true);
    expect(reactor.status().failures).toBe(1);
    expect(await handledSeqs(log, 'snap')).toEqual(await inputSeqs(log));
  });

  it('stopped in the middle of a batch, it records nothing of it, and a new run handles it once', async () => {
    await ledger.executeAll(inputCommands(30), cli);
    let entered = 0;
    const first = ledger.runReactor({
      name: 'stopper',
      batchSize: 10,
      handle: async (events, { signal }) => {
        entered += 1;
        if (entered === 2) await new Promise((resolve) => signal.addEventListener('abort', resolve));
        return inputsOf(events).map(outputFor);
      },
    });
    await until(() => entered === 2, 'the second batch');
    await first.stop();
    expect(first.status().state).toBe('stopped');
    const partial = await handledSeqs(log, 'stopper');
    const inputs = await inputSeqs(log);
    // The first batch only: the interrupted one recorded nothing.
    expect(partial).toEqual(inputs.filter((seq) => seq <= first.status().position));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(inputs.length);

    await ledger.close();
    ledger = await reopen();
    log = ledger.log;
    const second = ledger.runReactor({
      name: 'stopper',
      batchSize: 10,
      handle: (events: readonly StoredEvent[]) => inputsOf(events).map(outputFor),
    });
    await until(() => second.status().lagEvents === 0, 'the second run to catch up');
    expect(await handledSeqs(log, 'stopper')).toEqual(inputs);
  });

  it('is stopped by close(), before the store records ServiceStopped', async () => {
    const reactor = ledger.runReactor({ name: 'closing', handle: () => undefined });
    await until(() => reactor.status().state === 'live', 'the reactor to go live');
    await ledger.close();
    expect(reactor.status().state).toBe('stopped');
    expect(() => ledger.runReactor({ name: 'late', handle: () => undefined })).toThrow(TypeError);
  });

  it('does not slow commands down: a handler that never finishes holds no command back', async () => {
    ledger.runReactor({
      name: 'stuck',
      handle: (_events, { signal }) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined))),
    });
    for (let i = 0; i < 20; i++)
      expect((await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: i } }, cli)).ok).toBe(true);
    expect(ledger.reactors()[0]?.lagEvents).toBeGreaterThan(0);
  });
});
