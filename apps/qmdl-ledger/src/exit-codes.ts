/** Exit statuses of every qmdl-ledger command: serve, fleet, forensics, analysis (README "Exit codes"). */
export const ExitCode = {
  OK: 0,
  /** A finding (verify, bisect), a failed operation, or nothing found. */
  FAILED: 1,
  /** Bad arguments, flags or environment values (a UsageError), or a data directory that cannot serve. */
  USAGE: 2,
  /** The store's LOCK is held by another process. */
  LOCKED: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A wrong argument, flag or environment value: printed as is, exit {@link ExitCode.USAGE}. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
