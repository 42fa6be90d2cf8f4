/**
 * The raw QMDL bytes of the active recording as its writer is handed them,
 * for a reader in this process (the live analysis), so that it need not read
 * back and inflate what the writer has just compressed. Offsets are raw
 * (uncompressed) bytes of the recording; the tap holds what was handed from
 * `start` on and not yet taken. The reader takes only up to the committed
 * `uncompressedBytes` (a commit is a point the writer flushed at, so it falls
 * between two handed chunks): bytes handed but never committed are never read.
 *
 * Bounded: once more than `maxBytes` wait to be taken, the tap lets go of
 * them and is `lost` for good — a reader that fell behind reads the file.
 *
 * @example
 * const tap = ledger.tapRecording(name, { maxBytes: 2 * 1024 * 1024 });
 * const bytes = tap?.take(analysed, state.current.uncompressedBytes); // undefined: read the file instead
 * tap?.close();
 */
export class RecordingTap {
  private first: number;
  private end: number;
  private chunks: Buffer[] = [];
  private isLost = false;
  private isClosed = false;

  constructor(
    readonly name: string,
    /** The raw offset of the next byte handed to the writer. */
    start: number,
    private readonly maxBytes: number,
    private readonly onClose: (tap: RecordingTap) => void,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new TypeError('maxBytes must be a positive integer');
    this.first = start;
    this.end = start;
  }

  /** The raw offset of the first byte held: the tap has every byte from here on (unless lost). */
  get start(): number {
    return this.first;
  }

  /** It let go of bytes not taken (more than `maxBytes` waited), or it was closed: it gives nothing any more. */
  get lost(): boolean {
    return this.isLost || this.isClosed;
  }

  /** The writer hands over a chunk: copied, since the source may reuse its buffer. */
  push(frames: Buffer): void {
    this.end += frames.length;
    if (this.lost) return;
    if (this.end - this.first > this.maxBytes) {
      this.isLost = true;
      this.chunks = [];
      return;
    }
    const copy = Buffer.allocUnsafe(frames.length);
    frames.copy(copy);
    this.chunks.push(copy);
  }

  /**
   * The bytes in [`from`, `to`), let go of by the tap along with any before
   * `from`; an empty buffer when `to <= from`. Undefined when the tap is lost
   * or does not hold them all (`from` before `start`, `to` past what it was handed).
   */
  take(from: number, to: number): Buffer | undefined {
    if (this.lost || from < this.first || to > this.end) return undefined;
    if (to <= from) return Buffer.alloc(0);
    this.drop(from);
    const parts: Buffer[] = [];
    while (this.first < to) {
      const chunk = this.chunks[0] as Buffer;
      const n = Math.min(chunk.length, to - this.first);
      parts.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      this.advance(n);
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** Detaches from the writer and lets go of what it holds. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.chunks = [];
    this.onClose(this);
  }

  /** Lets go of the bytes before raw offset `to`. */
  private drop(to: number): void {
    while (this.first < to) this.advance(Math.min((this.chunks[0] as Buffer).length, to - this.first));
  }

  /** Lets go of the first `n` bytes held (at most the first chunk). */
  private advance(n: number): void {
    const chunk = this.chunks[0] as Buffer;
    if (n === chunk.length) this.chunks.shift();
    else this.chunks[0] = chunk.subarray(n);
    this.first += n;
  }
}
