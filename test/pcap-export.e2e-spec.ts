/**
 * The GSMTAP pcapng export on real third-party captures (test/helpers/samples.ts,
 * copied into a temp dir), checked by a real Wireshark dissector (tshark): no
 * malformed packet, no expert error, the packets per type and channel and their
 * order equal an independent scan of the capture, every decoded message name
 * fits its channel, timestamps are the diag times; and the CLI (`qmdl-ledger
 * pcap`) writes what the library writes, converts damaged captures up to the
 * damage and says where.
 *
 * The captures carry a subscriber identity in clear text: nothing here prints a
 * decoded packet — failures name packet numbers only.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { createPcapngExport, decodeDiagMessage, encodeGsmtap, gsmtapOf, type PcapExportStats } from '@ledger/radio';
import { assertBuilt, runCli } from './helpers/cli';
import { countKeys, logFrameByHand, logMessageByHand, scanCapture } from './helpers/diag-scan';
import { assertTshark, dissect, dissectionProblems, tshark } from './helpers/tshark';
import { samplesDir } from './helpers/samples';

jest.setTimeout(180_000);

const CAPTURES = ['attach-2020-lte', 'cmcc-2015-lte-gsm', 'mi10-2020-lte-nr-0x98'];
const SECTION = { hardware: 'test-hw', os: 'TestOS 1.0', application: 'qmdl-ledger test' };

/** What Wireshark may call a message on each channel (decoded names, not "Unknown"). */
const NAMES: Record<string, RegExp> = {
  'RRC:BCCH-BCH': /^MasterInformationBlock/,
  'RRC:BCCH-DL-SCH': /^SystemInformation/,
  'RRC:PCCH': /^Paging/,
  'RRC:DL-CCCH': /^RRCConnection(Setup|Reject|Reestablishment)/,
  'RRC:UL-CCCH': /^RRCConnection(Reestablishment)?Request/,
  'RRC:DL-DCCH':
    /^(DLInformationTransfer|RRCConnectionReconfiguration|RRCConnectionRelease|SecurityModeCommand|UECapabilityEnquiry|UEInformationRequest|MobilityFromEUTRACommand|CounterCheck|HandoverFromEUTRAPreparationRequest|LoggedMeasurementConfiguration)/,
  'RRC:UL-DCCH':
    /^(Measurement|RRCConnection(Reconfiguration|Setup|Reestablishment)Complete|SecurityMode(Complete|Failure)|UECapabilityInformation|ULInformationTransfer|UEInformationResponse|SCGFailureInformation|UEAssistanceInformation|ProximityIndication|ULHandoverPreparationTransfer|CounterCheckResponse|InDeviceCoexIndication|FailureInformation)/,
  'NAS:uplink':
    /^(Attach|Detach|Tracking area update|Service request|Extended service request|Authentication|Security mode|Identity|ESM|PDN|Activate|Deactivate|Modify|Uplink NAS|Bearer resource)/,
  'NAS:downlink':
    /^(Attach|Detach|Tracking area update|Service reject|Authentication|Security mode|Identity|EMM information|ESM|PDN|Activate|Deactivate|Modify|Downlink NAS)/,
  'UM:1': /^\(CCCH\) \(RR\) System Information Type/,
  'UM:2': /^\(CCCH\) \(RR\) (Paging Request|Immediate Assignment)/,
  'UM:8': /\(DTAP\) \((RR|MM|CC)\) [A-Z]/,
  'UM:136': /\((DTAP|CCCH)\) \(RR\) (Measurement Report|System Information Type [56])/,
};

/** PDU numbers of the 8 LTE channels under each known version (as the original daemon maps them). */
const LTE = ['BCCH-BCH', 'BCCH-DL-SCH', 'MCCH', 'PCCH', 'DL-CCCH', 'DL-DCCH', 'UL-CCCH', 'UL-DCCH'];
const pdus = (numbers: number[]): Record<string, number> =>
  Object.fromEntries(LTE.map((c, i) => [c, numbers[i] as number]));
