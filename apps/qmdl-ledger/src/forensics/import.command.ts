import { existsSync, promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { ledgerLocation, PROJECTION_SNAPSHOT, PROJECTION_VERSION } from '@ledger/store';
import { LevelEventLog } from '@ledger/event-log';
import { buildUpcasters } from '@ledger/migrations';
import { ExitCode } from '../exit-codes';
import { action, CommandFailed, usageExits, writeJson, writeLine } from './cli-support';
import { importStoredEvents } from './raw-events';
import { replay } from './replay';

interface ImportOptions {
  readonly json?: boolean;
}

export function registerImportCommand(program: Command): void {
  usageExits(
    program
      .command('import')
      .description(
        'write an NDJSON export into a NEW data directory (sequence, hashes and metadata preserved), then verify it',
      )
      .argument('<file.ndjson>', 'an export written by `qmdl-ledger export`')
      .argument('<new-data-dir>', 'a data directory that does not exist or is empty')
      .option('--json', 'machine-readable output (JSON)'),
  ).action(
    action(async (file: string, dataDir: string, options: ImportOptions) => {
      if (!existsSync(file)) throw new CommandFailed(`${file} does not exist`);
      if (existsSync(dataDir) && (await fs.readdir(dataDir)).length > 0) {
        throw new CommandFailed(`${dataDir} is not empty: import writes a new store only`);
      }
      const createdDir = !existsSync(dataDir);
      const location = ledgerLocation(dataDir);
      try {
        const imported = await importStoredEvents(file, location);
        // Re-open as any reader would, rebuild and store the projection, and verify.
        const log = await LevelEventLog.open({ location, createIfMissing: false, upcasters: buildUpcasters() });
        try {
          const chain = await log.verify();
          if (!chain.ok || chain.headHash !== imported.headHash || log.headSeq() !== imported.events) {
            throw new CommandFailed(
              `the imported store does not verify: ${chain.firstBad ? `seq ${chain.firstBad.seq} ${chain.firstBad.code}` : `head ${log.headSeq()}/${chain.headHash}`}`,
            );
          }
          const rebuilt = await replay(log, { progress: 'import: projection' });
          if (rebuilt.failure)
            throw new CommandFailed(
              `the imported event ${rebuilt.failure.seq} cannot be read back (${rebuilt.failure.code})`,
            );
          await log.writeSnapshot(PROJECTION_SNAPSHOT, {
            seq: rebuilt.state.seq,
            version: PROJECTION_VERSION,
            value: rebuilt.state,
          });
        } finally {
          await log.close();
        }
        await fs.mkdir(`${dataDir}/qmdl`, { recursive: true });
        const report = {
          dataDir,
          events: imported.events,
          headHash: imported.headHash,
          storeId: imported.storeId,
          verified: true,
        };
        if (options.json) writeJson(report);
        else
          writeLine(
            `imported ${report.events} event(s) into ${dataDir} (store ${report.storeId}, head hash ${report.headHash}); verified. Recordings are not part of an export: copy <old-data-dir>/qmdl/ yourself.`,
          );
        return ExitCode.OK;
      } catch (error) {
        // Leave nothing half-imported behind.
        await fs.rm(createdDir ? dataDir : location, { recursive: true, force: true });
        throw error;
      }
    }),
  );
}
