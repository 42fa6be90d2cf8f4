import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import {
  createFold,
  GENESIS_HASH,
  initialState,
  LedgerError,
  type LedgerEvent,
  type QmdlStoreState,
  type StoredEvent,
} from '@ledger/domain';
import { hashEvent, type UpcasterRegistry } from '@ledger/event-log';
import { tokenDigest } from './device-tokens';
import { DevicesService, type DeviceRequest, type DeviceRow } from './devices.service';
import { FleetDatabase, isUniqueViolation } from './fleet-database';
import { FLEET_DB, FLEET_UPCASTERS } from './fleet-tokens';
import { type EventColumns, GroupedAppends } from './grouped-appends';
import { KnownHeads } from './known-heads';

/** A device's head on the central side. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** One line of a shipped batch: the event as the device stored it, and its exact text. */
interface ShippedEvent {
  readonly event: StoredEvent;
  readonly line: string;
}

/** At most this many events in one batch (the device ships fewer; bounds one transaction). */
export const MAX_BATCH_EVENTS = 5000;

/**
 * Batches onto known heads: up to four statements in flight (of the pool's connections, the rest
 * left to resends, forks and the views), a statement of at most a batch's bound of events (one
 * transaction stays bounded) and 8 MiB of JSON.
 */
const GROUPED_APPENDS = { concurrency: 4, maxBatches: 64, maxEvents: MAX_BATCH_EVENTS, maxBytes: 8 * 1024 * 1024 };

/** The projections an instance keeps of the devices it appended for last (JSON bytes; see KnownHeads). */
const KNOWN_HEADS_BYTES = 64 * 1024 * 1024;

function chainMismatch(head: ChainHead, message: string, extra: Record<string, unknown> = {}): LedgerError {
  return new LedgerError('CHAIN_MISMATCH', message, { details: { body: { head, ...extra } } });
}

/**
 * Parses and checks a batch on its own, before any database work: every line
 * an event envelope, sequences consecutive, every hash recomputed with the
 * event log's own canonical encoding (`hashEvent`), every `prev` the previous
 * line's hash. A failure refuses the whole batch (nothing of it is stored).
 */
export function parseBatch(text: string): ShippedEvent[] {
  const shipped: ShippedEvent[] = [];
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo += 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    if (shipped.length >= MAX_BATCH_EVENTS)
      throw new LedgerError('PAYLOAD_TOO_LARGE', `a batch holds at most ${MAX_BATCH_EVENTS} events`);
    let event: StoredEvent;
    try {
      event = JSON.parse(line) as StoredEvent;
    } catch {
      throw new LedgerError('INVALID_EVENT_BATCH', `line ${lineNo} is not JSON`);
    }
    if (
      event === null ||
      typeof event !== 'object' ||
      !Number.isSafeInteger(event.seq) ||
      event.seq < 1 ||
      typeof event.hash !== 'string' ||
      typeof event.prev !== 'string' ||
      typeof event.type !== 'string' ||
      typeof event.time !== 'string' ||
      event.metadata === null ||
      typeof event.metadata !== 'object' ||
      typeof event.metadata.correlationId !== 'string' ||
      event.metadata.actor === null ||
      typeof event.metadata.actor !== 'object'
    ) {
      throw new LedgerError('INVALID_EVENT_BATCH', `line ${lineNo} is not a stored event envelope`);
    }
    const previous = shipped[shipped.length - 1]?.event;
    if (previous !== undefined && event.seq !== previous.seq + 1)
      throw new LedgerError('INVALID_EVENT_BATCH', `line ${lineNo}: seq ${event.seq} does not follow ${previous.seq}`);
    let hash: string;
    try {
      hash = hashEvent(event);
    } catch (error) {
      throw new LedgerError('INVALID_EVENT_BATCH', `line ${lineNo} cannot be canonically encoded`, { cause: error });
    }
    if (hash !== event.hash)
      throw new LedgerError('EVENT_HASH_MISMATCH', `event ${event.seq} does not match its hash`, {
        details: { body: { seq: event.seq } },
      });
    if (previous !== undefined && event.prev !== previous.hash)
      throw new LedgerError(
        'EVENT_HASH_MISMATCH',
        `event ${event.seq} does not link to the hash of event ${previous.seq}`,
        { details: { body: { seq: event.seq } } },
      );
    if (event.seq === 1 && event.prev !== GENESIS_HASH)
      throw new LedgerError('EVENT_HASH_MISMATCH', 'event 1 does not link to the genesis hash', {
        details: { body: { seq: 1 } },
      });
    shipped.push({ event, line });
  }
  return shipped;
}

