/**
 * A device restored from an old backup, end to end with every part real: a
 * private PostgreSQL cluster, a `fleet` process and `serve` processes (a
 * synthetic source, LevelDB on disk) shipping with `--ship-to`. The device
 * ships, stops, and its data directory is copied (the backup); it runs again
 * and ships past the backup's head, stops, and its data directory is replaced
 * by the backup. Started again on it with the same token, the device's
 * history forks from the central one: the device stops shipping (`forked`,
 * CHAIN_FORKED), the fleet view shows it forked, and the central events are
 * the ones held before the restore, byte for byte — nothing merged. The same
 * holds for a restored device that records past the central head while the
 * fleet service is down (it finds the fork in its own log when it is back).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startPostgres, type PgCluster } from './helpers/postgres';
import {
  eventually,
  request,
  runCli,
  spawnServer,
  spawnService,
  stopServer,
  tempDirs,
  type SpawnedServer,
} from './helpers/server';
import { shippingDeviceArgs } from './helpers/fleet-device';

jest.setTimeout(600_000);

const WAIT = 240_000;

interface Shipping {
  state: string;
  shippedSeq: number;
  headSeq: number;
  lastError?: { code: string; message?: string };
}

interface DeviceRow {
  storeId: string;
  chain: string;
  fork?: { seq: number; count: number };
}

describe('fleet: a device restored from an old backup is shown forked, never merged (real PostgreSQL, fleet and serve)', () => {
  const temp = tempDirs();
  let pg: PgCluster;
  let central: SpawnedServer;
  let device: SpawnedServer | undefined;
  let db: string;
  let token: string;

  beforeAll(async () => {
    pg = await startPostgres();
    db = await pg.createDatabase();
    central = await spawnService('fleet', ['--db', db]);
  });

  afterAll(async () => {
    await stopServer(device);
    await stopServer(central);
    await pg?.stop();
    temp.removeAll();
  });

  const start = (dataDir: string): Promise<SpawnedServer> =>
    spawnServer(shippingDeviceArgs({ dataDir, shipTo: central.baseUrl, token }));
  const shipping = async (): Promise<Shipping> =>
    (await request(device?.baseUrl ?? '', '/api/shipping')).json<Shipping>();
  const stop = async (): Promise<void> => {
    await stopServer(device);
    device = undefined;
  };
  /** Waits until the device has shipped at least up to `seq` (and at least one event). */
  const shippedPast = (seq: number): Promise<Shipping> =>
    eventually(
      async () => {
        const s = await shipping();
        return s.shippedSeq > seq && s.state !== 'forked' ? s : undefined;
      },
      WAIT,
      100,
    );

  test.each([
    ['online', false],
    ['down while the restored device records past the central head', true],
  ])(
    'the fleet service %s: the restored device stops shipping (forked), the fleet view shows the fork, the central events are unchanged',
    async (_, offline) => {
      try {
        await scenario(offline);
      } catch (error) {
        if (device !== undefined) process.stderr.write(`--- device stderr:\n${device.stderr().slice(-4000)}\n`);
        process.stderr.write(`--- central stderr:\n${central.stderr().slice(-4000)}\n`);
        throw error;
      } finally {
        // The next case starts a device of its own.
        await stop();
      }
    },
  );

  async function scenario(offline: boolean): Promise<void> {
    const enrolled = await runCli(['fleet', 'enroll', '--db', db, '--label', 'restored']);
    expect(enrolled.code).toBe(0);
    token = enrolled.stdout.trim();
    const dataDir = path.join(temp.make('qmdl-ledger-restored-'), 'data');
    const backup = path.join(temp.make('qmdl-ledger-backup-'), 'data');

    // First run: some events shipped, then the backup is taken of the stopped device.
    device = await start(dataDir);
    const storeId = (await request(device.baseUrl, '/api/events?order=asc&limit=1')).json<{
      events: Array<{ data: { storeId: string } }>;
    }>().events[0]?.data.storeId as string;
    expect(storeId).toMatch(/\S/);
    await shippedPast(5);
    await stop();
    await fs.cp(dataDir, backup, { recursive: true });

    // Second run on the same directory: the central head moves well past the backup's head.
    device = await start(dataDir);
    // At least the backup's head (and the events this start wrote).
    const backupHead = (await shipping()).headSeq;
    await shippedPast(backupHead + 20);
    await stop();
    const exportCentral = async (): Promise<string> => {
      const res = await request(central.baseUrl, `/api/fleet/devices/${storeId}/events/export`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const before = await exportCentral();
    const centralHead = before.trimEnd().split('\n').length;
    expect(centralHead).toBeGreaterThan(backupHead + 20);
    const listed = async (): Promise<DeviceRow | undefined> =>
      (await request(central.baseUrl, '/api/fleet/devices')).json<DeviceRow[]>().find((d) => d.storeId === storeId);
    expect(await listed()).toMatchObject({ chain: 'ok' });

    // The restore: the backup replaces the data directory, and the device runs on it with the same token.
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.cp(backup, dataDir, { recursive: true });
    const port = new URL(central.baseUrl).port;
    if (offline) await stopServer(central);
    device = await start(dataDir);
    if (offline) {
      // Its own history past the central head, before it can ask the central side.
      await eventually(async () => ((await shipping()).headSeq > centralHead + 5 ? true : undefined), WAIT, 100);
      central = await spawnService('fleet', ['--db', db, '--port', port]);
    }
    const forked = await eventually(
      async () => {
        const s = await shipping();
        return s.state === 'forked' ? s : undefined;
      },
      WAIT,
      100,
    );
    expect(forked.lastError?.code).toBe('CHAIN_FORKED');
    // It records on: a history of its own, past the backup.
    await eventually(async () => ((await shipping()).headSeq > backupHead + 5 ? true : undefined), WAIT, 100);

    // The fleet view shows the device forked, where its history differs; nothing of it was merged.
    const row = await eventually(
      async () => {
        const r = await listed();
        return r?.chain === 'forked' ? r : undefined;
      },
      30_000,
      200,
      // Not shown forked in time: the assertion below says what the row shows instead.
    ).catch(async () => listed());
    expect(row).toMatchObject({ chain: 'forked', fork: { seq: expect.any(Number) as number } });
    expect(row?.fork?.seq).toBeGreaterThan(0);
    expect(row?.fork?.seq).toBeLessThanOrEqual(centralHead);
    expect(await exportCentral()).toBe(before);
    const still = await shipping();
    expect(still.state).toBe('forked');
    expect(still.lastError?.code).toBe('CHAIN_FORKED');
  }
});
