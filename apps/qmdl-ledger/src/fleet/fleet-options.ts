import { isIP } from 'node:net';
import { UsageError } from '../exit-codes';
import {
  parseAdminToken,
  parseDownloadLimitOptions,
  parseServerLimitOptions,
  type DownloadLimitOptions,
  type RawDownloadLimitOptions,
  type RawServerLimitOptions,
  type ServerLimitOptions,
} from '../serve/serve-options';

/** Validated settings of `qmdl-ledger fleet` (the HTTP server's and the downloads' limits as `serve` takes them). */
export interface FleetOptions extends ServerLimitOptions, DownloadLimitOptions {
  readonly db: string;
  readonly port: number;
  readonly host: string;
  readonly adminToken?: string;
}

export interface RawFleetOptions extends RawServerLimitOptions, RawDownloadLimitOptions {
  readonly db?: unknown;
  readonly port?: unknown;
  readonly host?: unknown;
  readonly adminToken?: unknown;
}

/** A postgres:// or postgresql:// URL (the only form pg and libpq share without surprises). */
export function parseDatabaseUrl(raw: unknown): string {
  const url = typeof raw === 'string' ? raw.trim() : '';
  if (!/^postgres(ql)?:\/\/[^\s]+$/.test(url))
    throw new UsageError(
      "--db must be a postgres:// URL (env LEDGER_FLEET_DB), e.g. 'postgres://user@127.0.0.1:5432/fleet'",
    );
  return url;
}

/** Validate `fleet`'s options (the CLI has no Nest pipes: we check them ourselves). */
export function parseFleetOptions(raw: RawFleetOptions, env: NodeJS.ProcessEnv = process.env): FleetOptions {
  const db = parseDatabaseUrl(raw.db ?? env['LEDGER_FLEET_DB']);
  const portRaw = String(raw.port ?? env['PORT'] ?? '8090').trim();
  if (!/^[0-9]{1,5}$/.test(portRaw) || Number(portRaw) > 65535)
    throw new UsageError(`--port must be an integer in 0..65535, got '${portRaw}'`);
  const host = String(raw.host ?? env['HOST'] ?? '127.0.0.1').trim();
  if (host === '' || (host !== 'localhost' && isIP(host) === 0 && !/^[A-Za-z0-9.-]{1,253}$/.test(host)))
    throw new UsageError(`--host must be an IP address or host name, got '${host}'`);
  const adminToken = parseAdminToken(raw.adminToken ?? env['ADMIN_TOKEN']);
  return {
    db,
    port: Number(portRaw),
    host,
    ...(adminToken !== undefined ? { adminToken } : {}),
    ...parseServerLimitOptions(raw),
    ...parseDownloadLimitOptions(raw),
  };
}