/**
 * Appends shipped events to a device's central log, exactly once: a batch must
 * extend the head (`seq = head + 1`, `prev = head hash`); the part of a batch
 * already stored is acknowledged again (and not stored twice) when its hashes
 * are the stored ones; a batch whose history differs from the stored one is a
 * fork — recorded (visible in the fleet view), never merged. One transaction,
 * with the device row locked, so several central instances can take one
 * device's shipments at once.
 *
 * The common case — the next batch of a device this instance appended for
 * last — is one statement (`fleet_append_batches`, schema version 7, shared
 * with the other devices' batches waiting at the same time: GroupedAppends):
 * the projection is folded onto the one this instance wrote, and PostgreSQL
 * checks under the row lock that the head is still the one it was folded
 * from. A device's first batch (seq 1 onto an empty log) goes the same way,
 * folded from the initial state onto head 0, binding the token to the store.
 * Anything else (another instance moved the head, a resend, a fork, a
 * refusal) takes the general transaction.
 */
@Injectable()
export class EventIngestService {
  private readonly known = new KnownHeads(KNOWN_HEADS_BYTES);
  private readonly appends: GroupedAppends;

  constructor(
    @Inject(FLEET_DB) private readonly db: FleetDatabase,
    @Inject(FLEET_UPCASTERS) private readonly upcasters: UpcasterRegistry,
    private readonly devices: DevicesService,
  ) {
    this.appends = new GroupedAppends(db, GROUPED_APPENDS);
  }

  async head(request: DeviceRequest): Promise<ChainHead> {
    return this.db.transaction(async (client) => headOf(await this.devices.authorize(client, request)));
  }

