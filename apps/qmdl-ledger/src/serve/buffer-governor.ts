import v8 from 'node:v8';
import vm from 'node:vm';

/** V8's `gc` extension: `gc({ type: 'minor' })` scavenges, `gc({ type: 'major', execution: 'async' })` starts a mark-compact. */
export type CollectGarbage = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => unknown;

export interface BufferGovernorOptions {
  /** Collect once ArrayBuffer memory (`process.memoryUsage().arrayBuffers`) is above this many bytes. */
  readonly limitBytes: number;
  /** Check this often while buffers are near the limit (default 20 ms). */
  readonly busyIntervalMs?: number;
  /** …and this often otherwise (default 100 ms). */
  readonly idleIntervalMs?: number;
  /** At most one mark-compact per this many ms (default 250). */
  readonly minMajorIntervalMs?: number;
  /**
   * Told when a sample fails (`process.memoryUsage()` opens /proc and throws
   * EMFILE when the process is out of descriptors); the governor skips that
   * sample and keeps its schedule. Default: ignored.
   */
  readonly onError?: (error: unknown) => void;
  /**
   * What collects: V8's own `gc` in `serve` (`exposeGc()`), a recorder in tests.
   * Passed in, so nothing in this module turns on V8's `gc` extension behind its caller's back.
   */
  readonly collect: CollectGarbage;
  /** Injectable for tests. */
  readonly arrayBufferBytes?: () => number;
  readonly now?: () => number;
}

/** What the governor did since it was made (served in `/metrics`). */
export interface BufferGovernorStats {
  /** The limit it holds ArrayBuffer memory to. */
  readonly limitBytes: number;
  /** ArrayBuffer memory at the last sample (0 before the first). */
  readonly lastSampleBytes: number;
  /** Scavenges it asked for. */
  readonly minor: number;
  /** Mark-compacts it started. */
  readonly major: number;
  /** Samples skipped because reading the memory failed. */
  readonly failedSamples: number;
}

/**
 * Keeps the memory held by dead Buffers bounded.
 *
 * A Buffer's bytes live outside V8's heap; V8 frees them only when a garbage
 * collection finds their small JS handle dead, and it schedules collections by
 * its own heap's growth, not by those bytes. Streaming work allocates many
 * bytes per handle — a download ~128 KiB per chunk, the gzip writer's output —
 * so between two collections tens of MB of dead buffers pile up (V8 steps in
 * only at 64 MB more external memory), and glibc's heap keeps the high-water
 * mark (peak RSS with two 1 GB downloads and an ingest: bench/README.md).
 *
 * The governor samples the buffer bytes (every 20 ms while they are above a
 * quarter of the limit, every 100 ms otherwise) and, above the limit,
 * scavenges the young generation (cheap: the young generation is kept small); if that did not
 * bring them under the limit by the next sample, the dead buffers are old ones
 * and it starts an incremental mark-compact (at most one per 250 ms).
 *
 * `serve` passes V8's `gc` extension as the collector (`exposeGc()`); it acts on
 * the whole isolate.
 */
export class BufferGovernor {
  private timer: NodeJS.Timeout | undefined;
  private minor = 0;
  private major = 0;
  private failedSamples = 0;
  private lastSampleBytes = 0;
  private lastMajorAt = Number.NEGATIVE_INFINITY;
  private scavengedLastTick = false;
  private readonly busyMs: number;
  private readonly idleMs: number;
  private readonly minMajorMs: number;
  private readonly bytes: () => number;
  private readonly collect: CollectGarbage;
  private readonly now: () => number;

  constructor(private readonly options: BufferGovernorOptions) {
    if (!(Number.isFinite(options.limitBytes) && options.limitBytes > 0))
      throw new TypeError('BufferGovernor: limitBytes must be > 0');
    this.busyMs = options.busyIntervalMs ?? 20;
    this.idleMs = options.idleIntervalMs ?? 100;
    this.minMajorMs = options.minMajorIntervalMs ?? 250;
    this.bytes = options.arrayBufferBytes ?? (() => process.memoryUsage().arrayBuffers);
    this.collect = options.collect;
    this.now = options.now ?? (() => performance.now());
  }

  start(): this {
    if (this.timer === undefined) this.schedule(this.idleMs);
    return this;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get stats(): BufferGovernorStats {
    return {
      limitBytes: this.options.limitBytes,
      lastSampleBytes: this.lastSampleBytes,
      minor: this.minor,
      major: this.major,
      failedSamples: this.failedSamples,
    };
  }

  /** One sample: collect if needed; returns the delay until the next one. */
  tick(): number {
    const bytes = this.bytes();
    this.lastSampleBytes = bytes;
    const limit = this.options.limitBytes;
    if (bytes <= limit) {
      this.scavengedLastTick = false;
    } else if (this.scavengedLastTick && this.now() - this.lastMajorAt >= this.minMajorMs) {
      // A scavenge did not help: what is dead is in the old generation.
      this.collect({ type: 'major', execution: 'async' });
      this.major += 1;
      this.lastMajorAt = this.now();
      this.scavengedLastTick = false;
    } else {
      this.collect({ type: 'minor' });
      this.minor += 1;
      this.scavengedLastTick = true;
    }
    return bytes > limit / 4 ? this.busyMs : this.idleMs;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      if (this.timer === undefined) return;
      let next = this.idleMs;
      try {
        next = this.tick();
      } catch (error) {
        // A timer callback that throws ends the process: a failed sample is only a skipped one.
        this.scavengedLastTick = false;
        this.failedSamples += 1;
        this.options.onError?.(error);
      }
      this.schedule(next);
    }, delayMs);
    this.timer.unref();
  }
}

/**
 * V8's `gc` function, without starting Node with --expose-gc: the flag set at
 * run time adds `gc` to contexts created afterwards, so it is read from a fresh
 * one (the way jest's leak detector does it).
 */
export function exposeGc(): CollectGarbage {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as CollectGarbage;
}