const VERSION_PDUS: Array<[number, Record<string, number>]> = [
  ...[2, 3, 4, 6, 7, 8, 13, 22].map((v): [number, Record<string, number>] => [v, pdus([1, 2, 3, 4, 5, 6, 7, 8])]),
  ...[9, 12].map((v): [number, Record<string, number>] => [v, pdus([8, 9, 10, 11, 12, 13, 14, 15])]),
  ...[14, 15, 16, 20, 24, 25].map((v): [number, Record<string, number>] => [v, pdus([1, 2, 4, 5, 6, 7, 8, 9])]),
  ...[19, 26, 27].map((v): [number, Record<string, number>] => [v, pdus([1, 3, 6, 7, 8, 9, 10, 11])]),
];

/** The body of an LTE RRC OTA log in the layout of `version`, laid out by hand. */
function rrcBodyByHand(version: number, pdu: number, payload: Buffer): Buffer {
  const head = [version, 15, 0, ...(version >= 25 ? [16, 0] : []), 1, 0x2c, 0x01];
  const earfcn = version >= 8 ? [0x14, 0x05, 0, 0] : [0x14, 0x05];
  const tail = [0x49, 0x12, pdu, ...(version >= 5 ? [0, 0, 0, 0] : []), payload.length & 0xff, payload.length >> 8];
  return Buffer.concat([Buffer.from([...head, ...earfcn, ...tail]), payload]);
}

/** The first RRC payload of each channel in a (version 15) capture, found by the independent scan's rules. */
function rrcPayloadsByChannel(bytes: Buffer): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const pduChannel = new Map([
    [1, 'BCCH-BCH'],
    [2, 'BCCH-DL-SCH'],
    [4, 'MCCH'],
    [5, 'PCCH'],
    [6, 'DL-CCCH'],
    [7, 'DL-DCCH'],
    [8, 'UL-CCCH'],
    [9, 'UL-DCCH'],
  ]);
  for (const piece of bytes.toString('latin1').split('~')) {
    const frame = Buffer.from(
      piece.replace(/}([\x5d\x5e])/g, (_m, c: string) => String.fromCharCode(c.charCodeAt(0) ^ 0x20)),
      'latin1',
    );
    if (frame.length < 40 || frame[0] !== 0x10 || frame.readUInt16LE(6) !== 0xb0c0 || frame[16] !== 15) continue;
    const channel = pduChannel.get(frame[16 + 12] as number);
    const length = frame.readUInt16LE(16 + 17);
    if (channel !== undefined && !found.has(channel) && 16 + 19 + length <= frame.length - 2)
      found.set(channel, frame.subarray(16 + 19, 16 + 19 + length));
  }
  return found;
}

let tmp: string;

beforeAll(async () => {
  assertBuilt();
  assertTshark();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'qmdl-ledger-pcap-'));
  for (const name of CAPTURES)
    await fs.copyFile(path.join(samplesDir(), `${name}.qmdl`), path.join(tmp, `${name}.qmdl`));
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

async function exportFile(input: string, output: string): Promise<PcapExportStats> {
  const exp = createPcapngExport(SECTION);
  await pipeline(createReadStream(input, { highWaterMark: 64 * 1024 }), exp.stream, createWriteStream(output));
  return exp.stats();
}

/** Indices (1-based packet numbers) where `ok` is false, for failure messages that show no packet content. */
function failing<T>(items: readonly T[], ok: (item: T, i: number) => boolean): number[] {
  return items.flatMap((item, i) => (ok(item, i) ? [] : [i + 1]));
}

describe.each(CAPTURES)('%s', (name) => {
  let qmdl: string;
  let pcap: string;
  let stats: PcapExportStats;

  beforeAll(async () => {
    qmdl = path.join(tmp, `${name}.qmdl`);
    pcap = path.join(tmp, `${name}.pcapng`);
    stats = await exportFile(qmdl, pcap);
  });

  it('tshark reads the export with no malformed packet and no expert error', () => {
    expect(dissectionProblems(pcap)).toEqual({ malformed: 0, expertErrors: [] });
  });

  it('has one GSMTAP packet per convertible diag message, per type and channel and in capture order, as an independent scan counts them', async () => {
    const scan = scanCapture(await fs.readFile(qmdl));
    const packets = dissect(pcap);
    const expected = scan.packets.map((p) => p.key);
    expect(countKeys(packets.map((p) => p.key))).toEqual(countKeys(expected));
    expect(failing(packets, (p, i) => p.key === expected[i])).toEqual([]);
    expect(packets).toHaveLength(scan.packets.length);
    expect(stats.converted).toBe(scan.packets.length);
    expect(stats.messages).toBe(scan.frames);
    expect(stats.damagedFrames).toBe(scan.badFrames);
  });

  it('timestamps every packet with its diag time to the microsecond', async () => {
    const scan = scanCapture(await fs.readFile(qmdl));
    const packets = dissect(pcap);
    expect(failing(packets, (p, i) => p.timeUs === scan.packets[i]?.timeUs)).toEqual([]);
  });

  it('decodes every message to a name of its channel, in capture order', () => {
    const packets = dissect(pcap);
    expect(failing(packets, (p) => NAMES[p.key]?.test(p.info) === true)).toEqual([]);
  });
});

