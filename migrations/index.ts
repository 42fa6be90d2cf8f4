import { UpcasterRegistry } from '@ledger/event-log';
import type { Migration } from '@ledger/store';
import { createdMissingAnalysisFiles } from './0001_created_missing_analysis_files';
import { gpsFixRecordedV1ToV2 } from './gps-fix-recorded.upcasters';

/**
 * Every migration, in id order. `openLedger({ migrations: MIGRATIONS })` applies
 * the pending ones at start-up, and `qmdl-ledger migrate` on demand; each is
 * recorded as `MigrationApplied` once. See README.md.
 */
export const MIGRATIONS: readonly Migration[] = [createdMissingAnalysisFiles];

/**
 * The upcasters every reader of the log must use: old event shapes are read
 * as the current one, the stored bytes (and the hash chain) stay untouched.
 *
 * @example const log = await LevelEventLog.open({ location, upcasters: buildUpcasters() });
 */
export function buildUpcasters(): UpcasterRegistry {
  return new UpcasterRegistry().register(gpsFixRecordedV1ToV2);
}

export { createdMissingAnalysisFiles, gpsFixRecordedV1ToV2 };
