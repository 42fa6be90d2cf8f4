import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { LedgerError } from '@ledger/domain';
import { QmdlErrorCode, qmdlError } from './errors';

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** 'gzip' when the file starts with the gzip magic `1f 8b` (whatever its name), else 'plain'. */
export async function detectQmdlEncoding(path: string): Promise<'gzip' | 'plain'> {
  const file = await openForRead(path);
  try {
    return await encodingOf(file, path);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Default chunk size of {@link openQmdlReadStream}: zlib's own default, small enough for a per-frame consumer. */
const DEFAULT_QMDL_READ_CHUNK_BYTES = 64 * 1024;

export interface QmdlReadOptions {
  /**
   * Size of the file reads (the read stream's `highWaterMark`) and of zlib's
   * output buffers (`chunkSize`), in bytes (default 64 KiB, at least 1 KiB).
   * Bulk consumers such as a download want larger chunks: each chunk is one
   * trip through the thread pool and the stream machinery, so large chunks
   * inflate much faster than zlib's default 16 KiB (bench/README.md, download).
   * Memory held per stream is a few chunks.
   */
  readonly chunkSize?: number;
  /** @deprecated an alias of `chunkSize` (it only ever sized the file reads). */
  readonly highWaterMark?: number;
  /**
   * Read at most this many bytes of the file: the committed size of a recording
   * that is still being written, so a reader never sees bytes no event covers.
   */
  readonly fileBytes?: number;
  /**
   * Called as the file is read with the bytes of the file read so far
   * (compressed bytes for a gzip file): a progress bar's numerator against the
   * file's size. Called from the read stream's data events, so keep it cheap.
   */
  readonly onFileProgress?: (fileBytesRead: number) => void;
}

/**
 * A stream of the raw (decompressed) QMDL bytes of a `.qmdl` or `.qmdl.gz` file.
 * Gzip is detected by its magic, not the file name. A gzip stream that ends
 * without its trailer (a recording cut at a flush point, or mid-block) ends the
 * stream normally after the bytes that could be inflated; corrupt gzip data is
 * an error.
 *
 * Errors are emitted as LedgerError QMDL_READ_FAILED (cause attached).
 *
 * @example
 * for await (const chunk of openQmdlReadStream('1700000000.qmdl.gz')) splitter.push(chunk);
 * await pipeline(openQmdlReadStream(file, { chunkSize: 256 * 1024 }), res); // a download
 */
export function openQmdlReadStream(path: string, options: QmdlReadOptions = {}): Readable {
  if (typeof path !== 'string' || path === '')
    throw new TypeError('openQmdlReadStream: path must be a non-empty string');
  if (options.fileBytes !== undefined && !(Number.isInteger(options.fileBytes) && options.fileBytes >= 0)) {
    throw new TypeError('openQmdlReadStream: fileBytes must be a non-negative integer');
  }
  const chunkSize = options.chunkSize ?? options.highWaterMark ?? DEFAULT_QMDL_READ_CHUNK_BYTES;
  if (!Number.isInteger(chunkSize) || chunkSize < 1024)
    throw new TypeError('openQmdlReadStream: chunkSize must be an integer >= 1024');
  if (options.onFileProgress !== undefined && typeof options.onFileProgress !== 'function')
    throw new TypeError('openQmdlReadStream: onFileProgress must be a function');
  return new QmdlReadStream(path, chunkSize, options.fileBytes, options.onFileProgress);
}

/** Size of the decompressed QMDL bytes, by streaming through the file (bounded memory). */
export async function decompressedSize(path: string): Promise<number> {
  let total = 0;
  for await (const chunk of openQmdlReadStream(path, { chunkSize: 256 * 1024 })) total += (chunk as Buffer).length;
  return total;
}

/**
 * The file (or its gunzip) re-emitted chunk for chunk, pulled only as fast as
 * our own consumer reads. A Readable of its own rather than `Readable.from`
 * over an async generator: that put two promise hops and one more buffered
 * chunk on every chunk of a download.
 */
class QmdlReadStream extends Readable {
  private file: FileHandle | undefined;
  private inner: Readable | undefined;

  constructor(
    private readonly path: string,
    private readonly chunkSize: number,
    private readonly fileBytes: number | undefined,
    private readonly onFileProgress: ((fileBytesRead: number) => void) | undefined,
  ) {
    // One chunk of read-ahead, so a consumer never waits for the thread pool while we hold little.
    super({ highWaterMark: chunkSize });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.open().then(
      () => callback(),
      (error: unknown) => callback(this.readFailed(error)),
    );
  }

  override _read(): void {
    if (this.inner === undefined) this.push(null);
    else this.inner.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    this.inner = undefined;
    const file = this.file;
    this.file = undefined;
    if (file === undefined) callback(error);
    else
      void file
        .close()
        .catch(() => undefined)
        .then(() => callback(error));
  }

  private async open(): Promise<void> {
    if (this.fileBytes === 0) return;
    const file = await openForRead(this.path);
    this.file = file;
    const gzip = (await encodingOf(file, this.path)) === 'gzip';
    if (this.destroyed) return;
    const source = file.createReadStream({
      start: 0,
      autoClose: false,
      highWaterMark: this.chunkSize,
      ...(this.fileBytes === undefined ? {} : { end: this.fileBytes - 1 }),
    });
    let inner: Readable = source;
    if (gzip) {
      // finishFlush: Z_SYNC_FLUSH makes a missing trailer a normal end (documented for truncated input).
      const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: this.chunkSize });
      pipeline(source, gunzip, () => undefined);
      inner = gunzip;
    }
    this.inner = inner;
    // Flowing with pause/resume, not read(): a read() of everything buffered would concatenate (copy) chunks.
    inner.pause();
    const progress = this.onFileProgress;
    if (progress !== undefined) {
      // Added after pause(): a 'data' listener on a stream not explicitly paused would start it flowing.
      let read = 0;
      source.on('data', (chunk: Buffer | string) => progress((read += chunk.length)));
    }
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (error: unknown) => {
      if (isUnexpectedEnd(error)) this.push(null);
      else this.destroy(this.readFailed(error));
    });
  }

  private readFailed(error: unknown): Error {
    if (error instanceof LedgerError) return error;
    return qmdlError(QmdlErrorCode.QMDL_READ_FAILED, `cannot read ${this.path}`, {
      cause: error,
      details: { path: this.path },
    });
  }
}

/** zlib's complaint about a stream that ends without its trailer: the normal end of a live or cut recording. */
function isUnexpectedEnd(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' &&
    error.message === 'unexpected end of file'
  );
}

async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await fsp.open(path, 'r');
  } catch (error) {
    throw qmdlError(QmdlErrorCode.QMDL_READ_FAILED, `cannot open ${path}`, {
      cause: error,
      details: { path, errno: (error as NodeJS.ErrnoException).code },
    });
  }
}

async function encodingOf(file: FileHandle, path: string): Promise<'gzip' | 'plain'> {
  const magic = Buffer.alloc(2);
  let bytesRead: number;
  try {
    ({ bytesRead } = await file.read(magic, 0, 2, 0));
  } catch (error) {
    throw qmdlError(QmdlErrorCode.QMDL_READ_FAILED, `cannot read ${path}`, { cause: error, details: { path } });
  }
  return bytesRead === 2 && magic[0] === GZIP_MAGIC_0 && magic[1] === GZIP_MAGIC_1 ? 'gzip' : 'plain';
}
