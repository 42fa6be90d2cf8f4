import { promises as fsp, constants as fsConstants, writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { QmdlErrorCode, qmdlError } from './errors';

/** Sizes at a flush point: cutting the file at `compressedBytes` leaves a gzip prefix that inflates to exactly `uncompressedBytes`. */
export interface QmdlWriteTotals {
  /** Bytes in the file (gzip header included). */
  readonly compressedBytes: number;
  /** Raw QMDL bytes those compressed bytes decompress to. */
  readonly uncompressedBytes: number;
}

export interface QmdlGzipWriterOptions {
  /** A file that must not exist yet. */
  readonly path: string;
  /** zlib level 0–9 (default 6, like gzip). */
  readonly level?: number;
  /** Unflushed input (`write(…, { flush: false })`) is coalesced up to this size before it is compressed (default 256 KiB). */
  readonly maxPendingBytes?: number;
}

export interface QmdlWriteOptions {
  /**
   * Sync-flush after this write (default true), so the file up to the returned
   * `compressedBytes` inflates to everything written so far. With `false` the
   * bytes are only queued and the returned totals are those of the last flush point.
   */
  readonly flush?: boolean;
}

// gzip member header: magic, CM=deflate, no flags, mtime 0, XFL 0, OS 3 (Unix).
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
const DEFAULT_MAX_PENDING = 256 * 1024;
const DEFLATE_CHUNK_BYTES = 128 * 1024;
/** Input is copied into staging blocks of maxPendingBytes, within these bounds. */
const MIN_STAGING_BLOCK_BYTES = 64 * 1024;
const MAX_STAGING_BLOCK_BYTES = 1024 * 1024;
/** Emptied staging blocks kept for reuse. */
const SPARE_STAGING_BLOCKS = 2;

/** Raw input copied at write() time, compressed at the next flush point. */
interface StagingBlock {
  readonly buffer: Buffer;
  /** Bytes copied in. */
  used: number;
  /** Bytes of those handed to zlib. */
  taken: number;
}

type State = 'open' | 'finished' | 'aborted' | 'failed';

/**
 * Writes one gzip member, sync-flushed at each `write` (or `flush`), with the
 * trailer only on `finish()` — the Rayhunter `.qmdl.gz` layout. Every totals value
 * it returns is a safe cut point: the file truncated there still decompresses
 * (to a trailer-less end) to exactly the bytes written up to that point.
 *
 * Compression runs on the zlib thread pool through one persistent deflate stream
 * (so history carries across flushes); operations are queued in call order.
 *
 * @example
 * const w = await QmdlGzipWriter.create({ path: '/data/qmdl/1700000000.qmdl.gz' });
 * const { compressedBytes } = await w.write(frames); // commit this size
 * await w.sync();
 * await w.finish();
 */
export class QmdlGzipWriter {
  private readonly deflate: zlib.DeflateRaw;
  private output: Buffer[] = [];
  private outputBytes = 0;
  /** Blocks holding input not yet compressed, oldest first; the last one may still have room. */
  private staged: StagingBlock[] = [];
  /** Raw bytes copied in since the start (write() calls so far). */
  private stagedTotal = 0;
  private spare: Buffer[] = [];
  private readonly blockBytes: number;
  private crc = 0;
  /** Uncompressed bytes handed to zlib (for the trailer's ISIZE). */
  private consumedBytes = 0;
  private current: QmdlWriteTotals;
  private state: State = 'open';
  private failure: unknown;
  private queue: Promise<unknown> = Promise.resolve();
  /** fdatasyncs in flight; the file is closed only after them. */
  private readonly syncing = new Set<Promise<void>>();

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    level: number,
    private readonly maxPendingBytes: number,
  ) {
    this.blockBytes = Math.min(MAX_STAGING_BLOCK_BYTES, Math.max(MIN_STAGING_BLOCK_BYTES, maxPendingBytes));
    // Every handle write is a sync flush: input is coalesced here first, so zlib sees few, large writes.
    // Output chunks of 128 KiB, not zlib's 16 KiB: a 256 KiB write compresses in one thread-pool
    // trip instead of several (bench/README.md, ingest).
    this.deflate = zlib.createDeflateRaw({ level, flush: zlib.constants.Z_SYNC_FLUSH, chunkSize: DEFLATE_CHUNK_BYTES });
    this.deflate.on('data', (chunk: Buffer) => {
      this.output.push(chunk);
      this.outputBytes += chunk.length;
    });
    this.deflate.on('error', (error) => {
      this.failure ??= error;
    });
    this.current = { compressedBytes: GZIP_HEADER.length, uncompressedBytes: 0 };
  }

  /**
   * Creates the file (exclusively) and writes the gzip header.
   * @throws LedgerError QMDL_FILE_EXISTS | QMDL_WRITE_FAILED
   */
  static async create(options: QmdlGzipWriterOptions): Promise<QmdlGzipWriter> {
    const { path, level = 6, maxPendingBytes = DEFAULT_MAX_PENDING } = options;
    if (typeof path !== 'string' || path === '')
      throw new TypeError('QmdlGzipWriter.create: path must be a non-empty string');
    if (!Number.isInteger(level) || level < 0 || level > 9)
      throw new TypeError('QmdlGzipWriter.create: level must be 0–9');
    if (!Number.isInteger(maxPendingBytes) || maxPendingBytes < 0)
      throw new TypeError('QmdlGzipWriter.create: maxPendingBytes must be >= 0');
    let file: FileHandle;
    try {
      file = await fsp.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw qmdlError(QmdlErrorCode.QMDL_FILE_EXISTS, `${path} already exists`, { cause: error, details: { path } });
      }
      throw qmdlError(QmdlErrorCode.QMDL_WRITE_FAILED, `cannot create ${path}`, { cause: error, details: { path } });
    }
    try {
      writeAll(file, [GZIP_HEADER]);
    } catch (error) {
      await file.close().catch(() => undefined);
      throw qmdlError(QmdlErrorCode.QMDL_WRITE_FAILED, `cannot write to ${path}`, { cause: error, details: { path } });
    }
    return new QmdlGzipWriter(path, file, level, maxPendingBytes);
  }

  /** Totals at the last flush point. */
  get totals(): QmdlWriteTotals {
    return this.current;
  }

  /**
   * Appends raw QMDL bytes (complete HDLC frames) and, unless `flush: false`,
   * sync-flushes them to the file.
   * @returns totals at the last flush point (this write's, when flushed)
   * @throws LedgerError QMDL_WRITE_FAILED | QMDL_WRITER_CLOSED
   */
  write(rawFrames: Buffer, options: QmdlWriteOptions = {}): Promise<QmdlWriteTotals> {
    if (!Buffer.isBuffer(rawFrames)) throw new TypeError('QmdlGzipWriter.write: rawFrames must be a Buffer');
    const flush = options.flush ?? true;
    // Copied now, in call order: the caller's buffer is free to be reused (or to die young in
    // V8's nursery) as soon as this returns, instead of living on until the next flush point.
    // Holding them made a fast source's buffers outlive two scavenges and fill the old
    // generation with garbage (frequent mark-compacts while ingesting: bench/README.md, peak RSS).
    if (this.state === 'open') this.stage(rawFrames);
    const upTo = this.stagedTotal; // a flush here covers this write and those before it, not later ones
    return this.enqueue(async () => {
      if (flush || upTo - this.consumedBytes >= this.maxPendingBytes) await this.flushPending(upTo);
      return this.current;
    });
  }

  /** Sync-flushes the input of every write() called before it; returns the new totals. */
  flush(): Promise<QmdlWriteTotals> {
    const upTo = this.stagedTotal;
    return this.enqueue(async () => {
      await this.flushPending(upTo);
      return this.current;
    });
  }

  /**
   * fdatasync, started now rather than behind queued work: when it resolves,
   * everything up to `totals` as of this call is on stable storage. Writes and
   * compression queued after it go on meanwhile (a commit window's sync used to
   * hold up the next window's compression: bench/README.md, ingest).
   */
  sync(): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.closedError());
    const syncing = this.file.datasync().catch((error: unknown) => {
      throw this.fail(error, 'fdatasync failed');
    });
    this.syncing.add(syncing);
    const forget = (): void => void this.syncing.delete(syncing);
    syncing.then(forget, forget);
    return syncing;
  }

  /**
   * Compresses queued input, writes the final block and the gzip trailer, syncs
   * and closes the file (a clean close).
   * @throws LedgerError QMDL_WRITE_FAILED | QMDL_WRITER_CLOSED
   */
  finish(): Promise<QmdlWriteTotals> {
    return this.enqueue(async () => {
      const inputs = this.takeStaged(this.stagedTotal).inputs;
      try {
        const last = inputs.pop();
        for (const input of inputs) await this.compress(input);
        await new Promise<void>((resolve, reject) => {
          this.deflate.once('error', reject);
          this.deflate.once('end', resolve);
          if (last === undefined) this.deflate.end();
          else this.deflate.end(last);
        });
        const trailer = Buffer.allocUnsafe(8);
        trailer.writeUInt32LE(this.crc >>> 0, 0);
        trailer.writeUInt32LE(this.consumedBytes % 0x100000000, 4);
        this.output.push(trailer);
        this.outputBytes += trailer.length;
        const uncompressed = this.consumedBytes;
        this.writeOutput(uncompressed);
        await this.file.datasync();
        await Promise.allSettled([...this.syncing]);
        await this.file.close();
      } catch (error) {
        throw this.fail(error, 'cannot finish');
      }
      this.state = 'finished';
      return this.current;
    });
  }

  /** Closes the file without a trailer; unflushed input is dropped. Never throws; safe to call in any state. */
  abort(): Promise<void> {
    if (this.state === 'aborted' || this.state === 'finished') return Promise.resolve();
    const wasOpen = this.state === 'open'; // a failed writer already closed its file
    this.state = 'aborted'; // operations queued behind this one now fail with QMDL_WRITER_CLOSED
    this.staged = [];
    // Let an operation in flight settle before tearing down the stream and file it uses.
    const closing = this.queue
      .catch(() => undefined)
      .then(async () => {
        this.deflate.destroy();
        await Promise.allSettled([...this.syncing]);
        if (wasOpen) await this.file.close();
      })
      .catch(() => undefined);
    this.queue = closing;
    return closing;
  }

  private closedError(): Error {
    return qmdlError(QmdlErrorCode.QMDL_WRITER_CLOSED, `writer for ${this.path} is ${this.state}`, {
      cause: this.failure,
      details: { path: this.path, state: this.state },
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.state !== 'open') throw this.closedError();
      return op();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Copies `raw` into the staging blocks (reusing emptied ones). */
  private stage(raw: Buffer): void {
    let offset = 0;
    while (offset < raw.length) {
      let block = this.staged[this.staged.length - 1];
      if (block === undefined || block.used === block.buffer.length) {
        block = { buffer: this.spare.pop() ?? Buffer.allocUnsafe(this.blockBytes), used: 0, taken: 0 };
        this.staged.push(block);
      }
      const copied = raw.copy(block.buffer, block.used, offset);
      block.used += copied;
      offset += copied;
    }
    this.stagedTotal += raw.length;
  }

  /**
   * The staged input up to raw offset `upTo`, in order, counted into the CRC and
   * length of the trailer, and the blocks that it empties (reusable once zlib
   * is done with them). A block with room left stays: later writes append to
   * it, past the bytes handed out.
   */
  private takeStaged(upTo: number): { inputs: Buffer[]; emptied: Buffer[] } {
    const inputs: Buffer[] = [];
    const emptied: Buffer[] = [];
    while (this.consumedBytes < upTo) {
      const block = this.staged[0];
      if (block === undefined) break;
      const n = Math.min(block.used - block.taken, upTo - this.consumedBytes);
      const input = block.buffer.subarray(block.taken, block.taken + n);
      block.taken += n;
      this.consumedBytes += n;
      this.crc = zlib.crc32(input, this.crc);
      inputs.push(input);
      if (block.taken === block.used && (block.used === block.buffer.length || this.staged.length > 1)) {
        this.staged.shift();
        emptied.push(block.buffer);
      }
    }
    return { inputs, emptied };
  }

  private compress(input: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.deflate.write(input, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Compresses and sync-flushes the input staged up to raw offset `upTo`, and writes it out. */
  private async flushPending(upTo: number): Promise<void> {
    if (upTo <= this.consumedBytes) return;
    const { inputs, emptied } = this.takeStaged(upTo);
    const uncompressed = this.consumedBytes;
    try {
      for (const input of inputs) await this.compress(input);
      // Output pushed while the readable side was not flowing yet sits in its buffer: read() emits it as 'data'.
      while (this.deflate.readableLength > 0 && this.deflate.read() !== null);
      if (this.failure !== undefined) throw this.failure;
      this.writeOutput(uncompressed);
    } catch (error) {
      throw this.fail(error, 'compressed write failed');
    }
    // zlib is done with them (its write callbacks ran): keep a few for the next input.
    for (const buffer of emptied) if (this.spare.length < SPARE_STAGING_BLOCKS) this.spare.push(buffer);
  }

  private writeOutput(uncompressedBytes: number): void {
    const chunks = this.output;
    const bytes = this.outputBytes;
    this.output = [];
    this.outputBytes = 0;
    writeAll(this.file, chunks);
    this.current = { compressedBytes: this.current.compressedBytes + bytes, uncompressedBytes };
  }

  private fail(error: unknown, what: string): unknown {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('QMDL_'))
      return error;
    this.failure ??= error;
    this.state = 'failed';
    this.deflate.destroy();
    void this.file.close().catch(() => undefined);
    return qmdlError(QmdlErrorCode.QMDL_WRITE_FAILED, `${what}: ${this.path}`, {
      cause: error,
      details: { path: this.path },
    });
  }
}

/**
 * Writes all of `chunks` at the file position, synchronously. These are the few
 * KiB a flush produces, going to the page cache: a synchronous write is cheap,
 * while a thread-pool round trip per flush cost the writer much of its
 * throughput on small containers (bench/README.md, qmdl-codec).
 */
function writeAll(file: FileHandle, chunks: Buffer[]): void {
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    const written = writevSync(file.fd, rest);
    let skip = written;
    const next: Buffer[] = [];
    for (const c of rest) {
      if (skip >= c.length) {
        skip -= c.length;
      } else {
        next.push(skip > 0 ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    rest = next;
  }
}
