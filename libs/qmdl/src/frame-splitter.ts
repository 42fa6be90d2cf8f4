import { HDLC_FLAG, tryDecodeHdlcFrame } from './hdlc';

/** One valid HDLC frame found in a byte stream. */
export interface HdlcFrame {
  /** The frame as it appeared in the stream: escaped payload, escaped CRC, closing 0x7E. */
  readonly raw: Buffer;
  /** The unescaped payload (CRC checked and removed). */
  readonly payload: Buffer;
}

export interface FrameSplitterStats {
  framesOk: number;
  /** Delimited stretches that were not a valid frame, oversized runs, and a partial last frame. */
  framesBad: number;
  /** Bytes that were not part of a valid frame (including lone 0x7E flags). */
  bytesSkipped: number;
}

export interface FrameSplitterOptions {
  /** Longest accepted frame, escaped, flag included (default 64 KiB). Longer runs are skipped as garbage. */
  readonly maxFrameBytes?: number;
}

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/**
 * Splits a QMDL byte stream into HDLC frames, chunk by chunk, with bounded memory:
 * at most `maxFrameBytes` of a partial frame are held between chunks. Invalid
 * frames are skipped and counted; the splitter re-synchronises at the next 0x7E.
 *
 * Returned frames may share memory with the pushed chunks: do not modify a chunk
 * after pushing it.
 *
 * @example
 * const splitter = new FrameSplitter();
 * for await (const chunk of stream) for (const f of splitter.push(chunk)) handle(f.payload);
 * splitter.end(); // counts a partial last frame as bad
 */
export class FrameSplitter {
  private readonly maxFrameBytes: number;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** True while skipping an oversized run up to the next flag. */
  private discarding = false;
  private readonly counters: FrameSplitterStats = { framesOk: 0, framesBad: 0, bytesSkipped: 0 };

  constructor(options: FrameSplitterOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 3) throw new TypeError('FrameSplitter: maxFrameBytes must be an integer >= 3');
    this.maxFrameBytes = max;
  }

  /** Feeds the next chunk; returns the frames it completed, in order. */
  push(chunk: Buffer): HdlcFrame[] {
    if (!Buffer.isBuffer(chunk)) throw new TypeError('FrameSplitter.push: chunk must be a Buffer');
    const frames: HdlcFrame[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const flagAt = chunk.indexOf(HDLC_FLAG, pos);
      if (flagAt < 0) {
        this.hold(chunk.subarray(pos));
        break;
      }
      const end = flagAt + 1;
      if (this.discarding) {
        this.counters.bytesSkipped += end - pos;
        this.discarding = false;
      } else if (this.pendingLength + (end - pos) > this.maxFrameBytes) {
        this.skipRun(this.pendingLength + (end - pos));
      } else {
        let raw = chunk.subarray(pos, end);
        if (this.pendingLength > 0) {
          this.pending.push(raw);
          raw = Buffer.concat(this.pending, this.pendingLength + raw.length);
          this.pending = [];
          this.pendingLength = 0;
        }
        this.accept(raw, frames);
      }
      pos = end;
    }
    return frames;
  }

  /** Ends the stream: a partial last frame is counted bad. The splitter can be reused afterwards. */
  end(): HdlcFrame[] {
    if (this.pendingLength > 0) {
      this.counters.framesBad++;
      this.counters.bytesSkipped += this.pendingLength;
    }
    this.pending = [];
    this.pendingLength = 0;
    this.discarding = false;
    return [];
  }

  /** Bytes of a partial frame held for the next chunk. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  stats(): FrameSplitterStats {
    return { ...this.counters };
  }

  private hold(rest: Buffer): void {
    if (this.discarding) {
      this.counters.bytesSkipped += rest.length;
    } else if (this.pendingLength + rest.length > this.maxFrameBytes) {
      this.skipRun(this.pendingLength + rest.length);
      this.discarding = true;
    } else {
      this.pending.push(rest);
      this.pendingLength += rest.length;
    }
  }

  /** Drops the pending bytes plus the current run as one bad frame. */
  private skipRun(totalBytes: number): void {
    this.counters.framesBad++;
    this.counters.bytesSkipped += totalBytes;
    this.pending = [];
    this.pendingLength = 0;
  }

  private accept(raw: Buffer, frames: HdlcFrame[]): void {
    if (raw.length === 1) {
      // A lone flag (e.g. the leading flag some producers send) delimits nothing.
      this.counters.bytesSkipped++;
      return;
    }
    const payload = tryDecodeHdlcFrame(raw);
    if (typeof payload === 'string') {
      this.counters.framesBad++;
      this.counters.bytesSkipped += raw.length;
      return;
    }
    this.counters.framesOk++;
    frames.push({ raw, payload });
  }
}

/**
 * Joins raw frames back to back; frames that sit next to each other in one
 * underlying buffer are joined without copying.
 */
export function joinFrames(frames: readonly HdlcFrame[]): Buffer {
  const first = frames[0];
  if (first === undefined) return Buffer.alloc(0);
  let contiguous = true;
  let total = 0;
  let expectedOffset = first.raw.byteOffset;
  for (const f of frames) {
    if (f.raw.buffer !== first.raw.buffer || f.raw.byteOffset !== expectedOffset) contiguous = false;
    expectedOffset = f.raw.byteOffset + f.raw.length;
    total += f.raw.length;
  }
  if (contiguous) return Buffer.from(first.raw.buffer, first.raw.byteOffset, total);
  return Buffer.concat(frames.map((f) => f.raw), total);
}
