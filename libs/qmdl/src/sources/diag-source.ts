/** One batch of diag data from a source. */
export interface DiagChunk {
  /** Complete, valid HDLC frames, back to back (raw QMDL bytes). */
  readonly frames: Buffer;
  readonly frameCount: number;
  /** Time of the last log message in the chunk (unix ms), when it holds one. */
  readonly lastMessageTimeMs?: number;
}

export interface DiagSourceStats {
  framesOk: number;
  framesBad: number;
  bytesSkipped: number;
  reconnects: number;
}

/**
 * A producer of diag frames (the modem's /dev/diag stand-ins).
 *
 * @example
 * const source = createDiagSource('tcp:127.0.0.1:4000');
 * for await (const chunk of source.chunks(controller.signal)) await writer.write(chunk.frames);
 */
export interface DiagSource {
  /** The spec it was created from, e.g. 'synthetic', 'tcp:127.0.0.1:4000'. */
  readonly spec: string;
  /** Yields chunks until the source ends (then the iterable completes) or the signal aborts. */
  chunks(signal: AbortSignal): AsyncIterable<DiagChunk>;
  stats(): DiagSourceStats;
  /**
   * Fails (`SOURCE_OPEN_FAILED`) when the source cannot work at all, e.g. the
   * file it replays does not exist, so a service can refuse to start instead
   * of recording nothing. Sources whose input may appear later (a FIFO's
   * writer, a TCP peer) do not implement it.
   */
  check?(): Promise<void>;
}

export type DiagSourcePace = 'realtime' | 'fast';

export interface DiagSourceOptions {
  /** synthetic: messages per second (default 50; 0 = as fast as possible). */
  readonly rateMessagesPerSecond?: number;
  /** synthetic: PRNG seed (default 1). */
  readonly seed?: number;
  /**
   * synthetic: added to the system clock its messages are stamped from (the store's clock
   * offset, in ms). Other sources carry the times their producer wrote into the messages.
   */
  readonly clockOffsetMs?: number;
  /** synthetic and qmdl: 'realtime' (default) paces by message time; 'fast' goes as fast as possible. */
  readonly pace?: DiagSourcePace;
  /** fifo, tcp, qmdl: longest accepted frame (default 64 KiB). */
  readonly maxFrameBytes?: number;
  /** tcp: first reconnect delay (default 100 ms), doubled per failure… */
  readonly reconnectInitialMs?: number;
  /** …up to this (default 5000 ms). */
  readonly reconnectMaxMs?: number;
  /** qmdl realtime: longest wait for one gap between messages (default 5000 ms; clocks on these devices jump). */
  readonly maxReplayGapMs?: number;
}
