import {
  checkHistory,
  deciderSpecification,
  FINDING_WINDOW_PACKETS,
  type AnalysisFindingData,
  type DecidedEvent,
} from '@ledger/domain';
import { deleted, NAME0, started, stopped } from './testing/recording-events.fixtures';

const spec = deciderSpecification();
const ANALYZERS = [
  { key: 'imsi_requested', name: 'Identity (IMSI or IMEI) requested in suspicious manner', version: 4 },
];
const ID = 'analysis-1';
const finished = [started(NAME0), stopped(NAME0, 'requested')];

const begun = (analysisId = ID): DecidedEvent => ({
  type: 'RecordingAnalysisStarted',
  recording: NAME0,
  data: { analysisId, reason: 'new', analyzers: ANALYZERS },
});
const finding = (packet: number, over: Partial<AnalysisFindingData> = {}): AnalysisFindingData => ({
  analysisId: ID,
  analyzer: 'imsi_requested',
  analyzerName: ANALYZERS[0]!.name,
  severity: 'Low',
  message: `m (packet ${packet})`,
  packet,
  packetTime: '2024-06-01T10:00:00+00:00',
  count: 1,
  lastPacket: packet,
  windowEnd: Math.ceil(packet / FINDING_WINDOW_PACKETS) * FINDING_WINDOW_PACKETS,
  ...over,
});
const found = (f: AnalysisFindingData): DecidedEvent => ({
  type: 'RecordingAnalysisFinding',
  recording: NAME0,
  data: f,
});
const completion = (analysisId = ID) => ({
  name: NAME0,
  analysisId,
  analyzers: ANALYZERS,
  messages: 10,
  analysed: 8,
  skipped: {},
  severities: { Informational: 0, Low: 1, Medium: 0, High: 0 },
  reportRows: 1,
});

