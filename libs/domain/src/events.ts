import { ANALYSIS_EVENT_VERSIONS, type AnalysisEventDataMap } from './analysis.events';
import type { DecidedEventOf, StoredEventOf } from './envelope';
import { RECORDINGS_EVENT_VERSIONS, type RecordingsEventDataMap } from './recordings.events';

/**
 * The ledger's event catalogue: every slice's events (see `ledger.slices.ts`).
 * A slice declares its events and their schema versions in its own
 * `*.events.ts`; this file only joins them, so the compiler holds the unions
 * and the tables below to the same names.
 */
export interface EventDataMap extends RecordingsEventDataMap, AnalysisEventDataMap {}

export type LedgerEventType = keyof EventDataMap;

/** The current schema version of each event type's `data`. Older versions are upcast on read. */
export const EVENT_SCHEMA_VERSIONS: Readonly<Record<LedgerEventType, number>> = {
  ...RECORDINGS_EVENT_VERSIONS,
  ...ANALYSIS_EVENT_VERSIONS,
} satisfies Record<LedgerEventType, number>;

/**
 * Every event type, in catalogue order: the keys of EVENT_SCHEMA_VERSIONS, whose
 * type makes the compiler hold it complete. The one list filters are checked against.
 */
export const LEDGER_EVENT_TYPES: readonly LedgerEventType[] = Object.keys(EVENT_SCHEMA_VERSIONS) as LedgerEventType[];

/** A ledger event as `decide` produces it: type, data and the recording it names. */
export type DecidedEvent = DecidedEventOf<EventDataMap>;

/** A stored ledger event, discriminated on `type`. */
export type LedgerEvent = StoredEventOf<EventDataMap>;

export function isLedgerEventType(type: string): type is LedgerEventType {
  return Object.prototype.hasOwnProperty.call(EVENT_SCHEMA_VERSIONS, type);
}

/**
 * The types of a filter that are no event type (in order, each once), for a
 * refusal that names them and lists the known ones: a filter on a misspelt
 * type would otherwise just match nothing.
 */
export function unknownEventTypes(types: readonly string[]): string[] {
  return [...new Set(types.filter((type) => !isLedgerEventType(type)))];
}
