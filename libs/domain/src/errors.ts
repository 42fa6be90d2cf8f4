/**
 * The one error base of qmdl-ledger. `code` is API (stable, UPPER_SNAKE, mapped to
 * HTTP statuses in one place in the API app); `message` may change freely.
 */
export class LedgerError extends Error {
  readonly code: string;
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LedgerError';
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** True for a LedgerError carrying `code` (or any LedgerError when no code is given). */
export function isLedgerError(value: unknown, code?: string): value is LedgerError {
  return value instanceof LedgerError && (code === undefined || value.code === code);
}
