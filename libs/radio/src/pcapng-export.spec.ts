import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LOG_CODE_LTE_RRC_OTA } from '@ledger/qmdl';
import type { GpsFix } from './gps';
import { createPcapngExport, type PcapExportStats } from './pcapng-export';
import { RadioMessageReader, readRadioMessages } from './radio-message-reader';
import { logFrame, multiRadioFrame, rrcBody, unreadableFrames } from './testing/capture-builder';
import { readPcapng, unpackGsmtap } from './testing/pcapng-reader';

const SECTION = { hardware: 'x86_64', os: 'Linux 6.1.0', application: 'qmdl-ledger 0.1.0' };
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 0);

/** A capture of n RRC messages 250 ms apart, with 0x7E/0x7D in the payloads (escaping) and every other one wrapped in 0x98. */
function capture(n: number): Buffer {
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const body = rrcBody({
      version: 20,
      pdu: 1 + (i % 2),
      earfcn: 6300,
      sfnSubfn: i * 16,
      payload: Buffer.from([0x7e, 0x7d, i & 0xff]),
    });
    frames.push(
      i % 2 === 0
        ? logFrame(LOG_CODE_LTE_RRC_OTA, body, T0 + i * 250)
        : multiRadioFrame(1, LOG_CODE_LTE_RRC_OTA, body, T0 + i * 250),
    );
  }
  return Buffer.concat(frames);
}

async function exportOf(
  input: Buffer,
  options: { gpsFixes?: Iterable<GpsFix> | AsyncIterable<GpsFix>; chunk?: number } = {},
): Promise<{ out: Buffer; stats: PcapExportStats }> {
  const exp = createPcapngExport({
    ...SECTION,
    ...(options.gpsFixes === undefined ? {} : { gpsFixes: options.gpsFixes }),
  });
  const chunk = options.chunk ?? 97;
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += chunk) pieces.push(input.subarray(at, at + chunk));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    exp.stream,
    new Writable({
      write: (c: Buffer, _e, cb) => {
        out.push(c);
        cb();
      },
    }),
  );
  return { out: Buffer.concat(out), stats: exp.stats() };
}

