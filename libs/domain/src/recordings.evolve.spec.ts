import {
  checkHistory,
  checkInvariants,
  checkTransition,
  decide,
  evolve,
  foldEvents,
  initialState,
  toRayhunterManifest,
  type DecidedEvent,
  type EvolvableEvent,
} from '@ledger/domain';
import {
  appended,
  deleted,
  imported,
  NAME0,
  serviceStarted,
  serviceStopped,
  started,
  stopped,
  T0,
} from './testing/recording-events.fixtures';
import { mulberry32 as prng } from './mulberry32';
import { randomCommand } from './testing/random-history';

const TOTALS = { qmdlSizeBytes: 1000, uncompressedBytes: 4000, containers: 7, lastMessageTime: '2024-06-01T10:00:05Z' };

/** Gives decided events consecutive seqs (from `from`) and a time, as the log would. */
function numbered(events: readonly DecidedEvent[], from = 1): EvolvableEvent[] {
  return events.map((event, i) => ({
    ...event,
    seq: from + i,
    time: `2024-06-01T10:00:${String(i % 60).padStart(2, '0')}Z`,
  }));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('initialState', () => {
  it('is the empty store', () => {
    expect(initialState()).toEqual({
      seq: 0,
      entries: {},
      names: {},
      clockOffsetSeconds: 0,
      config: {},
      bootCount: 0,
      uncleanShutdowns: 0,
      migrations: {},
    });
  });
});

describe('evolve', () => {
  it('sets seq and lastEventTime from every event', () => {
    const state = foldEvents(numbered([{ type: 'ClockOffsetSet', data: { offsetSeconds: 5 } }]));
    expect(state.seq).toBe(1);
    expect(state.lastEventTime).toBe('2024-06-01T10:00:00Z');
    expect(state.clockOffsetSeconds).toBe(5);
  });

  it('RecordingStarted makes the recording current and its name live', () => {
    const state = foldEvents(numbered([started(NAME0)]));
    expect(state.current).toEqual({
      name: NAME0,
      startTime: '2024-06-01T10:00:00+00:00',
      qmdlSizeBytes: 0,
      uncompressedBytes: 0,
      containers: 0,
      compressed: true,
    });
    expect(state.names).toEqual({ [NAME0]: 'live' });
    expect(state.entries).toEqual({});
  });

  it('RecordingDataAppended replaces only current: entries and names are not copied (O(1))', () => {
    const history = numbered([
      imported('1', '2020-01-01T00:00:00Z'),
      imported('2', '2020-01-02T00:00:00Z'),
      started(NAME0),
    ]);
    const before = foldEvents(history);
    const after = evolve(before, { ...appended(NAME0, TOTALS), seq: before.seq + 1 });
    expect(after.entries).toBe(before.entries);
    expect(after.names).toBe(before.names);
    expect(after.current).toMatchObject(TOTALS);
  });

  it('RecordingDataAppended keeps the last message time when the new totals carry none', () => {
    const { lastMessageTime: _t, ...bare } = TOTALS;
    const state = foldEvents(
      numbered([started(NAME0), appended(NAME0, TOTALS), appended(NAME0, { ...bare, containers: 8 })]),
    );
    expect(state.current?.lastMessageTime).toBe(TOTALS.lastMessageTime);
    expect(state.current?.containers).toBe(8);
  });

  it('RecordingStopped moves current into entries with its stop reason, detail and final totals', () => {
    const state = foldEvents(numbered([started(NAME0), stopped(NAME0, 'write-failed', TOTALS, 'ENOSPC')]));
    expect(state.current).toBeUndefined();
    expect('current' in state).toBe(false);
    expect(state.entries[NAME0]).toMatchObject({ ...TOTALS, stopReason: 'write-failed', stopDetail: 'ENOSPC' });
  });

  it('RecordingDeleted removes the recording and marks its name deleted, for good', () => {
    const state = foldEvents(numbered([started(NAME0), stopped(NAME0, 'deleted'), deleted(NAME0)]));
    expect(state.entries).toEqual({});
    expect(state.names).toEqual({ [NAME0]: 'deleted' });
  });

  it('RecordingImported adds a finished entry and a live name', () => {
    const state = foldEvents(numbered([imported('1500000000', '2017-07-14T02:40:00Z', 77)]));
    expect(state.entries['1500000000']).toEqual({
      name: '1500000000',
      startTime: '2017-07-14T02:40:00Z',
      qmdlSizeBytes: 77,
      uncompressedBytes: 0,
      containers: 0,
      compressed: true,
    });
    expect(state.names['1500000000']).toBe('live');
  });

  it('RecordingUploaded and RecordingDamaged annotate the named recording', () => {
    const state = foldEvents(
      numbered([
        imported('1', '2020-01-01T00:00:00Z'),
        { type: 'RecordingUploaded', recording: '1', data: { uploadTime: '2024-01-01T00:00:00Z' } },
        started(NAME0),
        { type: 'RecordingDamaged', recording: NAME0, data: { missing: ['x.ndjson'], detail: 'gone' } },
      ]),
    );
    expect(state.entries['1']?.uploadTime).toBe('2024-01-01T00:00:00Z');
    expect(state.current?.damaged).toEqual({ missing: ['x.ndjson'], detail: 'gone' });
  });

  it("a fleet upload keeps its target and report version, the next upload's replace them; an imported upload time has none", () => {
    const first: DecidedEvent = {
      type: 'RecordingUploaded',
      recording: '1',
      data: { uploadTime: '2024-01-01T00:00:00Z', target: 'http://a', reportVersion: 'r1' },
    };
    const next: DecidedEvent = {
      type: 'RecordingUploaded',
      recording: '1',
      data: { uploadTime: '2024-01-02T00:00:00Z', target: 'http://b' },
    };
    const uploadedElsewhere: DecidedEvent = {
      type: 'RecordingImported',
      recording: '2',
      data: {
        name: '2',
        startTime: '2020-01-02T00:00:00Z',
        qmdlSizeBytes: 100,
        uploadTime: '2023-01-01T00:00:00Z',
        compressed: true,
        recoveredFrom: 'manifest',
      },
    };
    const once = foldEvents(numbered([imported('1', '2020-01-01T00:00:00Z'), first, uploadedElsewhere]));
    expect(once.entries['1']).toMatchObject({ uploadTarget: 'http://a', uploadedReport: 'r1' });
    expect(once.entries['2']?.uploadTime).toBe('2023-01-01T00:00:00Z');
    expect(once.entries['2']?.uploadTarget).toBeUndefined();
    const twice = foldEvents(numbered([imported('1', '2020-01-01T00:00:00Z'), first, next]));
    expect(twice.entries['1']).toMatchObject({ uploadTime: '2024-01-02T00:00:00Z', uploadTarget: 'http://b' });
    expect(twice.entries['1']?.uploadedReport).toBeUndefined();
  });

  it('ServiceStarted/ServiceStopped track the running boot, boots and unclean shutdowns', () => {
    const running = foldEvents(
      numbered([
        serviceStarted('b1', true),
        serviceStopped('b1'),
        serviceStarted('b2', true),
        serviceStarted('b3', false),
      ]),
    );
    expect(running.runningBootId).toBe('b3');
    expect(running.bootCount).toBe(3);
    expect(running.uncleanShutdowns).toBe(1);
    const stoppedState = evolve(running, { ...serviceStopped('b3'), seq: running.seq + 1 });
    expect('runningBootId' in stoppedState).toBe(false);
  });

  it('StoreCreated, GpsFixRecorded, ConfigChanged and MigrationApplied land in the state', () => {
    const state = foldEvents(
      numbered([
        { type: 'StoreCreated', data: { storeId: 's1', formatVersion: 1 } },
        { type: 'GpsFixRecorded', data: { lat: 1, lon: 2, source: 'device' } },
        { type: 'ConfigChanged', data: { config: { a: 1 } } },
        { type: 'MigrationApplied', data: { id: '0001', name: 'x' } },
        { type: 'StoreCreated', data: { storeId: 's2', formatVersion: 2 } },
      ]),
    );
    expect(state).toMatchObject({
      storeId: 's1',
      formatVersion: 1,
      lastGpsFix: { lat: 1, lon: 2, source: 'device', time: '2024-06-01T10:00:01Z' },
      config: { a: 1 },
      migrations: { '0001': 'x' },
    });
  });

  it('never mutates the state it is given', () => {
    const before = deepFreeze(foldEvents(numbered([imported('1', '2020-01-01T00:00:00Z'), started(NAME0)])));
    const snapshot = JSON.stringify(before);
    const events = numbered(
      [
        appended(NAME0, TOTALS),
        stopped(NAME0, 'requested', TOTALS),
        deleted(NAME0),
        deleted('1'),
        serviceStarted('b', false),
      ],
      before.seq + 1,
    );
    expect(() => foldEvents(events, before)).not.toThrow();
    expect(JSON.stringify(before)).toBe(snapshot);
  });

  it('never rejects recorded history: events that do not fit only advance seq', () => {
    const base = foldEvents(numbered([imported('1', '2020-01-01T00:00:00Z')]));
    const strays: DecidedEvent[] = [
      appended('1', TOTALS), // data for a recording that is not active
      appended('constructor', TOTALS),
      stopped(NAME0, 'requested'), // stop with nothing active
      { type: 'RecordingUploaded', recording: '404', data: { uploadTime: '2024-01-01T00:00:00Z' } },
      { type: 'RecordingDamaged', data: { missing: [], detail: '' } },
      { type: 'RecordingDeleted', data: { reason: 'requested' } },
    ];
    let state = base;
    for (const [i, event] of strays.entries()) {
      const next = evolve(state, { ...event, seq: base.seq + 1 + i });
      expect(next.seq).toBe(base.seq + 1 + i);
      expect({ ...next, seq: 0 }).toEqual({ ...state, seq: 0 });
      state = next;
    }
    const unknownType = { type: 'SomethingFromTheFuture', data: {}, seq: state.seq + 1 } as unknown as EvolvableEvent;
    expect(evolve(state, unknownType).seq).toBe(state.seq + 1);
  });

  it('applying the same events twice from initialState gives equal states', () => {
    const events = numbered([
      serviceStarted('b1', true),
      started(NAME0),
      appended(NAME0, TOTALS),
      stopped(NAME0, 'requested', TOTALS),
      imported('1', '2020-01-01T00:00:00Z'),
      started('1717236100'),
      stopped('1717236100', 'deleted'),
      deleted('1717236100'),
    ]);
    expect(foldEvents(events)).toEqual(foldEvents(events));
    expect(JSON.stringify(foldEvents(events))).toBe(JSON.stringify(foldEvents(events)));
  });
});

describe('a long random valid history (decide driven by a seeded PRNG)', () => {
  it.each([1, 2, 3])('seed %i: every state keeps its invariants and every step its transition rules', (seed) => {
    const random = prng(seed);
    const clock = { ms: T0 };
    let state = initialState();
    const log: EvolvableEvent[] = [];
    const refusals = new Set<string>();
    for (let step = 0; step < 3000; step++) {
      const decision = decide(randomCommand(random, state, clock, step), state);
      if (!decision.ok) {
        refusals.add(decision.refusal.code);
        continue;
      }
      for (const decided of decision.events) {
        const event: EvolvableEvent = { ...decided, seq: state.seq + 1, time: `t${String(state.seq + 1)}` };
        const next = evolve(state, event);
        expect(checkTransition(state, event, next)).toEqual([]);
        expect(checkInvariants(next)).toEqual([]);
        log.push(event);
        state = next;
      }
      const manifest = toRayhunterManifest(state);
      expect(manifest.entries.some((entry) => entry.name === state.current?.name)).toBe(false);
    }
    // The run exercised the interesting paths, refusals included.
    expect(log.length).toBeGreaterThan(1500);
    expect([...refusals]).toEqual(
      expect.arrayContaining(['RECORDING_NOT_ACTIVE', 'INVALID_TOTALS', 'NO_SUCH_RECORDING', 'INVALID_GPS_FIX']),
    );
    expect(log.some((e) => e.type === 'RecordingStopped' && e.data.reason === 'restarted')).toBe(true);
    expect(log.some((e) => e.type === 'RecordingDeleted' && e.data.reason === 'all-deleted')).toBe(true);
    // Rebuilding from the log gives the same projection, and so does a JSON round trip of it.
    expect(foldEvents(log)).toEqual(state);
    expect(foldEvents(log)).toEqual(foldEvents(log));
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(checkHistory(log).violations).toEqual([]);
    // Names were never reused.
    const startedNames = log.flatMap((e) =>
      e.type === 'RecordingStarted' || e.type === 'RecordingImported' ? [e.data.name] : [],
    );
    expect(new Set(startedNames).size).toBe(startedNames.length);
  });
});
