import { eventSeverity, foldAnalysis, isClean, type AnalysisState } from './analysis';
import type { StoredEvent } from './types';

let seq = 0;
const event = (type: string, data: unknown, recording = '1717236000'): StoredEvent =>
  ({ seq: ++seq, type, recording, data, time: '', systemTime: '', v: 1 }) as unknown as StoredEvent;
const started = (analysisId: string) => event('RecordingAnalysisStarted', { analysisId, reason: 'new', analyzers: [] });
const completed = (analysisId: string, severities: unknown) =>
  event('RecordingAnalysisCompleted', { analysisId, severities });

describe("the viewer's reading of analysis events", () => {
  // The same rule as the event API's `severity=` (apps/qmdl-ledger/src/http/event-query.spec.ts), which
  // the viewer applies to live events itself; the e2e compares the filtered table with the API's answer.
  it('gives an event the severity the event API filters by', () => {
    const samples = [
      event('RecordingAnalysisFinding', { severity: 'High' }),
      event('RecordingAnalysisFinding', { severity: 'Low' }),
      event('RecordingAnalysisFinding', { severity: 'Critical' }),
      event('RecordingAnalysisFinding', null),
      completed('a', { Informational: 3, Low: 0, Medium: 2, High: 0 }),
      completed('a', { Informational: 3, Low: 0, Medium: 0, High: 0 }),
      completed('a', { Informational: 0, Low: 0, Medium: 0, High: 0 }),
      completed('a', 'nonsense'),
      event('RecordingStarted', { severity: 'High' }),
      event('RecordingDataAppended', { qmdlSizeBytes: 1 }),
    ];
    expect(samples.map((e) => eventSeverity(e) ?? '-')).toEqual([
      'High',
      'Low',
      '-',
      '-',
      'Medium',
      'Informational',
      '-',
      '-',
      '-',
      '-',
    ]);
  });

  it('a recording is analysing from a start until its completion, and analysed with the counts of the newest one', () => {
    const fold = (...events: StoredEvent[]): AnalysisState['state'] => foldAnalysis(events).state;
    expect(fold()).toBe('not-analysed');
    expect(fold(started('a'))).toBe('analysing');
    expect(fold(started('a'), completed('a', { Low: 0, Medium: 0, High: 0 }))).toBe('analysed');
    // A re-analysis in progress is not the old verdict.
    expect(fold(started('a'), completed('a', { Low: 0, Medium: 0, High: 0 }), started('b'))).toBe('analysing');
  });

  it('a running analysis carries the warnings its findings recorded so far (theirs only, each event its count)', () => {
    const found = (analysisId: string, severity: string, count: number) =>
      event('RecordingAnalysisFinding', { analysisId, severity, count });
    const state = foldAnalysis([
      started('a'),
      found('a', 'High', 2),
      found('a', 'Low', 1),
      found('old', 'Medium', 5),
      found('a', 'High', 1),
      found('a', 'Bogus', 1),
    ]);
    expect(state).toMatchObject({ state: 'analysing', analysisId: 'a', found: { High: 3, Low: 1 } });
    expect(state.state === 'analysing' && state.found.Medium).toBeFalsy();
    // A new start begins with nothing found.
    expect(foldAnalysis([started('a'), found('a', 'High', 1), started('b')])).toMatchObject({ found: {} });
  });

  it('is clean only when a completed analysis counted zero of every warning severity', () => {
    const clean = (severities: unknown, ...before: StoredEvent[]) =>
      isClean(foldAnalysis([...before, started('a'), completed('a', severities)]));
    expect(clean({ Informational: 9, Low: 0, Medium: 0, High: 0 })).toBe(true);
    expect(clean({ Informational: 0, Low: 1, Medium: 0, High: 0 })).toBe(false);
    expect(clean({ Low: 0, Medium: 0 })).toBe(false); // High missing: no verdict
    expect(clean({})).toBe(false);
    expect(clean('nonsense')).toBe(false);
    expect(isClean(foldAnalysis([]))).toBe(false);
    expect(isClean(foldAnalysis([started('a')]))).toBe(false);
  });
});
