import { setTimeout as delay } from 'node:timers/promises';
import { diagLogTimeMs } from '../diag-message';
import type { Readable } from 'node:stream';
import { joinFrames, type FrameSplitter, type HdlcFrame } from '../frame-splitter';
import type { DiagChunk } from './diag-source';

/** Waits `ms`; resolves false (instead of throwing) when the signal aborts first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await delay(Math.max(0, ms), undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Lets timers and I/O run between chunks of a source that never waits. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A chunk of valid frames; its time is that of its last log message. */
export function chunkOf(frames: readonly HdlcFrame[]): DiagChunk {
  let lastMessageTimeMs: number | undefined;
  for (let i = frames.length - 1; i >= 0 && lastMessageTimeMs === undefined; i--) {
    lastMessageTimeMs = diagLogTimeMs((frames[i] as HdlcFrame).payload);
  }
  const frameBytes = joinFrames(frames);
  return lastMessageTimeMs === undefined
    ? { frames: frameBytes, frameCount: frames.length }
    : { frames: frameBytes, frameCount: frames.length, lastMessageTimeMs };
}

/** Destroys `target` when the signal aborts; returns the function that stops listening. */
export function destroyOnAbort(signal: AbortSignal, target: { destroy(): unknown }): () => void {
  const onAbort = (): void => {
    target.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/**
 * The valid frames of each read of `stream` (possibly none), then the
 * splitter's end (a partial last frame counts as bad). The stream is destroyed
 * when the signal aborts or the consumer stops; a read error after an abort
 * ends the walk quietly.
 */
export async function* framesOf(
  stream: Readable,
  splitter: FrameSplitter,
  signal: AbortSignal,
): AsyncGenerator<HdlcFrame[]> {
  const stopListening = destroyOnAbort(signal, stream);
  try {
    for await (const data of stream) yield splitter.push(data as Buffer);
    splitter.end();
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  } finally {
    stopListening();
    stream.destroy();
  }
}
