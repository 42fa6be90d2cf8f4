import { ANALYZERS } from '@ledger/analysis';
import { evolve, initialState, type DecidedEvent, type QmdlStoreState } from '@ledger/domain';
import { FindingCoalescer } from './finding-coalescer';
import { analysisStatusOf, analyzerConfigOf, dueAnalyses, enabledAnalyzers, runnableAnalyses } from './analysis-queue';

function fold(events: DecidedEvent[]): QmdlStoreState {
  return events.reduce((state, event, i) => evolve(state, { ...event, seq: i + 1 }), initialState());
}
const imported = (name: string): DecidedEvent => ({
  type: 'RecordingImported',
  recording: name,
  data: {
    name,
    startTime: `2024-06-01T10:00:0${name.slice(-1)}+00:00`,
    qmdlSizeBytes: 10,
    compressed: true,
    recoveredFrom: 'manifest',
  },
});
const enabled = enabledAnalyzers(analyzerConfigOf({}));
const started = (name: string, analysisId: string, analyzers = enabled): DecidedEvent => ({
  type: 'RecordingAnalysisStarted',
  recording: name,
  data: { analysisId, reason: 'new', analyzers },
});
const requested = (name: string): DecidedEvent => ({ type: 'RecordingAnalysisRequested', recording: name, data: {} });
const completed = (name: string, analysisId: string, analyzers = enabled): DecidedEvent => ({
  type: 'RecordingAnalysisCompleted',
  recording: name,
  data: { analysisId, analyzers, messages: 1, analysed: 1, skipped: {}, severities: {}, reportRows: 0 },
});

describe('the analysis queue', () => {
  it('takes the config switches over the defaults: the test analyzer off unless switched on', () => {
    expect(enabled.map((a) => a.key)).toEqual(ANALYZERS.filter((a) => a.key !== 'test_analyzer').map((a) => a.key));
    const config = analyzerConfigOf({ analyzers: { test_analyzer: true, null_cipher: false, bogus: true } });
    expect(enabledAnalyzers(config).map((a) => a.key)).toContain('test_analyzer');
    expect(enabledAnalyzers(config).map((a) => a.key)).not.toContain('null_cipher');
  });

  it('queues never-analysed recordings in start order, and not those with a current report', () => {
    const state = fold([
      imported('1717236002'),
      imported('1717236001'),
      started('1717236002', 'a'),
      completed('1717236002', 'a'),
    ]);
    expect(dueAnalyses(state, enabled)).toEqual([{ name: '1717236001', reason: 'new' }]);
  });

  it('re-analyses a report made by an older version of an enabled analyzer, or by another set of analyzers', () => {
    const older = enabled.map((a, i) => (i === 0 ? { ...a, version: a.version - 1 } : a));
    const state = fold([
      imported('1717236001'),
      started('1717236001', 'a', older),
      completed('1717236001', 'a', older),
    ]);
    expect(dueAnalyses(state, enabled)).toEqual([{ name: '1717236001', reason: 'analyzer-changed' }]);
    const current = fold([imported('1717236001'), started('1717236001', 'a'), completed('1717236001', 'a')]);
    expect(dueAnalyses(current, enabledAnalyzers(analyzerConfigOf({ analyzers: { test_analyzer: true } })))).toEqual([
      { name: '1717236001', reason: 'analyzer-changed' },
    ]);
  });

  it('resumes an analysis started and never completed, under its id; asked re-analyses come first', () => {
    const state = fold([
      imported('1717236001'),
      imported('1717236002'),
      started('1717236001', 'crashed'),
      requested('1717236002'),
    ]);
    expect(dueAnalyses(state, enabled)).toEqual([
      { name: '1717236002', reason: 'requested' },
      { name: '1717236001', reason: 'new', resume: 'crashed' },
    ]);
    expect(analysisStatusOf(state, dueAnalyses(state, enabled), '1717236001')).toEqual({
      queued: ['1717236002'],
      running: '1717236001',
      finished: [],
    });
  });

  it('is a projection of the log: requested re-analyses in the order asked, each until the next start of its recording', () => {
    const names = ['1717236001', '1717236002', '1717236003'];
    const done = names.flatMap((n) => [imported(n), started(n, `a${n}`), completed(n, `a${n}`)]);
    const asked = fold([...done, requested('1717236003'), requested('1717236001')]);
    expect(dueAnalyses(asked, enabled)).toEqual([
      { name: '1717236003', reason: 'requested' },
      { name: '1717236001', reason: 'requested' },
    ]);
    // A start takes the request; a request made while an analysis runs survives its completion.
    const taken = fold([...done, requested('1717236003'), started('1717236003', 'b')]);
    expect(dueAnalyses(taken, enabled)).toEqual([{ name: '1717236003', reason: 'new', resume: 'b' }]);
    const during = fold([...done, started('1717236003', 'b'), requested('1717236003'), completed('1717236003', 'b')]);
    expect(dueAnalyses(during, enabled)).toEqual([{ name: '1717236003', reason: 'requested' }]);
    // A deleted recording leaves no request behind.
    const deleted = fold([
      ...done,
      requested('1717236002'),
      { type: 'RecordingDeleted', recording: '1717236002', data: { reason: 'requested' } },
    ]);
    expect(dueAnalyses(deleted, enabled)).toEqual([]);
  });

  it('has nothing to run with every analyzer off (an analysis needs one), not even a re-analysis asked for', () => {
    const allOff = Object.fromEntries(ANALYZERS.map((a) => [a.key, false]));
    const none = enabledAnalyzers(analyzerConfigOf({ analyzers: allOff }));
    expect(none).toEqual([]);
    const state = fold([
      imported('1717236001'),
      imported('1717236002'),
      started('1717236002', 'a'),
      completed('1717236002', 'a'),
      imported('1717236003'),
      started('1717236003', 'b'),
      requested('1717236002'),
    ]);
    expect(runnableAnalyses(state, none)).toEqual([]);
    // Nothing is coming for any of them: each is finished with the report it has (the UI spins on the others).
    expect(analysisStatusOf(state, runnableAnalyses(state, none), undefined)).toEqual({
      queued: [],
      running: null,
      finished: ['1717236001', '1717236002', '1717236003'],
    });
    // Switched on again, each is due as it was; without a reactor the requested one is still queued.
    expect(runnableAnalyses(state, enabled).map((j) => j.name)).toEqual(['1717236002', '1717236001', '1717236003']);
    expect(runnableAnalyses(state, enabled)).toEqual(dueAnalyses(state, enabled));
    expect(dueAnalyses(state, none).filter((j) => j.reason === 'requested')).toEqual([
      { name: '1717236002', reason: 'requested' },
    ]);
  });
});

