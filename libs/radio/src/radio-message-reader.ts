import { FrameSplitter, type FrameDamage, type ScannedFrame } from '@ledger/qmdl';
import { decodeDiagAt, diagLogCodeAt, lteRrcLayoutAt } from './decode';
import { SkipReason, type RadioMessage, type UnreadableMessage } from './radio-message';

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

/** The diag skip reasons that mean a message's radio data cannot be read (not merely "no radio form"). */
const UNREADABLE_SKIPS: ReadonlySet<SkipReason> = new Set([
  SkipReason.MESSAGE_TRUNCATED,
  SkipReason.LTE_RRC_UNKNOWN_VERSION,
  SkipReason.LTE_RRC_UNKNOWN_PDU,
]);

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
  /** While `pushAll`/`endAll` run: where unreadable frames go, in stream order with the messages. */
  private unreadable: (RadioMessage | UnreadableMessage)[] | undefined;

  constructor(options: RadioMessageReaderOptions = {}) {
    this.splitter = new FrameSplitter({
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
      onDamage: (damage) => {
        this.framesSeen++;
        this.counters.damagedFrames++;
        if (this.counters.damage.length < MAX_REPORTED_DAMAGE) this.counters.damage.push(damage);
        this.unreadable?.push({
          kind: 'unreadable',
          index: this.framesSeen,
          offset: damage.offset,
          reason: damage.reason,
        });
      },
    });
  }

  /** Feeds the next chunk of raw QMDL bytes; returns the radio messages it completed, in order. */
  push(chunk: Buffer): RadioMessage[] {
    const out: RadioMessage[] = [];
    this.read(chunk, out);
    return out;
  }

  /**
   * `push`, with the frames and messages that could not be read in their
   * places: damaged frames (`FrameDamage` reasons) and log messages cut short or
   * of an unknown LTE RRC layout (`UnreadableReason`), for a consumer that
   * reports them (the analysis).
   */
  pushAll(chunk: Buffer): (RadioMessage | UnreadableMessage)[] {
    const out: (RadioMessage | UnreadableMessage)[] = [];
    this.unreadable = out;
    try {
      this.read(chunk, out);
    } finally {
      this.unreadable = undefined;
    }
    return out;
  }

  private read(chunk: Buffer, out: RadioMessage[] | (RadioMessage | UnreadableMessage)[]): void {
    this.counters.bytesRead += chunk.length;
    // Frames as positions, decoded in place: a view per frame and per header cost more than the decoding.
    this.splitter.scan(chunk, (frame) => {
      const message = this.decode(frame);
      if (message !== undefined) out.push(message);
    });
  }

  /** Ends the stream: a partial last frame is recorded as damage (FRAME_CUT) at its offset. */
  end(): void {
    this.splitter.end();
  }

  /** `end`, returning the partial last frame (FRAME_CUT), or an over-long run the end cut, as an unreadable message. */
  endAll(): UnreadableMessage[] {
    const out: UnreadableMessage[] = [];
    this.unreadable = out;
    try {
      this.splitter.end();
    } finally {
      this.unreadable = undefined;
    }
    return out;
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
    if (this.unreadable !== undefined && UNREADABLE_SKIPS.has(result)) {
      const layout =
        result === SkipReason.MESSAGE_TRUNCATED ? undefined : lteRrcLayoutAt(frame.bytes, frame.start, frame.end);
      this.unreadable.push({
        kind: 'unreadable',
        index: this.framesSeen,
        offset: frame.offset,
        reason: result as UnreadableMessage['reason'],
        ...(layout === undefined ? {} : layout),
      });
    }
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
 * With `unreadable: true`, the frames and messages that could not be read come
 * in their places too (`pushAll`).
 *
 * @example
 * for await (const m of readRadioMessages(openQmdlReadStream(path))) if (m.kind === 'lte-nas') …
 */
export function readRadioMessages(
  source: AsyncIterable<Buffer>,
  options: ReadRadioMessagesOptions & { readonly unreadable: true },
): AsyncGenerator<RadioMessage | UnreadableMessage, void, undefined>;
export function readRadioMessages(
  source: AsyncIterable<Buffer>,
  options?: ReadRadioMessagesOptions,
): AsyncGenerator<RadioMessage, void, undefined>;
export async function* readRadioMessages(
  source: AsyncIterable<Buffer>,
  options: ReadRadioMessagesOptions = {},
): AsyncGenerator<RadioMessage | UnreadableMessage, void, undefined> {
  const reader = new RadioMessageReader(options);
  for await (const chunk of source) yield* options.unreadable === true ? reader.pushAll(chunk) : reader.push(chunk);
  if (options.unreadable === true) yield* reader.endAll();
  else reader.end();
  options.onEnd?.(reader.stats());
}

export interface ReadRadioMessagesOptions extends RadioMessageReaderOptions {
  readonly onEnd?: (stats: RadioReadStats) => void;
  /** Yield the unreadable frames and messages too (`RadioMessageReader.pushAll`). */
  readonly unreadable?: boolean;
}
