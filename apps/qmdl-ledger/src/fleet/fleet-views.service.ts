import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import {
  compact,
  createFold,
  initialState,
  LedgerError,
  type LedgerEvent,
  type QmdlStoreState,
  type StoredEvent,
} from '@ledger/domain';
import { PAGE_LIMIT, type EventPage, type PageOptions, type UpcasterRegistry } from '@ledger/event-log';
import { pageOptions, searchEvents, type EventQuery } from '../http/event-query';
import type { RecordedIdentity } from '../http/system-info';
import { readCentralEvents } from './event-ingest.service';
import { FleetDatabase } from './fleet-database';
import { FLEET_DB, FLEET_UPCASTERS } from './fleet-tokens';

/** One device in the fleet list. */
export interface FleetDeviceSummary {
  readonly storeId: string | null;
  readonly label: string;
  readonly enrolledAt: string;
  readonly head: { readonly seq: number; readonly hash: string };
  /** The head the device reported with its last request, and how many events the central copy lacks of it. */
  readonly deviceHeadSeq: number | null;
  readonly lagEvents: number | null;
  /** Committed recording bytes the device had not shipped yet, as it reported with its last request (`X-Ledger-Lag-Bytes`). */
  readonly lagBytes: number | null;
  readonly lastSeen: string | null;
  /** 'unbound': enrolled, nothing shipped yet; 'forked': a shipment disagreed with the central history. */
  readonly chain: 'ok' | 'forked' | 'unbound';
  readonly activeRecording: string | null;
  readonly recordings: number;
  /** Analysis findings per severity (see `warnings`). */
  readonly warnings: Readonly<Record<string, number>>;
  /** A forked device only: where its history first differed, when, and how many forks were offered. */
  readonly fork?: { readonly seq: number; readonly detectedAt: string; readonly count: number };
}

/** One analysis finding of a device's shipped report. */
export interface FleetWarning {
  readonly storeId: string;
  readonly label: string;
  readonly recording: string;
  /** The report line it is on (line 1 is the metadata). */
  readonly line: number;
  readonly packetTimestamp: string | null;
  readonly severity: string;
  readonly message: string;
  /** Where this finding is in the list: passed as `cursor`, the page after it. Opaque to clients. */
  readonly cursor: string;
}

/**
 * The key the warnings list is ordered and paged by (newest first, every part descending): the
 * packet time in microseconds since the epoch, as PostgreSQL stores it (null: none, listed last),
 * then the finding's primary key. Total, so a page boundary inside a run of equal packet times
 * neither skips nor repeats a finding.
 */
export interface WarningKey {
  readonly micros: string | null;
  readonly storeId: string;
  readonly name: string;
  readonly line: number;
  readonly idx: number;
}

export function encodeWarningCursor(key: WarningKey): string {
  return Buffer.from(JSON.stringify([key.micros, key.storeId, key.name, key.line, key.idx])).toString('base64url');
}

const INT32_MAX = 2 ** 31 - 1;
/** The range of JavaScript's dates, in which every stored packet time is (each passed `Date.parse`). */
const MAX_DATE_MICROS = 8_640_000_000_000_000_000n;
const abs = (n: bigint): bigint => (n < 0n ? -n : n);
const isIndex = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= INT32_MAX;

/** A `cursor` as `encodeWarningCursor` wrote it; anything else is INVALID_QUERY (400), never a query error. */
export function decodeWarningCursor(raw: string): WarningKey {
  let parts: unknown;
  try {
    parts =
      raw.length <= 1024 && /^[A-Za-z0-9_-]+$/.test(raw)
        ? JSON.parse(Buffer.from(raw, 'base64url').toString())
        : undefined;
  } catch {
    parts = undefined;
  }
  if (Array.isArray(parts) && parts.length === 5) {
    const [micros, storeId, name, line, idx] = parts as unknown[];
    const timeOk =
      micros === null ||
      (typeof micros === 'string' && /^-?[0-9]{1,19}$/.test(micros) && abs(BigInt(micros)) <= MAX_DATE_MICROS);
    if (
      timeOk &&
      typeof storeId === 'string' &&
      storeId.length <= 64 &&
      typeof name === 'string' &&
      name.length <= 1024 &&
      isIndex(line) &&
      isIndex(idx)
    )
      return { micros, storeId, name, line, idx };
  }
  throw new LedgerError('INVALID_QUERY', 'cursor must be the cursor of a finding this list returned');
}

