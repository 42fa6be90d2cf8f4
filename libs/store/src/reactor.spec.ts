import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StoredEvent } from '@ledger/domain';
import { MemoryEventLog, type EventLog } from '@ledger/event-log';
import type { Ledger } from './ledger';
import { silentLogger } from './logger';
import { openLedger } from './open-ledger';
import { reactorCheckpoint, reactorCorrelationId, runReactor, type ReactorDefinition } from './reactor';
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

/**
 * An outside that holds a reactor's position, as a central service holds a
 * device's head: it appends a batch only when it extends what it holds, else
 * answers what it holds (a 409), and it may lose its tail (a restore from a backup).
 */
class Outside {
  readonly seqs: number[] = [];
  loads = 0;
  failLoads = 0;
  failSends = 0;
  /** At most this many events taken per send (the rest is handed again). */
  takes = Infinity;
  head(): number {
    return this.seqs[this.seqs.length - 1] ?? 0;
  }
  async load(): Promise<number> {
    this.loads += 1;
    if (this.failLoads > 0) {
      this.failLoads -= 1;
      throw new Error('injected: the outside is unreachable');
    }
    return this.head();
  }
  /** Appends what extends the head; answers the head either way. */
  send(events: ReadonlyArray<{ readonly seq: number }>): number {
    if (this.failSends > 0) {
      this.failSends -= 1;
      throw new Error('injected: the send failed');
    }
    if (events[0]?.seq !== this.head() + 1) return this.head();
    for (const event of events.slice(0, this.takes)) this.seqs.push(event.seq);
    return this.head();
  }
  restoreTo(seq: number): void {
    this.seqs.splice(seq);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

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

  it("dates a failure by the ledger's clock", async () => {
    await ledger.executeAll(inputCommands(3), cli);
    const at = Date.UTC(2031, 4, 6, 7, 8, 9);
    const reactor = runReactor({
      ledger: {
        log,
        executeAll: (commands, context) => ledger.executeAll(commands, context),
        clock: { now: () => at },
      },
      name: 'clocked',
      backoff: { minMs: 1, maxMs: 1 },
      handle: () => {
        throw new Error('injected handler failure');
      },
    });
    await until(() => reactor.status().failures > 0, 'the first failure');
    await reactor.stop();
    expect(reactor.status().lastError).toEqual({ message: 'injected handler failure', at: '2031-05-06T07:08:09.000Z' });
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

  it('runs one reactor per name at a time; once it stopped, the name may run again and resumes from its checkpoint', async () => {
    await ledger.executeAll(inputCommands(20), cli);
    const first = ledger.runReactor({ name: 'again', handle: (events) => inputsOf(events).map(outputFor) });
    expect(() => ledger.runReactor({ name: 'again', handle: () => undefined })).toThrow(TypeError);
    await until(() => first.status().lagEvents === 0, 'the first run to catch up');
    await first.stop();
    await ledger.executeAll(inputCommands(5), cli);
    const second = ledger.runReactor({ name: 'again', handle: (events) => inputsOf(events).map(outputFor) });
    await until(() => second.status().lagEvents === 0, 'the second run to catch up');
    expect(ledger.reactors().filter((s) => s.name === 'again')).toHaveLength(1);
    expect(await handledSeqs(log, 'again')).toEqual(await inputSeqs(log));
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

  describe('with an external position', () => {
    let outside: Outside;
    /** The first seq of every batch handed to the handler, in order. */
    let firsts: number[];
    const shipping = (
      extra: { backoff?: ReactorDefinition['backoff']; batchSize?: number } = {},
    ): ReactorDefinition => ({
      name: 'outside',
      batchSize: extra.batchSize ?? 10,
      backoff: extra.backoff ?? { minMs: 1, maxMs: 4 },
      position: { load: () => outside.load() },
      handle: (events, { resumeAfter }) => {
        firsts.push((events[0] as StoredEvent).seq);
        resumeAfter(outside.send(events));
      },
    });
    beforeEach(() => {
      outside = new Outside();
      firsts = [];
    });

    it('starts from the external position, hands every event on once in order, and writes no checkpoint of its own', async () => {
      await ledger.executeAll(inputCommands(95), cli);
      outside.seqs.push(...range(1, 20));
      const reactor = ledger.runReactor(shipping({ batchSize: 40 }));
      for (let i = 0; i < 3; i++) await ledger.executeAll(inputCommands(5), cli);
      await until(
        () => outside.head() === log.headSeq() && reactor.status().lagEvents === 0,
        'the outside to hold all',
      );
      expect(outside.seqs).toEqual(range(1, log.headSeq()));
      expect(firsts[0]).toBe(21);
      expect(reactor.status()).toMatchObject({ name: 'outside', state: 'live', position: log.headSeq(), failures: 0 });
      expect(ledger.reactors().find((s) => s.name === 'outside')).toMatchObject({ lagEvents: 0 });
      expect(await reactorCheckpoint(log, 'outside')).toBe(0);
    });

    it('rewinds to what the outside holds when it answers with less (a restore): no event skipped', async () => {
      await ledger.executeAll(inputCommands(30), cli);
      const reactor = ledger.runReactor(shipping());
      await until(() => outside.head() === log.headSeq(), 'the outside to hold all');
      const before = log.headSeq();
      outside.restoreTo(12);
      await ledger.executeAll(inputCommands(15), cli);
      await until(
        () => outside.head() === log.headSeq() && reactor.status().lagEvents === 0,
        'the outside to hold all again',
      );
      expect(outside.seqs).toEqual(range(1, log.headSeq()));
      // The batch past the restore was answered 12: the next one started at 13, behind what was handed on before.
      const rewind = firsts.indexOf(13);
      expect(rewind).toBeGreaterThan(0);
      expect(firsts[rewind - 1]).toBeGreaterThan(before);
      expect(reactor.status().failures).toBe(0);
    });

    it('hands the rest of a batch again when the outside took only a prefix of it', async () => {
      await ledger.executeAll(inputCommands(50), cli);
      outside.takes = 7;
      const reactor = ledger.runReactor(shipping({ batchSize: 20 }));
      await until(
        () => outside.head() === log.headSeq() && reactor.status().lagEvents === 0,
        'the outside to hold all',
      );
      expect(outside.seqs).toEqual(range(1, log.headSeq()));
      expect(firsts.slice(0, 3)).toEqual([1, 8, 15]);
    });

    it('after a restart, resumes from the external position (here behind where it stopped), not from a checkpoint', async () => {
      await ledger.executeAll(inputCommands(30), cli);
      const first = ledger.runReactor(shipping());
      await until(() => outside.head() === log.headSeq(), 'the first run to hand on all');
      await first.stop();
      await ledger.close();
      outside.restoreTo(9);
      firsts = [];
      ledger = await reopen();
      log = ledger.log;
      const second = ledger.runReactor(shipping());
      await until(
        () => outside.head() === log.headSeq() && second.status().lagEvents === 0,
        'the second run to hand on all',
      );
      expect(firsts[0]).toBe(10);
      expect(outside.seqs).toEqual(range(1, log.headSeq()));
    });

    it('backs off on a failed load or batch, loads the position again, and neither skips nor repeats an event', async () => {
      await ledger.executeAll(inputCommands(30), cli);
      outside.failLoads = 1;
      outside.failSends = 2;
      const delays: number[] = [];
      const reactor = ledger.runReactor(
        shipping({
          backoff: {
            minMs: 1,
            maxMs: 4,
            delayMs: (_error, failures) => {
              delays.push(failures);
              return 2;
            },
          },
        }),
      );
      await until(
        () => outside.head() === log.headSeq() && reactor.status().lagEvents === 0,
        'the outside to hold all',
      );
      expect(outside.seqs).toEqual(range(1, log.headSeq()));
      expect(reactor.status().failures).toBe(3);
      expect(reactor.status().lastError?.message).toBe('injected: the send failed');
      // One load at start (failed), one after it, one after each failed send.
      expect(outside.loads).toBe(4);
      // Consecutive failures, counted from 1: the load's, then the two sends' (no batch handled between them).
      expect(delays).toEqual([1, 2, 3]);
    });

    it('with handleStored, hands each batch as its stored text (not parsed, not upcast), a prefix taken resumes after it', async () => {
      await ledger.executeAll(inputCommands(50), cli);
      outside.takes = 7;
      const texts: string[] = [];
      const reactor = ledger.runReactor({
        name: 'stored',
        batchSize: 20,
        position: { load: () => outside.load() },
        handleStored: async (events, { resumeAfter }) => {
          firsts.push((events[0] as { seq: number }).seq);
          const answer = outside.send(events);
          for (const { seq, text } of events) if (seq <= answer && texts.length < seq) texts.push(text);
          resumeAfter(answer);
        },
      });
      await until(
        () => outside.head() === log.headSeq() && reactor.status().lagEvents === 0,
        'the outside to hold all',
      );
      expect(outside.seqs).toEqual(range(1, log.headSeq()));
      expect(firsts.slice(0, 3)).toEqual([1, 8, 15]);
      const stored: string[] = [];
      for await (const { text } of log.readStored()) stored.push(text);
      expect(texts).toEqual(stored);
      await reactor.stop();
    });

    it('takes one handler: handle or handleStored, and handleStored only with an external position', () => {
      const position = { load: async () => 0 };
      const handleStored = async (): Promise<void> => undefined;
      expect(() => ledger.runReactor({ name: 'neither', position })).toThrow(TypeError);
      expect(() => ledger.runReactor({ name: 'both', position, handle: () => undefined, handleStored })).toThrow(
        TypeError,
      );
      expect(() => ledger.runReactor({ name: 'checkpointed', handleStored })).toThrow(TypeError);
    });

    it('refuses the misuses: resumeAfter on a reactor with its own checkpoint, output from one with an external position', async () => {
      await ledger.executeAll(inputCommands(3), cli);
      const own = ledger.runReactor({
        name: 'own',
        // A minute's wait after the failure (stop() ends it), so the state read below is still the backoff.
        backoff: { minMs: 60_000, maxMs: 60_000 },
        handle: (events, { resumeAfter }) => resumeAfter((events[0] as StoredEvent).seq),
      });
      await until(() => own.status().failures > 0, 'the misuse to fail');
      expect(own.status()).toMatchObject({ position: 0, state: 'backoff' });
      await own.stop();
      const output = ledger.runReactor({
        name: 'output',
        position: { load: async () => 0 },
        handle: (events) => inputsOf(events).map(outputFor),
      });
      await output.done;
      expect(output.status().state).toBe('failed');
      expect(await handledSeqs(log, 'output')).toEqual([]);
    });
  });
});