describe('pcapng export', () => {
  it('writes a section header with hardware, OS and application, one raw-IPv4 interface, and one packet per message', async () => {
    const { out, stats } = await exportOf(capture(10));
    const file = readPcapng(out);
    expect(Object.fromEntries(file.shbOptions)).toEqual({ 2: SECTION.hardware, 3: SECTION.os, 4: SECTION.application });
    expect(file.interfaces).toEqual([{ linkType: 228, snapLen: 65535 }]);
    expect(file.packets).toHaveLength(10);
    expect(stats).toMatchObject({
      converted: 10,
      messages: 10,
      convertedBy: { 'LTE RRC BCCH-BCH': 5, 'LTE RRC BCCH-DL-SCH': 5 },
      bytesWritten: out.length,
    });
  });

  it('leaves an unknown section header option out instead of writing an empty or made-up one', async () => {
    const exp = createPcapngExport({ os: 'Linux 3.18.48' });
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([capture(2)]),
      exp.stream,
      new Writable({
        write: (c: Buffer, _e, cb) => {
          out.push(c);
          cb();
        },
      }),
    );
    const file = readPcapng(Buffer.concat(out));
    expect(Object.fromEntries(file.shbOptions)).toEqual({ 3: 'Linux 3.18.48' });
    expect(file.packets).toHaveLength(2);
    expect(() => createPcapngExport({ hardware: 7 as unknown as string })).toThrow(TypeError);
  });

  it('timestamps each packet with the diag time in microseconds, and sends IPv4/UDP 13337 → 4729 with valid checksums and counting IP ids', async () => {
    const file = readPcapng((await exportOf(capture(6))).out);
    file.packets.forEach((p, i) => {
      expect(p.timeUs).toBe(BigInt(T0 + i * 250) * 1000n);
      expect(p.originalLength).toBe(p.data.length);
      const ip = unpackGsmtap(p.data);
      expect({ ...ip, gsmtap: undefined }).toEqual({
        ipId: i,
        srcPort: 13337,
        dstPort: 4729,
        gsmtap: undefined,
        ipChecksumOk: true,
        udpChecksumOk: true,
      });
      expect([...ip.gsmtap.subarray(0, 4)]).toEqual([2, 4, 0x0d, 0]);
      expect(ip.gsmtap.readUInt16BE(4)).toBe(6300);
      expect(ip.gsmtap.readUInt32BE(8)).toBe(i);
      expect(ip.gsmtap.subarray(16).toString('hex')).toBe(`7e7d${(i & 0xff).toString(16).padStart(2, '0')}`);
    });
  });

  it('writes the same bytes whatever the input chunking', async () => {
    const input = capture(40);
    const whole = (await exportOf(input, { chunk: input.length })).out;
    for (const chunk of [1, 7, 64]) expect((await exportOf(input, { chunk })).out.equals(whole)).toBe(true);
  });

  it('skips, counted, a message too large for one IPv4 datagram and converts the rest', async () => {
    // An EMM log carrying 65,500 NAS bytes: a valid diag log (its length is a u16), but 44 header
    // bytes more make an IPv4 total length past 65,535. It used to throw a RangeError mid-export.
    const nas = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([1, 0, 0, 0]), payload]);
    const largest = 0xffff - 20 - 8 - 16;
    const input = Buffer.concat([
      logFrame(0xb0ec, nas(Buffer.alloc(65_500, 0x41))),
      logFrame(0xb0ec, nas(Buffer.alloc(largest, 0x42))),
      capture(1),
    ]);
    // A pcapng limit, not a decoding one: the message layer still yields all three (the analyzers read them).
    expect(new RadioMessageReader().push(input)).toHaveLength(3);
    const { out, stats } = await exportOf(input);
    const file = readPcapng(out);
    expect(file.packets).toHaveLength(2);
    expect(stats.skipped).toEqual({ PAYLOAD_TOO_LARGE: 1 });
    expect(stats.converted).toBe(2);
    expect(file.packets[0]?.data.readUInt16BE(2)).toBe(0xffff);
  });

  it('is a valid pcapng with only its headers when nothing converts', async () => {
    const { out, stats } = await exportOf(
      Buffer.concat([logFrame(0xb0c1, Buffer.alloc(10)), Buffer.from('not a frame at all')]),
    );
    const file = readPcapng(out);
    expect(file.interfaces).toHaveLength(1);
    expect(file.packets).toHaveLength(0);
    expect(stats.skipped).toEqual({ LOG_CODE_NOT_CONVERTED: 1 });
    expect(stats.notConvertedLogCodes).toEqual({ '0xb0c1': 1 });
    expect(readPcapng((await exportOf(Buffer.alloc(0))).out).interfaces).toHaveLength(1);
  });

  it('converts a corrupted capture around the damage and says where it is', async () => {
    const input = capture(12);
    const frames: number[] = [];
    for (let i = 0; i < input.length; i++) if (input[i] === 0x7e) frames.push(i + 1);
    const broken = Buffer.from(input);
    const fifthStart = frames[3] as number;
    broken[fifthStart + 4] = (broken[fifthStart + 4] as number) ^ 0x01; // the CRC of frame 5 no longer matches
    const { out, stats } = await exportOf(broken);
    expect(readPcapng(out).packets).toHaveLength(11);
    expect(stats.damage).toEqual([
      { offset: fifthStart, length: (frames[4] as number) - fifthStart, reason: 'HDLC_BAD_CRC' },
    ]);
    expect(stats.damagedFrames).toBe(1);
  });

  it('converts a truncated capture up to the cut and reports the cut last frame at its offset', async () => {
    const input = capture(12);
    const cutAt = input.length - 5;
    const lastStart = input.lastIndexOf(0x7e, input.length - 2) + 1;
    const { out, stats } = await exportOf(input.subarray(0, cutAt));
    expect(readPcapng(out).packets).toHaveLength(11);
    expect(stats.damage).toEqual([{ offset: lastStart, length: cutAt - lastStart, reason: 'FRAME_CUT' }]);
  });

  it('goes on after unknown RRC versions and PDU numbers, counting them (the original stopped the whole pcap)', async () => {
    const input = Buffer.concat([
      logFrame(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 10, pdu: 1 })),
      logFrame(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 20, pdu: 3 })),
      capture(3),
    ]);
    const { out, stats } = await exportOf(input);
    expect(readPcapng(out).packets).toHaveLength(3);
    expect(stats.skipped).toEqual({ LTE_RRC_UNKNOWN_VERSION: 1, LTE_RRC_UNKNOWN_PDU: 1 });
  });
});

