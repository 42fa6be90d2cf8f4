import {
  checkHistory,
  checkInvariants,
  checkTransition,
  createHistoryChecker,
  evolve,
  foldEvents,
  initialState,
  STATE_RULES,
  TRANSITION_RULES,
  type DecidedEvent,
  type EvolvableEvent,
  type InvariantViolation,
  type QmdlStoreState,
  type RecordingEntry,
} from '@ledger/domain';
import { appended, deleted, imported, NAME0, started, stopped } from './testing/recording-events.fixtures';
import { randomHistory } from './testing/random-history';

const NAME1 = '1717236001';
const TOTALS = { qmdlSizeBytes: 1000, uncompressedBytes: 4000, containers: 7 };
const entry = (name: string, extra: Partial<RecordingEntry> = {}): RecordingEntry => ({
  name,
  startTime: '2024-06-01T10:00:00Z',
  qmdlSizeBytes: 0,
  uncompressedBytes: 0,
  containers: 0,
  compressed: true,
  ...extra,
});

const rules = (violations: readonly { rule: string }[]): string[] => violations.map((v) => v.rule);

/** The rules the step `given` → `event` breaks (event numbered after the given history). */
function stepRules(given: readonly DecidedEvent[], event: DecidedEvent, seq?: number): string[] {
  const before = foldEvents(given.map((e, i) => ({ ...e, seq: i + 1 })));
  const numbered: EvolvableEvent = { ...event, seq: seq ?? before.seq + 1 };
  return rules(checkTransition(before, numbered, evolve(before, numbered)));
}

describe('checkInvariants', () => {
  it('holds for the empty store', () => {
    expect(checkInvariants(initialState())).toEqual([]);
  });

  it.each<[string, Partial<QmdlStoreState>]>([
    [
      'ACTIVE_NOT_IN_ENTRIES',
      { current: entry(NAME0), entries: { [NAME0]: entry(NAME0) }, names: { [NAME0]: 'live' } },
    ],
    ['ACTIVE_NAME_LIVE', { current: entry(NAME0), names: { [NAME0]: 'deleted' } }],
    ['ACTIVE_NAME_LIVE', { current: entry(NAME0) }],
    ['ENTRY_KEY_MATCHES_NAME', { entries: { [NAME0]: entry(NAME1) }, names: { [NAME0]: 'live', [NAME1]: 'deleted' } }],
    ['ENTRY_NAME_LIVE', { entries: { [NAME0]: entry(NAME0) }, names: { [NAME0]: 'deleted' } }],
    ['LIVE_NAME_HAS_ENTRY', { names: { [NAME0]: 'live' } }],
    ['NAME_STATUS_VALID', { names: { [NAME0]: 'gone' as 'live' } }],
    ['RECORDING_NAME_FORMAT', { entries: { abc: entry('abc') }, names: { abc: 'live' } }],
    ['SIZES_NON_NEGATIVE', { current: entry(NAME0, { qmdlSizeBytes: -1 }), names: { [NAME0]: 'live' } }],
    ['SIZES_NON_NEGATIVE', { entries: { [NAME0]: entry(NAME0, { containers: 1.5 }) }, names: { [NAME0]: 'live' } }],
    ['BOOT_COUNTS_CONSISTENT', { bootCount: 1, uncleanShutdowns: 2 }],
    ['SEQ_VALID', { seq: -1 }],
  ])('reports %s', (rule, broken) => {
    const violations = checkInvariants({ ...initialState(), ...broken });
    expect(rules(violations)).toEqual([rule]);
    expect(STATE_RULES).toContain(rule);
  });
});

