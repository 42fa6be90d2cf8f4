/**
 * `qmdl-ledger`: one binary for the service (`serve`) and the forensics tools.
 * Each command group registers itself; `--help` lists everything.
 */
import 'reflect-metadata';
import { Command } from 'commander';
import { registerServeCommand } from './http/serve.command';
import { registerForensicCommands } from './forensics/forensic.commands';
import { APP_VERSION } from './version';

export function buildProgram(): Command {
  const program = new Command('qmdl-ledger')
    .description('Event-sourced store for QMDL cellular diagnostic captures (Rayhunter-compatible)')
    .version(APP_VERSION)
    .showHelpAfterError()
    .enablePositionalOptions();
  registerServeCommand(program);
  registerForensicCommands(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      process.stderr.write(`qmdl-ledger: ${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}\n`);
      process.exitCode = process.exitCode || 1;
    });
}
