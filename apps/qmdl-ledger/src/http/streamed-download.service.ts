import { pipeline, type Duplex, type Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LedgerError } from '@ledger/domain';
import type { HttpResponse as Response } from './http-types';
import { DOWNLOAD_LIMITS } from './tokens';

/** Limits of every streamed download (flags `--max-downloads`, `--download-idle-timeout-s`). */
export interface StreamedDownloadLimits {
  /** Downloads streaming at once; one more is refused with `TOO_MANY_DOWNLOADS` (503, Retry-After). */
  readonly maxDownloads: number;
  /** A download is ended when no chunk could be handed to the client's socket for this long. */
  readonly idleTimeoutMs: number;
}

const DEFAULT_DOWNLOAD_LIMITS: StreamedDownloadLimits = { maxDownloads: 64, idleTimeoutMs: 60_000 };

/** What a download's opener hands back once every file it needs is open. */
export interface OpenedDownload {
  /** Headers of the 200 (Content-Type, Content-Disposition, Content-Length where known). */
  readonly headers: Readonly<Record<string, string>>;
  /** The source, then any transforms, in order; the response is appended. */
  readonly streams: readonly [Readable, ...Duplex[]];
  /**
   * The body's exact length, when known: sent as Content-Length, and a body
   * that turns out longer or shorter is cut rather than sent wrong.
   */
  readonly contentLength?: number;
}

/**
 * What all downloads together may hold in their stream buffers. A stalled
 * download holds about six chunks (file read, gunzip in and out, the re-emitting
 * reader, the socket's write), so the chunk size offered to a new download
 * shrinks as downloads multiply: 128 KiB (the fast size, DOWNLOAD_CHUNK_BYTES)
 * up to ~32 at once, down to 16 KiB — so a crowd of stalled clients holds the
 * budget, not six fast-size chunks each (bench/README.md, downloads under
 * stalled clients).
 */
const DOWNLOAD_BUFFER_BUDGET_BYTES = 24 * 1024 * 1024;
const CHUNKS_PER_DOWNLOAD = 6;
const MIN_CHUNK_BYTES = 16 * 1024;
const MAX_CHUNK_BYTES = 128 * 1024;

/** The chunk size for a download starting while `streaming` (itself included) are streaming: a power of two in 16..128 KiB. */
function downloadChunkBytes(streaming: number): number {
  const share = DOWNLOAD_BUFFER_BUDGET_BYTES / (CHUNKS_PER_DOWNLOAD * Math.max(1, streaming));
  let chunk = MAX_CHUNK_BYTES;
  while (chunk > MIN_CHUNK_BYTES && chunk > share) chunk /= 2;
  return chunk;
}

/** Seconds a client refused for the cap is told to wait (a download of a big recording takes a while). */
const RETRY_AFTER_SECONDS = 5;

/**
 * The one way a download's body is streamed — from the device's files, and
 * from the fleet's PostgreSQL copy: a bounded, capped, idle-timed download.
 *
 * - **Capped**: at most `maxDownloads` at once. The slot is taken before any
 *   file is opened (or any byte read from the database), so a flood of requests neither holds descriptors nor
 *   memory; over the cap the answer is 503 `TOO_MANY_DOWNLOADS` with
 *   `Retry-After`.
 * - **Bounded**: the streams are piped with backpressure into the socket, so a
 *   client that reads slowly holds only the streams' own buffers (a few chunks)
 *   and nothing is read ahead of it; the opener is told the chunk size to read
 *   in, smaller as more downloads stream (`DOWNLOAD_BUFFER_BUDGET_BYTES`).
 * - **Idle-timed**: when no chunk could be handed to the socket for
 *   `idleTimeoutMs` (a client that stopped reading, or reads a byte now and
 *   then), the connection is cut and everything is released.
 * - The slot is given back when the body ends, fails or the client leaves; a
 *   failure after the headers cuts the connection, so a client sees a
 *   truncated body, never a wrong one.
 *
 * @example
 * await this.streamed.send(res, `qmdl ${name}`, async ({ chunkBytes }) => ({
 *   headers: { 'Content-Type': 'application/octet-stream' },
 *   streams: [await openSomething({ chunkBytes })],
 * }));
 */
@Injectable()
export class StreamedDownloads {
  private readonly logger = new Logger('downloads');
  private readonly limits: StreamedDownloadLimits;
  private streaming = 0;

  constructor(@Inject(DOWNLOAD_LIMITS) limits: Partial<StreamedDownloadLimits>) {
    this.limits = { ...DEFAULT_DOWNLOAD_LIMITS, ...limits };
  }

  /** Downloads streaming now. */
  get active(): number {
    return this.streaming;
  }

  /**
   * Takes a slot (or refuses with `TOO_MANY_DOWNLOADS`), runs `open` (with
   * the chunk size its streams should read in, from the shared budget), sends
   * the 200 with its headers and streams the body. Errors from `open` (404,
   * 503 …) propagate before anything is sent, with the slot given back.
   */
  async send(
    res: Response,
    what: string,
    open: (budget: { readonly chunkBytes: number }) => Promise<OpenedDownload>,
  ): Promise<void> {
    if (this.streaming >= this.limits.maxDownloads) {
      throw new LedgerError(
        'TOO_MANY_DOWNLOADS',
        `${this.limits.maxDownloads} downloads are already streaming; try again in a bit`,
        {
          details: { retryAfterSeconds: RETRY_AFTER_SECONDS },
        },
      );
    }
    this.streaming += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.streaming -= 1;
    };
    let opened: OpenedDownload;
    try {
      opened = await open({ chunkBytes: downloadChunkBytes(this.streaming) });
    } catch (error) {
      release();
      throw error;
    }
    res.status(200);
    for (const [name, value] of Object.entries(opened.headers)) res.setHeader(name, value);
    const last = opened.streams[opened.streams.length - 1] as Readable;
    if (opened.contentLength !== undefined) {
      res.setHeader('Content-Length', String(opened.contentLength));
      checkLength(last, opened.contentLength, res, (message) => this.logger.warn(`${what}: ${message}`));
    }
    // Socket inactivity: a write the client does not take in keeps the socket's
    // timer from being refreshed. The response's own 'timeout' listener keeps
    // Node from destroying the socket by itself, so we can say why.
    res.setTimeout(this.limits.idleTimeoutMs, () => {
      this.logger.warn(
        `${what}: the client read nothing for ${Math.round(this.limits.idleTimeoutMs / 1000)} s; download ended`,
      );
      res.destroy();
    });
    pipeline([...opened.streams, res] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream], (error) => {
      release();
      if (error && (error as { code?: unknown }).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        this.logger.warn(`${what}: ${error.message}`);
    });
  }
}

/**
 * Watches the last stream's chunks (an observer beside the pipe, not one more
 * buffering stage: every stage holds a chunk or two while a client stalls) and
 * cuts the response when the body disagrees with its Content-Length. The
 * 'end' listener is added before the pipe's, so a short body is cut before
 * the response could end normally.
 */
function checkLength(stream: Readable, expected: number, res: Response, warn: (message: string) => void): void {
  let seen = 0;
  stream.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > expected) {
      warn(`longer than its Content-Length ${expected}; cut`);
      res.destroy();
      stream.destroy();
    }
  });
  stream.prependListener('end', () => {
    if (seen !== expected) {
      warn(`ended at ${seen} of its Content-Length ${expected} bytes; cut`);
      res.destroy();
    }
  });
}
