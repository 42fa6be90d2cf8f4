import type { ServerLimits } from '../http/server-limits';
import type { StreamedDownloadLimits } from '../http/streamed-download.service';

/** DI tokens of the fleet app. The database is opened by `fleet` (or a test) and handed in. */
export const FLEET_DB = Symbol('FLEET_DB');
export const FLEET_CONFIG = Symbol('FLEET_CONFIG');

/** What the fleet app needs beyond its database. */
export interface FleetConfig {
  /** When set, the fleet views need it (Bearer). The ingest API always needs a device token. */
  readonly adminToken?: string;
  /** Limits of the HTTP server (`applyServerLimits`'s defaults for those not given). */
  readonly server?: Partial<ServerLimits>;
  /** Limits of the recording downloads (`StreamedDownloads`' defaults for those not given). */
  readonly downloads?: Partial<StreamedDownloadLimits>;
}
/** The upcasters every reader of a shipped log uses (the device's own, @ledger/migrations). */
export const FLEET_UPCASTERS = Symbol('FLEET_UPCASTERS');
