import type { Command } from '../commands';
import type { Decision } from '../decider';
import type { DecidedEvent } from '../events';
import { isLedgerError } from '../errors';
import type { StopReason } from '../recordings.events';
import type { QmdlStoreState } from '../state';
import { decide, evolve, initialState, type EvolvableEvent } from '../ledger.slices';
import { T0 } from './recording-events.fixtures';
import { mulberry32 as prng } from '../mulberry32';

/**
 * Random histories for the domain's own specs (not exported from the index):
 * commands for `decide` to judge, and events no `decide` would produce, as a
 * damaged or foreign log holds them. Driven by a seeded `prng`, so a failing
 * case replays from its seed.
 */

const REASONS: readonly StopReason[] = ['requested', 'disk-low', 'write-failed', 'source-ended'];

/** A random command in `state`, mostly plausible, sometimes not (refusals are part of the test). */
export function randomCommand(
  random: () => number,
  state: QmdlStoreState,
  clock: { ms: number },
  step: number,
): Command {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const anyName = (): string => {
    const names = Object.keys(state.names);
    return names.length === 0 || random() < 0.1 ? String(Math.floor(random() * 100)) : pick(names);
  };
  // The clock moves forward, sometimes stalls in one second, sometimes jumps back (a reset at boot).
  const r = random();
  if (r < 0.03) clock.ms -= Math.floor(random() * 3_600_000);
  else if (r > 0.1) clock.ms += Math.floor(random() * 5_000);
  clock.ms = Math.max(0, clock.ms);

  const roll = random() * 100;
  if (roll < 12)
    return {
      type: 'StartRecording',
      data: { atMs: clock.ms, utcOffsetMinutes: pick([0, 60, 120, -300, 330]), gpsMode: pick([0, 1, 2] as const) },
    };
  if (roll < 18)
    return { type: 'StopRecording', data: { reason: pick(REASONS), ...(random() < 0.3 ? { detail: 'because' } : {}) } };
  if (roll < 55) {
    const current = state.current;
    const name = current !== undefined && random() < 0.9 ? current.name : anyName();
    const base = current ?? { qmdlSizeBytes: 0, uncompressedBytes: 0, containers: 0 };
    const grow = random() < 0.9 ? 1 : -1;
    const dq = Math.floor(random() * 4096) * grow;
    return {
      type: 'AppendRecordingData',
      data: {
        name,
        totals: {
          qmdlSizeBytes: base.qmdlSizeBytes + dq,
          uncompressedBytes: base.uncompressedBytes + Math.max(0, dq * 4),
          containers: base.containers + (dq > 0 ? 1 : 0),
          ...(random() < 0.5 ? { lastMessageTime: `2024-06-01T10:00:${String(step % 60).padStart(2, '0')}Z` } : {}),
        },
      },
    };
  }
  if (roll < 62) return { type: 'DeleteRecording', data: { name: anyName() } };
  if (roll < 63) return { type: 'DeleteAllRecordings', data: {} };
  if (roll < 67) return { type: 'StartService', data: { bootId: `boot-${String(step)}`, version: '0.1.0', pid: step } };
  if (roll < 70) return { type: 'StopService', data: { bootId: state.runningBootId ?? 'none' } };
  if (roll < 74) {
    const name = random() < 0.5 ? anyName() : String(Math.floor(clock.ms / 1000) - Math.floor(random() * 1e6));
    return {
      type: 'ImportRecording',
      data: {
        name,
        startTime: `2023-0${String(1 + Math.floor(random() * 9))}-01T00:00:00Z`,
        qmdlSizeBytes: Math.floor(random() * 1e6),
        compressed: random() < 0.5,
        recoveredFrom: 'orphan-file',
      },
    };
  }
  if (roll < 78)
    return { type: 'MarkRecordingUploaded', data: { name: anyName(), uploadTime: '2024-06-02T00:00:00Z' } };
  if (roll < 80) return { type: 'MarkRecordingDamaged', data: { name: anyName(), missing: ['x'], detail: 'missing' } };
  if (roll < 84) return { type: 'SetClockOffset', data: { offsetSeconds: (random() - 0.5) * 1e9 } };
  if (roll < 92) return { type: 'RecordGpsFix', data: { lat: (random() - 0.5) * 200, lon: (random() - 0.5) * 400 } };
  // No further draws in these two: the seeded histories stay what the specs were written against.
  if (roll < 93)
    return {
      type: 'ChangeConfig',
      data: { config: step % 5 === 0 ? { step } : { min_space_to_start_recording_mb: step } },
    };
  if (roll < 94) {
    const count = step % 3;
    return {
      type: 'RecordSignInFailures',
      data: {
        remoteAddress: '127.0.0.1',
        count,
        throttled: Math.floor(count / 2),
        firstAt: '2024-06-01T10:00:00Z',
        lastAt: '2024-06-01T10:00:59Z',
      },
    };
  }
  if (roll < 97)
    return { type: 'ApplyMigration', data: { id: String(Math.floor(random() * 5)).padStart(4, '0'), name: 'm' } };
  return { type: 'CreateStore', data: { storeId: `store-${String(step)}`, formatVersion: 1 } };
}

