import type { Command } from 'commander';

/** Registers `qmdl-ledger serve` (owned by the HTTP app). */
export function registerServeCommand(program: Command): void {
  program.command('serve').description('run the recording service and its HTTP API').action(() => {
    throw new Error('serve is not implemented yet');
  });
}
