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
import { Client } from 'pg';
import { UpcasterRegistry } from '@ledger/event-log';
import { storedZip } from '../apps/qmdl-ledger/src/http/stored-zip';
import { enrollDevice, DevicesService } from '../apps/qmdl-ledger/src/fleet/devices.service';
import { FleetDatabase } from '../apps/qmdl-ledger/src/fleet/fleet-database';
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
    const url = await pg.createDatabase();
    db = await FleetDatabase.open({ url });
    views = new FleetViewsService(db, new UpcasterRegistry());
    data = new RecordingDataService(db, new DevicesService(db));
    const device = await enrollDevice(db, 'report-download');
    token = device.token;
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`UPDATE fleet_devices SET store_id = $2, state = $3, head_seq = 4 WHERE id = $1`, [
        device.id,
        STORE,
        JSON.stringify({ names: { [NAME]: { name: NAME } } }),
      ]);
      for (const [seq, analysisId] of [
        [2, 'analysis-a'],
        [3, 'analysis-b'],
        [4, 'analysis-c'],
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
});
