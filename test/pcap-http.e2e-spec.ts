/**
 * `GET /api/pcap/{name}` and the zip's `.pcapng`, against the built binary
 * (`npm run build` first) on real LevelDB and real files: a real third-party
 * capture replayed into a recording and read back by tshark; the served pcap
 * against the CLI's conversion of the downloaded QMDL; GPS comments; the active
 * recording up to its committed size; the original's 404 and 503.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPcapng, tsharkProblems } from './helpers/pcapng';
import {
  analysisQueue,
  eventually,
  MAIN_JS,
  readZip,
  request,
  runCli,
  spawnServer,
  stopServer,
  tempDirs,
  type Manifest,
  type ManifestEntry,
  type SpawnedServer,
} from './helpers/server';
import { replaySample } from './helpers/samples';

jest.setTimeout(120_000);

type Entry = ManifestEntry;

const temp = tempDirs();
const dir = (prefix: string): string => temp.make(prefix);

const manifest = async (base: string): Promise<Manifest> =>
  (await request(base, '/api/qmdl-manifest')).json<Manifest>();

/** HDLC frames in raw QMDL: each ends with the one unescaped 0x7E. */
function frameCount(qmdl: Buffer): number {
  let n = 0;
  for (const byte of qmdl) if (byte === 0x7e) n++;
  return n;
}

afterAll(() => temp.removeAll());

it('is built', () => {
  expect(existsSync(MAIN_JS)).toBe(true);
});

