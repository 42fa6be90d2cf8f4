import { once } from 'node:events';
import { Socket, connect } from 'node:net';
import { FrameSplitter } from '../frame-splitter';
import type { DiagChunk, DiagSource, DiagSourceStats } from './diag-source';
import { chunkOf, destroyOnAbort, sleep } from './source-util';

export interface TcpSourceOptions {
  readonly spec: string;
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes?: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
}

/**
 * Connects to a producer of raw QMDL bytes over TCP and keeps doing so until
 * aborted: when the connection fails or drops it waits (exponential backoff from
 * `reconnectInitialMs` up to `reconnectMaxMs`, reset by a successful connect) and
 * reconnects. A frame cut by a drop is counted bad; the next connection starts clean.
 */
export class TcpDiagSource implements DiagSource {
  readonly spec: string;
  private readonly splitter: FrameSplitter;
  private reconnects = 0;

  constructor(private readonly options: TcpSourceOptions) {
    this.spec = options.spec;
    this.splitter = new FrameSplitter(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
  }

  stats(): DiagSourceStats {
    return { ...this.splitter.stats(), reconnects: this.reconnects };
  }

  async *chunks(signal: AbortSignal): AsyncGenerator<DiagChunk> {
    const { host, port, reconnectInitialMs, reconnectMaxMs } = this.options;
    let backoff = reconnectInitialMs;
    let attempt = 0;
    while (!signal.aborted) {
      if (attempt++ > 0) this.reconnects++;
      const socket: Socket = connect({ host, port });
      const stopListening = destroyOnAbort(signal, socket);
      try {
        await once(socket, 'connect', { signal });
        backoff = reconnectInitialMs;
        for await (const data of socket) {
          const frames = this.splitter.push(data as Buffer);
          if (frames.length > 0) yield chunkOf(frames);
        }
      } catch {
        // Refused, reset or aborted: the loop decides whether to retry.
      } finally {
        stopListening();
        socket.destroy();
        this.splitter.end();
      }
      if (signal.aborted || !(await sleep(backoff, signal))) return;
      backoff = Math.min(backoff * 2, reconnectMaxMs);
    }
  }
}
