import { createHash } from 'node:crypto';

/**
 * A cheap summary for comparing byte buffers in specs: jest's structural
 * toEqual walks a Buffer byte by byte and takes seconds on captures.
 */
export function bytesOf(data: Buffer): { length: number; sha256: string } {
  return { length: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}
