import { h } from './dom';
import type { Actor, StoredEvent } from './types';

/** Where the viewer is mounted; the server answers index.html for any path below it. */
export const BASE = '/admin';

/** "2024-05-01 12:03:04.123Z": UTC, sortable, unambiguous across admins' time zones. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return String(iso);
  return new Date(ms).toISOString().replace('T', ' ');
}

export function formatBytes(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatActor(actor: Actor | undefined): string {
  if (!actor || typeof actor !== 'object') return '?';
  switch (actor.kind) {
    case 'http':
      return `http ${String(actor.remoteAddress ?? '')}`.trim();
    case 'cli':
      return actor.command ? `cli ${String(actor.command)}` : 'cli';
    case 'recorder':
    case 'system':
      return actor.kind;
    default:
      return String((actor as { kind?: unknown }).kind ?? '?');
  }
}

export function actorTitle(actor: Actor | undefined): string | undefined {
  return actor && actor.kind === 'http' && actor.userAgent ? `User agent: ${String(actor.userAgent)}` : undefined;
}

/** Colour families, so a glance at the type column tells the story of a recording. */
const TYPE_TONES: Readonly<Record<string, string>> = {
  RecordingStarted: 'start',
  RecordingImported: 'start',
  RecordingDataAppended: 'data',
  RecordingStopped: 'stop',
  RecordingDeleted: 'delete',
  RecordingDamaged: 'delete',
  RecordingUploaded: 'info',
  ServiceStarted: 'service',
  ServiceStopped: 'service',
  StoreCreated: 'store',
  MigrationApplied: 'store',
  ClockOffsetSet: 'config',
  ConfigChanged: 'config',
  GpsFixRecorded: 'config',
  SignInsFailed: 'delete',
  RecordingAnalysisRequested: 'analysis',
  RecordingAnalysisStarted: 'analysis',
  RecordingAnalysisFinding: 'analysis',
  RecordingAnalysisCompleted: 'analysis',
};

export function typeChip(type: string): HTMLSpanElement {
  return h('span', { class: `chip tone-${TYPE_TONES[type] ?? 'other'}` }, type);
}

/** A short form of an id for dense tables; the full value goes in the title. */
export function shortId(id: string | undefined, length = 8): string {
  if (!id) return '—';
  return id.length > length + 1 ? `${id.slice(0, length)}…` : id;
}

/** A one-line summary of an event's data, for timelines and tooltips. */
export function summarize(e: StoredEvent): string {
  const d = (typeof e.data === 'object' && e.data !== null ? e.data : {}) as Record<string, unknown>;
  switch (e.type) {
    case 'RecordingStarted':
      return `started${d.compressed === true ? ' (gzip)' : ''}${d.rayhunterVersion ? `, rayhunter ${String(d.rayhunterVersion)}` : ''}`;
    case 'RecordingDataAppended':
      return `${formatBytes(d.qmdlSizeBytes as number)} on disk, ${String(d.containers ?? '?')} containers`;
    case 'RecordingStopped':
      return `reason: ${String(d.reason ?? '?')}${d.detail ? ` (${String(d.detail)})` : ''}, ${formatBytes(d.qmdlSizeBytes as number)}`;
    case 'RecordingDeleted':
      return `reason: ${String(d.reason ?? '?')}`;
    case 'RecordingDamaged':
      return `missing: ${Array.isArray(d.missing) ? d.missing.map(String).join(', ') : '?'}`;
    case 'RecordingUploaded':
      return `uploaded ${formatTime(d.uploadTime as string)}`;
    case 'RecordingImported':
      return `imported from ${String(d.recoveredFrom ?? '?')}, ${formatBytes(d.qmdlSizeBytes as number)}`;
    case 'ServiceStarted':
      return `version ${String(d.version ?? '?')}${d.previousShutdownClean === false ? ', previous run did not shut down cleanly' : ''}`;
    case 'RecordingAnalysisRequested':
      return 're-analysis requested';
    case 'RecordingAnalysisStarted':
      return `analysis started (${String(d.reason ?? '?')}) with ${Array.isArray(d.analyzers) ? d.analyzers.map((a) => `${String((a as { key?: unknown }).key ?? '?')} v${String((a as { version?: unknown }).version ?? '?')}`).join(', ') : '?'}`;
    case 'RecordingAnalysisFinding':
      return `${String(d.severity ?? '?')} · ${String(d.analyzer ?? '?')}: ${String(d.message ?? '')}${typeof d.count === 'number' && d.count > 1 ? ` (×${d.count}, packets ${String(d.packet ?? '?')}–${String(d.lastPacket ?? '?')})` : ` (packet ${String(d.packet ?? '?')})`}`;
    case 'RecordingAnalysisCompleted': {
      const sev = (typeof d.severities === 'object' && d.severities !== null ? d.severities : {}) as Record<
        string,
        unknown
      >;
      const counts = ['High', 'Medium', 'Low', 'Informational'].map((s) => `${String(sev[s] ?? '?')} ${s}`).join(', ');
      return `analysis completed: ${counts}; ${String(d.analysed ?? '?')} of ${String(d.messages ?? '?')} messages analysed`;
    }
    case 'SignInsFailed':
      return `${String(d.count ?? '?')} failed sign-ins from ${String(d.remoteAddress ?? '?')}${typeof d.throttled === 'number' && d.throttled > 0 ? ` (${String(d.throttled)} throttled)` : ''}`;
    default:
      return '';
  }
}
