import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { LedgerError, type QmdlStoreState } from '@ledger/domain';
import { newDeviceToken, tokenDigest } from './device-tokens';
import { FleetDatabase, isUniqueViolation } from './fleet-database';
import { FLEET_DB } from './fleet-tokens';

/** A store id as the event log makes it (a UUID) — checked before it reaches SQL or a URL. */
export const STORE_ID = /^[A-Za-z0-9-]{1,64}$/;

export function parseStoreId(raw: unknown): string {
  if (typeof raw !== 'string' || !STORE_ID.test(raw))
    throw new LedgerError('INVALID_STORE_ID', 'the store id must be 1-64 letters, digits or dashes');
  return raw;
}

/**
 * Who is shipping: the device token, the store id of the URL, the head the device says it has
 * (`X-Ledger-Head-Seq`) and the committed recording bytes it has not shipped yet (`X-Ledger-Lag-Bytes`).
 */
export interface DeviceRequest {
  readonly token: string | undefined;
  readonly storeId: string;
  readonly reportedHeadSeq?: number;
  readonly reportedLagBytes?: number;
}

/** An enrolled device's row, locked for the caller's transaction. */
export interface DeviceRow {
  readonly id: string;
  readonly label: string;
  readonly store_id: string | null;
  readonly head_seq: string;
  readonly head_hash: string;
  /** The device's projection at its central head (null before the first events). */
  readonly state: QmdlStoreState | null;
}

/** Enrolment and device-token checks (tokens are stored as SHA-256 digests only). */
@Injectable()
export class DevicesService {
  constructor(@Inject(FLEET_DB) private readonly db: FleetDatabase) {}

  /** Enrols a device; returns its token (shown once: only its digest is kept). */
  async enroll(label: string): Promise<{ readonly id: string; readonly token: string }> {
    return enrollDevice(this.db, label);
  }

  /**
   * The device behind `token`, locked (FOR UPDATE) in `client`'s transaction so
   * that one device's shipments are applied one at a time across every central
   * instance. The first shipment binds the token to `storeId`; afterwards the
   * token is refused for any other store id (WRONG_DEVICE), and an unknown token
   * is UNAUTHORIZED. Records when the device was last seen (and the head and lag it reports).
   */
  async authorize(client: PoolClient, request: DeviceRequest): Promise<DeviceRow> {
    const { token, storeId } = request;
    if (token === undefined)
      throw new LedgerError(
        'UNAUTHORIZED',
        'the fleet ingest API needs a device token (Authorization: Bearer <token>)',
      );
    // One round trip: the UPDATE locks the row (as FOR UPDATE would) and records the visit; a refusal
    // below rolls the visit back with the transaction.
    const rows = (
      await client.query<DeviceRow>(
        `UPDATE fleet_devices SET last_seen = now(), reported_head_seq = coalesce($2, reported_head_seq),
                reported_lag_bytes = coalesce($3, reported_lag_bytes)
          WHERE token_hash = $1
      RETURNING id, label, store_id, head_seq, head_hash, state`,
        [tokenDigest(token), request.reportedHeadSeq ?? null, request.reportedLagBytes ?? null],
      )
    ).rows;
    const device = rows[0];
    if (device === undefined) throw new LedgerError('UNAUTHORIZED', 'unknown device token');
    if (device.store_id !== null && device.store_id !== storeId)
      throw new LedgerError('WRONG_DEVICE', 'this device token belongs to another store');
    if (device.store_id === storeId) return device;
    try {
      await client.query('UPDATE fleet_devices SET store_id = $2, bound_at = now() WHERE id = $1', [
        device.id,
        storeId,
      ]);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new LedgerError('WRONG_DEVICE', 'another device token is already bound to this store', { cause: error });
      throw error;
    }
    return { ...device, store_id: storeId };
  }
}

/** `qmdl-ledger fleet enroll` and the service share this. */
export async function enrollDevice(
  db: FleetDatabase,
  label: string,
): Promise<{ readonly id: string; readonly token: string }> {
  if (label.trim() === '' || label.length > 200)
    throw new LedgerError('INVALID_LABEL', 'the label must be 1-200 characters');
  const token = newDeviceToken();
  const rows = await db.query<{ id: string }>(
    'INSERT INTO fleet_devices (label, token_hash) VALUES ($1, $2) RETURNING id',
    [label.trim(), tokenDigest(token)],
  );
  return { id: rows[0]?.id ?? '', token };
}
