import { LedgerError } from '@ledger/domain';

/** The stable error codes of the event log (README "Error codes"). */
export const EventLogErrorCode = {
  /** Another process (or another open in this process) holds the store's LOCK. */
  STORE_LOCKED: 'STORE_LOCKED',
  /** `createIfMissing: false` and there is no store at the location. */
  STORE_NOT_FOUND: 'STORE_NOT_FOUND',
  /** The location holds something that is not an event-log store. */
  NOT_A_STORE: 'NOT_A_STORE',
  /** The store was written by a newer format version than this code understands. */
  UNSUPPORTED_FORMAT_VERSION: 'UNSUPPORTED_FORMAT_VERSION',
  /** The database failed to open for another reason (see `cause`). */
  STORE_OPEN_FAILED: 'STORE_OPEN_FAILED',
  /** `expectedSeq` did not match the head at the position the events would land. */
  SEQUENCE_CONFLICT: 'SEQUENCE_CONFLICT',
  /** The log is closed (or closing). */
  LOG_CLOSED: 'LOG_CLOSED',
  /** The batch write failed; nothing of it was written (see `cause`). */
  WRITE_FAILED: 'WRITE_FAILED',
  /** A read from the database failed (see `cause`). */
  READ_FAILED: 'READ_FAILED',
  /** A stored event value cannot be parsed; run `verify` to locate the damage. */
  CORRUPT_EVENT: 'CORRUPT_EVENT',
  /** A stored snapshot value cannot be parsed. */
  CORRUPT_SNAPSHOT: 'CORRUPT_SNAPSHOT',
  /** Closing the database failed (see `cause`). */
  CLOSE_FAILED: 'CLOSE_FAILED',
  /** An upcaster threw while reading an event (see `cause`). */
  UPCAST_FAILED: 'UPCAST_FAILED',
} as const;

export type EventLogErrorCode = (typeof EventLogErrorCode)[keyof typeof EventLogErrorCode];

declare module '@ledger/domain' {
  interface LedgerErrorCodes {
    eventLog: EventLogErrorCode;
  }
}

/** Why `append` refuses an event (README "Appendable events"). */
export const EventRejectionCode = {
  /** An envelope field is missing or has the wrong type: a programmer's error. */
  MALFORMED_EVENT: 'MALFORMED_EVENT',
  /** `data` or `metadata` is not representable as JSON: a BigInt, a cycle, nesting deeper than 256. */
  EVENT_NOT_REPRESENTABLE: 'EVENT_NOT_REPRESENTABLE',
  /** `data` and `metadata` encode to more than MAX_EVENT_BYTES. */
  EVENT_TOO_LARGE: 'EVENT_TOO_LARGE',
} as const;

export type EventRejectionCode = (typeof EventRejectionCode)[keyof typeof EventRejectionCode];

/** The TypeError `append` rejects with for a bad event; `code` says which rule it broke. */
export class EventRejectedError extends TypeError {
  constructor(
    readonly code: EventRejectionCode,
    message: string,
    /** The position of the event in the array handed to `append`. */
    readonly index: number,
  ) {
    super(message);
    this.name = 'EventRejectedError';
  }
}

/** An error and its `cause` chain (objects only, at most 8 deep). */
function* causeChain(
  error: unknown,
): Generator<{ readonly code?: unknown; readonly message?: unknown; readonly cause?: unknown }> {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** Codes found on a Level error or anywhere in its `cause` chain. */
export function levelErrorCodes(error: unknown): string[] {
  return [...causeChain(error)].flatMap((e) => (typeof e.code === 'string' ? [e.code] : []));
}

/** Maps a failure to open the database to a LedgerError, keeping the Level error as `cause`. */
export function openError(error: unknown): LedgerError {
  if (levelErrorCodes(error).includes('LEVEL_LOCKED')) {
    return new LedgerError(EventLogErrorCode.STORE_LOCKED, 'store is in use by another process', { cause: error });
  }
  return new LedgerError(EventLogErrorCode.STORE_OPEN_FAILED, 'the event store could not be opened', { cause: error });
}

/**
 * A failed batch write as WRITE_FAILED. LevelDB reports a full disk only in its
 * message (an IO error ending in "No space left on device"): that case says
 * ENOSPC in the message and `details.errno`, as a failed file write does, so
 * callers see one cause whichever write hit the full disk first.
 */
export function writeError(error: unknown): LedgerError {
  const diskFull = levelErrorCodes(error).includes('ENOSPC') || /No space left on device/.test(messagesOf(error));
  return diskFull
    ? new LedgerError(EventLogErrorCode.WRITE_FAILED, 'the append was not written: no space left on device (ENOSPC)', {
        cause: error,
        details: { errno: 'ENOSPC' },
      })
    : new LedgerError(EventLogErrorCode.WRITE_FAILED, 'the append was not written', { cause: error });
}

function messagesOf(error: unknown): string {
  return [...causeChain(error)].flatMap((e) => (typeof e.message === 'string' ? [e.message] : [])).join('\n');
}

export function logClosedError(): LedgerError {
  return new LedgerError(EventLogErrorCode.LOG_CLOSED, 'the event log is closed');
}

export function readError(error: unknown): LedgerError {
  if (error instanceof LedgerError) return error;
  return new LedgerError(EventLogErrorCode.READ_FAILED, 'reading the event log failed', { cause: error });
}
