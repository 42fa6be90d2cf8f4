import { initialState, ledgerDecider } from '@ledger/domain';
import { MemoryEventLog } from '@ledger/event-log';
import { CommandProcessor } from './command-processor';
import { realHost } from './host';
import {
  diffProjections,
  foldLog,
  PROJECTION_SNAPSHOT,
  PROJECTION_VERSION,
  QmdlStoreProjection,
  rebuildProjection,
} from './qmdl-store.projection';

const ctx = { actor: { kind: 'cli' as const }, correlationId: 'c' };

async function logWithHistory(): Promise<{ log: MemoryEventLog; processor: CommandProcessor }> {
  const log = await MemoryEventLog.open();
  let now = 1_700_000_000_000;
  const processor = new CommandProcessor({
    log,
    decider: ledgerDecider,
    initialState: initialState(),
    bootId: 'b',
    appVersion: 't',
    clock: { now: () => (now += 1000) },
    host: realHost(),
  });
  for (let i = 0; i < 5; i++) {
    await processor.execute({ type: 'StartRecording', data: {} }, ctx);
    const name = processor.current().current?.name ?? '';
    await processor.execute(
      {
        type: 'AppendRecordingData',
        data: { name, totals: { qmdlSizeBytes: 10 * (i + 1), uncompressedBytes: 30, containers: 1 } },
      },
      ctx,
    );
  }
  await processor.execute(
    { type: 'DeleteRecording', data: { name: Object.keys(processor.current().entries)[0] ?? '' } },
    ctx,
  );
  return { log, processor };
}

describe('QmdlStoreProjection', () => {
  it('starts from the stored projection and replays only the tail, ending equal to a full rebuild', async () => {
    const { log, processor } = await logWithHistory();
    const midway = await foldLog(log, initialState(), { decider: ledgerDecider, toSeq: 6 });
    await log.writeSnapshot(PROJECTION_SNAPSHOT, { seq: 6, version: PROJECTION_VERSION, value: midway });
    const projection = await QmdlStoreProjection.load(log, { decider: ledgerDecider });
    expect(projection.loadReport).toEqual({ from: 'snapshot', snapshotSeq: 6, replayed: log.headSeq() - 6 });
    expect(
      diffProjections(projection.state(), await rebuildProjection(log, { decider: ledgerDecider })),
    ).toBeUndefined();
    expect(diffProjections(projection.state(), processor.current())).toBeUndefined();
  });

  it('rebuilds from the log when the stored projection has another version or is ahead of the log', async () => {
    const { log } = await logWithHistory();
    const head = log.headSeq();
    await log.writeSnapshot(PROJECTION_SNAPSHOT, { seq: 3, version: PROJECTION_VERSION + 1, value: initialState() });
    expect((await QmdlStoreProjection.load(log, { decider: ledgerDecider })).loadReport).toMatchObject({
      from: 'rebuild',
      replayed: head,
    });
    await log.writeSnapshot(PROJECTION_SNAPSHOT, {
      seq: head + 5,
      version: PROJECTION_VERSION,
      value: { ...initialState(), seq: head + 5 },
    });
    const projection = await QmdlStoreProjection.load(log, { decider: ledgerDecider });
    expect(projection.loadReport).toMatchObject({ from: 'rebuild' });
    expect(projection.state().seq).toBe(head);
  });

  it('is the same whether events are applied once from scratch or the fold is repeated', async () => {
    const { log } = await logWithHistory();
    const a = await rebuildProjection(log, { decider: ledgerDecider });
    const b = await rebuildProjection(log, { decider: ledgerDecider });
    expect(diffProjections(a, b)).toBeUndefined();
  });

  it('persists with the sequence it reflects', async () => {
    const { log, processor } = await logWithHistory();
    const projection = await QmdlStoreProjection.load(log, { decider: ledgerDecider });
    await projection.persist({ force: true });
    const stored = await log.readSnapshot<ReturnType<typeof initialState>>(PROJECTION_SNAPSHOT);
    expect(stored?.seq).toBe(processor.current().seq);
    expect(stored && diffProjections(stored.value, processor.current())).toBeUndefined();
  });

  it('names the first part of the projection that differs, whatever the key order', async () => {
    const { processor } = await logWithHistory();
    const live = processor.current();
    const reordered = Object.fromEntries(Object.entries(live).reverse()) as typeof live;
    expect(diffProjections(live, reordered)).toBeUndefined();
    expect(diffProjections(live, { ...live, clockOffsetSeconds: 5 })).toMatch(/^clockOffsetSeconds: 0 != 5$/);
  });
});
