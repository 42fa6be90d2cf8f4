import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { registerBisectCommand } from './bisect.command';
import { registerEventsCommand } from './events.command';
import { registerExportRayhunterCommand } from './export-rayhunter.command';
import { registerExportCommand } from './export.command';
import { registerImportRayhunterCommand } from './import-rayhunter.command';
import { registerImportCommand } from './import.command';
import { registerInspectCommand } from './inspect.command';
import { registerMigrateCommand } from './migrate.command';
import { registerPcapCommand } from './pcap.command';
import { registerStateCommand } from './state.command';
import { registerTimelineCommand } from './timeline.command';
import { registerVerifyCommand } from './verify.command';

/**
 * Registers the forensics commands (README.md in this folder). The read
 * commands work on a private copy of the store and never write to it; only
 * `migrate`, `import` and `import-rayhunter` write; `pcap` converts a QMDL file
 * and touches no store.
 */
export function registerForensicCommands(program: Command, context: CliContext): void {
  registerInspectCommand(program);
  registerEventsCommand(program);
  registerStateCommand(program);
  registerTimelineCommand(program);
  registerVerifyCommand(program);
  registerBisectCommand(program);
  registerExportCommand(program);
  registerImportCommand(program);
  registerMigrateCommand(program);
  registerImportRayhunterCommand(program);
  registerExportRayhunterCommand(program);
  registerPcapCommand(program, context);
}