describe('every 0xB0C0 layout version through Wireshark', () => {
  it('decodes the real RRC PDUs of a capture re-logged under every known version, each on its channel', async () => {
    // One real payload per channel from the attach capture (version 15), re-wrapped by hand in each
    // layout (0–4, 5–7, 8–24, 25+) with that version's PDU number for the channel.
    const scan = scanCapture(await fs.readFile(path.join(tmp, 'attach-2020-lte.qmdl')));
    const payloads = rrcPayloadsByChannel(await fs.readFile(path.join(tmp, 'attach-2020-lte.qmdl')));
    const frames: Buffer[] = [];
    const expected: string[] = [];
    for (const [version, pduOf] of VERSION_PDUS) {
      for (const [channel, payload] of payloads) {
        const pdu = pduOf[channel];
        if (pdu === undefined) continue;
        frames.push(logFrameByHand(0xb0c0, rrcBodyByHand(version, pdu, payload), scan.packets[0]?.timeUs ?? 0n));
        expected.push(`RRC:${channel}`);
      }
    }
    const qmdl = path.join(tmp, 'all-versions.qmdl');
    const pcap = path.join(tmp, 'all-versions.pcapng');
    await fs.writeFile(qmdl, Buffer.concat(frames));
    const stats = await exportFile(qmdl, pcap);
    expect(stats.converted).toBe(expected.length);
    expect(dissectionProblems(pcap)).toEqual({ malformed: 0, expertErrors: [] });
    const packets = dissect(pcap);
    expect(failing(packets, (p, i) => p.key === expected[i])).toEqual([]);
    expect(failing(packets, (p) => NAMES[p.key]?.test(p.info) === true)).toEqual([]);
    expect(packets).toHaveLength(expected.length);
  });

  it('the checks can fail: tshark reports a malformed packet and an expert error for a cut NAS message', async () => {
    const qmdl = path.join(tmp, 'bad-nas.qmdl');
    const pcap = path.join(tmp, 'bad-nas.pcapng');
    // An attach request (EMM 0x41) cut after its message type.
    await fs.writeFile(qmdl, logFrameByHand(0xb0ed, Buffer.from([1, 9, 0, 0, 0x07, 0x41]), 1_600_000_000_000_000n));
    await exportFile(qmdl, pcap);
    const problems = dissectionProblems(pcap);
    expect(problems.malformed).toBe(1);
    expect(problems.expertErrors).toHaveLength(1);
  });
});

