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
  {
    version: 4,
    // The devices list reads one table in (label, id) pages, as a bare SELECT would: what it shows of
    // forks and warnings is kept on the device's row (updated where a fork is recorded and where a
    // report's warnings are indexed) instead of aggregated over those tables for every list; and the
    // lag in bytes the device reports.
    //
    // A batch that extends a head the service already knows is appended in one statement (one round
    // trip, one commit) instead of a five-statement transaction: the row lock, the head check, the
    // rows and the new head/projection together. It refuses (false, nothing written) when the device's
    // head is not the one given; the caller then takes the general path (overlaps, forks, binding).
    name: 'added_the_devices_list_summary_the_lag_in_bytes_and_fleet_append',
    sql: `
      CREATE INDEX fleet_devices_list ON fleet_devices (label, id);
      ALTER TABLE fleet_devices
        ADD COLUMN reported_lag_bytes bigint,
        ADD COLUMN forks integer NOT NULL DEFAULT 0,
        ADD COLUMN fork_seq bigint,
        ADD COLUMN fork_at timestamptz,
        ADD COLUMN warnings jsonb NOT NULL DEFAULT '{}';
      UPDATE fleet_devices d SET forks = f.n, fork_seq = f.seq, fork_at = f.detected_at
        FROM (SELECT store_id, count(*) AS n, min(seq) AS seq, min(detected_at) AS detected_at FROM fleet_forks GROUP BY store_id) f
       WHERE f.store_id = d.store_id;
      UPDATE fleet_devices d SET warnings = w.by_severity
        FROM (SELECT store_id, jsonb_object_agg(severity, n) AS by_severity
                FROM (SELECT store_id, severity, count(*)::int AS n FROM fleet_warnings GROUP BY store_id, severity) s
               GROUP BY store_id) w
       WHERE w.store_id = d.store_id;
      CREATE FUNCTION fleet_append(
        p_token_hash text, p_store_id text, p_reported_head_seq bigint, p_reported_lag_bytes bigint,
        p_base_seq bigint, p_base_hash text,
        p_seq bigint[], p_hash text[], p_type text[], p_recording text[], p_time text[], p_actor text[],
        p_actor_address text[], p_correlation_id text[], p_body text[],
        p_state jsonb, p_active_recording text, p_recordings integer
      ) RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        device_id bigint;
        n integer := cardinality(p_seq);
      BEGIN
        IF n = 0 OR p_seq[1] <> p_base_seq + 1 THEN
          RETURN false;
        END IF;
        -- Under READ COMMITTED a row another shipment holds is re-checked after its lock is released,
        -- so a head that moved meanwhile finds nothing here.
        SELECT id INTO device_id FROM fleet_devices
         WHERE token_hash = p_token_hash AND store_id = p_store_id AND head_seq = p_base_seq AND head_hash = p_base_hash
           FOR UPDATE;
        IF NOT FOUND THEN
          RETURN false;
        END IF;
        INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, actor_address, correlation_id, body)
        SELECT p_store_id, * FROM unnest(p_seq, p_hash, p_type, p_recording, p_time, p_actor, p_actor_address, p_correlation_id, p_body);
        UPDATE fleet_devices
           SET last_seen = now(), reported_head_seq = coalesce(p_reported_head_seq, reported_head_seq),
               reported_lag_bytes = coalesce(p_reported_lag_bytes, reported_lag_bytes),
               head_seq = p_seq[n], head_hash = p_hash[n], state = p_state,
               active_recording = p_active_recording, recordings = p_recordings
         WHERE id = device_id;
        RETURN true;
      END
      $fn$;
    `,
  },
  {
    version: 5,
    // A recording's analysis report is rewritten on the device when it is analysed again, so the
    // central copy has a version: the analysis id of the RecordingAnalysisCompleted it belongs to
    // (`version`; NULL for a report shipped without one) and that event's seq (`version_seq`, 0
    // without one), which orders versions. A newer version is received into `fleet_report_staging`
    // (`pending_*`: its id, seq, whole length and the bytes received) while the stored one is still
    // served, and replaces it in the transaction that brings the last byte. The partial index finds
    // a shipped completion by its analysis id.
    name: 'added_report_versions_and_their_staging',
    sql: `
      ALTER TABLE fleet_recording_files
        ADD COLUMN version text,
        ADD COLUMN version_seq bigint NOT NULL DEFAULT 0,
        ADD COLUMN pending_version text,
        ADD COLUMN pending_seq bigint,
        ADD COLUMN pending_length bigint,
        ADD COLUMN pending_size bigint NOT NULL DEFAULT 0;
      CREATE TABLE fleet_report_staging (
        store_id text NOT NULL,
        name text NOT NULL,
        "offset" bigint NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (store_id, name, "offset")
      );
      CREATE INDEX fleet_events_analysis_completed
        ON fleet_events (store_id, recording, ((body::jsonb #>> '{data,analysisId}')))
        WHERE type = 'RecordingAnalysisCompleted';
    `,
  },
  {
    version: 6,
    // A report version being received for a recording the device then deletes can never complete
    // (the device has no report left to send), so its staged bytes are dropped when the
    // RecordingDeleted is shipped: a trigger on the events table, so every ingest path (the general
    // transaction, the first batch, fleet_append) drops them in the transaction that stores the
    // event. The stored report (the last version received whole) stays. A newer version staged for
    // a recording already drops the older one's bytes (RecordingDataService). Staged bytes left by
    // deletions shipped before this version are dropped here once.
    name: 'dropped_staged_reports_of_deleted_recordings',
    sql: `
      CREATE FUNCTION fleet_drop_staged_report() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        DELETE FROM fleet_report_staging WHERE store_id = NEW.store_id AND name = NEW.recording;
        UPDATE fleet_recording_files
           SET pending_version = NULL, pending_seq = NULL, pending_length = NULL, pending_size = 0
         WHERE store_id = NEW.store_id AND name = NEW.recording AND file = 'analysis'
           AND pending_version IS NOT NULL;
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER fleet_events_recording_deleted AFTER INSERT ON fleet_events
        FOR EACH ROW WHEN (NEW.type = 'RecordingDeleted' AND NEW.recording IS NOT NULL)
        EXECUTE FUNCTION fleet_drop_staged_report();
      DELETE FROM fleet_report_staging s
       WHERE EXISTS (SELECT 1 FROM fleet_events e
                      WHERE e.store_id = s.store_id AND e.recording = s.name AND e.type = 'RecordingDeleted');
      UPDATE fleet_recording_files f
         SET pending_version = NULL, pending_seq = NULL, pending_length = NULL, pending_size = 0
       WHERE f.file = 'analysis' AND f.pending_version IS NOT NULL
         AND EXISTS (SELECT 1 FROM fleet_events e
                      WHERE e.store_id = f.store_id AND e.recording = f.name AND e.type = 'RecordingDeleted');
    `,
  },
  {
    version: 7,
    // The batches of several devices in one statement and one commit: what a batch costs PostgreSQL
    // is mostly per statement (executor start, commit) rather than per row, and a busy instance has
    // many batches waiting at once. Each batch is appended as fleet_append (or, onto head 0, the
    // first-batch statement) appends it alone: its device row is updated — and bound to the store
    // when the token is bound to none — only if the head is still the one given (the UPDATE's own
    // re-check under READ COMMITTED, as for fleet_append's FOR UPDATE), and its rows are inserted
    // only then; the function returns the batches appended (their 1-based positions). The rows of
    // all appended batches go in one INSERT; p_batch gives each row's batch. The states are the
    // projections' JSON joined by newlines (JSON text holds none), as the lines are. Rows are locked
    // in the order given, so callers give them in one order (by store id) and two groups cannot
    // deadlock. Another token bound to a store is a unique violation: nothing of the group is
    // written. fleet_append stays for instances that still call it.
    name: 'added_fleet_append_batches',
    sql: `
      CREATE FUNCTION fleet_append_batches(
        p_token_hash text[], p_store_id text[], p_reported_head_seq bigint[], p_reported_lag_bytes bigint[],
        p_base_seq bigint[], p_base_hash text[], p_first_seq bigint[], p_head_seq bigint[], p_head_hash text[],
        p_state text, p_active_recording text[], p_recordings integer[],
        p_batch integer[], p_seq bigint[], p_hash text[], p_type text[], p_recording text[], p_time text[],
        p_actor text[], p_actor_address text[], p_correlation_id text[], p_body text
      ) RETURNS integer[] LANGUAGE plpgsql AS $fn$
      DECLARE
        states text[] := string_to_array(p_state, E'\\n');
        appended integer[] := '{}';
      BEGIN
        FOR i IN 1 .. coalesce(cardinality(p_store_id), 0) LOOP
          CONTINUE WHEN p_first_seq[i] <> p_base_seq[i] + 1;
          UPDATE fleet_devices
             SET store_id = p_store_id[i], bound_at = CASE WHEN store_id IS NULL THEN now() ELSE bound_at END,
                 last_seen = now(), reported_head_seq = coalesce(p_reported_head_seq[i], reported_head_seq),
                 reported_lag_bytes = coalesce(p_reported_lag_bytes[i], reported_lag_bytes),
                 head_seq = p_head_seq[i], head_hash = p_head_hash[i], state = states[i]::jsonb,
                 active_recording = p_active_recording[i], recordings = p_recordings[i]
           WHERE token_hash = p_token_hash[i] AND (store_id IS NULL OR store_id = p_store_id[i])
             AND head_seq = p_base_seq[i] AND head_hash = p_base_hash[i];
          IF FOUND THEN
            appended := appended || i;
          END IF;
        END LOOP;
        IF cardinality(appended) > 0 THEN
          INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, actor_address, correlation_id, body)
          SELECT p_store_id[e.batch], e.seq, e.hash, e.type, e.recording, e.time, e.actor, e.actor_address, e.correlation_id, e.body
            FROM unnest(p_batch, p_seq, p_hash, p_type, p_recording, p_time, p_actor, p_actor_address, p_correlation_id,
                        string_to_array(p_body, E'\\n'))
              AS e(batch, seq, hash, type, recording, time, actor, actor_address, correlation_id, body)
           WHERE e.batch = ANY (appended);
        END IF;
        RETURN appended;
      END
      $fn$;
    `,
  },
  {
    version: 8,
    // The warnings list pages on a key that is total and exact: the packet time (a NULL one last,
    // as -infinity) and then the finding's primary key, newest first — a backward scan of this
    // index from the cursor. Packet times alone repeat (two analyzers on one packet, many packets
    // in a second, several devices), so paging on them skipped or repeated findings. The index on
    // the packet time alone served only that order.
    name: 'added_the_warnings_page_key',
    sql: `
      CREATE INDEX fleet_warnings_page
        ON fleet_warnings ((coalesce(packet_timestamp, '-infinity'::timestamptz)), store_id, name, line, idx);
      DROP INDEX fleet_warnings_newest;
    `,
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
