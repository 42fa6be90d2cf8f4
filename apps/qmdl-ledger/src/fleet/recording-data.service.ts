import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { LedgerError } from '@ledger/domain';
import { indexWarnings } from './analysis-warnings';
import { DevicesService, type DeviceRequest } from './devices.service';
import { FleetDatabase } from './fleet-database';
import { FLEET_DB } from './fleet-tokens';

/** The files of a recording the device ships: its `.qmdl.gz`, its `-gps.ndjson`, its analysis `.ndjson`. */
export type RecordingFile = 'qmdl' | 'gps' | 'analysis';

export function parseRecordingFile(raw: unknown): RecordingFile {
  if (raw === undefined || raw === 'qmdl') return 'qmdl';
  if (raw === 'gps' || raw === 'analysis') return raw;
  throw new LedgerError('INVALID_QUERY', 'file must be qmdl, gps or analysis');
}

/**
 * Which analysis an analysis report belongs to: the `analysisId` of the recording's
 * RecordingAnalysisCompleted event (in the shipped log), and the report's whole length in
 * bytes (an upload carries it, so the service knows when the report is complete).
 */
export interface ReportVersion {
  readonly id: string;
  readonly length: number;
}

/** An analysis id as it goes in a URL: printable ASCII without spaces (the reactor's are UUIDs). */
const ANALYSIS_ID = /^[\x21-\x7e]{1,128}$/;

/** `?version=` of a size query: an analysis id, only for `file=analysis`. */
export function parseReportVersionId(file: RecordingFile, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (file !== 'analysis') throw new LedgerError('INVALID_QUERY', 'version is only for file=analysis');
  if (typeof raw !== 'string' || !ANALYSIS_ID.test(raw))
    throw new LedgerError(
      'INVALID_REPORT_VERSION',
      'version must be the analysis id of a RecordingAnalysisCompleted (1-128 printable characters)',
    );
  return raw;
}

/** `?version=&length=` of an upload: both or neither, only for `file=analysis`. */
export function parseReportVersion(
  file: RecordingFile,
  versionRaw: unknown,
  lengthRaw: unknown,
): ReportVersion | undefined {
  const id = parseReportVersionId(file, versionRaw);
  if (id === undefined) {
    if (lengthRaw !== undefined) throw new LedgerError('INVALID_REPORT_VERSION', 'length is only given with version');
    return undefined;
  }
  if (typeof lengthRaw !== 'string' || !/^[0-9]{1,15}$/.test(lengthRaw))
    throw new LedgerError(
      'INVALID_REPORT_VERSION',
      "length (the report's whole size in bytes, a non-negative integer) must be given with version",
    );
  return { id, length: Number(lengthRaw) };
}

/** Bytes per stored chunk row: what one upload holds in memory at most (plus one socket read). */
const CHUNK_BYTES = 256 * 1024;

interface FileRow {
  readonly size: string;
  readonly version: string | null;
  readonly version_seq: string;
  readonly pending_version: string | null;
  readonly pending_seq: string | null;
  readonly pending_length: string | null;
  readonly pending_size: string;
}

/** What an upload or a size query answers: the bytes held (of its version, for a versioned report). */
export interface StoredSize {
  readonly size: number;
  /**
   * A versioned upload's answer and a size query of `file=analysis`: the analysis id of the report
   * the fleet views serve (null: none, or one shipped without a version).
   */
  readonly version?: string | null;
}

/**
 * Stores a recording file's bytes as they arrive, in ordered chunk rows, in one
 * transaction per upload with the file's size row locked. Idempotent by
 * offset: bytes below the stored size are acknowledged and skipped (a resend
 * after a lost answer stores nothing twice); an offset past the stored size is
 * OFFSET_MISMATCH with the size, so the device resumes from there.
 *
 * An analysis report is the one file a device rewrites (a re-analysis), so an
 * upload of one may carry its version (`ReportVersion`). Versions are ordered by
 * the seq of their RecordingAnalysisCompleted among the shipped events. A
 * version newer than the stored one is received into staging rows — resumable
 * by offset like any file — while the stored report is still the one served,
 * and replaces it (bytes and warnings) in the transaction that brings its last
 * byte, so a report is served whole or not at all. An older version changes
 * nothing (STALE_REPORT_VERSION); so does an upload without a version once a
 * versioned report is stored.
 */
@Injectable()
export class RecordingDataService {
  constructor(
    @Inject(FLEET_DB) private readonly db: FleetDatabase,
    private readonly devices: DevicesService,
  ) {}

