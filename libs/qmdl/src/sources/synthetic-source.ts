import { SyntheticDiagGenerator } from '../synthetic';
import type { DiagChunk, DiagSource, DiagSourcePace, DiagSourceStats } from './diag-source';
import { sleep, yieldToEventLoop } from './source-util';

export interface SyntheticSourceOptions {
  readonly spec: string;
  readonly rateMessagesPerSecond: number;
  readonly seed: number;
  readonly pace: DiagSourcePace;
  /** Added to the system clock the messages are stamped from (the store's clock offset). Default 0. */
  readonly clockOffsetMs?: number;
}

/**
 * Generated LTE RRC OTA traffic: one chunk per container of 1–6 messages,
 * timestamped from the wall clock (plus `clockOffsetMs`, fixed when the
 * recording starts) at the start and advancing at the configured rate. In 'realtime' pace a chunk is yielded when its last message is due; rate
 * 0 or pace 'fast' yield as fast as possible (letting the event loop run between chunks).
 */
export class SyntheticDiagSource implements DiagSource {
  readonly spec: string;
  private readonly counters: DiagSourceStats = { framesOk: 0, framesBad: 0, bytesSkipped: 0, reconnects: 0 };

  constructor(private readonly options: SyntheticSourceOptions) {
    this.spec = options.spec;
  }

  stats(): DiagSourceStats {
    return { ...this.counters };
  }

  async *chunks(signal: AbortSignal): AsyncGenerator<DiagChunk> {
    const { rateMessagesPerSecond: rate, seed, pace } = this.options;
    // A modem stamps messages with its own clock; this one plays a modem whose clock is the
    // store's adjusted one, so message times agree with the recording's start time.
    const offset = this.options.clockOffsetMs ?? 0;
    const generator = new SyntheticDiagGenerator({
      seed,
      rateMessagesPerSecond: rate,
      startTimeMs: Date.now() + offset,
    });
    const paced = pace === 'realtime' && rate > 0;
    while (!signal.aborted) {
      const container = generator.nextContainer();
      const wait = paced ? container.lastMessageTimeMs - offset - Date.now() : 0;
      if (wait >= 1) {
        if (!(await sleep(wait, signal))) return;
      } else {
        await yieldToEventLoop();
        if (signal.aborted) return;
      }
      this.counters.framesOk += container.frameCount;
      yield {
        frames: container.frames,
        frameCount: container.frameCount,
        lastMessageTimeMs: container.lastMessageTimeMs,
      };
    }
  }
}
