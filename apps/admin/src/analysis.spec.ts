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
