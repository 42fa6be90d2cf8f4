/**
 * A download of an analysis report never mixes two versions of it, on a real PostgreSQL (a private
 * cluster): the fleet's own RecordingDataService moves a newer version into place while a stream of
 * the fleet's own FleetViewsService.fileStream has read only its first slices (small slices, the
 * stream paused between them), and the rest of that stream is read after the swap committed. The
 * stream fails (REPORT_REPLACED) having given only old bytes; a zip of it fails (its client sees a cut body);
 * a stream started after the swap gives the new version whole.
 *
 * The device and the two shipped completions it names are written as rows (what the upload path
 * reads of them: the token's digest, the projection naming the recording, the completions'
 * analysis ids), so the uploads and the reads are the services' real ones.
 */
import type { Readable } from 'node:stream';
import { Client, type PoolClient } from 'pg';
import { UpcasterRegistry } from '@ledger/event-log';
import { storedZip } from '../apps/qmdl-ledger/src/http/stored-zip';
import { enrollDevice, DevicesService } from '../apps/qmdl-ledger/src/fleet/devices.service';
import { FleetDatabase } from '../apps/qmdl-ledger/src/fleet/fleet-database';
import { FLEET_SCHEMA, migrateFleetSchema } from '../apps/qmdl-ledger/src/fleet/fleet-schema';
import { FleetViewsService } from '../apps/qmdl-ledger/src/fleet/fleet-views.service';
import { RecordingDataService } from '../apps/qmdl-ledger/src/fleet/recording-data.service';
import { startPostgres, type PgCluster } from './helpers/postgres';

jest.setTimeout(180_000);

const STORE = 'report-download-store';
const NAME = '1700000000';
/** Bytes per slice of the streams: a report is many slices. */
const SLICE = 512;
/** Every version the same length, each byte its version's letter: a mix is visible in any byte. */
const LENGTH = 40 * SLICE + 17;

function report(letter: string): Buffer {
  return Buffer.alloc(LENGTH, letter);
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

/** What a stream gives until it ends or fails. */
async function drain(
  iterator: AsyncIterator<unknown>,
  got: Buffer[],
): Promise<{ readonly error?: { readonly code?: unknown } }> {
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return {};
      got.push(next.value as Buffer);
    }
  } catch (error) {
    return { error: error as { code?: unknown } };
  }
}

