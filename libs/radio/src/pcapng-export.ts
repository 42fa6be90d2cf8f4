import { Transform, type TransformCallback } from 'node:stream';
import { GpsFixMatcher, gpsComment, type GpsFix } from './gps';
import {
  encodeInterfaceDescription,
  encodeSectionHeader,
  enhancedPacketLength,
  MAX_PACKET_BYTES,
  packetLengthOf,
  writeEnhancedPacket,
  type SectionHeaderOptions,
} from './pcapng';
import { RadioMessageReader, type RadioMessageReaderOptions, type RadioReadStats } from './radio-message-reader';
import { SkipReason, type GsmRrChannel, type LteRrcChannel, type RadioMessage } from './radio-message';

export interface PcapngExportOptions extends SectionHeaderOptions, RadioMessageReaderOptions {
  /**
   * The recording's GPS fixes: each packet gets the fix nearest its second as an
   * opt_comment. An array is matched exactly; an async iterable is read forward
   * in bounded memory and must be in ascending time (see GpsFixMatcher).
   */
  readonly gpsFixes?: Iterable<GpsFix> | AsyncIterable<GpsFix>;
}

/** What an export has done so far. Plain data: safe to JSON.stringify. */
export interface PcapExportStats extends RadioReadStats {
  /** Packets written (one per radio message). */
  converted: number;
  /**
   * Packets written by GSMTAP type and channel: `"LTE RRC BCCH-DL-SCH"`,
   * `"LTE NAS EMM uplink"`, `"LTE MAC RAR"`, `"GSM Um CCCH"`, …
   */
  convertedBy: Record<string, number>;
  /** Packets that carry a GPS comment. */
  withGps: number;
  /** pcapng bytes produced (headers included). */
  bytesWritten: number;
}

/** A running export: the transform to pipe raw QMDL bytes through, and its counters. */
export interface PcapngExport {
  readonly stream: Transform;
  stats(): PcapExportStats;
}

// The stats keys, each made once: building a template string per message cost more than the rest of its counting.
const RRC_KEYS = new Map<LteRrcChannel, string>();
const UM_KEYS = new Map<GsmRrChannel, string>();
const NAS_KEYS = {
  emm: { uplink: 'LTE NAS EMM uplink', downlink: 'LTE NAS EMM downlink' },
  esm: { uplink: 'LTE NAS ESM uplink', downlink: 'LTE NAS ESM downlink' },
} as const;

function keyOf<C extends string>(keys: Map<C, string>, prefix: string, channel: C): string {
  let key = keys.get(channel);
  if (key === undefined) {
    key = `${prefix} ${channel}`;
    keys.set(channel, key);
  }
  return key;
}

/** The stats key of a message: its GSMTAP type and channel, as a person reads them. */
export function convertedKey(message: RadioMessage): string {
  switch (message.kind) {
    case 'lte-rrc':
      return keyOf(RRC_KEYS, 'LTE RRC', message.channel);
    case 'lte-nas':
      return NAS_KEYS[message.protocol][message.direction];
    case 'lte-mac-rach-response':
      return 'LTE MAC RAR';
    case 'gsm-rr':
      return keyOf(UM_KEYS, 'GSM Um', message.channel);
    default: {
      const never: never = message;
      return String(never);
    }
  }
}

/**
 * Converts raw (decompressed) QMDL bytes to a GSMTAP pcapng file, as a
 * streaming transform with backpressure: a section header (hardware, OS,
 * application), one raw-IPv4 interface, then one enhanced packet block per
 * radio message, IPv4/UDP 13337 → 4729/GSMTAP v2, timestamped with the diag
 * time in microseconds. Damaged frames and messages without a GSMTAP form are
 * skipped and counted in `stats()`, never fatal; the headers are written even
 * for an empty input, so the output is always a valid pcapng file.
 *
 * @example
 * const exp = createPcapngExport({ hardware: 'x86_64', os: 'Linux 6.1', application: 'qmdl-ledger 0.1.0' });
 * await pipeline(openQmdlReadStream('1700000000.qmdl.gz'), exp.stream, createWriteStream('out.pcapng'));
 * console.log(exp.stats().converted, exp.stats().skipped);
 */
export function createPcapngExport(options: PcapngExportOptions): PcapngExport {
  for (const key of ['hardware', 'os', 'application'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'string')
      throw new TypeError(`createPcapngExport: ${key} must be a string when given`);
  }
  const transform = new PcapngExportTransform(options);
  return { stream: transform, stats: () => transform.stats() };
}

class PcapngExportTransform extends Transform {
  private readonly reader: RadioMessageReader;
  private readonly gps: GpsFixMatcher | undefined;
  private readonly header: Buffer;
  private headerSent = false;
  private ipId = 0;
  private converted = 0;
  /** Packets by stats key, in the order the keys first appeared. */
  private readonly convertedBy = new Map<string, number>();
  private withGps = 0;
  private bytesWritten = 0;
  /** Messages whose packet would exceed one IPv4 datagram: counted as PAYLOAD_TOO_LARGE, not written. */
  private tooLarge = 0;
  /** The comment of the last packet second, reused while the second and its fix stay the same. */
  private lastComment: { second: number; fix: GpsFix; bytes: Buffer } | undefined;

