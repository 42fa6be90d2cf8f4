import type { AnalysisCommandDataMap } from './analysis.commands';
import type { RecordingsCommandDataMap } from './recordings.commands';

/**
 * The ledger's commands: every slice's (see `ledger.slices.ts`). A slice
 * declares its commands in its own `*.commands.ts`; this only joins them.
 */
export interface CommandDataMap extends RecordingsCommandDataMap, AnalysisCommandDataMap {}

export type CommandType = keyof CommandDataMap;

/** The commands of a slice's data map, discriminated on `type`. */
export type CommandOf<TMap> = {
  [K in keyof TMap & string]: { readonly type: K; readonly data: TMap[K] };
}[keyof TMap & string];

export type Command = CommandOf<CommandDataMap>;

/** A typed refusal: the command is not allowed in this state. `code` is API. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type RefusalCode =
  | 'NO_SUCH_RECORDING'
  | 'RECORDING_NOT_ACTIVE'
  | 'RECORDING_EXISTS'
  | 'INVALID_TOTALS'
  | 'INVALID_RECORDING_NAME'
  | 'INVALID_CLOCK_OFFSET'
  | 'INVALID_GPS_FIX'
  /** A config change with unknown keys or bad values; `details.problems` names each. */
  | 'INVALID_CONFIG'
  /** A sign-in failure report with no address, a count below 1, or times out of order. */
  | 'INVALID_SIGN_IN_FAILURES'
  | 'STORE_ALREADY_CREATED'
  | 'MIGRATION_ALREADY_APPLIED'
  /** Analysis slice: findings or a completion for an analysis that is not the running one of the recording. */
  | 'ANALYSIS_NOT_RUNNING'
  /** Analysis slice: findings for a window already recorded (a resumed run repeating itself), nothing recorded twice. */
  | 'ANALYSIS_FINDINGS_RECORDED'
  /** Analysis slice: an analysis with no analyzers, a finding of Informational severity or with a count below 1, or out of its window. */
  | 'INVALID_ANALYSIS'
  /** A time in the command cannot be used: non-finite/negative epoch ms, bad UTC offset, or not RFC 3339. */
  | 'INVALID_TIME'
  /** Set by the recorder's disk guard, not by `decide`: free space below --min-space-start-mb. */
  | 'INSUFFICIENT_DISK_SPACE'
  /** Set by the store, not by `decide`: the store is open read-only (forensics, --read-only). */
  | 'READ_ONLY'
  /** Set by the command processor, not by `decide`: an event it decided is not representable as JSON (e.g. nested deeper than the log stores). */
  | 'EVENT_NOT_REPRESENTABLE'
  /** Set by the command processor, not by `decide`: an event it decided is larger than the log stores. */
  | 'EVENT_TOO_LARGE';
