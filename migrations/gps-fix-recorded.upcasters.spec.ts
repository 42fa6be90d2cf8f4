import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENT_SCHEMA_VERSIONS, type StoredEvent } from '@ledger/domain';
import { hashEvent, LevelEventLog, type EventLog } from '@ledger/event-log';
import { buildUpcasters } from './index';

const metadata = {
  actor: { kind: 'http' as const, remoteAddress: '127.0.0.1' },
  correlationId: 'c-1',
  bootId: 'b-1',
  appVersion: '0.0.1',
};

describe('GpsFixRecorded v1 → v2 upcaster', () => {
  let location: string;

  beforeEach(async () => {
    location = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'upcaster-')), 'ledger');
  });

  afterEach(async () => {
    await fs.rm(path.dirname(location), { recursive: true, force: true });
  });

  it('the current schema of GpsFixRecorded is v2', () => {
    expect(EVENT_SCHEMA_VERSIONS.GpsFixRecorded).toBe(2);
  });

  it('reads a v1 event stored before the change as v2 (source api); its stored bytes and hash stay as they were; verify passes', async () => {
    // Written as the old code wrote it: v 1, no source.
    const writer = await LevelEventLog.open({ location });
    const time = '2024-06-01T10:00:00.000Z';
    const [v1] = await writer.append([
      {
        type: 'GpsFixRecorded',
        v: 1,
        time,
        systemTime: time,
        data: { lat: 52.5, lon: 13.4, fixTime: '2024-06-01T09:59:59Z' },
        metadata,
      },
      { type: 'GpsFixRecorded', v: 2, time, systemTime: time, data: { lat: 1, lon: 2, source: 'device' }, metadata },
    ]);
    const rawBefore = await storedText(writer, 1);
    await writer.close();

    const log = await LevelEventLog.open({ location, upcasters: buildUpcasters() });
    try {
      const read = (await log.get(1)) as StoredEvent<'GpsFixRecorded', Record<string, unknown>>;
      expect(read.v).toBe(2);
      expect(read.data).toEqual({ lat: 52.5, lon: 13.4, fixTime: '2024-06-01T09:59:59Z', source: 'api' });
      expect(read.hash).toBe(v1!.hash);
      expect(read.prev).toBe(v1!.prev);
      // A v2 event is left as it is.
      expect(((await log.get(2)) as StoredEvent<'GpsFixRecorded', Record<string, unknown>>).data['source']).toBe(
        'device',
      );
      // The stored bytes are untouched and still hash to the chain.
      const raw = await storedText(log, 1);
      expect(raw).toBe(rawBefore);
      const stored = JSON.parse(raw!) as StoredEvent;
      expect(stored.v).toBe(1);
      expect(hashEvent(stored)).toBe(v1!.hash);
      expect((await log.verify()).ok).toBe(true);
      const all: StoredEvent[] = [];
      for await (const event of log.read({ types: ['GpsFixRecorded'] })) all.push(event);
      expect(all.map((e) => e.v)).toEqual([2, 2]);
    } finally {
      await log.close();
    }
  });
});

/** The stored (never upcast) text of one event. */
async function storedText(log: EventLog, seq: number): Promise<string | undefined> {
  for await (const stored of log.readStored({ fromSeq: seq, toSeq: seq })) return stored.text;
  return undefined;
}
