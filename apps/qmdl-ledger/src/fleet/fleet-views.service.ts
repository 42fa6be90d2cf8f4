import { Inject, Injectable } from '@nestjs/common';
import {
  createFold,
  initialState,
  LedgerError,
  type LedgerEvent,
  type QmdlStoreState,
  type StoredEvent,
} from '@ledger/domain';
import type { UpcasterRegistry } from '@ledger/event-log';
import type { EventQuery } from '../http/event-query';
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
  readonly lastSeen: string | null;
  /** 'unbound': enrolled, nothing shipped yet; 'forked': a shipment disagreed with the central history. */
  readonly chain: 'ok' | 'forked' | 'unbound';
  readonly fork?: { readonly seq: number; readonly detectedAt: string; readonly count: number };
  readonly activeRecording: string | null;
  readonly recordings: number;
  /** Analysis findings per severity (see `warnings`). */
  readonly warnings: Readonly<Record<string, number>>;
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
}

interface DeviceListRow {
  store_id: string | null;
  label: string;
  enrolled_at: Date;
  head_seq: string;
  head_hash: string;
  reported_head_seq: string | null;
  last_seen: Date | null;
  active_recording: string | null;
  recordings: number;
  fork_seq: string | null;
  fork_at: Date | null;
  forks: string;
  warnings: Record<string, number>;
}

/** The fleet's read side: every query a view needs, over the central tables and the device's own projection code. */
@Injectable()
export class FleetViewsService {
  constructor(
    @Inject(FLEET_DB) private readonly db: FleetDatabase,
    @Inject(FLEET_UPCASTERS) private readonly upcasters: UpcasterRegistry,
  ) {}

  async devices(): Promise<FleetDeviceSummary[]> {
    const rows = await this.db.query<DeviceListRow>(
      // Forks and warnings aggregated once each and joined, not looked up per device.
      `WITH f AS (SELECT store_id, min(seq) AS seq, min(detected_at) AS detected_at, count(*) AS n FROM fleet_forks GROUP BY store_id),
            w AS (SELECT store_id, jsonb_object_agg(severity, n) AS by_severity
                    FROM (SELECT store_id, severity, count(*)::int AS n FROM fleet_warnings GROUP BY store_id, severity) s GROUP BY store_id)
       SELECT d.store_id, d.label, d.enrolled_at, d.head_seq, d.head_hash, d.reported_head_seq, d.last_seen, d.active_recording, d.recordings,
              f.seq AS fork_seq, f.detected_at AS fork_at, coalesce(f.n, 0) AS forks, coalesce(w.by_severity, '{}'::jsonb) AS warnings
         FROM fleet_devices d
         LEFT JOIN f ON f.store_id = d.store_id
         LEFT JOIN w ON w.store_id = d.store_id
        ORDER BY d.label, d.id`,
    );
    return rows.map((r) => ({
      storeId: r.store_id,
      label: r.label,
      enrolledAt: r.enrolled_at.toISOString(),
      head: { seq: Number(r.head_seq), hash: r.head_hash },
      deviceHeadSeq: r.reported_head_seq === null ? null : Number(r.reported_head_seq),
      lagEvents: r.reported_head_seq === null ? null : Math.max(0, Number(r.reported_head_seq) - Number(r.head_seq)),
      lastSeen: r.last_seen?.toISOString() ?? null,
      chain: r.store_id === null ? 'unbound' : Number(r.forks) > 0 ? 'forked' : 'ok',
      ...(Number(r.forks) > 0 && r.fork_at !== null
        ? { fork: { seq: Number(r.fork_seq), detectedAt: r.fork_at.toISOString(), count: Number(r.forks) } }
        : {}),
      activeRecording: r.active_recording,
      recordings: r.recordings,
      warnings: r.warnings,
    }));
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

  /** The analysis findings of every device (or one), newest first (by packet time), optionally of some severities only. */
  async warnings(query: {
    readonly severities?: readonly string[];
    readonly storeId?: string;
    readonly limit: number;
    readonly before?: string;
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
    const rows = await this.db.query<{
      store_id: string;
      label: string;
      name: string;
      line: number;
      packet_timestamp: Date | null;
      severity: string;
      message: string;
    }>(
      `SELECT w.store_id, d.label, w.name, w.line, w.packet_timestamp, w.severity, w.message
         FROM fleet_warnings w JOIN fleet_devices d ON d.store_id = w.store_id
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY w.packet_timestamp DESC NULLS LAST, w.store_id, w.name, w.line DESC, w.idx
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
    }));
  }

  /** One page of a device's events with the event API's filters and cursors (upcast, as the device serves them). */
  async events(storeId: string, query: EventQuery): Promise<{ events: StoredEvent[]; next?: number; head: number }> {
    const head = await this.headSeq(storeId);
    const where = ['store_id = $1'];
    const params: unknown[] = [storeId];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const { filter } = query;
    if (filter.types !== undefined) where.push(`type = ANY(${param(filter.types)}::text[])`);
    if (filter.recording !== undefined) where.push(`recording = ${param(filter.recording)}`);
    if (filter.actor !== undefined) {
      if (filter.actor.startsWith('http:'))
        where.push(`actor = 'http' AND actor_address = ${param(filter.actor.slice(5))}`);
      else where.push(`actor = ${param(filter.actor)}`);
    }
    if (filter.correlationId !== undefined) where.push(`correlation_id = ${param(filter.correlationId)}`);
    if (filter.since !== undefined) where.push(`time >= ${param(filter.since)}`);
    if (filter.until !== undefined) where.push(`time < ${param(filter.until)}`);
    if (query.after !== undefined) where.push(`seq > ${param(query.after)}`);
    if (query.before !== undefined) where.push(`seq < ${param(query.before)}`);
    if (query.q !== undefined) where.push(`body ILIKE ${param(`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    const rows = await this.db.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM fleet_events WHERE ${where.join(' AND ')} ORDER BY seq ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, query.limit).map((r) => this.upcasters.upcast(JSON.parse(r.body) as StoredEvent));
    const last = page[page.length - 1];
    return { events: page, ...(rows.length > query.limit && last !== undefined ? { next: last.seq } : {}), head };
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

  /** A recording file's stored bytes in order, a few chunks at a time (bounded memory for any size). */
  fileChunks(storeId: string, name: string, file: string): AsyncGenerator<Buffer> {
    const pool = this.db.pool;
    return (async function* chunks() {
      let from = 0;
      for (;;) {
        const rows = (
          await pool.query<{ offset: string; data: Buffer }>(
            'SELECT "offset", data FROM fleet_recording_chunks WHERE store_id = $1 AND name = $2 AND file = $3 AND "offset" >= $4 ORDER BY "offset" LIMIT 4',
            [storeId, name, file, from],
          )
        ).rows;
        for (const row of rows) {
          yield row.data;
          from = Number(row.offset) + row.data.length;
        }
        if (rows.length < 4) return;
      }
    })();
  }
}