  async append(
    options: DeviceRequest & {
      readonly name: string;
      readonly file: RecordingFile;
      readonly offset: number;
      readonly body: AsyncIterable<Buffer>;
      readonly report?: ReportVersion;
    },
  ): Promise<StoredSize> {
    const { storeId, name, file, offset, body, report } = options;
    return this.db.transaction(async (client) => {
      const device = await this.devices.authorize(client, options);
      if (device.state?.names[name] === undefined)
        throw new LedgerError(
          'NO_SUCH_RECORDING',
          `recording ${name} is not in the shipped log of this device (ship its events first)`,
        );
      const key = [storeId, name, file] as const;
      if (report !== undefined) {
        const seq = await completionSeq(client, storeId, name, report.id);
        return this.appendVersion(client, key, await lockFile(client, storeId, name, file), report, seq, offset, body);
      }
      const row = await lockFile(client, storeId, name, file);
      if (file === 'analysis' && Number(row.version_seq) > 0)
        throw stale(`a versioned report (${row.version}) is stored; an upload without a version is older`, row);
      const size = await storeBody({
        body,
        offset,
        held: Number(row.size),
        insert: (at, data) =>
          client.query(
            'INSERT INTO fleet_recording_chunks (store_id, name, file, "offset", data) VALUES ($1, $2, $3, $4, $5)',
            [...key, at, data],
          ),
      });
      await client.query(
        'UPDATE fleet_recording_files SET size = $4, updated_at = now() WHERE store_id = $1 AND name = $2 AND file = $3',
        [...key, size],
      );
      if (file === 'analysis') await indexWarnings(client, storeId, name);
      return { size };
    });
  }

  /** A versioned report's upload: the stored version (idempotent), or the next one into staging, replacing the stored one once whole. */
  private async appendVersion(
    client: PoolClient,
    key: readonly [string, string, RecordingFile],
    row: FileRow,
    report: ReportVersion,
    seq: number,
    offset: number,
    body: AsyncIterable<Buffer>,
  ): Promise<StoredSize> {
    const [storeId, name] = key;
    const servedSeq = Number(row.version_seq);
    if (seq < servedSeq) throw stale(`version ${report.id} is older than the stored report's (${row.version})`, row);
    if (seq === servedSeq) {
      const size = Number(row.size);
      if (report.length !== size)
        throw lengthMismatch(`the stored report of version ${report.id} is ${size} bytes, not ${report.length}`);
      await storeBody({ body, offset, held: size, limit: size, version: row.version, insert: () => Promise.resolve() });
      return { size, version: row.version };
    }
    let held = 0;
    if (row.pending_version === report.id) {
      if (Number(row.pending_length) !== report.length)
        throw lengthMismatch(
          `version ${report.id} is being received as ${row.pending_length} bytes, not ${report.length}`,
        );
      held = Number(row.pending_size);
    } else if (row.pending_version !== null && Number(row.pending_seq) > seq) {
      throw stale(`version ${report.id} is older than the report being received (${row.pending_version})`, row);
    } else {
      // A newer version than the one being received (if any) replaces it, from its first byte.
      if (offset > 0) throw offsetMismatch(offset, 0, row.version);
      await client.query('DELETE FROM fleet_report_staging WHERE store_id = $1 AND name = $2', [storeId, name]);
    }
    held = await storeBody({
      body,
      offset,
      held,
      limit: report.length,
      version: row.version,
      insert: (at, data) =>
        client.query('INSERT INTO fleet_report_staging (store_id, name, "offset", data) VALUES ($1, $2, $3, $4)', [
          storeId,
          name,
          at,
          data,
        ]),
    });
    if (held < report.length) {
      await client.query(
        `UPDATE fleet_recording_files
            SET pending_version = $4, pending_seq = $5, pending_length = $6, pending_size = $7, updated_at = now()
          WHERE store_id = $1 AND name = $2 AND file = $3`,
        [...key, report.id, seq, report.length, held],
      );
      return { size: held, version: row.version };
    }
    // Whole: the staged bytes become the report, in this transaction (readers see the old one or the new one).
    await client.query(`DELETE FROM fleet_recording_chunks WHERE store_id = $1 AND name = $2 AND file = 'analysis'`, [
      storeId,
      name,
    ]);
    await client.query(
      `INSERT INTO fleet_recording_chunks (store_id, name, file, "offset", data)
       SELECT store_id, name, 'analysis', "offset", data FROM fleet_report_staging WHERE store_id = $1 AND name = $2`,
      [storeId, name],
    );
    await client.query('DELETE FROM fleet_report_staging WHERE store_id = $1 AND name = $2', [storeId, name]);
    await client.query(
      `UPDATE fleet_recording_files
          SET size = $4, version = $5, version_seq = $6, pending_version = NULL, pending_seq = NULL,
              pending_length = NULL, pending_size = 0, updated_at = now()
        WHERE store_id = $1 AND name = $2 AND file = $3`,
      [...key, report.length, report.id, seq],
    );
    await indexWarnings(client, storeId, name);
    return { size: report.length, version: report.id };
  }

