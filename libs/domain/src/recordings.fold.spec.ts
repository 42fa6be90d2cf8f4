import { createFold, evolve, foldEvents, initialState, type EvolvableEvent, type QmdlStoreState } from '@ledger/domain';
import { appended, deleted, imported, NAME0, started, stopped } from './testing/recording-events.fixtures';
import { mulberry32 as prng } from './mulberry32';
import { randomHistory } from './testing/random-history';

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('createFold: the same rules as evolve, at O(1) per event', () => {
  it.each([
    [1, 0],
    [2, 0],
    [3, 0.05],
    [4, 0.2],
    [5, 0.5],
  ])(
    'seed %i (stray rate %f): the folded state equals evolve event by event after every prefix checked, key order included',
    (seed, strayRate) => {
      const { events, states } = randomHistory(seed, 4000, strayRate);
      // evolve's states are frozen: evolve never writes into its input.
      for (const state of states) deepFreeze(state);
      const random = prng(1000 + seed);
      const fold = createFold();
      const handedOut: Array<{ state: QmdlStoreState; json: string }> = [];
      for (const [i, event] of events.entries()) {
        fold.apply(event);
        expect(fold.seq).toBe(event.seq);
        if (random() < 0.03 || i === events.length - 1) {
          const state = fold.result();
          const expected = states[i] as QmdlStoreState;
          expect(state).toEqual(expected);
          const json = JSON.stringify(state);
          expect(json).toBe(JSON.stringify(expected));
          // Frozen: a later apply that wrote into it would throw (specs run in strict mode).
          handedOut.push({ state: deepFreeze(state), json });
        }
      }
      expect(handedOut.length).toBeGreaterThan(20);
      for (const { state, json } of handedOut) expect(JSON.stringify(state)).toBe(json);
      // foldEvents runs on the folder: the same final state.
      expect(JSON.stringify(foldEvents(events))).toBe(JSON.stringify(states[states.length - 1]));
      // The history exercised the odd paths.
      if (strayRate > 0) {
        expect(events.some((e) => e.recording === '__proto__')).toBe(true);
        expect(events.some((e) => (e.type as string) === 'SomethingFromTheFuture')).toBe(true);
      }
    },
  );

  it('a fold from a mid-history state equals evolve from that state, and leaves the state it started from untouched', () => {
    const { events, states } = randomHistory(7, 3000, 0.1);
    const cut = Math.floor(events.length / 2);
    const start = deepFreeze(states[cut - 1] as QmdlStoreState);
    const json = JSON.stringify(start);
    const fold = createFold(start);
    fold.applyAll(events.slice(cut));
    expect(JSON.stringify(fold.result())).toBe(JSON.stringify(states[states.length - 1]));
    expect(JSON.stringify(start)).toBe(json);
  });

  it('result() may be called between every event: each state handed out keeps its value', () => {
    const history = [
      imported('1', '2020-01-01T00:00:00Z'),
      started(NAME0),
      appended(NAME0, { qmdlSizeBytes: 5, uncompressedBytes: 9, containers: 1 }),
      stopped(NAME0, 'requested'),
      deleted('1'),
      deleted(NAME0),
    ].map((e, i): EvolvableEvent => ({ ...e, seq: i + 1 }));
    const fold = createFold();
    const seen: Array<{ state: QmdlStoreState; json: string }> = [];
    let reference = initialState();
    for (const event of history) {
      fold.apply(event);
      reference = evolve(reference, event);
      const state = fold.result();
      expect(fold.result()).toBe(state); // no apply in between: the same state
      expect(state).toEqual(reference);
      seen.push({ state: deepFreeze(state), json: JSON.stringify(state) });
    }
    for (const { state, json } of seen) expect(JSON.stringify(state)).toBe(json);
  });

  it('an empty fold hands out a state equal to the one it started from', () => {
    const start = deepFreeze(foldEvents([{ ...imported('1', '2020-01-01T00:00:00Z'), seq: 1 }]));
    expect(createFold(start).result()).toEqual(start);
    expect(foldEvents([], start)).toEqual(start);
  });

  it('a recording named __proto__ in a damaged log is a key, not the prototype', () => {
    const events: EvolvableEvent[] = [
      {
        type: 'RecordingImported',
        recording: '__proto__',
        data: {
          name: '__proto__',
          startTime: '2023-01-01T00:00:00Z',
          qmdlSizeBytes: 1,
          compressed: true,
          recoveredFrom: 'orphan-file',
        },
        seq: 1,
      },
      { type: 'MigrationApplied', data: { id: '__proto__', name: 'odd' }, seq: 2 },
    ];
    const state = foldEvents(events);
    expect(Object.prototype.hasOwnProperty.call(state.entries, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(state.names)).toBe(Object.prototype);
    expect(JSON.stringify(state)).toBe(
      JSON.stringify(evolve(evolve(initialState(), events[0] as EvolvableEvent), events[1] as EvolvableEvent)),
    );
  });
});
