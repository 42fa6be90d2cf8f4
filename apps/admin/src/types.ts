import { LEDGER_EVENT_TYPES } from '@ledger/domain';

/**
 * The API's JSON shapes as the viewer reads them (libs/domain/src/envelope.ts,
 * the REST contract). Everything here arrives from the network: render it with
 * textContent only, and read optional fields defensively.
 */

export type Actor =
  | { readonly kind: 'http'; readonly remoteAddress: string; readonly userAgent?: string }
  | { readonly kind: 'recorder' }
  | { readonly kind: 'system' }
  | { readonly kind: 'cli'; readonly command?: string };

export interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly v: number;
  readonly time: string;
  readonly systemTime: string;
  readonly recording?: string;
  readonly data: unknown;
  readonly metadata: {
    readonly actor: Actor;
    readonly correlationId: string;
    readonly causationId?: string;
    readonly bootId: string;
    readonly appVersion: string;
  };
  readonly prev: string;
  readonly hash: string;
}

export interface EventsPage {
  readonly events: StoredEvent[];
  /** Cursor for the next page: `before` when order=desc, `after` when asc. */
  readonly next?: number;
  readonly head: number;
}

/** What `GET /api/store/verify` answers (the store's `StoreVerifyReport`), as far as the viewer reads it. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly head: number;
  readonly headHash: string;
  readonly checked: number;
  /** The lowest-seq finding of any check (chain, invariants, projection, files). */
  readonly firstBad?: {
    readonly check: string;
    readonly seq?: number;
    readonly code: string;
    readonly recording?: string;
    readonly message: string;
  };
  readonly findings: readonly unknown[];
}

/** A Rayhunter manifest entry (snake_case, as the Rayhunter web UI reads it). */
export interface ManifestEntry {
  readonly name: string;
  readonly start_time?: string | null;
  readonly last_message_time?: string | null;
  readonly qmdl_size_bytes?: number | null;
  readonly rayhunter_version?: string | null;
  readonly system_os?: string | null;
  readonly arch?: string | null;
  readonly stop_reason?: string | null;
  readonly upload_time?: string | null;
  readonly gps_mode?: number | null;
  readonly compressed?: boolean | null;
}

export interface Manifest {
  readonly entries: readonly ManifestEntry[];
  readonly current_entry: ManifestEntry | null;
}

/** One page of `GET /api/recordings/{name}/history`: `next` is the `after` of the following page, absent at the end. */
export interface RecordingHistory {
  readonly name: string;
  readonly exists: boolean;
  readonly entry: ManifestEntry | null;
  readonly events: StoredEvent[];
  readonly next?: number;
  readonly head: number;
}

export interface AuthStatus {
  readonly required: boolean;
  readonly authenticated: boolean;
}

/** The known event types, offered by the type filter: the domain's catalogue, so a new event type shows without an edit here. */
export const EVENT_TYPES: readonly string[] = LEDGER_EVENT_TYPES;

export function isStoredEvent(value: unknown): value is StoredEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.seq === 'number' && typeof e.type === 'string' && typeof e.metadata === 'object' && e.metadata !== null
  );
}
