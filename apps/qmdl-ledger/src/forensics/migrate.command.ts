import type { Command } from 'commander';
import { pendingMigrations } from '@ledger/store';
import { MIGRATIONS } from '@ledger/migrations';
import { ExitCode } from '../exit-codes';
import { action, CommandFailed, withCommonOptions, writeJson, writeLine, type CommonOptions } from './cli-support';
import { replay } from './replay';
import { checkStoreDir, withStoreCopy } from './store-access';
import { openWritableLedger } from './writable-store';

interface MigrateOptions extends CommonOptions {
  readonly dryRun?: boolean;
}

export function registerMigrateCommand(program: Command): void {
  withCommonOptions(
    program
      .command('migrate')
      .description(
        'apply pending migrations (each recorded as MigrationApplied); writes to the store — stop the service first',
      )
      .argument('<data-dir>', 'the data directory')
      .option('--dry-run', 'only list the applied and pending migrations (reads a copy)'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, options: MigrateOptions) => {
      checkStoreDir(dataDir);
      // A locked store's message suggests --snapshot, so migrate takes it: migrating a copy that is then
      // thrown away would do nothing, so on a copy migrate can only list what it would apply.
      if (options.snapshot && !options.dryRun && !options.json)
        process.stderr.write('--snapshot: listing from a copy, nothing is applied (stop the service to migrate)\n');
      if (options.dryRun || options.snapshot) {
        const state = await withStoreCopy(dataDir, { snapshot: options.snapshot === true }, async (store) => {
          const result = await replay(store.log);
          if (result.failure)
            throw new CommandFailed(`event ${result.failure.seq} cannot be read (${result.failure.code}); run verify`);
          return result.state;
        });
        const pending = pendingMigrations(MIGRATIONS, state).map((m) => `${m.id}_${m.name}`);
        const applied = Object.entries(state.migrations).map(([id, name]) => `${id}_${name}`);
        if (options.json) writeJson({ applied, pending });
        else {
          writeLine(`applied: ${applied.length === 0 ? 'none' : applied.join(', ')}`);
          writeLine(`pending: ${pending.length === 0 ? 'none' : pending.join(', ')}`);
        }
        return ExitCode.OK;
      }
      const ledger = await openWritableLedger(dataDir, { verbose: !options.json });
      const applied = ledger.recovery?.migrationsApplied ?? [];
      const all = Object.entries(ledger.state().migrations).map(([id, name]) => `${id}_${name}`);
      await ledger.close();
      if (options.json) writeJson({ applied, all });
      else
        writeLine(
          applied.length === 0
            ? `nothing to migrate (${all.length} migration(s) applied before)`
            : `applied ${applied.length} migration(s): ${applied.join(', ')}`,
        );
      return ExitCode.OK;
    }),
  );
}