/** The first part of the warnings' order, as the `fleet_warnings_page` index has it (schema version 8). */
const WARNING_TIME = "coalesce(w.packet_timestamp, '-infinity'::timestamptz)";

/** Devices per page of the list query (keyset pages over the `(label, id)` index: bounded memory for any fleet). */
const DEVICES_PAGE = 5000;

/** A `timestamp` (UTC, no zone) as `Date.toISOString` writes it: `2026-12-02T06:24:41.759Z` (milliseconds cut, not rounded). */
const isoOf = (column: string): string => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A device is shown forked when a fork is recorded on its row. */
const FORKED = 'forks <> 0 AND fork_seq IS NOT NULL AND fork_at IS NOT NULL';

/**
 * One page of the devices list: one table, as a bare SELECT of it would read it (forks and warnings
 * are summarised on the row), each device as its `FleetDeviceSummary` JSON text, written by
 * PostgreSQL (strings by `to_json`, which escapes as `JSON.stringify` does), with the page's key.
 * Decoding 15 columns of 10,000 rows in the service to encode them again cost more than the query:
 * PostgreSQL writes the text on its own core while the service streams the rows before it out.
 */
const DEVICES_PAGE_SQL = `
  SELECT id, label,
         '{"storeId":' || coalesce(to_json(store_id)::text, 'null') ||
         ',"label":' || to_json(label)::text ||
         ',"enrolledAt":"' || ${isoOf("enrolled_at AT TIME ZONE 'UTC'")} ||
         '","head":{"seq":' || head_seq || ',"hash":' || to_json(head_hash)::text ||
         '},"deviceHeadSeq":' || coalesce(reported_head_seq::text, 'null') ||
         ',"lagEvents":' || CASE WHEN reported_head_seq IS NULL THEN 'null' ELSE greatest(0, reported_head_seq - head_seq)::text END ||
         ',"lagBytes":' || coalesce(reported_lag_bytes::text, 'null') ||
         ',"lastSeen":' || coalesce('"' || ${isoOf("last_seen AT TIME ZONE 'UTC'")} || '"', 'null') ||
         ',"chain":"' || CASE WHEN store_id IS NULL THEN 'unbound' WHEN ${FORKED} THEN 'forked' ELSE 'ok' END ||
         '","activeRecording":' || coalesce(to_json(active_recording)::text, 'null') ||
         ',"recordings":' || recordings ||
         ',"warnings":' || warnings::text ||
         CASE WHEN ${FORKED}
              THEN ',"fork":{"seq":' || fork_seq || ',"detectedAt":"' || ${isoOf("fork_at AT TIME ZONE 'UTC'")} ||
                   '","count":' || forks || '}'
              ELSE '' END ||
         '}'
    FROM fleet_devices
   WHERE $1::text IS NULL OR (label, id) > ($1, $2::bigint)
   ORDER BY label, id
   LIMIT ${DEVICES_PAGE + 1}`;

/** A row of DEVICES_PAGE_SQL: the page's key (id and label, as text) and the device's JSON. */
type DevicePageRow = readonly [id: string, label: string, json: string];

/** The size of the buffers a page of the list is encoded into (written to the response as they are). */
const DEVICES_CHUNK_BYTES = 64 * 1024;

/**
 * One page of the list as UTF-8 (`[` before the first page's first device, `,` between devices),
 * encoded into buffers of DEVICES_CHUNK_BYTES as its rows arrive: no row outlives its encoding, and
 * the page never exists as one string (a 1.5 MB string per page, flattened by `join` and encoded
 * again by the socket, cost more than the rows' text took to read); whether there is a next page
 * and the key to read it from.
 */
async function devicesPage(
  db: FleetDatabase,
  after: DevicePageRow | undefined,
): Promise<{ chunks: Buffer[]; next?: DevicePageRow }> {
  const chunks: Buffer[] = [];
  let chunk = Buffer.allocUnsafe(DEVICES_CHUNK_BYTES);
  let used = 0;
  let rows = 0;
  let last: DevicePageRow | undefined;
  if (after === undefined) used = chunk.write('[');
  await db.eachTextRow(DEVICES_PAGE_SQL, [after?.[1] ?? null, after?.[0] ?? null], 'fleet_devices_page', (raw) => {
    // One more row than a page says whether there is a next one; it is not listed on this one.
    if (++rows > DEVICES_PAGE) return;
    const row = raw as DevicePageRow;
    const text = `${after === undefined && rows === 1 ? '' : ','}${row[2]}`;
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    if (used + text.length * 3 > chunk.length) {
      chunks.push(chunk.subarray(0, used));
      chunk = Buffer.allocUnsafe(Math.max(DEVICES_CHUNK_BYTES, text.length * 3));
      used = 0;
    }
    used += chunk.write(text, used);
    last = row;
  });
  if (used > 0) chunks.push(chunk.subarray(0, used));
  return { chunks, ...(rows > DEVICES_PAGE && last !== undefined ? { next: last } : {}) };
}

