/** The name of the service's subcommand (`qmdl-ledger serve`). */
export const SERVE_COMMAND = 'serve';

/**
 * Whether this process was started to serve. It has to be known before the CLI
 * is parsed (v8-flags.ts runs before commander is even loaded); the program's
 * own options (--version, --help) take no value and end the process, so the
 * subcommand commander runs is always the first argument after the script.
 */
export function runsServe(argv: readonly string[]): boolean {
  return argv[2] === SERVE_COMMAND;
}
