/**
 * Shared by the reactor specs and the crash test's child process: inputs that
 * name their sequence, and a handler whose output names the input it came
 * from, so a test can count how often each input was handled where it counts —
 * in the recorded output.
 */
import type { Command, StoredEvent } from '@ledger/domain';

/** Inputs: one SetClockOffset per event (offset = its index), any number of them in one unit. */
export function inputCommands(count: number): Command[] {
  return Array.from({ length: count }, (_, i): Command => ({
    type: 'SetClockOffset',
    data: { offsetSeconds: i % 1000 },
  }));
}

/** The output for one input event: a GPS fix whose latitude encodes the input's seq (seq / 1000, at most 90,000). */
export function outputFor(event: StoredEvent): Command {
  return { type: 'RecordGpsFix', data: { lat: event.seq / 1000, lon: 0 } };
}

/** The inputs a batch holds (the reactor's own output comes back to it too, and is skipped). */
export function inputsOf(events: readonly StoredEvent[]): StoredEvent[] {
  return events.filter((event) => event.type === 'ClockOffsetSet');
}

/** The input seq an output event names. */
export function inputSeqOf(event: StoredEvent): number {
  return Math.round((event.data as { lat: number }).lat * 1000);
}
