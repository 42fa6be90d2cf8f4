import { errorCodeOf, type StoredEvent } from '@ledger/domain';
import { eventSeverity, parseEventQuery, queryMatches } from './event-query';

const finding = (severity: string) => ({ type: 'RecordingAnalysisFinding', data: { severity, count: 1 } });
const completed = (severities: Record<string, number>) => ({
  type: 'RecordingAnalysisCompleted',
  data: { severities },
});
const stored = (e: { type: string; data: unknown }): StoredEvent => e as unknown as StoredEvent;

describe('the severity filter of the event API', () => {
  it('a finding has its own severity; a completed analysis the worst it counted; other events none', () => {
    expect(eventSeverity(finding('Medium'))).toBe('Medium');
    expect(eventSeverity(completed({ Informational: 4, Low: 1, Medium: 0, High: 0 }))).toBe('Low');
    expect(eventSeverity(completed({ Informational: 4, Low: 0, Medium: 0, High: 0 }))).toBe('Informational');
    expect(eventSeverity(completed({ Informational: 0, Low: 0, Medium: 0, High: 0 }))).toBeUndefined();
    expect(eventSeverity({ type: 'RecordingStarted', data: { severity: 'High' } })).toBeUndefined();
    expect(eventSeverity(finding('Severe'))).toBeUndefined();
  });

  it('keeps events at or above the asked severity', () => {
    const query = parseEventQuery({ severity: 'Medium' });
    expect(queryMatches(stored(finding('High')), query)).toBe(true);
    expect(queryMatches(stored(finding('Medium')), query)).toBe(true);
    expect(queryMatches(stored(finding('Low')), query)).toBe(false);
    expect(queryMatches(stored(completed({ Informational: 9, Low: 2 })), query)).toBe(false);
    expect(queryMatches(stored(completed({ High: 1 })), query)).toBe(true);
    const any = parseEventQuery({ severity: 'Informational' });
    expect(queryMatches(stored(completed({ Informational: 1 })), any)).toBe(true);
    expect(queryMatches(stored(completed({})), any)).toBe(false);
  });

  it('asks the log only for the types that carry a severity, within the asked types', () => {
    expect(parseEventQuery({ severity: 'Low' }).filter.types).toEqual([
      'RecordingAnalysisFinding',
      'RecordingAnalysisCompleted',
    ]);
    expect(
      parseEventQuery({ severity: 'Low', type: 'RecordingAnalysisFinding,RecordingStarted' }).filter.types,
    ).toEqual(['RecordingAnalysisFinding']);
  });

  it('refuses an unknown severity, and a type list none of whose types has one', () => {
    expect(errorCodeOf(() => parseEventQuery({ severity: 'high' }))).toBe('INVALID_QUERY');
    expect(errorCodeOf(() => parseEventQuery({ severity: ['Low', 'High'] }))).toBe('INVALID_QUERY');
    expect(errorCodeOf(() => parseEventQuery({ severity: 'Low', type: 'RecordingStarted' }))).toBe('INVALID_QUERY');
    expect(errorCodeOf(() => parseEventQuery({ severity: 'Low' }))).toBeUndefined();
  });
});