  /**
   * The stored size of a file (0 when nothing arrived yet); for `file=analysis` with the version
   * served. With `version`: the bytes held of that version (its whole length once it is the one
   * served, what arrived of it while it is being received, else 0): where its upload resumes.
   */
  async size(request: DeviceRequest, name: string, file: RecordingFile, version?: string): Promise<StoredSize> {
    const { storeId } = request;
    return this.db.transaction(async (client) => {
      await this.devices.authorize(client, request);
      const row = (
        await client.query<FileRow>(
          'SELECT * FROM fleet_recording_files WHERE store_id = $1 AND name = $2 AND file = $3',
          [storeId, name, file],
        )
      ).rows[0];
      if (file !== 'analysis') return { size: Number(row?.size ?? 0) };
      const served = row?.version ?? null;
      if (version === undefined) return { size: Number(row?.size ?? 0), version: served };
      if (row !== undefined && version === served) return { size: Number(row.size), version: served };
      if (row !== undefined && version === row.pending_version)
        return { size: Number(row.pending_size), version: served };
      return { size: 0, version: served };
    });
  }
}

/** The seq of the shipped RecordingAnalysisCompleted of `name` with this analysis id. */
async function completionSeq(client: PoolClient, storeId: string, name: string, analysisId: string): Promise<number> {
  const rows = (
    await client.query<{ seq: string }>(
      `SELECT seq FROM fleet_events
        WHERE store_id = $1 AND recording = $2 AND type = 'RecordingAnalysisCompleted'
          AND (body::jsonb #>> '{data,analysisId}') = $3`,
      [storeId, name, analysisId],
    )
  ).rows;
  if (rows[0] === undefined)
    throw new LedgerError(
      'UNKNOWN_REPORT_VERSION',
      `no shipped RecordingAnalysisCompleted of recording ${name} has analysis id ${analysisId} (ship its events first)`,
    );
  return Number(rows[0].seq);
}

async function lockFile(client: PoolClient, storeId: string, name: string, file: RecordingFile): Promise<FileRow> {
  await client.query(
    'INSERT INTO fleet_recording_files (store_id, name, file) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [storeId, name, file],
  );
  const rows = await client.query<FileRow>(
    'SELECT * FROM fleet_recording_files WHERE store_id = $1 AND name = $2 AND file = $3 FOR UPDATE',
    [storeId, name, file],
  );
  return rows.rows[0] as FileRow;
}

/**
 * Streams an upload's bytes from `offset` into rows of at most CHUNK_BYTES through `insert`,
 * storing only those past `held` (the bytes already stored); returns the size held after it.
 * An offset past `held` is OFFSET_MISMATCH; a byte past `limit` (a report's length) is
 * REPORT_LENGTH_MISMATCH — thrown before the transaction commits, so nothing of it stays.
 */
async function storeBody(options: {
  readonly body: AsyncIterable<Buffer>;
  readonly offset: number;
  readonly held: number;
  readonly limit?: number;
  readonly version?: string | null;
  readonly insert: (at: number, data: Buffer) => Promise<unknown>;
}): Promise<number> {
  const { body, offset, limit } = options;
  let size = options.held;
  if (offset > size) throw offsetMismatch(offset, size, options.version);
  let position = offset;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await options.insert(size, data);
    size += data.length;
  };
  for await (const chunk of body) {
    const end = position + chunk.length;
    if (limit !== undefined && end > limit)
      throw lengthMismatch(`the upload runs past the report's length ${limit} (to byte ${end})`);
    // Only the bytes past what is stored (and past what this upload already queued) are new.
    const storedUpTo = size + pendingBytes;
    if (end > storedUpTo) {
      const fresh = chunk.subarray(Math.max(0, storedUpTo - position));
      pending.push(fresh);
      pendingBytes += fresh.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    position = end;
  }
  await flush();
  return size;
}

function offsetMismatch(offset: number, size: number, version?: string | null): LedgerError {
  return new LedgerError('OFFSET_MISMATCH', `offset ${offset} is past the stored size ${size}`, {
    details: { body: version === undefined ? { size } : { size, version } },
  });
}

function stale(message: string, row: FileRow): LedgerError {
  return new LedgerError('STALE_REPORT_VERSION', message, {
    details: { body: { size: Number(row.size), version: row.version } },
  });
}

function lengthMismatch(message: string): LedgerError {
  return new LedgerError('REPORT_LENGTH_MISMATCH', message);
}
