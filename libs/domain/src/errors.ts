import type { RefusalCode } from './commands';

/** The codes the domain produces: its refusals, and a broken invariant (a bug, never a request's fault). */
export type DomainErrorCode = RefusalCode | 'INVARIANT_BROKEN';

/**
 * Every error code of qmdl-ledger, one member per library. Each library adds
 * its own codes by declaration merging, next to where it defines them:
 * `declare module '@ledger/domain' { interface LedgerErrorCodes { store: StoreErrorCode } }`.
 * `new LedgerError` takes only a code listed here, and the API app's status
 * table must map every one of them (and nothing else).
 */
export interface LedgerErrorCodes {
  domain: DomainErrorCode;
}

export type LedgerErrorCode = LedgerErrorCodes[keyof LedgerErrorCodes];

/**
 * The one error base of qmdl-ledger. `code` is API (stable, UPPER_SNAKE, mapped to
 * HTTP statuses in one place in the API app); `message` may change freely.
 */
export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(
    code: LedgerErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
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