  async ingest(request: DeviceRequest, text: string): Promise<{ readonly head: ChainHead; readonly stored: number }> {
    const { storeId } = request;
    const batch = parseBatch(text);
    const appended = await this.appendToKnownHead(request, batch);
    if (appended !== undefined) return appended;
    const first = batch[0]?.event;
    let fork: { seq: number; central: string; offered: string; head: ChainHead } | undefined;
    const result = await this.db.transaction(async (client) => {
      const device = await this.devices.authorize(client, request);
      // After the token check: an unknown token learns nothing about the batch.
      if (
        first?.seq === 1 &&
        first.type === 'StoreCreated' &&
        (first.data as { storeId?: unknown }).storeId !== storeId
      ) {
        throw new LedgerError('STORE_ID_MISMATCH', `event 1 creates another store than ${storeId}`);
      }
      const head = headOf(device);
      if (first === undefined) return { head, stored: 0 };
      if (first.seq > head.seq + 1) {
        throw chainMismatch(
          head,
          `the batch starts at seq ${first.seq}; the central head of this device is ${head.seq}`,
        );
      }
      const overlap = batch.filter((s) => s.event.seq <= head.seq);
      if (overlap.length > 0) {
        const stored = await client.query<{ seq: string; hash: string }>(
          'SELECT seq, hash FROM fleet_events WHERE store_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq',
          [storeId, first.seq, overlap[overlap.length - 1]?.event.seq],
        );
        const hashBySeq = new Map(stored.rows.map((r) => [Number(r.seq), r.hash]));
        for (const { event } of overlap) {
          const central = hashBySeq.get(event.seq);
          if (central !== event.hash) {
            fork = { seq: event.seq, central: central ?? '', offered: event.hash, head };
            return { head, stored: 0 };
          }
        }
      }
      const fresh = batch.slice(overlap.length);
      const start = fresh[0]?.event;
      if (start === undefined) return { head, stored: 0 };
      if (start.prev !== head.hash) {
        fork = { seq: start.seq - 1, central: head.hash, offered: start.prev, head };
        return { head, stored: 0 };
      }
      await client.query(
        `INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, actor_address, correlation_id, body)
         SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], string_to_array($10::text, E'\\n'))`,
        [storeId, ...eventColumns(fresh)],
      );
      const last = fresh[fresh.length - 1]?.event ?? start;
      const newHead = { seq: last.seq, hash: last.hash };
      const state = await this.foldOnto(
        client,
        device,
        fresh.map((s) => s.event),
      );
      const json = JSON.stringify(state);
      await client.query(
        'UPDATE fleet_devices SET head_seq = $2, head_hash = $3, state = $4, active_recording = $5, recordings = $6 WHERE id = $1',
        [device.id, newHead.seq, newHead.hash, json, ...summaryOf(state)],
      );
      return { head: newHead, stored: fresh.length, known: { storeId, ...newHead, state, size: json.length } };
    });
    if (fork !== undefined) {
      const found = fork;
      // The fork and the device row's summary of its forks (the devices list) in one statement.
      await this.db.query(
        `WITH recorded AS (
           INSERT INTO fleet_forks (store_id, seq, central_hash, offered_hash, central_head_seq) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING RETURNING seq, detected_at)
         UPDATE fleet_devices SET forks = forks + 1, fork_seq = least(fork_seq, recorded.seq), fork_at = coalesce(fork_at, recorded.detected_at)
           FROM recorded WHERE store_id = $1`,
        [storeId, found.seq, found.central, found.offered, found.head.seq],
      );
      throw chainMismatch(
        found.head,
        `the history of this device differs from the central copy at seq ${found.seq} (a fork: recorded, not merged)`,
        { fork: { seq: found.seq } },
      );
    }
    if (result.known !== undefined && request.token !== undefined)
      this.known.remember(tokenDigest(request.token), result.known);
    return { head: result.head, stored: result.stored };
  }

