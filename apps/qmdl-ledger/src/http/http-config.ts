import type { Registry } from 'prom-client';
import type { ShippingStatus } from '@ledger/store';
import type { AnalysisQueue } from '../analysis/analysis-reactor';
import type { LogBuffer } from './log-buffer';
import type { SignInThrottleOptions } from './sign-in-throttle';
import type { ServerLimits } from './server-limits';
import type { StreamedDownloadLimits } from './streamed-download.service';

/** Default of `--sse-max-behind`: events committed past a stalled SSE client before its stream is ended. */
export const DEFAULT_SSE_MAX_BEHIND = 10_000;

/** What the HTTP app needs to know beyond the Ledger itself. */
export interface HttpConfig {
  /** Mutations answer 403 (Rayhunter's debug mode). */
  readonly readOnly: boolean;
  /** When set, mutations, /api/config and the event API need it (Bearer or session cookie). */
  readonly adminToken?: string;
  readonly host: string;
  readonly port: number;
  readonly source: string;
  /** Origins besides the server's own that may make state-changing requests (`--allow-origin`), normalised. */
  readonly allowedOrigins?: readonly string[];
  /** Where the admin viewer's built assets are; defaults to `dist/admin`. */
  readonly adminDir?: string;
  /** A built Rayhunter web UI served at `/` (`serve --rayhunter-ui`); without it `/` redirects to /admin. */
  readonly rayhunterUiDir?: string;
  /** The service's own recent log lines, served at /api/log. */
  readonly logBuffer: LogBuffer;
  /** The shipper's status when `serve --ship-to` runs one (GET /api/shipping, /metrics). */
  readonly shipping?: () => ShippingStatus;
  /** The analysis reactor's queue when `serve` runs one (not with --read-only): GET/POST /api/analysis. */
  readonly analysis?: AnalysisQueue;
  /** Adds the metrics of the process that runs the app (`serve`'s buffer governor) to `/metrics`. */
  readonly registerMetrics?: (registry: Registry) => void;
  /** End an SSE stream whose client does not read while more than this many events are committed past it (default 10,000). */
  readonly sseMaxBehind?: number;
  /** The failed sign-in throttle (defaults: DEFAULT_SIGN_IN_THROTTLE). */
  readonly signInThrottle?: Partial<SignInThrottleOptions>;
  /** Limits of the HTTP server (defaults: DEFAULT_SERVER_LIMITS). */
  readonly server?: Partial<ServerLimits>;
  /** Limits of streamed downloads (defaults: DEFAULT_DOWNLOAD_LIMITS). */
  readonly downloads?: Partial<StreamedDownloadLimits>;
  /** Close the Ledger when the Nest app shuts down (default true). */
  readonly closeLedgerOnShutdown?: boolean;
}