describe('LTE MAC random access responses through Wireshark', () => {
  // RACH attempt vectors (the original's tests, from SCAT) with msg1–msg3, and the fields the original parses from them.
  const VECTORS = [
    {
      body: '0101a06906022400010001071BFF98FF000001231A0400181C010007000600465C80BD0648000000',
      rapid: 27,
      ta: 4,
      grant: 72728,
      tcRnti: 6691,
    },
    {
      body: '010100000632380001000100010713ffa0ffeb0000000001ad5a0500000146b412000420061f425dc9be41b400665300001800010000001a050000',
      rapid: 19,
      ta: 5,
      grant: 83636,
      tcRnti: 23213,
    },
  ];

  it("dissect as the RAR of their attempt: Wireshark's MAC-LTE reads the framed payload the export writes", async () => {
    // tshark 4.0 does not hand GSMTAP type 15 to MAC-LTE, so the payloads after the GSMTAP header go in
    // its UDP framing ("mac-lte" + the same context and payload tag), in a classic pcap built by hand.
    const packets = VECTORS.map((v, i) => {
      const log = logMessageByHand(0xb062, Buffer.from(v.body, 'hex'), 1_600_000_000_000_000n + BigInt(i) * 1000n);
      const message = decodeDiagMessage(log, { index: i + 1, offset: 0 }).message;
      if (message === undefined) throw new Error(`vector ${i} did not decode`);
      return Buffer.concat([Buffer.from('mac-lte'), encodeGsmtap(gsmtapOf(message)).subarray(16)]);
    });
    const file = path.join(tmp, 'rar-udp.pcap');
    await fs.writeFile(file, classicPcapOfUdp(packets));
    const fields = tshark([
      '-r',
      file,
      '--enable-heuristic',
      'mac_lte_udp',
      '-T',
      'fields',
      '-e',
      'mac-lte.rar.rapid',
      '-e',
      'mac-lte.rar.ta',
      '-e',
      'mac-lte.rar.ul-grant',
      '-e',
      'mac-lte.rar.temporary-crnti',
    ]);
    expect(
      fields
        .trim()
        .split('\n')
        .map((l) => l.split('\t').map(Number)),
    ).toEqual(VECTORS.map((v) => [v.rapid, v.ta, v.grant, v.tcRnti]));
    expect(dissectionProblems(file).malformed).toBe(0);
  });

  it('export as GSMTAP "LTE MAC framed" packets that tshark reads without errors', async () => {
    const qmdl = path.join(tmp, 'rar.qmdl');
    const pcap = path.join(tmp, 'rar.pcapng');
    await fs.writeFile(
      qmdl,
      Buffer.concat(
        VECTORS.map((v, i) =>
          logFrameByHand(0xb062, Buffer.from(v.body, 'hex'), 1_600_000_000_000_000n + BigInt(i) * 1000n),
        ),
      ),
    );
    const stats = await exportFile(qmdl, pcap);
    expect(stats.convertedBy).toEqual({ 'LTE MAC RAR': 2 });
    expect(dissect(pcap).map((p) => p.key)).toEqual(['type 15', 'type 15']);
    expect(dissectionProblems(pcap)).toEqual({ malformed: 0, expertErrors: [] });
  });
});

/** A classic pcap (raw IPv4) of UDP datagrams 13337 → 9999 on 127.0.0.1. */
function classicPcapOfUdp(payloads: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(228, 20);
  const records = payloads.map((payload, i) => {
    const packet = Buffer.alloc(28 + payload.length);
    packet.writeUInt8(0x45, 0);
    packet.writeUInt16BE(packet.length, 2);
    packet.writeUInt16BE(0x4000, 6);
    packet.writeUInt8(64, 8);
    packet.writeUInt8(17, 9);
    packet.writeUInt32BE(0x7f000001, 12);
    packet.writeUInt32BE(0x7f000001, 16);
    packet.writeUInt16BE(13337, 20);
    packet.writeUInt16BE(9999, 22);
    packet.writeUInt16BE(8 + payload.length, 24);
    payload.copy(packet, 28);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1_600_000_000 + i, 0);
    record.writeUInt32LE(packet.length, 8);
    record.writeUInt32LE(packet.length, 12);
    return Buffer.concat([record, packet]);
  });
  return Buffer.concat([header, ...records]);
}

describe('what the samples hold', () => {
  it('converts all 0xB0C0 of each layout version, the 378 GSM RR frames of cmcc and the 0x98-wrapped messages of mi10', async () => {
    const byKey = async (name: string): Promise<Record<string, number>> =>
      countKeys(
        scanCapture(await fs.readFile(path.join(tmp, `${name}.qmdl`))).packets.map(
          (p) => p.key.split(':')[0] as string,
        ),
      );
    const cmcc = await exportFile(path.join(tmp, 'cmcc-2015-lte-gsm.qmdl'), path.join(tmp, 'cmcc-again.pcapng'));
    const gsm = Object.entries(cmcc.convertedBy)
      .filter(([k]) => k.startsWith('GSM Um'))
      .reduce((n, [, v]) => n + v, 0);
    expect(gsm).toBe(378);
    expect((await byKey('attach-2020-lte')).RRC).toBe(3044);
    expect((await byKey('cmcc-2015-lte-gsm')).RRC).toBe(4343);
    expect((await byKey('mi10-2020-lte-nr-0x98')).RRC).toBe(890);
    const mi10 = await exportFile(path.join(tmp, 'mi10-2020-lte-nr-0x98.qmdl'), path.join(tmp, 'mi10-again.pcapng'));
    expect(mi10.convertedBy['LTE NAS EMM uplink']).toBe(32);
    expect(mi10.convertedBy['LTE NAS EMM downlink']).toBe(22);
  });
});

