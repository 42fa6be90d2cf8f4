import { FrameSplitter, type FrameDamage, type ScannedFrame } from '@ledger/qmdl';
import { decodeDiagAt, diagLogCodeAt } from './decode';
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
  /** Frames read, valid or damaged (the splitter reports both in stream order): the index of the next message is this plus one. */
  private framesSeen = 0;

  constructor(options: RadioMessageReaderOptions = {}) {
    this.splitter = new FrameSplitter({
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
      onDamage: (damage) => {
        this.framesSeen++;
        this.counters.damagedFrames++;
        if (this.counters.damage.length < MAX_REPORTED_DAMAGE) this.counters.damage.push(damage);
      },
    });
  }

  /** Feeds the next chunk of raw QMDL bytes; returns the radio messages it completed, in order. */
  push(chunk: Buffer): RadioMessage[] {
    this.counters.bytesRead += chunk.length;
    const out: RadioMessage[] = [];
    // Frames as positions, decoded in place: a view per frame and per header cost more than the decoding.
    this.splitter.scan(chunk, (frame) => {
      const message = this.decode(frame);
      if (message !== undefined) out.push(message);
    });
    return out;
  }

  /** Ends the stream: a partial last frame is recorded as damage (FRAME_CUT) at its offset. */
  end(): void {
    this.splitter.end();
  }

  private decode(frame: ScannedFrame): RadioMessage | undefined {
    this.framesSeen++;
    this.counters.messages++;
    const result = decodeDiagAt(frame.bytes, frame.start, frame.end, this.framesSeen, frame.offset);
    if (typeof result !== 'string') {
      this.counters.decoded++;
      return result;
    }
    this.counters.skipped[result] = (this.counters.skipped[result] ?? 0) + 1;
    if (result === 'LOG_CODE_NOT_CONVERTED') {
      const logCode = diagLogCodeAt(frame.bytes, frame.start, frame.end);
      if (logCode !== undefined) {
        const key = hexCode(logCode);
        this.counters.notConvertedLogCodes[key] = (this.counters.notConvertedLogCodes[key] ?? 0) + 1;
      }
    }
    return undefined;
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