describe('a real capture replayed into a recording', () => {
  let server: SpawnedServer | undefined;
  let base = '';
  let name = '';
  const work = dir('qmdl-ledger-pcap-');

  beforeAll(async () => {
    ({ server, recording: name } = await replaySample('attach-2020-lte', work));
    base = server.baseUrl;
    // The zip's .ndjson is compared with the served report: wait until the analysis reactor has written it.
    await eventually(async () => ((await analysisQueue(base)).finished.includes(name) ? true : undefined), 60_000, 100);
  });
  afterAll(() => stopServer(server));

  it('serves a pcapng that tshark reads with no malformed packet and no expert error, every message of the capture a GSMTAP packet', async () => {
    const res = await request(base, `/api/pcap/${name}.pcapng`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${name}.pcapng"`);
    const file = path.join(work, 'served.pcapng');
    writeFileSync(file, res.body);
    const { frames, gsmtap, problems } = await tsharkProblems(file);
    expect(problems).toEqual([]);
    // The sample's README: 3,044 LTE RRC OTA + 161 + 141 + 135 + 102 plain NAS messages.
    expect(frames).toBe(3044 + 161 + 141 + 135 + 102);
    expect(gsmtap).toBe(frames);
  });

  it('writes the section header of the machine that recorded it (here this one): machine, "<sysname> <release>", "qmdl-ledger <version>"', async () => {
    const pcap = readPcapng((await request(base, `/api/pcap/${name}`)).body);
    const version = (JSON.parse(readFileSync(path.join(__dirname, '../package.json'), 'utf8')) as { version: string })
      .version;
    expect(pcap.options.get(2)).toBe(os.machine());
    expect(pcap.options.get(3)).toBe(`${os.type()} ${os.release()}`);
    expect(pcap.options.get(4)).toBe(`qmdl-ledger ${version}`);
    expect(pcap.linkType).toBe(228);
  });

  it('serves the same pcap as the CLI makes of the downloaded QMDL', async () => {
    const qmdl = path.join(work, `${name}.qmdl`);
    writeFileSync(qmdl, (await request(base, `/api/qmdl/${name}.qmdl`)).body);
    const out = path.join(work, 'cli.pcapng');
    const cli = await runCli(['pcap', qmdl, '-o', out], {}, 60_000);
    expect(cli.code).toBe(0);
    expect(readFileSync(out).equals((await request(base, `/api/pcap/${name}`)).body)).toBe(true);
  });

  it("zips .qmdl, .ndjson and .pcapng in the original's order, each the same bytes as its own endpoint", async () => {
    const res = await request(base, `/api/zip/${name}.zip`);
    expect(res.status).toBe(200);
    const members = readZip(res.body);
    expect(members.map((m) => m.name)).toEqual([`${name}.qmdl`, `${name}.ndjson`, `${name}.pcapng`]);
    expect(members[0]?.data.equals((await request(base, `/api/qmdl/${name}`)).body)).toBe(true);
    expect(members[1]?.data.equals((await request(base, `/api/analysis-report/${name}`)).body)).toBe(true);
    expect(members[2]?.data.equals((await request(base, `/api/pcap/${name}`)).body)).toBe(true);
  });
});

describe('a live recording with GPS fixes', () => {
  let server: SpawnedServer | undefined;
  let base = '';
  const work = dir('qmdl-ledger-pcap-gps-');

  beforeAll(async () => {
    server = await spawnServer([
      '--data-dir',
      path.join(work, 'data'),
      '--source',
      'synthetic:rate=200',
      '--flush-interval-ms',
      '100',
    ]);
    base = server.baseUrl;
  });
  afterAll(() => stopServer(server));

  /** The newest message time of the active recording, in whole seconds, once it has one. */
  const newestSecond = async (): Promise<number | undefined> => {
    const t = (await manifest(base)).current_entry?.last_message_time;
    return t == null ? undefined : Math.floor(Date.parse(t) / 1000);
  };

  it('serves the active recording up to its committed size', async () => {
    const current = await eventually(async () => {
      const c = (await manifest(base)).current_entry;
      return c !== null && c.qmdl_size_bytes > 0 ? c : undefined;
    }, 30_000);
    const before = frameCount((await request(base, `/api/qmdl/${current.name}`)).body);
    const pcap = readPcapng((await request(base, `/api/pcap/${current.name}`)).body);
    const after = frameCount((await request(base, `/api/qmdl/${current.name}`)).body);
    expect(before).toBeGreaterThan(0);
    expect(pcap.packets.length).toBeGreaterThanOrEqual(before);
    expect(pcap.packets.length).toBeLessThanOrEqual(after);
  });

  it("comments every packet with the fix of the recording nearest its second (ties: the earlier), from the recording's -gps.ndjson", async () => {
    const fixes: Array<[number, number]> = [
      [52.52, 13.405],
      [48.8566, 2.3522],
      [40.4168, -3.7038],
    ];
    for (const [latitude, longitude] of fixes) {
      const at = await eventually(newestSecond, 30_000);
      expect(
        (
          await request(base, '/api/gps', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ latitude, longitude }),
          })
        ).status,
      ).toBe(200);
      // The next fix a few packet-seconds later, so the packets between them have a nearest one to find.
      await eventually(async () => ((await newestSecond()) ?? 0) >= at + 3 || undefined, 30_000);
    }
    const name = (await manifest(base)).current_entry?.name as string;
    expect((await request(base, '/api/stop-recording', { method: 'POST' })).status).toBe(202);
    const members = readZip((await request(base, `/api/zip/${name}`)).body);
    expect(members.map((m) => m.name)).toEqual([
      `${name}.qmdl`,
      `${name}.ndjson`,
      `${name}-gps.ndjson`,
      `${name}.pcapng`,
    ]);
    const stored = (members[2]?.data.toString('utf8') ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { latest_packet_timestamp: number; lat: number; lon: number });
    expect(stored.map((f) => [f.lat, f.lon])).toEqual(fixes);
    expect(stored.every((f) => Number.isInteger(f.latest_packet_timestamp))).toBe(true);
    const pcap = readPcapng(members[3]?.data ?? Buffer.alloc(0));
    expect(pcap.packets.length).toBeGreaterThan(0);
    for (const packet of pcap.packets) {
      const second = Number(packet.timeUs / 1_000_000n);
      let best = stored[0] as (typeof stored)[number];
      for (const f of stored)
        if (Math.abs(f.latest_packet_timestamp - second) < Math.abs(best.latest_packet_timestamp - second)) best = f;
      expect(JSON.parse(packet.comment ?? 'null')).toEqual({
        unix_ts: best.latest_packet_timestamp,
        lat: best.lat,
        lon: best.lon,
      });
    }
    expect(members[3]?.data.equals((await request(base, `/api/pcap/${name}`)).body)).toBe(true);
    // And the CLI, given the zip's QMDL and GPS file, writes the same pcap.
    const qmdl = path.join(work, `${name}.qmdl`);
    const gps = path.join(work, `${name}-gps.ndjson`);
    writeFileSync(qmdl, members[0]?.data ?? Buffer.alloc(0));
    writeFileSync(gps, members[2]?.data ?? Buffer.alloc(0));
    const out = path.join(work, 'cli-gps.pcapng');
    const cli = await runCli(['pcap', qmdl, '-o', out, '--gps', gps], {}, 60_000);
    expect(cli.code).toBe(0);
    expect(readFileSync(out).equals(members[3]?.data ?? Buffer.alloc(0))).toBe(true);
  });
});

describe("the original's errors", () => {
  let server: SpawnedServer | undefined;
  let base = '';

  beforeAll(async () => {
    server = await spawnServer(['--data-dir', path.join(dir('qmdl-ledger-pcap-err-'), 'data'), '--source', 'none']);
    base = server.baseUrl;
  });
  afterAll(() => stopServer(server));

  it('answers 503 "QMDL file is empty" for a recording with no bytes yet, 404 for an unknown one, 400 for a name that is not one', async () => {
    expect((await request(base, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const current = (await manifest(base)).current_entry as Entry;
    expect(current.qmdl_size_bytes).toBe(0);
    for (const p of [`/api/pcap/${current.name}`, `/api/pcap/${current.name}.pcapng`, `/api/zip/${current.name}`]) {
      const res = await request(base, p);
      expect([p, res.status, res.headers['content-type']]).toEqual([p, 503, 'text/plain; charset=utf-8']);
      expect(res.text()).toBe('QMDL file is empty, try again in a bit!');
    }
    for (const p of ['/api/pcap/1', '/api/pcap/1.pcapng'])
      expect([p, (await request(base, p)).status]).toEqual([p, 404]);
    for (const p of ['/api/pcap/abc', '/api/pcap/1.pcap', '/api/pcap/..%2f1'])
      expect([p, (await request(base, p)).status]).toEqual([p, 400]);
  });
});
