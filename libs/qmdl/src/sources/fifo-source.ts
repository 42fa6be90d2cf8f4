import { close, constants as fsConstants, createReadStream, fstat, open } from 'node:fs';
import { promisify } from 'node:util';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { QmdlErrorCode, qmdlError } from '../errors';
import { FrameSplitter } from '../frame-splitter';
import type { DiagChunk, DiagSource, DiagSourceStats } from './diag-source';
import { chunkOf, framesOf } from './source-util';

export interface FifoSourceOptions {
  readonly spec: string;
  readonly path: string;
  readonly maxFrameBytes?: number;
}

/**
 * Reads a named pipe (or a plain file) as a raw QMDL byte stream and ends at EOF
 * (when the last writer closes the pipe).
 *
 * The pipe is opened non-blocking and read through a libuv pipe handle, so
 * waiting for a writer occupies no thread-pool thread and an abort closes it at
 * once (a blocking open of a FIFO with no writer could never be cancelled).
 */
export class FifoDiagSource implements DiagSource {
  readonly spec: string;
  private readonly splitter: FrameSplitter;

  constructor(private readonly options: FifoSourceOptions) {
    this.spec = options.spec;
    this.splitter = new FrameSplitter(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
  }

  stats(): DiagSourceStats {
    return { ...this.splitter.stats(), reconnects: 0 };
  }

  async *chunks(signal: AbortSignal): AsyncGenerator<DiagChunk> {
    if (signal.aborted) return;
    for await (const frames of framesOf(await this.open(), this.splitter, signal)) {
      if (frames.length > 0) yield chunkOf(frames);
    }
  }

  private async open(): Promise<Readable> {
    const { path } = this.options;
    let fd: number | undefined;
    try {
      fd = await openAsync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
      const info = await fstatAsync(fd);
      // The stream takes ownership of the descriptor (and closes it on destroy).
      if (info.isFIFO()) return new Socket({ fd, readable: true, writable: false });
      if (info.isDirectory()) throw new Error('is a directory');
      return createReadStream(path, { fd, autoClose: true });
    } catch (error) {
      if (fd !== undefined) closeQuietly(fd);
      throw qmdlError(QmdlErrorCode.SOURCE_OPEN_FAILED, `cannot open ${path} for reading`, {
        cause: error,
        details: { path },
      });
    }
  }
}

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);

function closeQuietly(fd: number): void {
  close(fd, () => undefined);
}
