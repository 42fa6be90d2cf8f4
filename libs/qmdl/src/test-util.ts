import { createHash } from 'node:crypto';
import { isLedgerError } from '@ledger/domain';

/**
 * A cheap summary for comparing byte buffers in specs: jest's structural
 * toEqual walks a Buffer byte by byte and takes seconds on captures.
 */
export function bytesOf(data: Buffer): { length: number; sha256: string } {
  return { length: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** The LedgerError code `fn` throws ('not a LedgerError' for anything else), or undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isLedgerError(error) ? error.code : 'not a LedgerError';
  }
  return undefined;
}