describe('analysis slice', () => {
  it('starts an analysis of a live recording with the analyzers that run', () => {
    spec
      .given(finished)
      .when({
        type: 'StartRecordingAnalysis',
        data: { name: NAME0, analysisId: ID, reason: 'new', analyzers: ANALYZERS },
      })
      .then([begun()]);
  });

  it('refuses to analyse a recording that is not live (never issued or deleted)', () => {
    spec
      .given([])
      .when({
        type: 'StartRecordingAnalysis',
        data: { name: NAME0, analysisId: ID, reason: 'new', analyzers: ANALYZERS },
      })
      .thenRefused('NO_SUCH_RECORDING');
    spec
      .given([...finished, deleted(NAME0)])
      .when({
        type: 'StartRecordingAnalysis',
        data: { name: NAME0, analysisId: ID, reason: 'new', analyzers: ANALYZERS },
      })
      .thenRefused('NO_SUCH_RECORDING');
  });

  it('records a re-analysis asked of a finished recording; asked again while it waits, nothing changes', () => {
    const asked: DecidedEvent = { type: 'RecordingAnalysisRequested', recording: NAME0, data: {} };
    const ask = { type: 'RequestRecordingAnalysis' as const, data: { name: NAME0 } };
    spec.given(finished).when(ask).then([asked]);
    spec
      .given([...finished, asked])
      .when(ask)
      .then([]);
    // Once an analysis has started it took the request: asking again is a new request.
    spec
      .given([...finished, asked, begun()])
      .when(ask)
      .then([asked]);
    spec
      .given([
        ...finished,
        begun(),
        asked,
        { type: 'RecordingAnalysisCompleted', recording: NAME0, data: completion() },
      ])
      .when(ask)
      .then([]);
  });

  it('refuses a re-analysis of a recording that is not finished: never issued, deleted, or still recording', () => {
    const ask = { type: 'RequestRecordingAnalysis' as const, data: { name: NAME0 } };
    spec.given([]).when(ask).thenRefused('NO_SUCH_RECORDING');
    spec
      .given([...finished, deleted(NAME0)])
      .when(ask)
      .thenRefused('NO_SUCH_RECORDING');
    spec
      .given([started(NAME0)])
      .when(ask)
      .thenRefused('NO_SUCH_RECORDING');
  });

  it('refuses an analysis without analyzers', () => {
    spec
      .given(finished)
      .when({ type: 'StartRecordingAnalysis', data: { name: NAME0, analysisId: ID, reason: 'new', analyzers: [] } })
      .thenRefused('INVALID_ANALYSIS');
  });

  it('records each coalesced finding of the running analysis as one event', () => {
    const f = finding(5, { count: 3, lastPacket: 900 });
    spec
      .given([...finished, begun()])
      .when({ type: 'RecordAnalysisFindings', data: { name: NAME0, analysisId: ID, through: 1000, findings: [f] } })
      .then([found(f)]);
  });

  it('never records a window twice: a resumed run repeating recorded findings is refused', () => {
    spec
      .given([...finished, begun(), found(finding(5))])
      .when({
        type: 'RecordAnalysisFindings',
        data: { name: NAME0, analysisId: ID, through: 1000, findings: [finding(5)] },
      })
      .thenRefused('ANALYSIS_FINDINGS_RECORDED');
    spec
      .given([...finished, begun(), found(finding(5))])
      .when({
        type: 'RecordAnalysisFindings',
        data: { name: NAME0, analysisId: ID, through: 2000, findings: [finding(1500)] },
      })
      .then([found(finding(1500))]);
  });

  it('refuses Informational findings, counts below one and findings outside their window', () => {
    for (const bad of [
      finding(5, { severity: 'Informational' as never }),
      finding(5, { count: 0 }),
      finding(5, { windowEnd: 2000 }),
      finding(5, { lastPacket: 1200 }),
    ]) {
      spec
        .given([...finished, begun()])
        .when({ type: 'RecordAnalysisFindings', data: { name: NAME0, analysisId: ID, through: 2000, findings: [bad] } })
        .thenRefused('INVALID_ANALYSIS');
    }
  });

  it('refuses findings and completions of an analysis that is not the running one (superseded or never started)', () => {
    spec
      .given(finished)
      .when({
        type: 'RecordAnalysisFindings',
        data: { name: NAME0, analysisId: ID, through: 1000, findings: [finding(5)] },
      })
      .thenRefused('ANALYSIS_NOT_RUNNING');
    spec
      .given([...finished, begun(), begun('analysis-2')])
      .when({ type: 'CompleteRecordingAnalysis', data: completion() })
      .thenRefused('ANALYSIS_NOT_RUNNING');
  });

  it('completes the running analysis: the state then knows which analyzer versions made the report', () => {
    const { name: _n, ...data } = completion();
    void _n;
    const then = spec.given([...finished, begun()]).when({ type: 'CompleteRecordingAnalysis', data: completion() });
    then.then([{ type: 'RecordingAnalysisCompleted', recording: NAME0, data }]);
    const after = spec
      .given([...finished, begun(), { type: 'RecordingAnalysisCompleted', recording: NAME0, data }])
      .when({
        type: 'CompleteRecordingAnalysis',
        data: completion(),
      });
    after.thenRefused('ANALYSIS_NOT_RUNNING');
    expect(after.state.analyses?.[NAME0]).toEqual({
      completed: { analysisId: ID, analyzers: ANALYZERS, severities: data.severities },
    });
  });

  it('tracks how far the running analysis has recorded its findings, and forgets a deleted recording', () => {
    const state = spec
      .given([...finished, begun(), found(finding(1500))])
      .when({ type: 'DeleteAllRecordings', data: {} }).state;
    expect(state.analyses?.[NAME0]?.running?.findingsThrough).toBe(2000);
    const gone = spec
      .given([...finished, begun(), deleted(NAME0)])
      .when({ type: 'DeleteAllRecordings', data: {} }).state;
    expect(gone.analyses?.[NAME0]).toBeUndefined();
  });

  it('replayed history: a finding event that counts nothing, or names no issued recording, is a violation', () => {
    const history = [
      ...finished,
      begun(),
      found(finding(5, { count: 0 })),
      { ...begun(), recording: '1717236999' },
    ].map((event, i) => ({ ...event, seq: i + 1 }));
    const rules = checkHistory(history as never).violations.map((v) => v.rule);
    expect(rules).toEqual(['ANALYSIS_FINDING_COUNTED', 'UNKNOWN_RECORDING']);
  });
});