describe('qmdl-ledger pcap', () => {
  /** The bytes after the section header block (its options name the machine the CLI ran on). */
  function afterSectionHeader(file: Buffer): Buffer {
    return file.subarray(file.readUInt32BE(4));
  }

  it('writes what the library writes, from a plain or a gzip capture (detected by magic, whatever the name)', async () => {
    const gz = path.join(tmp, 'attach.bin');
    await fs.writeFile(gz, zlib.gzipSync(await fs.readFile(path.join(tmp, 'attach-2020-lte.qmdl'))));
    const fromPlain = path.join(tmp, 'cli-plain.pcapng');
    const fromGzip = path.join(tmp, 'cli-gzip.pcapng');
    const plain = await runCli(['pcap', path.join(tmp, 'attach-2020-lte.qmdl'), '-o', fromPlain]);
    const gzip = await runCli(['pcap', gz, '-o', fromGzip, '--json']);
    expect([plain.code, gzip.code]).toEqual([0, 0]);
    const library = afterSectionHeader(await fs.readFile(path.join(tmp, 'attach-2020-lte.pcapng')));
    expect(afterSectionHeader(await fs.readFile(fromPlain)).equals(library)).toBe(true);
    expect(afterSectionHeader(await fs.readFile(fromGzip)).equals(library)).toBe(true);
    const summary = JSON.parse(gzip.stdout) as { stats: PcapExportStats; output: string };
    expect(summary.output).toBe(fromGzip);
    expect(summary.stats).toMatchObject({
      converted: 3583,
      messages: 5058,
      damagedFrames: 0,
      skipped: { LOG_CODE_NOT_CONVERTED: 1475 },
    });
    expect(plain.stdout).toMatch(/3583 packet\(s\) from 5058 diag message\(s\)/);
    expect(plain.stdout).toMatch(/LOG_CODE_NOT_CONVERTED: 1475 \(.*0xb0c1 653/);
    expect(plain.stderr).toBe('');
  });

  it('converts a truncated capture up to the cut and says where it was cut', async () => {
    const whole = await fs.readFile(path.join(tmp, 'mi10-2020-lte-nr-0x98.qmdl'));
    const cutAt = 50_001;
    const lastFlag = whole.lastIndexOf(0x7e, cutAt - 1);
    const cut = path.join(tmp, 'cut.qmdl.gz');
    // A recording cut mid-write: a gzip member with no trailer, its last frame incomplete.
    await fs.writeFile(cut, zlib.gzipSync(whole.subarray(0, cutAt)).subarray(0, -8));
    const out = path.join(tmp, 'cut.pcapng');
    const result = await runCli(['pcap', cut, '-o', out, '--json']);
    expect(result.code).toBe(0);
    const { stats } = JSON.parse(result.stdout) as { stats: PcapExportStats };
    const expected = scanCapture(whole.subarray(0, lastFlag + 1)).packets.length;
    expect(stats.converted).toBe(expected);
    expect(stats.damage.at(-1)).toEqual({ offset: lastFlag + 1, length: cutAt - lastFlag - 1, reason: 'FRAME_CUT' });
    expect(dissectionProblems(out)).toEqual({ malformed: 0, expertErrors: [] });
    expect(dissect(out)).toHaveLength(expected);
    const text = await runCli(['pcap', cut, '-o', path.join(tmp, 'cut-text.pcapng')]);
    expect(text.stdout).toContain(`at byte ${lastFlag + 1}: FRAME_CUT`);
  });

  it('skips corrupted frames, converts everything around them and reports their positions', async () => {
    const bytes = Buffer.from(await fs.readFile(path.join(tmp, 'attach-2020-lte.qmdl')));
    const damagedAt = [100_000, 250_000].map((at) => bytes.indexOf(0x7e, at) + 1);
    for (const start of damagedAt) bytes[start + 3] = (bytes[start + 3] as number) ^ 0xff;
    const file = path.join(tmp, 'corrupt.qmdl');
    await fs.writeFile(file, bytes);
    const out = path.join(tmp, 'corrupt.pcapng');
    const result = await runCli(['pcap', file, '-o', out, '--json']);
    expect(result.code).toBe(0);
    const { stats } = JSON.parse(result.stdout) as { stats: PcapExportStats };
    const scan = scanCapture(bytes);
    expect(scan.badFrames).toBe(2);
    expect(stats.damage.map((d) => d.offset)).toEqual(damagedAt);
    expect(stats.converted).toBe(scan.packets.length);
    expect(dissectionProblems(out)).toEqual({ malformed: 0, expertErrors: [] });
  });

  it('keeps what it converted before corrupt gzip data, says how far it read, and exits 1', async () => {
    const gz = zlib.gzipSync(await fs.readFile(path.join(tmp, 'cmcc-2015-lte-gsm.qmdl')));
    for (let i = 40_000; i < 40_200; i++) gz[i] = 0xaa;
    const file = path.join(tmp, 'bad-gzip.qmdl.gz');
    await fs.writeFile(file, gz);
    const out = path.join(tmp, 'bad-gzip.pcapng');
    const result = await runCli(['pcap', file, '-o', out, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      stats: PcapExportStats;
      readError: { code: string; afterBytes: number };
    };
    expect(report.readError.code).toBe('QMDL_READ_FAILED');
    expect(report.stats.bytesRead).toBe(report.readError.afterBytes);
    expect(result.stderr).toContain(`past byte ${report.readError.afterBytes}`);
    expect(report.stats.converted).toBeGreaterThan(0);
    expect(dissect(out)).toHaveLength(report.stats.converted);
  });

  it('attaches the nearest GPS fix of a -gps.ndjson to every packet', async () => {
    const qmdl = path.join(tmp, 'mi10-2020-lte-nr-0x98.qmdl');
    const firstUs = scanCapture(await fs.readFile(qmdl)).packets[0]?.timeUs ?? 0n;
    const s0 = Number(firstUs / 1_000_000n);
    const gps = path.join(tmp, 'mi10-gps.ndjson');
    await fs.writeFile(
      gps,
      `${JSON.stringify({ latest_packet_timestamp: s0, system_time: s0, lat: 39.9, lon: 116.4 })}\n${JSON.stringify({ latest_packet_timestamp: s0 + 100, system_time: s0 + 100, lat: 40, lon: 116.5 })}\n`,
    );
    const out = path.join(tmp, 'gps.pcapng');
    const result = await runCli(['pcap', qmdl, '-o', out, '--gps', gps, '--json']);
    expect(result.code).toBe(0);
    const { stats } = JSON.parse(result.stdout) as { stats: PcapExportStats };
    expect(stats.withGps).toBe(stats.converted);
    const { tshark } = await import('./helpers/tshark');
    const comments = tshark(['-r', out, '-T', 'fields', '-e', 'frame.comment'])
      .split('\n')
      .filter((l) => l !== '');
    expect(comments[0]).toBe(`{"unix_ts":${s0},"lat":39.9,"lon":116.4}`);
    expect(comments.at(-1)).toBe(`{"unix_ts":${s0 + 100},"lat":40.0,"lon":116.5}`);
  });

  it('refuses to overwrite without --force, exits 2 on bad arguments and 1 on a missing input, leaving no file behind', async () => {
    const existing = path.join(tmp, 'exists.pcapng');
    await fs.writeFile(existing, 'keep me');
    const refused = await runCli(['pcap', path.join(tmp, 'attach-2020-lte.qmdl'), '-o', existing]);
    expect(refused.code).toBe(1);
    expect(await fs.readFile(existing, 'utf8')).toBe('keep me');
    expect((await runCli(['pcap', path.join(tmp, 'attach-2020-lte.qmdl')])).code).toBe(2);
    const missing = await runCli(['pcap', path.join(tmp, 'nope.qmdl'), '-o', path.join(tmp, 'nope.pcapng')]);
    expect(missing.code).toBe(1);
    await expect(fs.access(path.join(tmp, 'nope.pcapng'))).rejects.toThrow();
    expect((await fs.readdir(tmp)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const forced = await runCli(['pcap', path.join(tmp, 'attach-2020-lte.qmdl'), '-o', existing, '--force']);
    expect(forced.code).toBe(0);
  });
});
