import { constants as fsConstants, promises as fs } from 'node:fs';
import { diagLogTimeMs } from '../diag-message';
import { QmdlErrorCode, qmdlError } from '../errors';
import { FrameSplitter, type HdlcFrame } from '../frame-splitter';
import { openQmdlReadStream } from '../qmdl-reader';
import type { DiagChunk, DiagSource, DiagSourcePace, DiagSourceStats } from './diag-source';
import { chunkOf, framesOf, sleep } from './source-util';

export interface QmdlFileSourceOptions {
  readonly spec: string;
  readonly path: string;
  readonly pace: DiagSourcePace;
  readonly maxFrameBytes?: number;
  readonly maxReplayGapMs: number;
  /** The replay's clock: wall time and a waiting sleep (an abort ends the wait with false); tests inject a virtual one. */
  readonly clock?: ReplayClock;
}

export interface ReplayClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

const WALL_CLOCK: ReplayClock = { now: () => Date.now(), sleep };

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
    this.splitter = new FrameSplitter(
      options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
    );
  }

  stats(): DiagSourceStats {
    return { ...this.splitter.stats(), reconnects: 0 };
  }

  /** The file must exist, be a regular file and be readable. */
  async check(): Promise<void> {
    const path = this.options.path;
    try {
      const stat = await fs.stat(path);
      if (!stat.isFile())
        throw qmdlError(QmdlErrorCode.SOURCE_OPEN_FAILED, `${path} is not a regular file`, { details: { path } });
      await fs.access(path, fsConstants.R_OK);
    } catch (error) {
      if ((error as { code?: unknown }).code === QmdlErrorCode.SOURCE_OPEN_FAILED) throw error;
      throw qmdlError(QmdlErrorCode.SOURCE_OPEN_FAILED, `cannot read ${path}`, { cause: error, details: { path } });
    }
  }

  async *chunks(signal: AbortSignal): AsyncGenerator<DiagChunk> {
    if (signal.aborted) return;
    const wall = this.options.clock ?? WALL_CLOCK;
    // Message time ↔ wall time of the replay, re-based after a capped gap.
    let clock: { messageMs: number; wallMs: number } | undefined;
    for await (const frames of framesOf(openQmdlReadStream(this.options.path), this.splitter, signal)) {
      if (this.options.pace === 'fast') {
        if (frames.length > 0) yield chunkOf(frames);
        continue;
      }
      let group: HdlcFrame[] = [];
      for (const frame of frames) {
        const t = diagLogTimeMs(frame.payload);
        if (t !== undefined) {
          clock ??= { messageMs: t, wallMs: wall.now() };
          const wait = clock.wallMs + (t - clock.messageMs) - wall.now();
          if (wait >= MIN_WAIT_MS) {
            if (group.length > 0) {
              yield chunkOf(group);
              group = [];
            }
            const capped = Math.min(wait, this.options.maxReplayGapMs);
            if (!(await wall.sleep(capped, signal))) return;
            if (wait > capped) clock = { messageMs: t, wallMs: wall.now() };
          }
        }
        group.push(frame);
      }
      if (group.length > 0) yield chunkOf(group);
    }
  }
}
