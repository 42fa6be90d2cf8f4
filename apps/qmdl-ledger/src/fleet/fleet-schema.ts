import type { PoolClient } from 'pg';

/** One version of the central schema: applied once, in order, recorded in `fleet_schema_migrations`. */
export interface FleetSchemaMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The central store's schema, versioned. Never edit an applied version: add the
 * next one. Per device: its enrolment (token hash, the store id it is bound to,
 * the head and the projection at the head), every shipped event exactly as the
 * device stored it (`body`, so the central export equals the device's byte for
 * byte) with the columns the event API filters on, forks offered to it, and the
 * recordings' bytes as ordered chunks (bounded memory on the way in and out).
 */
export const FLEET_SCHEMA: readonly FleetSchemaMigration[] = [
  {
    version: 1,
    name: 'created_devices_events_forks_and_recording_chunks',
    sql: `
      CREATE TABLE fleet_devices (
        id bigserial PRIMARY KEY,
        label text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        store_id text UNIQUE,
        enrolled_at timestamptz NOT NULL DEFAULT now(),
        bound_at timestamptz,
        last_seen timestamptz,
        head_seq bigint NOT NULL DEFAULT 0,
        head_hash text NOT NULL DEFAULT '${'0'.repeat(64)}',
        state jsonb,
        active_recording text,
        recordings integer NOT NULL DEFAULT 0
      );
      CREATE TABLE fleet_events (
        store_id text NOT NULL,
        seq bigint NOT NULL,
        hash text NOT NULL,
        type text NOT NULL,
        recording text,
        time text NOT NULL,
        actor text NOT NULL,
        actor_address text,
        correlation_id text NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (store_id, seq)
      );
      CREATE INDEX fleet_events_type ON fleet_events (store_id, type, seq);
      CREATE INDEX fleet_events_recording ON fleet_events (store_id, recording, seq) WHERE recording IS NOT NULL;
      CREATE INDEX fleet_events_correlation ON fleet_events (store_id, correlation_id, seq);
      CREATE TABLE fleet_forks (
        id bigserial PRIMARY KEY,
        store_id text NOT NULL,
        seq bigint NOT NULL,
        central_hash text NOT NULL,
        offered_hash text NOT NULL,
        central_head_seq bigint NOT NULL,
        detected_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (store_id, seq, offered_hash)
      );
      CREATE TABLE fleet_recording_files (
        store_id text NOT NULL,
        name text NOT NULL,
        file text NOT NULL,
        size bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (store_id, name, file)
      );
      CREATE TABLE fleet_recording_chunks (
        store_id text NOT NULL,
        name text NOT NULL,
        file text NOT NULL,
        "offset" bigint NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (store_id, name, file, "offset")
      );
    `,
  },
  {
    version: 2,
    name: 'created_warnings',
    sql: `
      CREATE TABLE fleet_warnings (
        store_id text NOT NULL,
        name text NOT NULL,
        line integer NOT NULL,
        idx integer NOT NULL,
        packet_timestamp timestamptz,
        severity text NOT NULL,
        message text NOT NULL,
        PRIMARY KEY (store_id, name, line, idx)
      );
      CREATE INDEX fleet_warnings_newest ON fleet_warnings (packet_timestamp DESC NULLS LAST);
      CREATE INDEX fleet_warnings_device ON fleet_warnings (store_id, severity);
    `,
  },
  {
    version: 3,
    name: 'added_the_head_devices_report',
    sql: 'ALTER TABLE fleet_devices ADD COLUMN reported_head_seq bigint',
  },
];

/**
 * Any fixed 64-bit key shared by every instance: `pg_advisory_xact_lock` on it
 * makes concurrent start-ups migrate one after the other (the second finds the
 * versions recorded and applies nothing).
 */
export const FLEET_SCHEMA_LOCK = 0x71_6d_64_6c_66_6c_74; // "qmdlflt"

/** Brings the schema to the newest version in one transaction; returns the versions it applied. */
export async function migrateFleetSchema(
  client: PoolClient,
  migrations: readonly FleetSchemaMigration[] = FLEET_SCHEMA,
): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [FLEET_SCHEMA_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS fleet_schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM fleet_schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO fleet_schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return applied;
}
