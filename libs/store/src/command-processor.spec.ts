import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkInvariants,
  checkTransition,
  evolve,
  initialState,
  ledgerDecider,
  type Command,
  type LedgerEvent,
  type QmdlStoreState,
} from '@ledger/domain';
import { errorCodeOf, LedgerError, mulberry32 } from '@ledger/domain';
import { LevelEventLog, MAX_EVENT_BYTES, MemoryEventLog, type EventLog } from '@ledger/event-log';
import { CommandProcessor } from './command-processor';
import { diffProjections, rebuildProjection } from './qmdl-store.projection';
import type { HostInfo } from './host';
import type { CommandContext, LedgerCommand } from './ledger';

/** A host at a fixed UTC offset: the processor stamps recordings with it. */
const hostAt = (utcOffsetMinutes: number): HostInfo => ({
  systemOs: 'Test 1.0',
  arch: 'x64',
  machine: 'x86_64',
  pid: 4242,
  utcOffsetMinutes: () => utcOffsetMinutes,
});

const context = (n: number): CommandContext => ({ actor: { kind: 'cli' }, correlationId: `c-${n}` });

function newProcessor(log: EventLog, now: () => number, host = hostAt(0)): CommandProcessor {
  return new CommandProcessor({
    log,
    decider: ledgerDecider,
    initialState: initialState(),
    bootId: 'boot-1',
    appVersion: 'test',
    clock: { now },
    host,
  });
}

async function assertHistoryValid(log: EventLog, live: QmdlStoreState): Promise<void> {
  let state = initialState();
  for await (const event of log.read({})) {
    const before = state;
    state = evolve(state, event as LedgerEvent);
    expect(checkTransition(before, event as LedgerEvent, state)).toEqual([]);
    expect(checkInvariants(state)).toEqual([]);
  }
  const rebuilt = await rebuildProjection(log, { decider: ledgerDecider });
  expect(diffProjections(rebuilt, live)).toBeUndefined();
  expect((await log.verify()).ok).toBe(true);
}

describe('CommandProcessor.executeAll (a unit of several commands)', () => {
  it("appends the accepted commands' events in one batch, refuses a refused command alone, in order", async () => {
    const log = await MemoryEventLog.open();
    const processor = newProcessor(log, () => 1_700_000_000_000);
    const results = await processor.executeAll(
      [
        { type: 'SetClockOffset', data: { offsetSeconds: 1 } },
        { type: 'SetClockOffset', data: { offsetSeconds: Number.NaN } },
        { type: 'RecordGpsFix', data: { lat: 1, lon: 2 } },
      ],
      context(1),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]?.ok === false ? results[1].refusal.code : undefined).toBe('INVALID_CLOCK_OFFSET');
    expect(results.flatMap((r) => (r.ok ? r.events.map((e) => e.type) : []))).toEqual([
      'ClockOffsetSet',
      'GpsFixRecorded',
    ]);
    expect(log.headSeq()).toBe(2);
    // One unit, one append: both events went in the same batch.
    expect((log as MemoryEventLog).stats().batches).toBe(1);
    await log.close();
  });

  it('records nothing of a unit whose append fails, and every command of it learns so', async () => {
    const log = await MemoryEventLog.open();
    const processor = newProcessor(log, () => 1_700_000_000_000);
    const realAppend = log.append.bind(log);
    (log as { append: EventLog['append'] }).append = () => Promise.reject(new LedgerError('WRITE_FAILED', 'injected'));
    expect(
      await errorCodeOf(
        processor.executeAll(
          [
            { type: 'SetClockOffset', data: { offsetSeconds: 1 } },
            { type: 'SetClockOffset', data: { offsetSeconds: 2 } },
          ],
          context(1),
        ),
      ),
    ).toBe('WRITE_FAILED');
    expect(log.headSeq()).toBe(0);
    (log as { append: EventLog['append'] }).append = realAppend;
    await log.close();
  });
});