/** The fleet's read side: every query a view needs, over the central tables and the device's own projection code. */
@Injectable()
export class FleetViewsService {
  constructor(
    @Inject(FLEET_DB) private readonly db: FleetDatabase,
    @Inject(FLEET_UPCASTERS) private readonly upcasters: UpcasterRegistry,
  ) {}

  /**
   * The devices list (`FleetDeviceSummary` each) as UTF-8 JSON, a page of devices at a time, in label
   * order: written to the response as it is read.
   */
  devicesJson(): AsyncGenerator<Buffer> {
    const db = this.db;
    return (async function* pages() {
      let page = await devicesPage(db, undefined);
      for (;;) {
        // The next page is asked for before this one is written, so PostgreSQL reads it meanwhile.
        const next = page.next === undefined ? undefined : devicesPage(db, page.next);
        // A failed prefetch is raised where it is awaited (below), not as an unhandled rejection.
        next?.catch(() => undefined);
        yield* page.chunks;
        if (next === undefined) break;
        page = await next;
      }
      yield Buffer.from(']');
    })();
  }

  /** The device's projection at its central head, or as it was after `seq` / at `time` (the device's own `?at=` rules). */
  async stateOf(storeId: string, at: { readonly seq?: number; readonly time?: string } = {}): Promise<QmdlStoreState> {
    const rows = await this.db.query<{ head_seq: string; state: QmdlStoreState | null }>(
      'SELECT head_seq, state FROM fleet_devices WHERE store_id = $1',
      [storeId],
    );
    const device = rows[0];
    if (device === undefined) throw new LedgerError('NO_SUCH_DEVICE', `no device has shipped store ${storeId}`);
    const head = Number(device.head_seq);
    const atHead = device.state ?? initialState();
    if (at.seq === undefined && at.time === undefined) return atHead;
    // As on the device: no state after an event that has not happened (a later time gives the head's).
    if (at.seq !== undefined && at.seq > head)
      throw new LedgerError('SEQUENCE_PAST_HEAD', `event ${at.seq} is past the central head of this device (${head})`, {
        details: { seq: at.seq, head },
      });
    if (at.seq !== undefined && at.seq === head) return atHead;
    const untilMs = at.time === undefined ? undefined : Date.parse(at.time);
    const fold = createFold(initialState());
    for await (const event of readCentralEvents(this.db.pool, storeId, { toSeq: at.seq ?? head })) {
      if (untilMs !== undefined && Date.parse(event.time) > untilMs) break;
      fold.apply(this.upcasters.upcast(event) as LedgerEvent);
    }
    return fold.result();
  }

