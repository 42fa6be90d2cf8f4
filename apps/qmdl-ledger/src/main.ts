/**
 * `qmdl-ledger`: one binary for the service (`serve`) and the forensics tools.
 * Each command group registers itself; `--help` lists everything.
 */
import v8 from 'node:v8';
// `serve` keeps V8's young generation at its initial 2 × 1 MiB instead of letting it grow to
// 2 × 16 MiB. A download streams ~1 GB of short-lived zlib buffers, and a young generation at
// full size held ~30 MB more heap (and let their off-heap memory wait longer for a scavenge):
// peak RSS with two downloads and an ingest 154 -> 131 MB in a private run of the bench's
// phase, download throughput unchanged (bench/README.md). The usual knob, --max-semi-space-size
// (https://nodejs.org/api/cli.html#--max-semi-space-sizesize-in-megabytes), is read only when
// the heap is created, so it would need NODE_OPTIONS or a re-exec (a second Node start on the
// cold-start budget); the growth factor is read each time the young generation would grow
// (SemiSpaceNewSpace::Grow in https://github.com/v8/v8/blob/11.3.244.8/src/heap/new-spaces.cc,
// V8 of Node 20), so setting it here, before anything else loads, is enough (measured: cold
// start unchanged). The forensic commands keep V8's default.
if (process.argv[2] === 'serve') v8.setFlagsFromString('--semi-space-growth-factor=1');
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