describe('finding coalescing', () => {
  const analyzers = [
    { key: 'imsi_requested', name: 'I' },
    { key: 'null_cipher', name: 'N' },
  ];
  const row = (events: Array<{ event_type: 'Informational' | 'Low' | 'High'; message: string } | null>) => ({
    packet_timestamp: '2024-06-01T10:00:00+00:00',
    skipped_message_reason: null,
    events,
  });

  it('keeps one finding per analyzer and severity per 1000-packet window, with the count, and no Informational one', () => {
    const c = new FindingCoalescer({ analysisId: 'x', analyzers });
    expect(
      c.add(
        row([
          { event_type: 'High', message: 'a (packet 5)' },
          { event_type: 'Informational', message: 'i' },
        ]),
        5,
      ),
    ).toBeUndefined();
    expect(c.add(row([{ event_type: 'High', message: 'b (packet 7)' }, null]), 7)).toBeUndefined();
    const closed = c.add(row([null, { event_type: 'High', message: 'c (packet 1001)' }]), 1001);
    expect(closed).toEqual({
      through: 1000,
      findings: [
        expect.objectContaining({
          analyzer: 'imsi_requested',
          severity: 'High',
          message: 'a (packet 5)',
          packet: 5,
          count: 2,
          lastPacket: 7,
          windowEnd: 1000,
        }),
      ],
    });
    expect(c.close()).toEqual({
      through: 2000,
      findings: [expect.objectContaining({ analyzer: 'null_cipher', count: 1, packet: 1001, windowEnd: 2000 })],
    });
    expect(c.close()).toBeUndefined();
  });

  it('ignores skipped-message rows', () => {
    const c = new FindingCoalescer({ analysisId: 'x', analyzers });
    expect(
      c.add({ packet_timestamp: 't', skipped_message_reason: 'NASDecodingError(EncryptedNASMessage)', events: [] }, 3),
    ).toBeUndefined();
    expect(c.close()).toBeUndefined();
  });
});
