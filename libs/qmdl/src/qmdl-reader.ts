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
 */
export interface QmdlReadOptions {
  readonly highWaterMark?: number;
  /**
   * Read at most this many bytes of the file: the committed size of a recording
   * that is still being written, so a reader never sees bytes no event covers.
   */
  readonly fileBytes?: number;
}

export function openQmdlReadStream(path: string, options: QmdlReadOptions = {}): Readable {
  if (typeof path !== 'string' || path === '') throw new TypeError('openQmdlReadStream: path must be a non-empty string');
  if (options.fileBytes !== undefined && !(Number.isInteger(options.fileBytes) && options.fileBytes >= 0)) {
    throw new TypeError('openQmdlReadStream: fileBytes must be a non-negative integer');
  }
  return Readable.from(decompressedChunks(path, options.highWaterMark ?? 64 * 1024, options.fileBytes), { objectMode: false });
}

/** Size of the decompressed QMDL bytes, by streaming through the file (bounded memory). */
export async function decompressedSize(path: string): Promise<number> {
  let total = 0;
  for await (const chunk of openQmdlReadStream(path)) total += (chunk as Buffer).length;
  return total;
}

async function* decompressedChunks(path: string, highWaterMark: number, fileBytes: number | undefined): AsyncGenerator<Buffer> {
  if (fileBytes === 0) return;
  const file = await openForRead(path);
  const source = file.createReadStream({ start: 0, autoClose: false, highWaterMark, ...(fileBytes === undefined ? {} : { end: fileBytes - 1 }) });
  try {
    if ((await encodingOf(file, path)) === 'plain') {
      for await (const chunk of source) yield chunk as Buffer;
      return;
    }
    // finishFlush: Z_SYNC_FLUSH makes a missing trailer a normal end (documented for truncated input).
    const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
    pipeline(source, gunzip, () => undefined);
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (error) {
      if (isUnexpectedEnd(error)) return;
      throw error;
    } finally {
      gunzip.destroy();
    }
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw qmdlError(QmdlErrorCode.QMDL_READ_FAILED, `cannot read ${path}`, { cause: error, details: { path } });
  } finally {
    source.destroy();
    await file.close().catch(() => undefined);
  }
}

/** zlib's complaint about a stream that ends without its trailer: the normal end of a live or cut recording. */
function isUnexpectedEnd(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' && error.message === 'unexpected end of file';
}

async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await fsp.open(path, 'r');
  } catch (error) {
    throw qmdlError(QmdlErrorCode.QMDL_READ_FAILED, `cannot open ${path}`, { cause: error, details: { path, errno: (error as NodeJS.ErrnoException).code } });
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
