import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initialState, ledgerDecider } from '@ledger/domain';
import { MemoryEventLog } from '@ledger/event-log';
import { diagSourceFactory } from '@ledger/qmdl';
import { CommandProcessor } from './command-processor';
import { realHost, systemClock } from './host';
import type { CommandContext, CommandResult, LedgerCommand } from './ledger';
import { Recorder } from './recorder';
import { RecordingFiles } from './recording-files';

describe('Recorder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-recorder-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("does not report data as dropped when a stop committed first: the stop's final size covers the late data commit", async () => {
    const log = await MemoryEventLog.open();
    const files = new RecordingFiles(path.join(dir, 'qmdl'));
    mkdirSync(files.dir);
    const lines: Array<{ level: 'info' | 'warn' | 'error'; message: string }> = [];
    const logger = {
      info: (message: string) => lines.push({ level: 'info', message }),
      warn: (message: string) => lines.push({ level: 'warn', message }),
      error: (message: string) => lines.push({ level: 'error', message }),
    };
    // The interleaving of a shutdown (or any stop) during a flush, made certain: the first data
    // commit the recorder sends waits until a stop, decided meanwhile, has committed.
    let late: { readonly totals: number; readonly result: CommandResult } | undefined;
    let stopped: CommandResult | undefined;
    const execute = async (command: LedgerCommand, context: CommandContext): Promise<CommandResult> => {
      if (command.type !== 'AppendRecordingData' || stopped !== undefined) return processor.execute(command, context);
      stopped = await processor.execute(
        { type: 'StopRecording', data: { reason: 'requested' } },
        { actor: { kind: 'cli' }, correlationId: 'stop' },
      );
      const result = await processor.execute(command, context);
      late = { totals: command.data.totals.qmdlSizeBytes, result };
      return result;
    };
    const recorder = new Recorder({
      files,
      source: diagSourceFactory('synthetic:rate=0'),
      settings: {
        flushIntervalMs: 3_600_000,
        flushKiB: 16,
        minSpaceStartMb: 0,
        minSpaceContinueMb: 0,
        reserveKiB: 0,
      },
      logger,
      clock: systemClock,
      host: realHost(),
      execute,
      newCorrelationId: randomUUID,
    });
    const processor = new CommandProcessor({
      log,
      decider: ledgerDecider,
      initialState: initialState(),
      bootId: 'boot',
      appVersion: 'test',
      clock: systemClock,
      host: realHost(),
      effects: {
        beforeCommit: (events) => recorder.beforeCommit(events),
        afterCommit: (events, state) => recorder.afterCommit(events, state),
      },
    });
    await processor.execute({ type: 'StartRecording', data: {} }, { actor: { kind: 'cli' }, correlationId: 'start' });
    for (const until = Date.now() + 30_000; late === undefined && Date.now() < until;)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await recorder.close();

    expect(late?.result).toMatchObject({ ok: false, refusal: { code: 'RECORDING_NOT_ACTIVE' } });
    const stop = stopped?.ok ? stopped.events.find((e) => e.type === 'RecordingStopped') : undefined;
    const finalSize = stop?.type === 'RecordingStopped' ? stop.data.qmdlSizeBytes : undefined;
    expect(finalSize).toBeGreaterThanOrEqual(late?.totals ?? Infinity);
    const name = stop?.recording ?? '';
    expect(statSync(files.paths(name).qmdl).size).toBe(finalSize);
    expect(lines.filter((l) => l.level !== 'info')).toEqual([]);
    expect(lines.some((l) => l.message.includes('came after its stop'))).toBe(true);
    await log.close();
  });
});
