import { Inject, Injectable } from '@nestjs/common';
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

/** Bytes per stored chunk row: what one upload holds in memory at most (plus one socket read). */
const CHUNK_BYTES = 256 * 1024;

/**
 * Stores a recording file's bytes as they arrive, in ordered chunk rows, in one
 * transaction per upload with the file's size row locked. Idempotent by
 * offset: bytes below the stored size are acknowledged and skipped (a resend
 * after a lost answer stores nothing twice); an offset past the stored size is
 * OFFSET_MISMATCH with the size, so the device resumes from there.
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
    },
  ): Promise<{ readonly size: number }> {
    const { storeId, name, file, offset } = options;
    return this.db.transaction(async (client) => {
      const device = await this.devices.authorize(client, options);
      if (device.state?.names[name] === undefined)
        throw new LedgerError(
          'NO_SUCH_RECORDING',
          `recording ${name} is not in the shipped log of this device (ship its events first)`,
        );
      await client.query(
        'INSERT INTO fleet_recording_files (store_id, name, file) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [storeId, name, file],
      );
      const sized = await client.query<{ size: string }>(
        'SELECT size FROM fleet_recording_files WHERE store_id = $1 AND name = $2 AND file = $3 FOR UPDATE',
        [storeId, name, file],
      );
      let size = Number(sized.rows[0]?.size ?? 0);
      if (offset > size)
        throw new LedgerError('OFFSET_MISMATCH', `offset ${offset} is past the stored size ${size}`, {
          details: { body: { size } },
        });
      let position = offset;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const data = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await client.query(
          'INSERT INTO fleet_recording_chunks (store_id, name, file, "offset", data) VALUES ($1, $2, $3, $4, $5)',
          [storeId, name, file, size, data],
        );
        size += data.length;
      };
      for await (const chunk of options.body) {
        const end = position + chunk.length;
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
      await client.query(
        'UPDATE fleet_recording_files SET size = $4, updated_at = now() WHERE store_id = $1 AND name = $2 AND file = $3',
        [storeId, name, file, size],
      );
      if (file === 'analysis') await indexWarnings(client, storeId, name);
      return { size };
    });
  }

  /** The stored size of a file (0 when nothing arrived yet). */
  async size(request: DeviceRequest, name: string, file: RecordingFile): Promise<number> {
    const { storeId } = request;
    return this.db.transaction(async (client) => {
      await this.devices.authorize(client, request);
      const rows = await client.query<{ size: string }>(
        'SELECT size FROM fleet_recording_files WHERE store_id = $1 AND name = $2 AND file = $3',
        [storeId, name, file],
      );
      return Number(rows.rows[0]?.size ?? 0);
    });
  }
}