describe('CommandProcessor', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledger-processor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every invariant under thousands of concurrent commands against LevelDB, and the projection equals a rebuild', async () => {
    const log = await LevelEventLog.open({ location: path.join(dir, 'ledger') });
    let now = 1_700_000_000_000;
    const processor = newProcessor(log, () => (now += 7), hostAt(60));
    const random = mulberry32(42);
    const sizes = new Map<string, number>();
    const fire = (i: number): Promise<unknown> => {
      const state = processor.current();
      const r = random();
      let command: LedgerCommand;
      if (r < 0.2) command = { type: 'StartRecording', data: {} };
      else if (r < 0.3) command = { type: 'StopRecording', data: { reason: 'requested' } };
      else if (r < 0.4) {
        const names = [...Object.keys(state.entries), ...(state.current ? [state.current.name] : [])];
        command = { type: 'DeleteRecording', data: { name: names[Math.floor(random() * names.length)] ?? '1' } };
      } else if (r < 0.43) command = { type: 'DeleteAllRecordings', data: {} };
      else {
        // Data for whatever was active when the command was fired: by the time it runs, it may not be.
        const name = state.current?.name ?? '1';
        const size = (sizes.get(name) ?? 0) + 100;
        sizes.set(name, size);
        command = {
          type: 'AppendRecordingData',
          data: { name, totals: { qmdlSizeBytes: size, uncompressedBytes: size * 3, containers: size / 100 } },
        };
      }
      return processor.execute(command, context(i));
    };
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(Array.from({ length: 600 }, (_, i) => fire(round * 600 + i)));
      for (const result of results as Array<{ ok: boolean; refusal?: { code: string } }>) {
        const key = result.ok ? 'ok' : (result.refusal?.code ?? '?');
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      }
    }
    // The race the original lost: data for a recording that was deleted or stopped meanwhile is a typed refusal.
    expect(outcomes.get('RECORDING_NOT_ACTIVE') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(500);
    const types = new Set<string>();
    for await (const event of log.read({})) types.add(event.type);
    for (const type of ['RecordingStarted', 'RecordingDataAppended', 'RecordingStopped', 'RecordingDeleted'])
      expect(types).toContain(type);
    expect(processor.stats.commits).toBeLessThan(processor.stats.commandsProcessed);
    expect(processor.current().seq).toBe(log.headSeq());
    await assertHistoryValid(log, processor.current());
    await log.close();
  }, 60_000);

  it('gives every event of one command its correlation id and the adjusted clock', async () => {
    const log = await MemoryEventLog.open();
    const processor = newProcessor(log, () => 1_700_000_000_000);
    await processor.execute({ type: 'SetClockOffset', data: { offsetSeconds: 3600 } }, context(1));
    await processor.execute({ type: 'StartRecording', data: {} }, context(2));
    const started = processor.current().current;
    // Stamped by the processor: the adjusted clock names it, the host's offset and identity are recorded.
    expect(started).toMatchObject({
      name: '1700003600',
      startTime: '2023-11-14T23:13:20+00:00',
      rayhunterVersion: 'qmdl-ledger test',
      systemOs: 'Test 1.0',
      arch: 'x64',
    });
    const result = await processor.execute(
      { type: 'DeleteRecording', data: { name: started?.name ?? '' } },
      context(3),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.events.map((e) => e.type)).toEqual(['RecordingStopped', 'RecordingDeleted']);
    expect(new Set(result.events.map((e) => e.metadata.correlationId))).toEqual(new Set(['c-3']));
    expect(result.events[0]?.time).toBe(new Date(1_700_000_000_000 + 3_600_000).toISOString());
    expect(result.events[0]?.systemTime).toBe(new Date(1_700_000_000_000).toISOString());
    await log.close();
  });

  it("stamps an upload's time itself: the injected clock plus the store's offset, the instant of its event's time", async () => {
    let now = 1_700_000_000_000;
    const log = await MemoryEventLog.open();
    const processor = newProcessor(log, () => now);
    await processor.execute({ type: 'SetClockOffset', data: { offsetSeconds: -90 } }, context(1));
    await processor.execute({ type: 'StartRecording', data: {} }, context(2));
    await processor.execute({ type: 'StopRecording', data: { reason: 'requested' } }, context(3));
    const name = Object.keys(processor.current().entries)[0] ?? '';
    now += 12_345;
    const result = await processor.execute(
      { type: 'MarkRecordingUploaded', data: { name, target: 'http://central.test', sizeBytes: 0 } },
      context(4),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const uploadTime = new Date(1_700_000_012_345 - 90_000).toISOString();
    expect(result.events).toEqual([
      expect.objectContaining({
        type: 'RecordingUploaded',
        recording: name,
        time: uploadTime,
        data: { uploadTime, target: 'http://central.test', sizeBytes: 0 },
      }),
    ]);
    expect(processor.current().entries[name]?.uploadTime).toBe(uploadTime);
    await log.close();
  });

  it('answers a refused command with its code and appends nothing', async () => {
    const log = await MemoryEventLog.open();
    const processor = newProcessor(log, () => 1_700_000_000_000);
    const result = await processor.execute({ type: 'DeleteRecording', data: { name: '12345' } }, context(1));
    expect(result).toMatchObject({ ok: false, refusal: { code: 'NO_SUCH_RECORDING' } });
    expect(log.headSeq()).toBe(0);
    await log.close();
  });

  it('lets a pre-commit effect fill the final size into RecordingStopped', async () => {
    const log = await MemoryEventLog.open();
    const processor = new CommandProcessor({
      log,
      decider: ledgerDecider,
      initialState: initialState(),
      bootId: 'b',
      appVersion: 't',
      clock: { now: () => 1_700_000_000_000 },
      host: hostAt(0),
      effects: {
        beforeCommit: async (events) =>
          events.map((e) => (e.type === 'RecordingStopped' ? { ...e, data: { ...e.data, qmdlSizeBytes: 999 } } : e)),
      },
    });
    await processor.execute({ type: 'StartRecording', data: {} }, context(1));
    const stop = await processor.execute({ type: 'StopRecording', data: { reason: 'requested' } }, context(2));
    expect(stop.ok && stop.events[0]?.type === 'RecordingStopped' && stop.events[0].data.qmdlSizeBytes).toBe(999);
    expect(Object.values(processor.current().entries)[0]?.qmdlSizeBytes).toBe(999);
    await log.close();
  });

  describe('one command cannot fail another', () => {
    const nested = (depth: number): Record<string, unknown> => (depth === 0 ? { leaf: 1 } : { a: nested(depth - 1) });
    const data = (size: number): Command => ({
      type: 'AppendRecordingData',
      data: { name: '', totals: { qmdlSizeBytes: size, uncompressedBytes: size * 3, containers: size } },
    });

    async function recording(processor: CommandProcessor): Promise<string> {
      await processor.execute({ type: 'StartRecording', data: {} }, context(0));
      const name = processor.current().current?.name;
      if (name === undefined) throw new Error('no recording started');
      return name;
    }
    const forRecording = (name: string, command: Command): Command =>
      command.type === 'AppendRecordingData' ? { ...command, data: { ...command.data, name } } : command;

    it('refuses alone, with its code, a command whose events the log cannot store, while the rest of its batch commits', async () => {
      const log = await MemoryEventLog.open();
      const processor = newProcessor(log, () => 1_700_000_000_000);
      const name = await recording(processor);
      const commitsBefore = processor.stats.commits;
      // All queued in one tick while nothing is in flight: one batch after the first job, which goes alone.
      const commands: Command[] = [
        { type: 'SetClockOffset', data: { offsetSeconds: 1 } },
        forRecording(name, data(100)),
        // Malformed commands (decide copies a stop's or a damage report's detail as given): the log's own checks still catch them.
        { type: 'MarkRecordingDamaged', data: { name, missing: [], detail: nested(300) as unknown as string } },
        { type: 'RecordGpsFix', data: { lat: 52.5, lon: 13.4 } },
        { type: 'StopRecording', data: { reason: 'requested', detail: 'x'.repeat(MAX_EVENT_BYTES) } },
        forRecording(name, data(200)),
        { type: 'ChangeConfig', data: { config: { analyzers: { null_cipher: false } } } },
      ];
      const results = await Promise.all(commands.map((command, i) => processor.execute(command, context(i + 1))));
      expect(results.map((r) => (r.ok ? 'ok' : r.refusal.code))).toEqual([
        'ok',
        'ok',
        'EVENT_NOT_REPRESENTABLE',
        'ok',
        'EVENT_TOO_LARGE',
        'ok',
        'ok',
      ]);
      expect(processor.stats.commits - commitsBefore).toBe(2);
      expect(processor.current().current?.qmdlSizeBytes).toBe(200);
      const types: string[] = [];
      for await (const event of log.read({ fromSeq: 2 })) types.push(event.type);
      expect(types).toEqual([
        'ClockOffsetSet',
        'RecordingDataAppended',
        'GpsFixRecorded',
        'RecordingDataAppended',
        'ConfigChanged',
      ]);
      await assertHistoryValid(log, processor.current());
      await log.close();
    });

    it('re-runs a batch whose append failed one command at a time: only the command that cannot be written fails', async () => {
      const log = await MemoryEventLog.open();
      const append = log.append.bind(log);
      let failedAppends = 0;
      // A write failure the checks cannot foresee, tied to one command's events.
      log.append = (events, options) => {
        if (
          events.some(
            (e) =>
              e.type === 'ConfigChanged' && (e.data as { config: Record<string, unknown> }).config['ui_level'] === 128,
          )
        ) {
          failedAppends++;
          return Promise.reject(new LedgerError('WRITE_FAILED', 'the append was not written'));
        }
        return append(events, options);
      };
      const processor = newProcessor(log, () => 1_700_000_000_000);
      const name = await recording(processor);
      const commands: Command[] = [
        { type: 'SetClockOffset', data: { offsetSeconds: 1 } },
        forRecording(name, data(100)),
        { type: 'ChangeConfig', data: { config: { ui_level: 128 } } },
        { type: 'DeleteRecording', data: { name: 'not-there' } },
        { type: 'RecordGpsFix', data: { lat: 1, lon: 2 } },
        forRecording(name, data(300)),
      ];
      const settled = await Promise.allSettled(
        commands.map((command, i) => processor.execute(command, context(i + 1))),
      );
      const outcomes = settled.map((s) =>
        s.status === 'rejected'
          ? `rejected ${(s.reason as LedgerError).code}`
          : s.value.ok
            ? 'ok'
            : s.value.refusal.code,
      );
      expect(outcomes).toEqual(['ok', 'ok', 'rejected WRITE_FAILED', 'NO_SUCH_RECORDING', 'ok', 'ok']);
      // Once in the shared batch, once alone.
      expect(failedAppends).toBe(2);
      expect(processor.current().current?.qmdlSizeBytes).toBe(300);
      const types: string[] = [];
      for await (const event of log.read({ fromSeq: 2 })) types.push(event.type);
      expect(types).toEqual(['ClockOffsetSet', 'RecordingDataAppended', 'GpsFixRecorded', 'RecordingDataAppended']);
      await assertHistoryValid(log, processor.current());
      // The processor is not stuck: the next command commits.
      expect((await processor.execute({ type: 'StopRecording', data: { reason: 'requested' } }, context(9))).ok).toBe(
        true,
      );
      await log.close();
    });

    it('fails a command alone in a failed append with the error, and keeps a refused one in that batch its refusal', async () => {
      const log = await MemoryEventLog.open();
      const append = log.append.bind(log);
      log.append = (events, options) =>
        events.some((e) => e.type === 'GpsFixRecorded')
          ? Promise.reject(new LedgerError('WRITE_FAILED', 'disk full'))
          : append(events, options);
      const processor = newProcessor(log, () => 1_700_000_000_000);
      await processor.execute({ type: 'SetClockOffset', data: { offsetSeconds: 1 } }, context(1));
      const [gps, refused] = await Promise.allSettled([
        processor.execute({ type: 'RecordGpsFix', data: { lat: 1, lon: 2 } }, context(2)),
        processor.execute({ type: 'DeleteRecording', data: { name: 'not-there' } }, context(3)),
      ]);
      expect(gps).toMatchObject({ status: 'rejected', reason: { code: 'WRITE_FAILED' } });
      expect(refused).toMatchObject({
        status: 'fulfilled',
        value: { ok: false, refusal: { code: 'NO_SUCH_RECORDING' } },
      });
      expect(log.headSeq()).toBe(1);
      await log.close();
    });
  });
});
