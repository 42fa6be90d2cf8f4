import { isLedgerError } from '../errors';

/** What a spec reads where a LedgerError was expected but something else was thrown. */
export const NOT_A_LEDGER_ERROR = 'not a LedgerError';

/**
 * The stable code of the LedgerError an attempt throws or rejects with — the one way
 * specs assert an error in process (over HTTP, test/helpers/http-errors.ts reads it):
 * `expect(errorCodeOf(() => decodeHdlcFrame(frame))).toBe('HDLC_BAD_CRC')`,
 * `expect(await errorCodeOf(log.append(events))).toBe('SEQUENCE_CONFLICT')`.
 * Undefined when the attempt succeeds; `NOT_A_LEDGER_ERROR` for any other throw, so a
 * plain Error never passes for a coded one.
 */
export function errorCodeOf(attempt: Promise<unknown> | (() => Promise<unknown>)): Promise<string | undefined>;
export function errorCodeOf(attempt: () => unknown): string | undefined;
export function errorCodeOf(
  attempt: Promise<unknown> | (() => unknown),
): string | undefined | Promise<string | undefined> {
  let outcome: unknown;
  try {
    outcome = typeof attempt === 'function' ? attempt() : attempt;
  } catch (error) {
    return codeOfThrown(error);
  }
  if (outcome instanceof Promise) {
    return outcome.then(
      () => undefined,
      (error: unknown) => codeOfThrown(error),
    );
  }
  return undefined;
}

function codeOfThrown(error: unknown): string {
  return isLedgerError(error) ? error.code : NOT_A_LEDGER_ERROR;
}
