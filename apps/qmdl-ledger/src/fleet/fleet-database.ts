import { Pool, Query, type PoolClient, type QueryArrayConfig } from 'pg';
import { LedgerError } from '@ledger/domain';
import { migrateFleetSchema } from './fleet-schema';

/** PostgreSQL error codes we act on (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const UNIQUE_VIOLATION = '23505';
const CONNECTION_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/**
 * A failure reaching PostgreSQL (down, restarting, connection cut) becomes
 * DATABASE_UNAVAILABLE (503, so a device backs off and retries); anything else
 * passes through unchanged.
 */
export function databaseError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message)
  ) {
    return new LedgerError('DATABASE_UNAVAILABLE', `the fleet database is unavailable: ${message}`, { cause: error });
  }
  return error;
}

/** Every value as PostgreSQL's text: no type decoding. */
const TEXT = { getTypeParser: () => (value: string) => value };

const NEEDS_ESCAPE = /["\\]/;

/**
 * An array parameter as the text pg itself sends for it (`arrayString` in pg/lib/utils: each element
 * quoted, `\` and `"` escaped, null and undefined as NULL, numbers by `toString`), for arrays of
 * strings, numbers and nulls; undefined for anything else (pg converts it). pg escapes every element
 * with two regular-expression replaces and builds the text by concatenation; an ingest statement
 * carries thousands of elements (a column per event field), mostly hashes, times and ids that need
 * no escaping, which this joins in one go.
 */
export function arrayParameter(values: readonly unknown[]): string | undefined {
  let plain = values.length > 0;
  for (const value of values) {
    if (typeof value === 'string') {
      if (plain && NEEDS_ESCAPE.test(value)) plain = false;
    } else if (value === null || value === undefined) plain = false;
    else if (typeof value !== 'number') return undefined;
  }
  if (plain) return `{"${values.join('","')}"}`;
  const elements: string[] = [];
  // Indexed, not `map`: a hole is NULL for pg as well.
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string | number | null | undefined;
    elements.push(
      value === null || value === undefined ? 'NULL' : `"${String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
    );
  }
  return `{${elements.join(',')}}`;
}

/** Statement parameters with their arrays as text (arrayParameter); everything else as given. */
function parameters(params: readonly unknown[]): unknown[] {
  return params.map((param) => (Array.isArray(param) ? (arrayParameter(param) ?? param) : param));
}

export interface FleetDatabaseOptions {
  /** postgres://user@host:port/database */
  readonly url: string;
  /** Pool size (default 10). */
  readonly max?: number;
}

/**
 * The central store: a pg Pool on the fleet database, its schema brought up to
 * date at open (safe when several instances start at once).
 *
 * @example
 * const db = await FleetDatabase.open({ url: 'postgres://postgres@127.0.0.1:5432/fleet' });
 * const n = await db.transaction(async (client) => (await client.query('SELECT count(*) FROM fleet_devices')).rows[0]);
 * await db.close();
 */
export class FleetDatabase {
  private constructor(readonly pool: Pool) {}

  static async open(options: FleetDatabaseOptions): Promise<FleetDatabase> {
    const pool = new Pool({ connectionString: options.url, max: options.max ?? 10, connectionTimeoutMillis: 5000 });
    // An idle client whose server went away emits 'error' on the pool; unhandled, that would end the process.
    pool.on('error', () => undefined);
    const db = new FleetDatabase(pool);
    try {
      const client = await pool.connect().catch((error: unknown) => {
        throw databaseError(error);
      });
      const onError = (): void => undefined;
      client.on('error', onError);
      try {
        await migrateFleetSchema(client);
      } finally {
        client.off('error', onError);
        client.release();
      }
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return db;
  }

  /** Runs `work` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client, broke) => {
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(broke);
        throw error;
      }
    });
  }

  /** One statement outside a transaction; with `name`, prepared once per connection under that name. */
  async query<R extends object>(sql: string, params: readonly unknown[] = [], name?: string): Promise<R[]> {
    try {
      return (
        await this.pool.query<R>({ text: sql, values: parameters(params), ...(name !== undefined ? { name } : {}) })
      ).rows;
    } catch (error) {
      throw databaseError(error);
    }
  }

  /**
   * One statement whose rows are handed to `onRow` as they arrive and not kept, each an array of
   * PostgreSQL's text (or null, no type decoding) in the select's column order: for rows passed on
   * as text, a page encoded as it is read, whose rows would otherwise all be alive (and copied by
   * every young-generation GC) until the last one came. `onRow` must not throw (it runs in the
   * client's message handler); the statement is prepared once per connection under `name`.
   */
  eachTextRow(
    sql: string,
    params: readonly unknown[],
    name: string,
    onRow: (row: ReadonlyArray<string | null>) => void,
  ): Promise<void> {
    const config: QueryArrayConfig = { text: sql, values: params as unknown[], name, rowMode: 'array', types: TEXT };
    return this.withClient(
      (client) =>
        new Promise<void>((resolve, reject) => {
          client
            .query(new Query<Array<string | null>>(config))
            .on('row', onRow)
            .on('error', reject)
            .on('end', () => resolve());
        }),
    );
  }

  /**
   * Runs `work` on a client of its own, released when it settles (destroyed when `broke` was
   * called or the client failed); failures to connect or in `work` as `databaseError` says.
   */
  private async withClient<T>(work: (client: PoolClient, broke: () => void) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw databaseError(error);
    }
    let broken = false;
    // A checked-out client whose server dies emits 'error' (the pool only listens while it is idle);
    // unheard, that ends the process. The query in flight rejects as well, which is what we act on.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      return await work(client, onError);
    } catch (error) {
      throw databaseError(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