describe('checkTransition flags histories decide never produces', () => {
  it('accepts a valid step', () => {
    expect(stepRules([started(NAME0)], appended(NAME0, TOTALS))).toEqual([]);
  });

  it('data for a recording that is not active: DATA_NAMES_ACTIVE', () => {
    expect(stepRules([], appended(NAME0, TOTALS))).toEqual(['DATA_NAMES_ACTIVE']);
    expect(stepRules([started(NAME0), stopped(NAME0, 'requested'), started(NAME1)], appended(NAME0, TOTALS))).toEqual([
      'DATA_NAMES_ACTIVE',
    ]);
  });

  it('an event naming a recording after its RecordingDeleted: NO_EVENT_AFTER_DELETE', () => {
    const gone = [started(NAME0), stopped(NAME0, 'deleted'), deleted(NAME0)];
    expect(stepRules(gone, appended(NAME0, TOTALS))).toEqual(['NO_EVENT_AFTER_DELETE', 'DATA_NAMES_ACTIVE']);
    expect(
      stepRules(gone, { type: 'RecordingUploaded', recording: NAME0, data: { uploadTime: '2024-06-02T00:00:00Z' } }),
    ).toEqual(['NO_EVENT_AFTER_DELETE']);
    expect(stepRules(gone, deleted(NAME0))).toEqual(['NO_EVENT_AFTER_DELETE']);
    expect(stepRules(gone, started(NAME0))).toEqual(['NO_EVENT_AFTER_DELETE', 'NAME_NEVER_REUSED']);
  });

  it('a size that decreases while recording: SIZE_NEVER_DECREASES (and TOTALS_NEVER_DECREASE for the other counts)', () => {
    const recording = [started(NAME0), appended(NAME0, TOTALS)];
    expect(stepRules(recording, appended(NAME0, { ...TOTALS, qmdlSizeBytes: 999 }))).toEqual(['SIZE_NEVER_DECREASES']);
    expect(stepRules(recording, stopped(NAME0, 'requested', { ...TOTALS, qmdlSizeBytes: 10 }))).toEqual([
      'SIZE_NEVER_DECREASES',
    ]);
    expect(stepRules(recording, appended(NAME0, { ...TOTALS, containers: 1 }))).toEqual(['TOTALS_NEVER_DECREASE']);
    expect(stepRules(recording, appended(NAME0, { ...TOTALS, qmdlSizeBytes: 1000.5 }))).toEqual(['TOTALS_ARE_COUNTS']);
  });

  it('a start while another recording is active: ONE_ACTIVE_RECORDING', () => {
    expect(stepRules([started(NAME0)], started(NAME1))).toEqual(['ONE_ACTIVE_RECORDING']);
  });

  it('a name issued twice: NAME_NEVER_REUSED', () => {
    expect(stepRules([started(NAME0), stopped(NAME0, 'requested')], started(NAME0))).toEqual(['NAME_NEVER_REUSED']);
    expect(stepRules([imported(NAME0, '2024-06-01T10:00:00Z')], imported(NAME0, '2024-06-01T10:00:00Z'))).toEqual([
      'NAME_NEVER_REUSED',
    ]);
  });

  it('a gap or repeat in seq: SEQ_GAPLESS', () => {
    expect(stepRules([started(NAME0)], appended(NAME0, TOTALS), 3)).toEqual(['SEQ_GAPLESS']);
    expect(stepRules([started(NAME0)], appended(NAME0, TOTALS), 1)).toEqual(['SEQ_GAPLESS']);
  });

  it('deleting the active recording without stopping it: DELETE_STOPS_FIRST', () => {
    expect(stepRules([started(NAME0)], deleted(NAME0))).toEqual(['DELETE_STOPS_FIRST']);
  });

  it('a stop with nothing active: STOP_NAMES_ACTIVE', () => {
    expect(stepRules([], stopped(NAME0, 'requested'))).toEqual(['STOP_NAMES_ACTIVE']);
  });

  it('an event about a name never issued: UNKNOWN_RECORDING', () => {
    expect(stepRules([], deleted('42'))).toEqual(['UNKNOWN_RECORDING']);
  });

  it('a recording event without its recording: EVENT_NAMES_ITS_RECORDING', () => {
    expect(stepRules([started(NAME0)], { type: 'RecordingDataAppended', data: TOTALS })).toEqual([
      'EVENT_NAMES_ITS_RECORDING',
      'DATA_NAMES_ACTIVE',
    ]);
    expect(stepRules([], { ...started(NAME0), recording: NAME1 })).toEqual(['EVENT_NAMES_ITS_RECORDING']);
  });

  it('a second StoreCreated or migration: STORE_CREATED_ONCE, MIGRATION_APPLIED_ONCE', () => {
    const created: DecidedEvent = { type: 'StoreCreated', data: { storeId: 's', formatVersion: 1 } };
    const migrated: DecidedEvent = { type: 'MigrationApplied', data: { id: '1', name: 'm' } };
    expect(stepRules([created], created)).toEqual(['STORE_CREATED_ONCE']);
    expect(stepRules([migrated], migrated)).toEqual(['MIGRATION_APPLIED_ONCE']);
  });

  it('a sign-in failure report that counts nothing, or more throttled than counted: SIGN_IN_FAILURES_COUNTED', () => {
    const report = (count: number, throttled: number): DecidedEvent => ({
      type: 'SignInsFailed',
      data: {
        remoteAddress: '192.0.2.1',
        count,
        throttled,
        firstAt: '2024-06-01T10:00:00Z',
        lastAt: '2024-06-01T10:00:01Z',
      },
    });
    expect(stepRules([], report(3, 1))).toEqual([]);
    expect(stepRules([], report(0, 0))).toEqual(['SIGN_IN_FAILURES_COUNTED']);
    expect(stepRules([], report(2, 3))).toEqual(['SIGN_IN_FAILURES_COUNTED']);
  });

  it('every rule reported is a documented transition rule', () => {
    expect(TRANSITION_RULES).toEqual(
      expect.arrayContaining(['SEQ_GAPLESS', 'ONE_ACTIVE_RECORDING', 'NO_EVENT_AFTER_DELETE', 'SIZE_NEVER_DECREASES']),
    );
  });
});