describe('GPS fixes as packet comments', () => {
  // Packets at T0 + 0, 0.25, …: seconds T0/1000 + 0, 0, 0, 0, 1, 1, 1, 1, 2, …
  const s0 = T0 / 1000;
  const fixes: GpsFix[] = [
    { unixTs: s0 - 10, lat: 1, lon: 2 },
    { unixTs: s0 + 1, lat: 52.5, lon: 13.25 },
    { unixTs: s0 + 3, lat: 48.1, lon: 11.6 },
  ];

  function comments(out: Buffer): Array<string | undefined> {
    return readPcapng(out).packets.map((p) => p.comment);
  }

  it('gives every packet the fix nearest its second, ties to the earlier fix, in the original format', async () => {
    const { out, stats } = await exportOf(capture(20), { gpsFixes: fixes });
    const got = comments(out);
    const c = (f: GpsFix): string =>
      JSON.stringify({ unix_ts: f.unixTs, lat: f.lat, lon: f.lon }).replace(/"lat":1,"lon":2/, '"lat":1.0,"lon":2.0');
    // seconds 0..4: 0 → fix 1 (1 s away; fix 0 is 10 s), 1 → fix 1, 2 → fix 1 (tie 1 s/1 s: earlier), 3 → fix 2, 4 → fix 2
    const expected = Array.from({ length: 20 }, (_, i) => Math.floor(i / 4)).map((sec) =>
      c(sec <= 2 ? (fixes[1] as GpsFix) : (fixes[2] as GpsFix)),
    );
    expect(got).toEqual(expected);
    expect(stats.withGps).toBe(20);
    expect(got[0]).toBe(`{"unix_ts":${s0 + 1},"lat":52.5,"lon":13.25}`);
  });

  it('gives the same comments from a sorted async stream of fixes as from an array', async () => {
    async function* stream(): AsyncGenerator<GpsFix> {
      for (const f of fixes) yield f;
    }
    const fromArray = (await exportOf(capture(20), { gpsFixes: [...fixes].reverse() })).out;
    const fromStream = (await exportOf(capture(20), { gpsFixes: stream() })).out;
    expect(comments(fromStream)).toEqual(comments(fromArray));
  });

  it('reads an async stream of fixes only as far as the packets need (bounded memory for any number of fixes)', async () => {
    let read = 0;
    async function* endless(): AsyncGenerator<GpsFix> {
      for (let i = 0; ; i++) {
        read++;
        yield { unixTs: s0 - 5 + i, lat: i, lon: -i };
      }
    }
    const { out } = await exportOf(capture(8), { gpsFixes: endless() });
    expect(comments(out)[7]).toBe(`{"unix_ts":${s0 + 1},"lat":6.0,"lon":-6.0}`);
    expect(read).toBeLessThan(10);
  });

  it('writes no comments without fixes', async () => {
    expect(comments((await exportOf(capture(3), { gpsFixes: [] })).out)).toEqual([undefined, undefined, undefined]);
  });
});

