import { FrameSplitter, type FrameDamage } from '@ledger/qmdl';
import { decodeDiagMessage } from './decode';
import type { RadioMessage, SkipReason } from './radio-message';

/** At most this many damaged stretches are kept with their positions; the rest are only counted. */
export const MAX_REPORTED_DAMAGE = 100;

/** What a reader has seen so far. Plain data: safe to JSON.stringify. */
export interface RadioReadStats {
  /** Raw (decompressed) QMDL bytes read. */
  bytesRead: number;
  /** Valid HDLC frames, i.e. diag messages. */
  messages: number;
  /** Radio messages produced. */
  decoded: number;
  /** Diag messages that gave no radio message, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Log codes counted under LOG_CODE_NOT_CONVERTED, by code (`"0xb0c1"`). */
  notConvertedLogCodes: Record<string, number>;
  /** Damaged stretches of the byte stream (bad CRC or escape, over-long run, cut last frame). */
  damagedFrames: number;
  /** Bytes that were not part of a valid frame. */
  bytesSkipped: number;
  /** The first MAX_REPORTED_DAMAGE damaged stretches, in stream order, with their byte offsets. */
  damage: FrameDamage[];
}

export interface RadioMessageReaderOptions {
  /** Longest accepted HDLC frame (the frame splitter's, default 64 KiB). */
  readonly maxFrameBytes?: number;
}

function hexCode(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}

/**
 * Turns raw QMDL bytes, chunk by chunk, into typed radio messages, in capture
 * order and bounded memory (one partial frame is held between chunks). Damaged
 * frames are skipped with their positions recorded; messages without a radio
 * form are counted by reason. Nothing is fatal.
 *
 * Returned messages' payloads share memory with the pushed chunks: do not
 * modify a chunk after pushing it.
 *
 * @example
 * const reader = new RadioMessageReader();
 * for await (const chunk of openQmdlReadStream(path)) for (const m of reader.push(chunk)) handle(m);
 * reader.end();
 * console.log(reader.stats().skipped);
 */
export class RadioMessageReader {
  private readonly splitter: FrameSplitter;
  private readonly counters: RadioReadStats = {
    bytesRead: 0,
    messages: 0,
    decoded: 0,
    skipped: {},
    notConvertedLogCodes: {},
    damagedFrames: 0,
    bytesSkipped: 0,
    damage: [],
  };
  /** Frames read, valid or damaged: the index of the next message is this plus one. */
  private framesSeen = 0;
  /** Offsets of damage reported during the current push, not yet counted into framesSeen. */
  private unseenDamage: number[] = [];

  constructor(options: RadioMessageReaderOptions = {}) {
    this.splitter = new FrameSplitter({
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
      onDamage: (damage) => {
        this.unseenDamage.push(damage.offset);
        this.counters.damagedFrames++;
        if (this.counters.damage.length < MAX_REPORTED_DAMAGE) this.counters.damage.push(damage);
      },
    });
  }

  /** Feeds the next chunk of raw QMDL bytes; returns the radio messages it completed, in order. */
  push(chunk: Buffer): RadioMessage[] {
    this.counters.bytesRead += chunk.length;
    const out: RadioMessage[] = [];
    const frames = this.splitter.push(chunk);
    let damageAt = 0;
    for (const frame of frames) {
      // Damage reported during this push counts into the index in stream order.
      while (damageAt < this.unseenDamage.length && (this.unseenDamage[damageAt] as number) < frame.offset) damageAt++;
      if (damageAt > 0) {
        this.framesSeen += damageAt;
        this.unseenDamage.splice(0, damageAt);
        damageAt = 0;
      }
      this.framesSeen++;
      this.counters.messages++;
      const outcome = decodeDiagMessage(frame.payload, { index: this.framesSeen, offset: frame.offset });
      if (outcome.message !== undefined) {
        this.counters.decoded++;
        out.push(outcome.message);
      } else {
        this.counters.skipped[outcome.skipped] = (this.counters.skipped[outcome.skipped] ?? 0) + 1;
        if (outcome.skipped === 'LOG_CODE_NOT_CONVERTED' && outcome.logCode !== undefined) {
          const key = hexCode(outcome.logCode);
          this.counters.notConvertedLogCodes[key] = (this.counters.notConvertedLogCodes[key] ?? 0) + 1;
        }
      }
    }
    this.framesSeen += this.unseenDamage.length;
    this.unseenDamage = [];
    return out;
  }

  /** Ends the stream: a partial last frame is recorded as damage (FRAME_CUT) at its offset. */
  end(): void {
    this.splitter.end();
    this.framesSeen += this.unseenDamage.length;
    this.unseenDamage = [];
  }

  /** A snapshot of the counters. */
  stats(): RadioReadStats {
    const c = this.counters;
    return {
      ...c,
      bytesSkipped: this.splitter.stats().bytesSkipped,
      skipped: { ...c.skipped },
      notConvertedLogCodes: { ...c.notConvertedLogCodes },
      damage: [...c.damage],
    };
  }
}

/**
 * The radio messages of a raw QMDL byte stream, as an async iterable (bounded
 * memory: one chunk's messages at a time). `onEnd` receives the final counters.
 *
 * @example
 * for await (const m of readRadioMessages(openQmdlReadStream(path))) if (m.kind === 'lte-nas') …
 */
export async function* readRadioMessages(
  source: AsyncIterable<Buffer>,
  options: RadioMessageReaderOptions & { readonly onEnd?: (stats: RadioReadStats) => void } = {},
): AsyncGenerator<RadioMessage, void, undefined> {
  const reader = new RadioMessageReader(options);
  for await (const chunk of source) yield* reader.push(chunk);
  reader.end();
  options.onEnd?.(reader.stats());
}