const ODD_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '007', 'x'];

/**
 * A random event `decide` never produces (a damaged or foreign log), with the
 * given `seq`: strays for unknown, odd (`__proto__`) or inactive names, a start
 * while one is active, a second StoreCreated, an unknown type, a migration id
 * that is an odd name.
 */
function randomStrayEvent(random: () => number, state: QmdlStoreState, seq: number): EvolvableEvent {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const names = [...Object.keys(state.names), ...ODD_NAMES];
  const name = pick(names);
  const time = `s${String(seq)}`;
  const totals = { qmdlSizeBytes: Math.floor(random() * 100), uncompressedBytes: 0, containers: 0 };
  const roll = random() * 100;
  if (roll < 15)
    return {
      type: 'RecordingStarted',
      recording: name,
      data: { name, startTime: '2024-06-01T10:00:00Z', compressed: true },
      seq,
      time,
    };
  if (roll < 25)
    return {
      type: 'RecordingImported',
      recording: name,
      data: {
        name,
        startTime: '2023-01-01T00:00:00Z',
        qmdlSizeBytes: 5,
        compressed: false,
        recoveredFrom: 'orphan-file',
      },
      seq,
      time,
    };
  if (roll < 40) return { type: 'RecordingDataAppended', recording: name, data: totals, seq, time };
  if (roll < 50)
    return {
      type: 'RecordingStopped',
      ...(random() < 0.5 ? { recording: name } : {}),
      data: { reason: 'requested', ...totals },
      seq,
      time,
    };
  if (roll < 62)
    return {
      type: 'RecordingDeleted',
      ...(random() < 0.9 ? { recording: name } : {}),
      data: { reason: 'requested' },
      seq,
      time,
    };
  if (roll < 70) return { type: 'RecordingUploaded', recording: name, data: { uploadTime: time }, seq };
  if (roll < 78)
    return { type: 'RecordingDamaged', recording: name, data: { missing: [name], detail: 'gone' }, seq, time };
  if (roll < 84) return { type: 'StoreCreated', data: { storeId: time, formatVersion: 9 }, seq, time };
  if (roll < 88) return { type: 'ServiceStopped', data: { bootId: 'stray' }, seq, time };
  if (roll < 94) return { type: 'MigrationApplied', data: { id: name, name: 'stray' }, seq, time };
  return { type: 'SomethingFromTheFuture', data: {}, seq, time } as unknown as EvolvableEvent;
}

/**
 * A history from `decide` over a seeded PRNG, with events `decide` never
 * produces mixed in (`strayRate` of them), and the state `evolve` gives after
 * each event: `states[i]` is the state after `events[0..i]`.
 */
export function randomHistory(
  seed: number,
  steps: number,
  strayRate: number,
): { events: EvolvableEvent[]; states: QmdlStoreState[] } {
  const random = prng(seed);
  const clock = { ms: T0 };
  const events: EvolvableEvent[] = [];
  const states: QmdlStoreState[] = [];
  let state = initialState();
  const push = (event: EvolvableEvent): void => {
    state = evolve(state, event);
    events.push(event);
    states.push(state);
  };
  for (let step = 0; step < steps; step++) {
    if (random() < strayRate) {
      push(randomStrayEvent(random, state, state.seq + 1));
      continue;
    }
    const command = randomCommand(random, state, clock, step);
    let decision: Decision<DecidedEvent>;
    try {
      decision = decide(command, state);
    } catch (error) {
      // A stray may leave a state `decide` will not judge (e.g. a start of a finished name); strays mend it later.
      if (isLedgerError(error) && error.code === 'INVARIANT_BROKEN') continue;
      throw error;
    }
    if (!decision.ok) continue;
    for (const decided of decision.events) push({ ...decided, seq: state.seq + 1, time: `t${String(state.seq + 1)}` });
  }
  return { events, states };
}
