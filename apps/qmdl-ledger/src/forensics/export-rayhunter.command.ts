import { constants as fsConstants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { liveRecordings, recordingFileNames, toRayhunterEntry, type RayhunterManifestEntry } from '@ledger/domain';
import { ExitCode } from '../exit-codes';
import { action, CommandFailed, withCommonOptions, writeJson, writeLine, type CommonOptions } from './cli-support';
import { toManifestToml } from './rayhunter-store';
import { replay } from './replay';
import { withStoreCopy } from './store-access';

export function registerExportRayhunterCommand(program: Command): void {
  withCommonOptions(
    program
      .command('export-rayhunter')
      .description(
        'write a Rayhunter store: manifest.toml plus the files of every live recording (the active one included)',
      )
      .argument('<data-dir>', 'the data directory')
      .argument('<out-dir>', 'a directory that does not exist or is empty'),
    { snapshot: true },
  ).action(
    action(async (dataDir: string, outDir: string, options: CommonOptions) => {
      if (existsSync(outDir) && (await fs.readdir(outDir)).length > 0)
        throw new CommandFailed(`${outDir} is not empty`);
      const report = await withStoreCopy(dataDir, options, async (store) => {
        const result = await replay(store.log, { progress: 'export-rayhunter' });
        if (result.failure)
          throw new CommandFailed(`event ${result.failure.seq} cannot be read (${result.failure.code}); run verify`);
        const state = result.state;
        const live = liveRecordings(state);
        const entries: RayhunterManifestEntry[] = [];
        const missing: string[] = [];
        await fs.mkdir(outDir, { recursive: true });
        for (const entry of live.sort((a, b) => Number(BigInt(a.name) - BigInt(b.name)) || 0)) {
          const files = recordingFileNames(entry.name, entry.compressed);
          if (!(await copyIfPresent(path.join(store.recordingsDir, files.qmdl), path.join(outDir, files.qmdl)))) {
            missing.push(entry.name);
            continue;
          }
          await copyIfPresent(path.join(store.recordingsDir, files.analysis), path.join(outDir, files.analysis));
          await copyIfPresent(path.join(store.recordingsDir, files.gps), path.join(outDir, files.gps));
          // The daemon reads qmdl_size_bytes as the file's size: the copy's size is what it will find.
          const size = (await fs.stat(path.join(outDir, files.qmdl))).size;
          entries.push({ ...toRayhunterEntry(entry), qmdl_size_bytes: size });
        }
        const manifest = path.join(outDir, 'manifest.toml');
        await fs.writeFile(`${manifest}.tmp`, toManifestToml(entries), { flag: 'wx' });
        await fs.rename(`${manifest}.tmp`, manifest);
        return {
          outDir,
          entries: entries.map((e) => e.name),
          missing,
          ...(state.current ? { active: state.current.name } : {}),
        };
      });
      if (options.json) writeJson(report);
      else {
        writeLine(`wrote ${report.entries.length} recording(s) and manifest.toml to ${report.outDir}`);
        if (report.active) writeLine(`  ${report.active} was the active recording: exported as a finished one`);
        if (report.missing.length > 0) writeLine(`  skipped (QMDL file missing): ${report.missing.join(', ')}`);
      }
      return report.missing.length === 0 ? ExitCode.OK : ExitCode.FAILED;
    }),
  );
}

async function copyIfPresent(from: string, to: string): Promise<boolean> {
  try {
    await fs.copyFile(from, to, fsConstants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
