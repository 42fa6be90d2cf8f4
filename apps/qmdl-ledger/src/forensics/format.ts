import type { Actor, RecordingEntry, StoredEvent } from '@ledger/domain';

/** `http 10.0.0.2`, `recorder`, `cli import-rayhunter`. */
export function formatActor(actor: Actor): string {
  switch (actor.kind) {
    case 'http':
      return `http ${actor.remoteAddress}`;
    case 'cli':
      return actor.command ? `cli ${actor.command}` : 'cli';
    case 'recorder':
    case 'system':
      return actor.kind;
    default: {
      const unknown: never = actor;
      return String((unknown as { kind?: unknown }).kind);
    }
  }
}

/** The event's data in one line, cut to `max` characters. */
export function summarize(data: unknown, max = 100): string {
  const text = JSON.stringify(data) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line per event: seq, time, type, recording, actor, data. */
export function formatEventLine(event: StoredEvent): string {
  const recording = event.recording ?? '-';
  return `${String(event.seq).padStart(7)}  ${event.time}  ${event.type.padEnd(22)} ${recording.padEnd(11)} ${formatActor(event.metadata.actor).padEnd(16)} ${summarize(event.data)}`;
}

export function formatEntry(entry: RecordingEntry): string {
  const parts = [
    entry.name,
    entry.startTime,
    `${entry.qmdlSizeBytes} B`,
    entry.compressed ? 'gz' : 'raw',
    entry.stopReason ? `stopped: ${entry.stopReason}` : undefined,
    entry.damaged ? `DAMAGED (${entry.damaged.missing.join(', ')})` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join('  ');
}