  constructor(options: PcapngExportOptions) {
    super({ readableHighWaterMark: 256 * 1024 });
    this.reader = new RadioMessageReader(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
    this.gps = options.gpsFixes === undefined ? undefined : new GpsFixMatcher(options.gpsFixes);
    this.header = Buffer.concat([encodeSectionHeader(options), encodeInterfaceDescription()]);
  }

  stats(): PcapExportStats {
    const read = this.reader.stats();
    if (this.tooLarge > 0)
      read.skipped[SkipReason.PAYLOAD_TOO_LARGE] = (read.skipped[SkipReason.PAYLOAD_TOO_LARGE] ?? 0) + this.tooLarge;
    return {
      ...read,
      converted: this.converted,
      convertedBy: Object.fromEntries(this.convertedBy),
      withGps: this.withGps,
      bytesWritten: this.bytesWritten,
    };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let messages: RadioMessage[];
    try {
      messages = this.reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    } catch (error) {
      callback(error as Error);
      return;
    }
    const written = this.packets(messages);
    if (written instanceof Promise)
      written.then(
        (out) => callback(null, out),
        (error: unknown) => callback(error as Error),
      );
    else callback(null, written);
  }

  override _flush(callback: TransformCallback): void {
    this.reader.end();
    const header = this.takeHeader();
    const closed = this.gps?.close();
    const done = (): void => callback(null, header.length > 0 ? header : undefined);
    if (closed === undefined) done();
    else closed.then(done, done);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const closed = this.gps?.close();
    if (closed === undefined) callback(error);
    else
      closed.then(
        () => callback(error),
        () => callback(error),
      );
  }

  private takeHeader(): Buffer {
    if (this.headerSent) return Buffer.alloc(0);
    this.headerSent = true;
    this.bytesWritten += this.header.length;
    return this.header;
  }

  /** The pcapng bytes of one chunk's messages; a promise only when GPS fixes must be read first. */
  private packets(messages: RadioMessage[]): Buffer | Promise<Buffer> {
    if (this.gps === undefined) return this.encode(messages, undefined);
    const comments: Array<Buffer | undefined> = [];
    for (let i = 0; i < messages.length; i++) {
      const second = Math.floor((messages[i] as RadioMessage).timeUs / 1_000_000);
      const waiting = this.gps.advance(second);
      if (waiting !== undefined) return this.packetsAfterGps(waiting, messages, i, comments);
      comments.push(this.commentFor(second));
    }
    return this.encode(messages, comments);
  }

  private async packetsAfterGps(
    waiting: Promise<void>,
    messages: RadioMessage[],
    from: number,
    comments: Array<Buffer | undefined>,
  ): Promise<Buffer> {
    await waiting;
    for (let i = from; i < messages.length; i++) {
      const second = Math.floor((messages[i] as RadioMessage).timeUs / 1_000_000);
      await this.gps?.advance(second);
      comments.push(this.commentFor(second));
    }
    return this.encode(messages, comments);
  }

  private commentFor(second: number): Buffer | undefined {
    const fix = this.gps?.nearest(second);
    if (fix === undefined) return undefined;
    const last = this.lastComment;
    if (last !== undefined && last.second === second && last.fix === fix) return last.bytes;
    const bytes = Buffer.from(gpsComment(fix), 'utf8');
    this.lastComment = { second, fix, bytes };
    return bytes;
  }

  /**
   * One buffer with the blocks of every message (and the headers before the
   * first): sized in one pass, written in a second, with no object per packet.
   */
  private encode(messages: RadioMessage[], comments: Array<Buffer | undefined> | undefined): Buffer {
    const header = this.takeHeader();
    let bytes = 0;
    let converted = 0;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as RadioMessage;
      const packetBytes = packetLengthOf(message);
      if (packetBytes > MAX_PACKET_BYTES) {
        this.tooLarge++;
        continue;
      }
      bytes += enhancedPacketLength(packetBytes, comments?.[i]);
      const key = convertedKey(message);
      this.convertedBy.set(key, (this.convertedBy.get(key) ?? 0) + 1);
      converted++;
    }
    this.converted += converted;
    if (header.length + bytes === 0) return header;
    const out = Buffer.allocUnsafe(header.length + bytes);
    let at = header.copy(out, 0);
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as RadioMessage;
      const packetBytes = packetLengthOf(message);
      if (packetBytes > MAX_PACKET_BYTES) continue;
      const comment = comments?.[i];
      if (comment !== undefined) this.withGps++;
      at = writeEnhancedPacket(message, packetBytes, this.ipId, comment, out, at);
      this.ipId = (this.ipId + 1) & 0xffff;
    }
    this.bytesWritten += bytes;
    return out;
  }
}
