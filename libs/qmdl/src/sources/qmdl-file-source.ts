import { diagLogTimeMs } from '../diag-message';
import { FrameSplitter, type HdlcFrame } from '../frame-splitter';
import { openQmdlReadStream } from '../qmdl-reader';
import type { DiagChunk, DiagSource, DiagSourcePace, DiagSourceStats } from './diag-source';
import { chunkOf, destroyOnAbort, sleep } from './source-util';

export interface QmdlFileSourceOptions {
  readonly spec: string;
  readonly path: string;
  readonly pace: DiagSourcePace;
  readonly maxFrameBytes?: number;
  readonly maxReplayGapMs: number;
}

/** Waits shorter than this are not worth a timer: those frames join the current chunk. */
const MIN_WAIT_MS = 2;

/**
 * Replays a `.qmdl` / `.qmdl.gz` file (gzip by magic), then ends. 'realtime'
 * pace spaces chunks by the message timestamps (each gap capped at
 * `maxReplayGapMs`; timestamps that go backwards do not wait); 'fast' yields one
 * chunk per read. Bad frames are skipped and counted.
 */
export class QmdlFileDiagSource implements DiagSource {
  readonly spec: string;
  private readonly splitter: FrameSplitter;

  constructor(private readonly options: QmdlFileSourceOptions) {
    this.spec = options.spec;
    this.splitter = new FrameSplitter(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes });
  }

  stats(): DiagSourceStats {
    return { ...this.splitter.stats(), reconnects: 0 };
  }

  async *chunks(signal: AbortSignal): AsyncGenerator<DiagChunk> {
    if (signal.aborted) return;
    const stream = openQmdlReadStream(this.options.path);
    const stopListening = destroyOnAbort(signal, stream);
    // Message time ↔ wall time of the replay, re-based after a capped gap.
    let clock: { messageMs: number; wallMs: number } | undefined;
    try {
      for await (const data of stream) {
        const frames = this.splitter.push(data as Buffer);
        if (this.options.pace === 'fast') {
          if (frames.length > 0) yield chunkOf(frames);
          continue;
        }
        let group: HdlcFrame[] = [];
        for (const frame of frames) {
          const t = diagLogTimeMs(frame.payload);
          if (t !== undefined) {
            clock ??= { messageMs: t, wallMs: Date.now() };
            const wait = clock.wallMs + (t - clock.messageMs) - Date.now();
            if (wait >= MIN_WAIT_MS) {
              if (group.length > 0) {
                yield chunkOf(group);
                group = [];
              }
              const capped = Math.min(wait, this.options.maxReplayGapMs);
              if (!(await sleep(capped, signal))) return;
              if (wait > capped) clock = { messageMs: t, wallMs: Date.now() };
            }
          }
          group.push(frame);
        }
        if (group.length > 0) yield chunkOf(group);
      }
      this.splitter.end();
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      stopListening();
      stream.destroy();
    }
  }
}