describe('checkHistory', () => {
  it('finds the first event that broke a rule, and reports a broken state once', () => {
    const history: EvolvableEvent[] = [
      started(NAME0),
      appended(NAME0, TOTALS),
      stopped(NAME0, 'requested', TOTALS),
      deleted(NAME0),
      appended(NAME0, TOTALS), // seq 5: data for a deleted recording
      started(NAME1),
      appended(NAME1, TOTALS),
      appended(NAME1, { ...TOTALS, qmdlSizeBytes: 1 }), // seq 8: shrinks
    ].map((e, i) => ({ ...e, seq: i + 1 }));
    const { violations, state } = checkHistory(history);
    expect(violations.map((v) => [v.seq, v.rule])).toEqual([
      [5, 'NO_EVENT_AFTER_DELETE'],
      [5, 'DATA_NAMES_ACTIVE'],
      [8, 'SIZE_NEVER_DECREASES'],
    ]);
    expect(state.seq).toBe(8);
  });

  it('reports a state violation at the seq where it first appears', () => {
    // A RecordingStarted that reuses a finished recording's name leaves it both active and finished.
    const history = [imported(NAME0, '2024-06-01T10:00:00Z'), started(NAME0), appended(NAME0, TOTALS)].map((e, i) => ({
      ...e,
      seq: i + 1,
    }));
    expect(checkHistory(history).violations.map((v) => [v.seq, v.rule])).toEqual([
      [2, 'NAME_NEVER_REUSED'],
      [2, 'ACTIVE_NOT_IN_ENTRIES'],
    ]);
  });
});

describe('createHistoryChecker: every rule at every step, at O(1) per event', () => {
  const key = (v: InvariantViolation): string => `${v.rule} ${v.message}`;

  it.each([
    [11, 0],
    [12, 0.05],
    [13, 0.2],
    [14, 0.5],
  ])(
    'seed %i (stray rate %f): the transition violations checkTransition finds with whole states, and every state violation a step introduces',
    (seed, strayRate) => {
      const { events, states } = randomHistory(seed, 1500, strayRate);
      const checker = createHistoryChecker();
      let before = initialState();
      let broken = 0;
      events.forEach((event, i) => {
        const after = states[i] as QmdlStoreState;
        const found = checker.step(event);
        const transition = found.filter((v) => TRANSITION_RULES.includes(v.rule as never));
        const state = found.filter((v) => STATE_RULES.includes(v.rule as never));
        expect(transition).toEqual(checkTransition(before, event, after));
        const previously = new Set(checkInvariants(before).map(key));
        const full = checkInvariants(after);
        const introduced = full.filter((v) => !previously.has(key(v))).map(key);
        expect(state.map(key)).toEqual(expect.arrayContaining(introduced));
        expect(full.map(key)).toEqual(expect.arrayContaining(state.map(key)));
        broken += found.length;
        before = after;
      });
      expect(checker.result()).toEqual(before);
      expect(checker.checkAll()).toEqual(checkInvariants(before));
      if (strayRate > 0) expect(broken).toBeGreaterThan(0); // the strays do break rules: the comparison is not vacuous
    },
  );
});

describe('createHistoryChecker routes an event type no slice claims to every slice that checks every event', () => {
  it('an unknown event type naming a deleted recording: NO_EVENT_AFTER_DELETE, as checkTransition says', () => {
    const gone = [started(NAME0), stopped(NAME0, 'deleted'), deleted(NAME0)];
    const stray = { type: 'RecordingRenamedByAFutureVersion', recording: NAME0, data: {} } as unknown as DecidedEvent;
    const checker = createHistoryChecker();
    gone.forEach((e, i) => expect(checker.step({ ...e, seq: i + 1 } as EvolvableEvent)).toEqual([]));
    const found = rules(checker.step({ ...stray, seq: gone.length + 1 } as EvolvableEvent));
    expect(found).toContain('NO_EVENT_AFTER_DELETE');
    expect(found).toEqual(stepRules(gone, stray));
  });
});
