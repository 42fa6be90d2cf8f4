/**
 * Reading pcapng back for tests, independently of the writer under test: the
 * block structure (big-endian sections only, which is what qmdl-ledger writes),
 * each enhanced packet's timestamp and comment; and tshark, the real dissector.
 */
import { spawn } from 'node:child_process';

export interface PcapngPacket {
  /** Microseconds since the Unix epoch. */
  readonly timeUs: bigint;
  readonly data: Buffer;
  readonly comment?: string;
}

export interface Pcapng {
  readonly options: ReadonlyMap<number, string>;
  readonly linkType: number;
  readonly packets: PcapngPacket[];
}

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;

function options(buf: Buffer, at: number, end: number): Map<number, string> {
  const out = new Map<number, string>();
  while (at + 4 <= end) {
    const code = buf.readUInt16BE(at);
    const length = buf.readUInt16BE(at + 2);
    if (code === 0) break;
    out.set(code, buf.subarray(at + 4, at + 4 + length).toString('utf8'));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return out;
}

export function readPcapng(buf: Buffer): Pcapng {
  if (buf.readUInt32BE(0) !== SHB || buf.readUInt32BE(8) !== 0x1a2b3c4d)
    throw new Error('pcapng: not a big-endian section header');
  let shbOptions = new Map<number, string>();
  let linkType = -1;
  const packets: PcapngPacket[] = [];
  for (let at = 0; at < buf.length;) {
    const type = buf.readUInt32BE(at);
    const length = buf.readUInt32BE(at + 4);
    if (length < 12 || length % 4 !== 0 || at + length > buf.length || buf.readUInt32BE(at + length - 4) !== length)
      throw new Error(`pcapng: bad block at ${at}`);
    const end = at + length - 4;
    if (type === SHB) shbOptions = options(buf, at + 24, end);
    else if (type === IDB) linkType = buf.readUInt16BE(at + 8);
    else if (type === EPB) {
      const timeUs = (BigInt(buf.readUInt32BE(at + 12)) << 32n) | BigInt(buf.readUInt32BE(at + 16));
      const captured = buf.readUInt32BE(at + 20);
      const data = buf.subarray(at + 28, at + 28 + captured);
      const comment = options(buf, at + 28 + Math.ceil(captured / 4) * 4, end).get(1);
      packets.push({ timeUs, data, ...(comment !== undefined ? { comment } : {}) });
    }
    at += length;
  }
  return { options: shbOptions, linkType, packets };
}

/** Runs tshark to completion; rejects if it cannot start. */
function tshark(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Frame numbers tshark flags as malformed or with an expert error; also the number of frames it read. */
export async function tsharkProblems(file: string): Promise<{ frames: number; gsmtap: number; problems: string[] }> {
  const all = await tshark(['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'gsmtap.type']);
  if (all.code !== 0) throw new Error(`tshark -r ${file} exited ${String(all.code)}: ${all.stderr}`);
  const rows = all.stdout.split('\n').filter((l) => l !== '');
  const bad = await tshark([
    '-r',
    file,
    '-Y',
    '_ws.malformed || _ws.expert.severity >= "Error"',
    '-T',
    'fields',
    '-e',
    'frame.number',
    '-e',
    '_ws.col.Info',
  ]);
  if (bad.code !== 0) throw new Error(`tshark -Y exited ${String(bad.code)}: ${bad.stderr}`);
  return {
    frames: rows.length,
    gsmtap: rows.filter((r) => /\t\d+$/.test(r)).length,
    problems: bad.stdout.split('\n').filter((l) => l !== ''),
  };
}