  /**
   * The analysis findings of every device (or one), newest first (by packet time, then by a
   * unique key: see `WarningKey`), optionally of some severities only, of packets `before` a
   * time, after the finding `after` (a page's last `cursor`).
   */
  async warnings(query: {
    readonly severities?: readonly string[];
    readonly storeId?: string;
    readonly limit: number;
    readonly before?: string;
    readonly after?: WarningKey;
  }): Promise<FleetWarning[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.severities !== undefined) where.push(`w.severity = ANY(${param(query.severities)}::text[])`);
    if (query.storeId !== undefined) where.push(`w.store_id = ${param(query.storeId)}`);
    if (query.before !== undefined) where.push(`w.packet_timestamp < ${param(query.before)}`);
    if (query.after !== undefined) {
      const { micros, storeId, name, line, idx } = query.after;
      const us = `${param(micros)}::bigint`;
      // Whole seconds and the microseconds apart: exact, where one product would go through a double.
      where.push(
        `(${WARNING_TIME}, w.store_id, w.name, w.line, w.idx) < (coalesce(timestamptz 'epoch' + (${us} / 1000000) * interval '1 second' + (${us} % 1000000) * interval '1 microsecond', '-infinity'::timestamptz), ${param(storeId)}, ${param(name)}, ${param(line)}::int, ${param(idx)}::int)`,
      );
    }
    const rows = await this.db.query<{
      store_id: string;
      label: string;
      name: string;
      line: number;
      idx: number;
      packet_timestamp: Date | null;
      micros: string | null;
      severity: string;
      message: string;
    }>(
      `SELECT w.store_id, d.label, w.name, w.line, w.idx, w.packet_timestamp,
              (extract(epoch FROM w.packet_timestamp) * 1000000)::bigint::text AS micros, w.severity, w.message
         FROM fleet_warnings w JOIN fleet_devices d ON d.store_id = w.store_id
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${WARNING_TIME} DESC, w.store_id DESC, w.name DESC, w.line DESC, w.idx DESC
        LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map((r) => ({
      storeId: r.store_id,
      label: r.label,
      recording: r.name,
      line: r.line,
      packetTimestamp: r.packet_timestamp?.toISOString() ?? null,
      severity: r.severity,
      message: r.message,
      cursor: encodeWarningCursor({ micros: r.micros, storeId: r.store_id, name: r.name, line: r.line, idx: r.idx }),
    }));
  }

  /**
   * One page of a device's events with the event API's filters and cursors (upcast, as the device
   * serves them); a free-text or severity search scans pages as the device's does (`searchEvents`),
   * so both answer it with the same page.
   */
  async events(storeId: string, query: EventQuery): Promise<{ events: StoredEvent[]; next?: number; head: number }> {
    const head = await this.headSeq(storeId);
    const page = (options: PageOptions): Promise<EventPage> => this.page(storeId, head, options);
    if (query.q !== undefined || query.severity !== undefined) return searchEvents(page, query);
    const { events, next } = await page(pageOptions(query));
    return { events: [...events], ...(next !== undefined ? { next } : {}), head };
  }

  /** One page of a device's stored events, as the event log's `page` reads its own. */
  private async page(storeId: string, head: number, options: PageOptions): Promise<EventPage> {
    const where = ['store_id = $1'];
    const params: unknown[] = [storeId];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (options.types !== undefined) where.push(`type = ANY(${param(options.types)}::text[])`);
    if (options.recording !== undefined) where.push(`recording = ${param(options.recording)}`);
    if (options.actor !== undefined) {
      if (options.actor.startsWith('http:'))
        where.push(`actor = 'http' AND actor_address = ${param(options.actor.slice(5))}`);
      else where.push(`actor = ${param(options.actor)}`);
    }
    if (options.correlationId !== undefined) where.push(`correlation_id = ${param(options.correlationId)}`);
    if (options.since !== undefined) where.push(`time >= ${param(options.since)}`);
    if (options.until !== undefined) where.push(`time < ${param(options.until)}`);
    if (options.after !== undefined) where.push(`seq > ${param(options.after)}`);
    if (options.before !== undefined) where.push(`seq < ${param(options.before)}`);
    const limit = options.limit ?? PAGE_LIMIT.default;
    const rows = await this.db.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM fleet_events WHERE ${where.join(' AND ')} ORDER BY seq ${options.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${param(limit + 1)}`,
      params,
    );
    const events = rows.slice(0, limit).map((r) => this.upcasters.upcast(JSON.parse(r.body) as StoredEvent));
    const last = events[events.length - 1];
    return { events, ...(rows.length > limit && last !== undefined ? { next: last.seq } : {}), head };
  }

  /** A device's stored events exactly as shipped (the device's `export` lines), oldest first, in pages. */
  exportLines(storeId: string): AsyncGenerator<string> {
    const pool = this.db.pool;
    return (async function* lines() {
      let after = 0;
      for (;;) {
        const rows = (
          await pool.query<{ seq: string; body: string }>(
            'SELECT seq, body FROM fleet_events WHERE store_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000',
            [storeId, after],
          )
        ).rows;
        for (const row of rows) yield row.body;
        if (rows.length < 1000) return;
        after = Number(rows[rows.length - 1]?.seq);
      }
    })();
  }

  /**
   * Who recorded the recording, as its `RecordingStarted` (or `RecordingImported`) says: the build,
   * the system, the architecture and the machine (each absent where the log does not record it).
   * Read from the event, not the projection, so a recording the device has since deleted has it too.
   */
  async recordedIdentity(storeId: string, name: string): Promise<RecordedIdentity | undefined> {
    const rows = await this.db.query<{ body: string }>(
      `SELECT body FROM fleet_events WHERE store_id = $1 AND recording = $2 AND type = ANY($3::text[]) ORDER BY seq LIMIT 1`,
      [storeId, name, ['RecordingStarted', 'RecordingImported']],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const event = this.upcasters.upcast(JSON.parse(row.body) as StoredEvent) as LedgerEvent;
    if (event.type !== 'RecordingStarted' && event.type !== 'RecordingImported') return undefined;
    const { rayhunterVersion, systemOs, arch } = event.data;
    const machine = event.type === 'RecordingStarted' ? event.data.machine : undefined;
    return compact({ rayhunterVersion, systemOs, arch, machine });
  }

  async headSeq(storeId: string): Promise<number> {
    const rows = await this.db.query<{ head_seq: string }>('SELECT head_seq FROM fleet_devices WHERE store_id = $1', [
      storeId,
    ]);
    if (rows[0] === undefined) throw new LedgerError('NO_SUCH_DEVICE', `no device has shipped store ${storeId}`);
    return Number(rows[0].head_seq);
  }

  /** The stored size of a recording file (0 when none arrived). */
  async fileSize(storeId: string, name: string, file: string): Promise<number> {
    const rows = await this.db.query<{ size: string }>(
      'SELECT size FROM fleet_recording_files WHERE store_id = $1 AND name = $2 AND file = $3',
      [storeId, name, file],
    );
    return Number(rows[0]?.size ?? 0);
  }

  /**
   * A recording file's stored bytes in order, as a byte stream read `chunkBytes` at a time as its
   * consumer takes them: one query per slice (of the chunk row holding the next byte), run only
   * when the stream's buffer (one slice) has room, and no connection held between them — so a
   * download holds about one slice in flight and one buffered, whatever the file's size or the
   * size of its chunk rows, and a client that stops reading stops the reads.
   *
   * The stream is one version of the file: the first slice's statement also reads the file's
   * version (`version_seq`, which a newer analysis report moved into place changes) and size, the
   * stream ends at that size, and every later slice's statement reads its bytes only while the
   * file row still has that version — in the same statement, so from the same snapshot as the
   * bytes. A file replaced between two slices fails the stream with REPORT_REPLACED (a download
   * is cut: its client gets an incomplete file, never the start of one version and the rest of
   * another). Bytes appended meanwhile (a recording still shipping) are not part of it.
   */
  fileStream(storeId: string, name: string, file: string, chunkBytes: number): Readable {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1)
      throw new TypeError('fileStream: chunkBytes must be a positive integer');
    const pool = this.db.pool;
    const slices = (async function* slices() {
      let version: { seq: string; size: number } | undefined;
      for (let at = 0; version === undefined || at < version.size;) {
        const row = (
          await pool.query<{ version_seq: string; size: string; data: Buffer | null }>(
            `SELECT f.version_seq, f.size, c.data FROM fleet_recording_files f
               LEFT JOIN LATERAL (
                 SELECT substring(data FROM ($4::bigint - "offset")::int + 1 FOR least($5, coalesce($6::bigint, f.size) - $4)::int) AS data
                   FROM fleet_recording_chunks
                  WHERE store_id = f.store_id AND name = f.name AND file = f.file AND "offset" <= $4
                  ORDER BY "offset" DESC LIMIT 1) c ON true
              WHERE f.store_id = $1 AND f.name = $2 AND f.file = $3`,
            [storeId, name, file, at, chunkBytes, version?.size ?? null],
          )
        ).rows[0];
        if (version === undefined) {
          if (row === undefined) return;
          version = { seq: row.version_seq, size: Number(row.size) };
          if (version.size === 0) return;
        } else if (row === undefined || row.version_seq !== version.seq) {
          throw new LedgerError(
            'REPORT_REPLACED',
            `${file} of ${name} (${storeId}) was replaced by a newer version after ${at} of its ${version.size} bytes were read`,
          );
        }
        const data = row.data;
        // The rows are contiguous from offset 0 up to the size, in the snapshot the statement read.
        if (data === null || data.length === 0)
          throw new Error(`${file} of ${name} (${storeId}): no stored bytes at ${at} of ${version.size}`);
        yield data;
        at += data.length;
      }
    })();
    return Readable.from(slices, { objectMode: false, highWaterMark: chunkBytes });
  }
}
