/**
 * `qmdl-ledger`: one binary for the service (`serve`) and the forensics tools.
 * Each command group registers itself; `--help` lists everything.
 */
// First, before anything else loads: `serve`'s V8 heap settings (why first: see there).
import './serve/v8-flags';
import 'reflect-metadata';
import { Command, Help, type Option } from 'commander';
import { registerServeCommand } from './serve/serve.command';
import { registerAnalyzeCommand } from './analysis/analyze.command';
import { registerForensicCommands } from './forensics/forensic.commands';
import { registerFleetCommand } from './fleet/fleet.command';
import { realHost } from '@ledger/store';
import type { CliContext } from './cli-context';
import { APP_VERSION } from './version';

/**
 * Commander lists a required option (`requiredOption`) among the optional ones
 * and leaves it out of the usage line, so `timeline --help` read as if
 * `--recording` were optional: put required options in the usage line and mark
 * them "(required)". Subcommands inherit this from the program.
 */
const REQUIRED_OPTIONS_HELP: Partial<Help> = {
  commandUsage(this: Help, command: Command): string {
    const usage = Help.prototype.commandUsage.call(this, command);
    const required = command.options.filter((option) => option.mandatory).map((option) => option.flags);
    if (required.length === 0) return usage;
    const name = command.name();
    const at = usage.indexOf(`${name} `);
    return at < 0
      ? `${usage} ${required.join(' ')}`
      : `${usage.slice(0, at + name.length)} ${required.join(' ')}${usage.slice(at + name.length)}`;
  },
  optionDescription(this: Help, option: Option): string {
    const description = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `(required) ${description}` : description;
  },
};

/**
 * The commands, with what they share: the host their reports name (the real
 * one, read once here; a test may pass a fixed one), as the service's ledger
 * is given its `HostInfo`.
 */
export function buildProgram(context: CliContext = { host: realHost() }): Command {
  const program = new Command('qmdl-ledger')
    .description('Event-sourced store for QMDL cellular diagnostic captures (Rayhunter-compatible)')
    .version(APP_VERSION)
    .configureHelp(REQUIRED_OPTIONS_HELP)
    .showHelpAfterError()
    .enablePositionalOptions();
  registerServeCommand(program);
  registerForensicCommands(program, context);
  registerAnalyzeCommand(program, context);
  registerFleetCommand(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv's shape), here and from bin/qmdl-ledger.js. */
export function runCli(argv: readonly string[]): Promise<void> {
  return buildProgram()
    .parseAsync([...argv])
    .then(() => undefined)
    .catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      process.stderr.write(
        `qmdl-ledger: ${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}\n`,
      );
      process.exitCode = process.exitCode || 1;
    });
}

if (require.main === module) void runCli(process.argv);
