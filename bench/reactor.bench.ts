/**
 * Reactors run outside the commit loop: the latency of a
 * durable command with a reactor that takes 50 ms per event (and records one
 * output event and its checkpoint per batch of one event) against the same commands with no reactor, on a real
 * LevelDB ledger. Rounds are interleaved and medians compared.
 */
import path from 'node:path';
import type { Command, StoredEvent } from '@ledger/domain';
import { openLedger, silentLogger, type Ledger } from '@ledger/store';
import { type BenchContext, type BenchModule, type BenchResult, lowerIsBetter, medianOf } from './harness';

const HANDLER_MS_PER_EVENT = 50;
const recorder = {
  source: 'none',
  autoStart: false,
  flushIntervalMs: 1000,
  flushKiB: 256,
  minSpaceStartMb: 0,
  minSpaceContinueMb: 0,
};
const context = { actor: { kind: 'cli' as const }, correlationId: 'bench' };

/** Latencies in ms of `count` sequential durable commands. */
async function commandLatency(ledger: Ledger, count: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const result = await ledger.execute({ type: 'SetClockOffset', data: { offsetSeconds: i % 100 } }, context);
    ms.push(performance.now() - started);
    if (!result.ok) throw new Error(`command refused: ${result.refusal.code}`);
  }
  return ms;
}

/** Sleeps 50 ms per event of the batch, then records one GPS fix for it (its output). */
async function slowHandler(
  events: readonly StoredEvent[],
  { signal }: { signal: AbortSignal },
): Promise<readonly Command[]> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, HANDLER_MS_PER_EVENT * events.length);
    signal.addEventListener('abort', done);
  });
  return [{ type: 'RecordGpsFix', data: { lat: 0, lon: 0 } }];
}

async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const ledger = await openLedger({
    dataDir: path.join(ctx.tmpDir, 'data'),
    appVersion: 'bench',
    logger: silentLogger,
    recorder,
  });
  const rounds = ctx.quick ? 2 : 6;
  const count = ctx.quick ? 200 : 1000;
  const without: number[][] = [];
  const withReactor: number[][] = [];
  try {
    await commandLatency(ledger, 50);
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither side gets the warmer disk.
      if (round % 2 === 0) without.push(await commandLatency(ledger, count));
      const reactor = ledger.runReactor({ name: `slow-${round}`, batchSize: 1, handle: slowHandler });
      withReactor.push(await commandLatency(ledger, count));
      const lag = reactor.status().lagEvents;
      const batches = reactor.status().batches;
      await reactor.stop();
      if (round % 2 === 1) without.push(await commandLatency(ledger, count));
      ctx.log(
        `round ${round + 1}: median ${medianOf(without[round] ?? []).toFixed(3)} ms without, ${medianOf(withReactor[round] ?? []).toFixed(3)} ms with a 50 ms/event reactor (${batches} batches handled, ${lag} events behind when the round ended)`,
      );
    }
  } finally {
    await ledger.close();
  }
  // Pooled over every round: a round's median moves with the shared disk more than the reactor moves it.
  const measured = medianOf(withReactor.flat());
  const baseline = medianOf(without.flat());
  return [
    {
      name: `durable command latency with a reactor taking ${HANDLER_MS_PER_EVENT} ms per event`,
      measured: { unit: 'ms', value: measured },
      baseline: { name: 'the same commands with no reactor', unit: 'ms', value: baseline },
      ratio: lowerIsBetter(measured, baseline),
      target: { min: 1 / 1.1, note: 'at most 1.1x the latency without the reactor' },
      notes: `median of ${rounds} interleaved rounds × ${count} sequential SetClockOffset commands per side, pooled; the reactor (one event per batch, so it reads, records one output event and writes its checkpoint every 50 ms) starts at the beginning of the log each round and stays behind throughout`,
    },
  ];
}

const bench: BenchModule = { title: 'Reactors: command latency beside a slow reactor', run };
export default bench;
