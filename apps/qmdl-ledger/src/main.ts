/**
 * `qmdl-ledger`: one binary for the service (`serve`) and the forensics tools.
 * Each command group registers itself; `--help` lists everything.
 */
import v8 from 'node:v8';
// `serve` runs V8 with two heap settings for a small, steady footprint (bench/README.md, peak RSS):
// - the young generation stays at its initial 2 × 1 MiB instead of growing to 2 × 16 MiB
//   (--semi-space-growth-factor=1): streamed buffers die in frequent scavenges, and a full-size
//   young generation held ~30 MB more;
// - the old generation may grow to 1.5× what survived the last mark-compact before the next one
//   (--heap-growing-percent=50; V8 lets a small heap grow up to 4×): under 50 connections polling
//   the manifest the heap otherwise swelled from ~20 to ~50 MB of pages it kept afterwards; with
//   it, RSS after that load 96 instead of 113–134 MB, and the two-downloads-plus-ingest peak
//   106–118 instead of 136–160 MB. The live heap is ~17 MB, so the extra mark-compacts are cheap.
// Both flags are read whenever V8 sizes a space, so setting them here, before anything else
// loads, works (the usual --max-semi-space-size is read only when the heap is created and would
// need a re-exec). See SemiSpaceNewSpace::Grow and MemoryController::GrowingFactor in V8 11.3
// (Node 20): https://github.com/v8/v8/blob/11.3.244.8/src/heap/. The forensic commands keep V8's defaults.
if (process.argv[2] === 'serve') v8.setFlagsFromString('--semi-space-growth-factor=1 --heap-growing-percent=50');
import 'reflect-metadata';
import { Command, Help, type Option } from 'commander';
import { registerServeCommand } from './http/serve.command';
import { registerAnalyzeCommand } from './analysis/analyze.command';
import { registerForensicCommands } from './forensics/forensic.commands';
import { registerFleetCommand } from './fleet/fleet.command';
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

export function buildProgram(): Command {
  const program = new Command('qmdl-ledger')
    .description('Event-sourced store for QMDL cellular diagnostic captures (Rayhunter-compatible)')
    .version(APP_VERSION)
    .configureHelp(REQUIRED_OPTIONS_HELP)
    .showHelpAfterError()
    .enablePositionalOptions();
  registerServeCommand(program);
  registerForensicCommands(program);
  registerAnalyzeCommand(program);
  registerFleetCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      process.stderr.write(
        `qmdl-ledger: ${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}\n`,
      );
      process.exitCode = process.exitCode || 1;
    });
}
