/** Reading recordings back the way a user's tool would: gunzip tolerating a missing trailer. */
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';

/** Decompress a `.qmdl.gz` prefix (no trailer is a normal end); throws on corrupt data. */
export function gunzipPrefix(file: string): Buffer {
  return zlib.gunzipSync(readFileSync(file), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
