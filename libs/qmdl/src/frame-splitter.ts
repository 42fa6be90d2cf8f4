import type { QmdlErrorCode } from './errors';
import { HDLC_ESCAPE, HDLC_FLAG, byteViews, checkPlainHdlc, unescapeHdlc, type ByteViews } from './hdlc';

/** One valid HDLC frame found in a byte stream. */
export interface HdlcFrame {
  /** The frame as it appeared in the stream: escaped payload, escaped CRC, closing 0x7E. */
  readonly raw: Buffer;
  /** The unescaped payload (CRC checked and removed). */
  readonly payload: Buffer;
  /** Byte offset of the frame's first byte in the stream (counted over every chunk pushed since construction). */
  readonly offset: number;
}

/**
 * One valid frame as `FrameSplitter.scan` hands it to its visitor: positions
 * into buffers instead of Buffer views, so a frame costs no allocation. The
 * object is reused for every frame (read it during the call); the bytes it
 * points to are never overwritten, so views taken of them stay valid.
 */
export interface ScannedFrame {
  /** The unescaped payload (CRC checked and removed) is `bytes[start, end)`: the pushed chunk itself when the frame has no escapes. */
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  /** The frame as it appeared in the stream (escaped payload, escaped CRC, closing 0x7E) is `raw[rawStart, rawEnd)`. */
  readonly raw: Buffer;
  readonly rawStart: number;
  readonly rawEnd: number;
  /** Byte offset of the frame's first byte in the stream. */
  readonly offset: number;
}

/** A stretch of the stream that was not a valid frame, reported to `onDamage` in stream order. */
export interface FrameDamage {
  /** Byte offset of the stretch's first byte in the stream. */
  readonly offset: number;
  /** Bytes in the stretch, its closing flag included. */
  readonly length: number;
  /**
   * Why: the frame's HDLC error code (bad CRC, escape, too short), `FRAME_TOO_LONG`
   * for a run longer than `maxFrameBytes`, `FRAME_CUT` for a partial last frame.
   */
  readonly reason: QmdlErrorCode | 'FRAME_TOO_LONG' | 'FRAME_CUT';
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
  /** Called for every damaged stretch (a bad frame, an over-long run, a cut last frame), in stream order. */
  readonly onDamage?: (damage: FrameDamage) => void;
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
  private readonly onDamage: ((damage: FrameDamage) => void) | undefined;
  private pending: Buffer[] = [];
  /** Stream offset of the first byte of the chunk being pushed (bytes pushed before it). */
  private chunkStart = 0;
  /** Stream offset where the held partial frame, or the run being discarded, started. */
  private runStart = 0;
  private pendingLength = 0;
  /** True while skipping an oversized run up to the next flag. */
  private discarding = false;
  private readonly counters: FrameSplitterStats = { framesOk: 0, framesBad: 0, bytesSkipped: 0 };
  /** Where escaped frames of the current chunk are unescaped (fresh per chunk: payloads handed out stay intact). */
  private unescaped: ByteViews | undefined;
  private unescapedUsed = 0;
  /** The one ScannedFrame object, refilled for every frame. */
  private readonly frame: { -readonly [K in keyof ScannedFrame]: ScannedFrame[K] } = {
    bytes: Buffer.alloc(0),
    start: 0,
    end: 0,
    raw: Buffer.alloc(0),
    rawStart: 0,
    rawEnd: 0,
    offset: 0,
  };