describe('backpressure', () => {
  it('stops reading its input while nobody reads its output (bounded memory for any capture size)', async () => {
    const chunk = capture(400);
    let pulled = 0;
    const input = new Readable({
      read() {
        pulled++;
        this.push(chunk);
      },
    });
    const exp = createPcapngExport(SECTION);
    input.pipe(exp.stream);
    // Nothing consumes the output: wait until the export stops asking for input.
    let last = -1;
    while (pulled !== last) {
      last = pulled;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(pulled).toBeLessThan(40);
    expect(exp.stream.readableLength).toBeLessThan(2 * 256 * 1024 + 4 * chunk.length);
    input.destroy();
    exp.stream.destroy();
  });
});

describe('readRadioMessages', () => {
  it('yields the messages of a byte stream in order and hands over the final counters', async () => {
    let final: PcapExportStats['skipped'] | undefined;
    const seen: number[] = [];
    const input = Buffer.concat([capture(5), logFrame(0xb0c1, Buffer.alloc(4))]);
    for await (const m of readRadioMessages(Readable.from([input.subarray(0, 50), input.subarray(50)]), {
      onEnd: (s) => (final = s.skipped),
    }))
      seen.push(m.index);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(final).toEqual({ LOG_CODE_NOT_CONVERTED: 1 });
  });
});

describe('RadioMessageReader', () => {
  it('numbers messages by their position among all frames read, damaged ones included, with their offsets', () => {
    const a = logFrame(0xb0ec, Buffer.from([1, 2, 3, 4, 7, 0x41]));
    const bad = Buffer.from(a);
    bad[6] = (bad[6] as number) ^ 0x10;
    const reader = new RadioMessageReader();
    const messages = [...reader.push(Buffer.concat([a, bad])), ...reader.push(a)];
    reader.end();
    expect(messages.map((m) => [m.index, m.offset])).toEqual([
      [1, 0],
      [3, 2 * a.length],
    ]);
    expect(reader.stats()).toMatchObject({
      messages: 2,
      decoded: 2,
      damagedFrames: 1,
      damage: [{ offset: a.length, length: a.length, reason: 'HDLC_BAD_CRC' }],
    });
  });
});

describe('RadioMessageReader.pushAll', () => {
  const good = logFrame(LOG_CODE_LTE_RRC_OTA, rrcBody({ version: 15, pdu: 2 }));
  const { frames, cut } = unreadableFrames(good);
  const input = Buffer.concat([good, ...frames.map((f) => f.bytes), good, cut]);

  it('hands out each unreadable frame or message in its place, numbered among all frames, and a cut last frame at the end', () => {
    const reader = new RadioMessageReader();
    // Small chunks: a frame split over pushes is still one frame, in its place.
    const items = [];
    for (let at = 0; at < input.length; at += 7) items.push(...reader.pushAll(input.subarray(at, at + 7)));
    items.push(...reader.endAll());
    expect(items.map((m) => [m.index, m.kind === 'unreadable' ? m.reason : m.kind])).toEqual([
      [1, 'lte-rrc'],
      ...frames.map((f, i) => [i + 2, f.reason]),
      [frames.length + 2, 'lte-rrc'],
      [frames.length + 3, 'FRAME_CUT'],
    ]);
    expect(items.find((m) => m.kind === 'unreadable' && m.reason === 'LTE_RRC_UNKNOWN_VERSION')).toMatchObject({
      extHeaderVersion: 5,
      pduNum: 2,
    });
    expect(items.find((m) => m.kind === 'unreadable' && m.reason === 'LTE_RRC_UNKNOWN_PDU')).toMatchObject({
      extHeaderVersion: 15,
      pduNum: 3,
    });
    const offsets = items.map((m) => m.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets[1]).toBe(good.length);
  });

  it('push gives the readable messages only, with the same numbers and the same counters', () => {
    const all = new RadioMessageReader();
    const some = new RadioMessageReader();
    const readable = all.pushAll(input).filter((m) => m.kind !== 'unreadable');
    expect(some.push(input)).toEqual(readable);
    expect(all.endAll()).toHaveLength(1);
    some.end();
    expect(some.stats()).toEqual(all.stats());
    expect(all.stats()).toMatchObject({
      damagedFrames: 4,
      skipped: { MESSAGE_TRUNCATED: 1, LTE_RRC_UNKNOWN_VERSION: 1, LTE_RRC_UNKNOWN_PDU: 1 },
    });
  });

  it('readRadioMessages yields them with unreadable: true, and only the readable ones without', async () => {
    const kinds = async (unreadable: boolean): Promise<string[]> => {
      const out: string[] = [];
      for await (const m of readRadioMessages(Readable.from([input]), { unreadable })) out.push(m.kind);
      return out;
    };
    expect(await kinds(true)).toEqual(['lte-rrc', ...frames.map(() => 'unreadable'), 'lte-rrc', 'unreadable']);
    expect(await kinds(false)).toEqual(['lte-rrc', 'lte-rrc']);
  });
});
