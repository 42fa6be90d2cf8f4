import type { EventLog } from '@ledger/event-log';
import type { QmdlStoreState } from '@ledger/domain';
import type { LedgerLogger } from './logger';

/**
 * A numbered, idempotent migration (`migrations/NNNN_past_tense_description.ts`).
 * Migrations never rewrite a recorded event — old shapes are upcast on read —
 * they prepare the store (files, snapshots, indexes) for the new code.
 */
export interface Migration {
  /** 'NNNN', ordered. */
  readonly id: string;
  /** past_tense_description */
  readonly name: string;
  up(context: MigrationContext): Promise<void>;
}

export interface MigrationContext {
  readonly dataDir: string;
  readonly log: EventLog;
  readonly state: QmdlStoreState;
  readonly logger: LedgerLogger;
}

/** Migrations not yet recorded as MigrationApplied, in id order. */
export function pendingMigrations(migrations: readonly Migration[], state: QmdlStoreState): Migration[] {
  return [...migrations].filter((m) => state.migrations[m.id] === undefined).sort((a, b) => a.id.localeCompare(b.id));
}