  constructor(options: FrameSplitterOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 3) throw new TypeError('FrameSplitter: maxFrameBytes must be an integer >= 3');
    this.maxFrameBytes = max;
    this.onDamage = options.onDamage;
  }

  /** Feeds the next chunk; returns the frames it completed, in order. */
  push(chunk: Buffer): HdlcFrame[] {
    const frames: HdlcFrame[] = [];
    this.scan(chunk, (f) =>
      frames.push({
        raw: f.raw.subarray(f.rawStart, f.rawEnd),
        payload: f.bytes.subarray(f.start, f.end),
        offset: f.offset,
      }),
    );
    return frames;
  }

  /**
   * Feeds the next chunk and calls `visit` for each frame it completed, in
   * order, with positions instead of views: what `push` does without
   * allocating per frame, for consumers that decode in place.
   */
  scan(chunk: Buffer, visit: (frame: ScannedFrame) => void): void {
    if (!Buffer.isBuffer(chunk)) throw new TypeError('FrameSplitter.scan: chunk must be a Buffer');
    const base = this.chunkStart;
    this.chunkStart += chunk.length;
    // Unescaped payloads of this chunk go to a buffer of its own, allocated at the first escaped frame.
    this.unescaped = undefined;
    // The next 0x7D at or after `pos`, found once for many frames: a frame has escapes iff it is before the frame's flag.
    let escapeAt = -1;
    const src = byteViews(chunk);
    let pos = 0;
    while (pos < chunk.length) {
      const flagAt = chunk.indexOf(HDLC_FLAG, pos);
      if (flagAt < 0) {
        this.hold(chunk.subarray(pos), base + pos);
        break;
      }
      const end = flagAt + 1;
      const start = this.pendingLength > 0 || this.discarding ? this.runStart : base + pos;
      if (this.discarding) {
        this.counters.bytesSkipped += end - pos;
        this.discarding = false;
        this.damaged(start, base + end - start, 'FRAME_TOO_LONG');
      } else if (this.pendingLength + (end - pos) > this.maxFrameBytes) {
        this.skipRun(this.pendingLength + (end - pos));
        this.damaged(start, base + end - start, 'FRAME_TOO_LONG');
      } else if (this.pendingLength > 0) {
        this.pending.push(chunk.subarray(pos, end));
        const raw = Buffer.concat(this.pending, this.pendingLength + (end - pos));
        this.pending = [];
        this.pendingLength = 0;
        const escaped = raw.indexOf(HDLC_ESCAPE) >= 0;
        this.accept(byteViews(raw), 0, raw.length, escaped, start, chunk.length - end, visit);
      } else {
        if (escapeAt < pos) {
          escapeAt = chunk.indexOf(HDLC_ESCAPE, pos);
          if (escapeAt < 0) escapeAt = chunk.length;
        }
        this.accept(src, pos, end, escapeAt < flagAt, start, chunk.length - end, visit);
      }
      pos = end;
    }
  }

  /** Ends the stream: a partial last frame is counted bad. The splitter can be reused afterwards (offsets keep counting). */
  end(): HdlcFrame[] {
    if (this.pendingLength > 0) {
      this.counters.framesBad++;
      this.counters.bytesSkipped += this.pendingLength;
      this.damaged(this.runStart, this.pendingLength, 'FRAME_CUT');
    } else if (this.discarding) {
      this.damaged(this.runStart, this.chunkStart - this.runStart, 'FRAME_TOO_LONG');
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

  private hold(rest: Buffer, offset: number): void {
    if (this.discarding) {
      this.counters.bytesSkipped += rest.length;
    } else if (this.pendingLength + rest.length > this.maxFrameBytes) {
      if (this.pendingLength === 0) this.runStart = offset;
      this.skipRun(this.pendingLength + rest.length);
      this.discarding = true;
    } else {
      if (this.pendingLength === 0) this.runStart = offset;
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

  /**
   * Decodes the frame `raw[from, end)` (ending with its flag) and hands it to
   * `visit`, or records it as damaged. `after`: bytes of the chunk after this
   * frame, all of which may still need room in the unescape buffer.
   */
  private accept(
    raw: ByteViews,
    from: number,
    end: number,
    escaped: boolean,
    offset: number,
    after: number,
    visit: (frame: ScannedFrame) => void,
  ): void {
    const length = end - from;
    if (length === 1) {
      // A lone flag (e.g. the leading flag some producers send) delimits nothing.
      this.counters.bytesSkipped++;
      return;
    }
    let bytes = raw.bytes;
    let start = from;
    let payloadEnd: number | QmdlErrorCode;
    if (escaped) {
      let out = this.unescaped;
      if (out === undefined || out.bytes.length - this.unescapedUsed < length) {
        // Room for this frame and every later one of the chunk: an unescaped frame is never longer than its raw bytes.
        out = byteViews(Buffer.allocUnsafe(length + after));
        this.unescaped = out;
        this.unescapedUsed = 0;
      }
      start = this.unescapedUsed;
      payloadEnd = unescapeHdlc(raw, from, end - 1, out, start);
      bytes = out.bytes;
    } else {
      payloadEnd = checkPlainHdlc(raw, from, end - 1);
    }
    if (typeof payloadEnd === 'string') {
      this.bad(offset, length, payloadEnd);
      return;
    }
    if (escaped) this.unescapedUsed = payloadEnd + 2;
    this.counters.framesOk++;
    const frame = this.frame;
    frame.bytes = bytes;
    frame.start = start;
    frame.end = payloadEnd;
    frame.raw = raw.bytes;
    frame.rawStart = from;
    frame.rawEnd = end;
    frame.offset = offset;
    visit(frame);
  }

  private bad(offset: number, length: number, reason: QmdlErrorCode): void {
    this.counters.framesBad++;
    this.counters.bytesSkipped += length;
    this.damaged(offset, length, reason);
  }

  private damaged(offset: number, length: number, reason: FrameDamage['reason']): void {
    this.onDamage?.({ offset, length, reason });
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
  return Buffer.concat(
    frames.map((f) => f.raw),
    total,
  );
}
