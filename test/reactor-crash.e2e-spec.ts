/**
 * A reactor killed (SIGKILL, a real child process on a real
 * LevelDB store) in the middle of a batch — while its handler runs, and after
 * its output was committed but before its checkpoint snapshot was written —
 * resumes after a restart with no input handled twice where its output is
 * recorded, and none skipped.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LevelEventLog } from '@ledger/event-log';
import { ledgerLocation, reactorCorrelationId } from '@ledger/store';
import { REPO_ROOT, tempDir } from './helpers/server';

const DIST = path.join(REPO_ROOT, 'dist/libs/store/src');
const NAME = 'crash-echo';

/** The input seq an output GPS fix names (its latitude is seq / 1000). */
function inputSeqOf(data: unknown): number {
  return Math.round((data as { lat: number }).lat * 1000);
}

/** The child: seeds inputs, or runs the reactor; `HANG` makes it stop (and say so) at a point for the parent to kill it. */
const CHILD = `
const { openLedger, runReactor } = require(${JSON.stringify(DIST)});
// Inputs name their seq by position; each output names its input's seq (latitude = seq / 1000).
const inputCommands = (n) => Array.from({ length: n }, (_, i) => ({ type: 'SetClockOffset', data: { offsetSeconds: i % 1000 } }));
const inputsOf = (events) => events.filter((e) => e.type === 'ClockOffsetSet');
const outputFor = (e) => ({ type: 'RecordGpsFix', data: { lat: e.seq / 1000, lon: 0 } });
const recorder = { source: 'none', autoStart: false, flushIntervalMs: 50, flushKiB: 16, minSpaceStartMb: 0, minSpaceContinueMb: 0 };
(async () => {
  const ledger = await openLedger({ dataDir: process.env.DATA_DIR, appVersion: 't', recorder, logger: { info() {}, warn() {}, error() {} } });
  if (process.env.MODE === 'seed') {
    await ledger.executeAll(inputCommands(300), { actor: { kind: 'cli' }, correlationId: 'seed' });
    await ledger.close();
    return;
  }
  const hang = () => new Promise(() => undefined);
  let batches = 0;
  if (process.env.HANG === 'before-checkpoint') {
    const real = ledger.log.writeSnapshot.bind(ledger.log);
    ledger.log.writeSnapshot = async (name, snapshot) => {
      if (name.startsWith('reactor:') && batches === 3) { process.stdout.write('OUTPUT_COMMITTED\\n'); return hang(); }
      return real(name, snapshot);
    };
  }
  const reactor = runReactor({ ledger, name: ${JSON.stringify(NAME)}, batchSize: 25, handle: async (events) => {
    batches += 1;
    if (process.env.HANG === 'in-handler' && batches === 3) { process.stdout.write('IN_HANDLER\\n'); await hang(); }
    return inputsOf(events).map(outputFor);
  } });
  const timer = setInterval(async () => {
    const s = reactor.status();
    if (s.lagEvents === 0 && s.state === 'live') {
      clearInterval(timer);
      await reactor.stop();
      await ledger.close();
      process.stdout.write('CAUGHT_UP\\n');
    }
  }, 20);
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

function runChild(
  script: string,
  env: Record<string, string>,
  killOn?: string,
): Promise<{ code: number | string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`child timed out:\n${stdout}\n${stderr}`));
    }, 60_000);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (killOn !== undefined && stdout.includes(killOn)) proc.kill('SIGKILL');
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}):\n${stderr}`));
      else resolve({ code: code ?? signal ?? -1, stdout });
    });
  });
}

describe('a reactor killed in the middle of a batch (real process, LevelDB)', () => {
  jest.setTimeout(120_000);

  it.each([
    ['while its handler runs', 'in-handler', 'IN_HANDLER'],
    ['after its output was committed, before its checkpoint snapshot', 'before-checkpoint', 'OUTPUT_COMMITTED'],
  ])(
    'killed %s: after a restart every input is handled exactly once in the recorded output',
    async (_when, hang, marker) => {
      const dir = tempDir('qmdl-ledger-reactor-crash-');
      const dataDir = path.join(dir, 'data');
      const script = path.join(dir, 'child.js');
      writeFileSync(script, CHILD);
      try {
        await runChild(script, { DATA_DIR: dataDir, MODE: 'seed' });
        const killed = await runChild(script, { DATA_DIR: dataDir, HANG: hang }, marker);
        expect(killed.code).toBe('SIGKILL');
        const restarted = await runChild(script, { DATA_DIR: dataDir });
        expect(restarted.stdout).toContain('CAUGHT_UP');

        const log = await LevelEventLog.open({ location: ledgerLocation(dataDir) });
        try {
          const inputs: number[] = [];
          for await (const event of log.read({ types: ['ClockOffsetSet'] })) inputs.push(event.seq);
          const handled: number[] = [];
          for await (const event of log.read({ correlationId: reactorCorrelationId(NAME) }))
            handled.push(inputSeqOf(event.data));
          expect(inputs).toHaveLength(300);
          expect(handled).toEqual(inputs);
        } finally {
          await log.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