  /**
   * One statement for the next batch of a device whose head this instance wrote last, or for a
   * device's first batch (from seq 1 onto the empty log, binding the token to the store on first
   * contact); undefined when that does not apply (nothing written), and the caller takes the
   * general path.
   */
  private async appendToKnownHead(
    request: DeviceRequest,
    batch: readonly ShippedEvent[],
  ): Promise<{ readonly head: ChainHead; readonly stored: number } | undefined> {
    const first = batch[0]?.event;
    const last = batch[batch.length - 1]?.event;
    if (request.token === undefined || first === undefined || last === undefined) return undefined;
    const digest = tokenDigest(request.token);
    const known = first.seq === 1 ? undefined : this.known.get(digest);
    if (first.seq === 1) {
      // Event 1 creating another store is refused by the general path (after the token check).
      if (first.type === 'StoreCreated' && (first.data as { storeId?: unknown }).storeId !== request.storeId)
        return undefined;
    } else if (
      known === undefined ||
      known.storeId !== request.storeId ||
      first.seq !== known.seq + 1 ||
      first.prev !== known.hash
    )
      return undefined;
    const fold = createFold(known?.state ?? initialState());
    for (const { event } of batch) fold.apply(this.upcasters.upcast(event) as LedgerEvent);
    const state = fold.result();
    const json = JSON.stringify(state);
    // Until PostgreSQL has answered, the entry is not to be trusted (a lost answer may or may not have committed).
    this.known.forget(digest);
    const [activeRecording, recordings] = summaryOf(state);
    let appended: boolean;
    try {
      appended = await this.appends.append({
        tokenDigest: digest,
        storeId: request.storeId,
        reportedHeadSeq: request.reportedHeadSeq ?? null,
        reportedLagBytes: request.reportedLagBytes ?? null,
        base: known ?? { seq: 0, hash: GENESIS_HASH },
        head: last,
        columns: eventColumns(batch),
        state: json,
        activeRecording,
        recordings,
      });
    } catch (error) {
      // Another token is bound to this store (or its rows exist): the general path says which.
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    if (!appended) return undefined;
    this.known.remember(digest, { storeId: request.storeId, seq: last.seq, hash: last.hash, state, size: json.length });
    return { head: { seq: last.seq, hash: last.hash }, stored: batch.length };
  }

  /** The device's projection at the new head: the stored one at the old head, with the new events folded in. */
  private async foldOnto(
    client: PoolClient,
    device: DeviceRow,
    events: readonly StoredEvent[],
  ): Promise<QmdlStoreState> {
    const stored = device.state;
    const base = stored !== null && stored.seq === Number(device.head_seq) ? stored : initialState();
    const fold = createFold(base);
    if (base.seq < Number(device.head_seq) && device.store_id !== null) {
      for await (const event of readCentralEvents(client, device.store_id, {
        fromSeq: base.seq + 1,
        toSeq: Number(device.head_seq),
      })) {
        fold.apply(this.upcasters.upcast(event) as LedgerEvent);
      }
    }
    for (const event of events) fold.apply(this.upcasters.upcast(event) as LedgerEvent);
    return fold.result();
  }
}

export function headOf(device: Pick<DeviceRow, 'head_seq' | 'head_hash'>): ChainHead {
  return { seq: Number(device.head_seq), hash: device.head_hash };
}

/** The devices list's columns of a projection: the active recording and the number of recordings. */
function summaryOf(state: QmdlStoreState): [string | null, number] {
  return [state.current?.name ?? null, Object.keys(state.entries).length + (state.current ? 1 : 0)];
}

/** A batch as the columns `fleet_events` is filled from (see EventColumns). */
function eventColumns(shipped: readonly ShippedEvent[]): EventColumns {
  const cols = {
    seq: [] as number[],
    hash: [] as string[],
    type: [] as string[],
    recording: [] as (string | null)[],
    time: [] as string[],
    actor: [] as string[],
    address: [] as (string | null)[],
    correlation: [] as string[],
  };
  let body = '';
  for (const { event, line } of shipped) {
    cols.seq.push(event.seq);
    cols.hash.push(event.hash);
    cols.type.push(event.type);
    cols.recording.push(typeof event.recording === 'string' ? event.recording : null);
    cols.time.push(event.time);
    cols.actor.push(String(event.metadata.actor.kind));
    cols.address.push(event.metadata.actor.kind === 'http' ? event.metadata.actor.remoteAddress : null);
    cols.correlation.push(event.metadata.correlationId);
    body = body === '' ? line : `${body}\n${line}`;
  }
  return [cols.seq, cols.hash, cols.type, cols.recording, cols.time, cols.actor, cols.address, cols.correlation, body];
}

/** Stored events of one device in seq order, read in pages (bounded memory for any log length). */
export async function* readCentralEvents(
  client: Pick<PoolClient, 'query'>,
  storeId: string,
  range: { readonly fromSeq?: number; readonly toSeq?: number } = {},
): AsyncGenerator<StoredEvent> {
  let after = (range.fromSeq ?? 1) - 1;
  const to = range.toSeq ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = (
      await client.query<{ seq: string; body: string }>(
        'SELECT seq, body FROM fleet_events WHERE store_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT 1000',
        [storeId, after, to],
      )
    ).rows;
    for (const row of rows) yield JSON.parse(row.body) as StoredEvent;
    if (rows.length < 1000) return;
    after = Number(rows[rows.length - 1]?.seq);
  }
}