describe('fleet: a report download is one version of the report, whole or failed (real PostgreSQL)', () => {
  let pg: PgCluster;
  let db: FleetDatabase;
  let views: FleetViewsService;
  let data: RecordingDataService;
  let token: string;
  let url: string;

  const ship = (version: string, bytes: Buffer): Promise<unknown> =>
    data.append({
      token,
      storeId: STORE,
      name: NAME,
      file: 'analysis',
      offset: 0,
      body: once(bytes),
      report: { id: version, length: bytes.length },
    });
  const stream = (): Readable => views.fileStream(STORE, NAME, 'analysis', SLICE);

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    db = await FleetDatabase.open({ url });
    views = new FleetViewsService(db, new UpcasterRegistry());
    data = new RecordingDataService(db, new DevicesService(db));
    const device = await enrollDevice(db, 'report-download');
    token = device.token;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`UPDATE fleet_devices SET store_id = $2, state = $3, head_seq = 5 WHERE id = $1`, [
        device.id,
        STORE,
        JSON.stringify({ names: { [NAME]: { name: NAME } } }),
      ]);
      for (const [seq, analysisId] of [
        [2, 'analysis-a'],
        [3, 'analysis-b'],
        [4, 'analysis-c'],
        [5, 'analysis-d'],
      ] as const) {
        const body = JSON.stringify({ seq, type: 'RecordingAnalysisCompleted', data: { name: NAME, analysisId } });
        await client.query(
          `INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, correlation_id, body)
           VALUES ($1, $2, $3, 'RecordingAnalysisCompleted', $4, '2026-12-02T00:00:00.000Z', 'analysis', 'c', $5)`,
          [STORE, seq, String(seq).repeat(64), NAME, body],
        );
      }
    } finally {
      await client.end();
    }
    await ship('analysis-a', report('a'));
  });

  afterAll(async () => {
    await db?.close();
    await pg?.stop();
  });

  it('a stream read across the swap of a newer version fails with the bytes of the old version only, never a mix', async () => {
    const before = stream();
    const iterator = before[Symbol.asyncIterator]();
    const got: Buffer[] = [];
    // The first slices, then the stream waits (nothing reads it) while the next version is put in place.
    for (let i = 0; i < 2; i++) {
      const next = await iterator.next();
      got.push(next.value as Buffer);
    }
    expect(Buffer.concat(got).toString('latin1')).toBe('a'.repeat(2 * SLICE));
    await ship('analysis-b', report('b'));
    const { error } = await drain(iterator, got);
    const read = Buffer.concat(got);
    // Never a mix: every byte read is the old version's, and the stream fails, saying why (the swap
    // came with most of the report unread).
    expect([...new Set(read.toString('latin1'))]).toEqual(['a']);
    expect(read.length).toBeLessThan(LENGTH);
    expect(error?.code).toBe('REPORT_REPLACED');

    // A stream started after the swap is the new version, whole.
    const after: Buffer[] = [];
    expect(await drain(stream()[Symbol.asyncIterator](), after)).toEqual({});
    expect(Buffer.concat(after).equals(report('b'))).toBe(true);
  });

  it('a zip whose report is replaced mid-download fails (a cut body), never holds a mixed report', async () => {
    const member = stream();
    const warnings: string[] = [];
    const zip = storedZip([{ name: `${NAME}.ndjson`, stream: member }], (message) => warnings.push(message));
    const iterator = zip[Symbol.asyncIterator]();
    const got: Buffer[] = [];
    // The local header and the report's first slices.
    while (Buffer.concat(got).includes(Buffer.alloc(SLICE, 'b')) === false) {
      const next = await iterator.next();
      expect(next.done).not.toBe(true);
      got.push(next.value as Buffer);
    }
    await ship('analysis-c', report('c'));
    const { error } = await drain(iterator, got);
    expect(error?.code).toBe('REPORT_REPLACED');
    expect(Buffer.concat(got).includes(Buffer.alloc(16, 'c'))).toBe(false);
    expect(warnings).toEqual([expect.stringContaining(`reading ${NAME}.ndjson failed`)]);
  });

  it('the staged bytes of a version being received go when the deletion of the recording is shipped; the stored report stays', async () => {
    const half = report('d').subarray(0, LENGTH >> 1);
    await data.append({
      token,
      storeId: STORE,
      name: NAME,
      file: 'analysis',
      offset: 0,
      body: once(half),
      report: { id: 'analysis-d', length: LENGTH },
    });
    const client = new Client({ connectionString: url });
    await client.connect();
    const staged = async (): Promise<{ rows: number; pending: string | null }> => {
      const rows = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM fleet_report_staging WHERE store_id = $1 AND name = $2',
        [STORE, NAME],
      );
      const file = await client.query<{ pending_version: string | null }>(
        `SELECT pending_version FROM fleet_recording_files WHERE store_id = $1 AND name = $2 AND file = 'analysis'`,
        [STORE, NAME],
      );
      return { rows: Number(rows.rows[0]?.n), pending: file.rows[0]?.pending_version ?? null };
    };
    try {
      expect(await staged()).toEqual({ rows: 1, pending: 'analysis-d' });
      // The device deletes the recording (its report with it) and ships the event.
      const body = JSON.stringify({ seq: 6, type: 'RecordingDeleted', recording: NAME, data: { reason: 'user' } });
      await client.query(
        `INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, correlation_id, body)
         VALUES ($1, 6, $2, 'RecordingDeleted', $3, '2026-12-02T00:00:01.000Z', 'user', 'd', $4)`,
        [STORE, '6'.repeat(64), NAME, body],
      );
      expect(await staged()).toEqual({ rows: 0, pending: null });
    } finally {
      await client.end();
    }
    expect(await data.size({ token, storeId: STORE }, NAME, 'analysis', 'analysis-d')).toEqual({
      size: 0,
      version: 'analysis-c',
    });
    const served: Buffer[] = [];
    expect(await drain(stream()[Symbol.asyncIterator](), served)).toEqual({});
    expect(Buffer.concat(served).equals(report('c'))).toBe(true);
  });

  it('staged bytes left by a deletion shipped before schema version 6 are dropped by its migration', async () => {
    const older = await pg.createDatabase();
    const client = new Client({ connectionString: older });
    await client.connect();
    try {
      await migrateFleetSchema(client as unknown as PoolClient, FLEET_SCHEMA.slice(0, 5));
      await client.query(
        `INSERT INTO fleet_recording_files (store_id, name, file, pending_version, pending_seq, pending_length, pending_size)
         VALUES ($1, $2, 'analysis', 'analysis-x', 2, 100, 10), ($1, 'kept', 'analysis', 'analysis-y', 3, 100, 10)`,
        [STORE, NAME],
      );
      await client.query(
        `INSERT INTO fleet_report_staging (store_id, name, "offset", data) VALUES ($1, $2, 0, $3), ($1, 'kept', 0, $3)`,
        [STORE, NAME, Buffer.alloc(10, 'x')],
      );
      await client.query(
        `INSERT INTO fleet_events (store_id, seq, hash, type, recording, time, actor, correlation_id, body)
         VALUES ($1, 4, $2, 'RecordingDeleted', $3, '2026-12-02T00:00:01.000Z', 'user', 'd', '{}')`,
        [STORE, '4'.repeat(64), NAME],
      );
      await (await FleetDatabase.open({ url: older })).close();
      const left = await client.query<{ name: string }>('SELECT name FROM fleet_report_staging ORDER BY name');
      expect(left.rows.map((r) => r.name)).toEqual(['kept']);
      const pending = await client.query<{ name: string; pending_version: string | null; pending_size: string }>(
        'SELECT name, pending_version, pending_size FROM fleet_recording_files ORDER BY name',
      );
      expect(pending.rows).toEqual([
        { name: NAME, pending_version: null, pending_size: '0' },
        { name: 'kept', pending_version: 'analysis-y', pending_size: '10' },
      ]);
    } finally {
      await client.end();
    }
  });
});
