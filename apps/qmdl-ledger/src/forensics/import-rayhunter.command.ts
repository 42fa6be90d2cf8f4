import { randomUUID } from 'node:crypto';
import { constants as fsConstants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { recordingFileNames } from '@ledger/domain';
import { recordingsDir } from '@ledger/store';
import { ExitCode } from '../exit-codes';
import { action, CommandFailed, usageExits, writeJson, writeLine } from './cli-support';
import { scanRayhunterStore, type RayhunterRecording } from './rayhunter-store';
import { openWritableLedger } from './writable-store';

interface ImportRayhunterOptions {
  readonly json?: boolean;
}

export interface ImportRayhunterReport {
  readonly source: string;
  readonly dataDir: string;
  readonly manifest: 'ok' | 'missing' | 'damaged';
  readonly imported: ReadonlyArray<{
    readonly name: string;
    readonly seq: number;
    readonly recoveredFrom: string;
    readonly files: readonly string[];
  }>;
  /** Already in the store (a second run, or adopted before). */
  readonly skipped: readonly string[];
  /** The command was refused (code). */
  readonly refused: ReadonlyArray<{ readonly name: string; readonly code: string; readonly message: string }>;
  /** Manifest entries whose QMDL file is missing. */
  readonly missingFiles: readonly string[];
  readonly problems: readonly string[];
}

export function registerImportRayhunterCommand(program: Command): void {
  usageExits(
    program
      .command('import-rayhunter')
      .description(
        'bring a Rayhunter store in: manifest.toml entries (recovered from file names where the manifest is missing or damaged), files copied, one RecordingImported each; a second run imports nothing twice',
      )
      .argument(
        '<rayhunter-qmdl-dir>',
        "the Rayhunter daemon's qmdl store directory (manifest.toml and <name>.qmdl[.gz] files)",
      )
      .argument('<data-dir>', 'the qmdl-ledger data directory (created when missing)')
      .option('--json', 'machine-readable output (JSON)'),
  ).action(
    action(async (sourceDir: string, dataDir: string, options: ImportRayhunterOptions) => {
      if (!existsSync(sourceDir) || !(await fs.stat(sourceDir)).isDirectory())
        throw new CommandFailed(`${sourceDir} is not a directory`);
      const scan = await scanRayhunterStore(sourceDir);
      const ledger = await openWritableLedger(dataDir, { verbose: false });
      const imported: Array<ImportRayhunterReport['imported'][number]> = [];
      const skipped: string[] = [];
      const refused: Array<ImportRayhunterReport['refused'][number]> = [];
      const correlationId = randomUUID();
      try {
        const target = recordingsDir(dataDir);
        await fs.mkdir(target, { recursive: true });
        for (const recording of scan.recordings) {
          if (ledger.state().names[recording.name] !== undefined) {
            skipped.push(recording.name);
            continue;
          }
          const copied = await copyFiles(recording, target);
          const result = await ledger.execute(
            {
              type: 'ImportRecording',
              data: {
                name: recording.name,
                startTime: recording.startTime,
                qmdlSizeBytes: recording.qmdlSizeBytes,
                compressed: recording.compressed,
                recoveredFrom: recording.recoveredFrom,
                source: recording.files.qmdl,
                ...optionalFields(recording),
              },
            },
            { actor: { kind: 'cli', command: 'import-rayhunter' }, correlationId },
          );
          if (result.ok) {
            imported.push({
              name: recording.name,
              seq: result.seq,
              recoveredFrom: recording.recoveredFrom,
              files: copied.map((f) => path.basename(f)),
            });
          } else {
            for (const file of copied) await fs.rm(file, { force: true });
            refused.push({ name: recording.name, code: result.refusal.code, message: result.refusal.message });
          }
        }
      } finally {
        await ledger.close();
      }
      const report: ImportRayhunterReport = {
        source: sourceDir,
        dataDir,
        manifest: scan.manifest,
        imported,
        skipped,
        refused,
        missingFiles: scan.missingFiles,
        problems: scan.problems,
      };
      if (options.json) writeJson(report);
      else printReport(report);
      return refused.length === 0 ? ExitCode.OK : ExitCode.FAILED;
    }),
  );
}

function optionalFields(r: RayhunterRecording): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [
    'lastMessageTime',
    'rayhunterVersion',
    'systemOs',
    'arch',
    'stopReason',
    'uploadTime',
    'gpsMode',
  ] as const) {
    if (r[key] !== undefined) out[key] = r[key];
  }
  return out;
}

/**
 * Copies the QMDL file (as it is: `.qmdl` or `.qmdl.gz`), the analysis and the
 * GPS file; never overwrites. A recording without an analysis file gets an
 * empty one, as the recorder gives every new recording, so downloads have
 * every member (migration 0001 does the same for stores imported before).
 */
async function copyFiles(recording: RayhunterRecording, target: string): Promise<string[]> {
  const copied: string[] = [];
  if (recording.files.analysis === undefined) {
    const analysis = path.join(target, recordingFileNames(recording.name, true).analysis);
    try {
      await fs.writeFile(analysis, '', { flag: 'wx' });
      copied.push(analysis);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  for (const file of [recording.files.qmdl, recording.files.analysis, recording.files.gps]) {
    if (file === undefined) continue;
    const to = path.join(target, path.basename(file));
    try {
      await fs.copyFile(file, to, fsConstants.COPYFILE_EXCL);
    } catch (error) {
      // A file of the same name already there is an orphan the store will judge; leave it.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    copied.push(to);
  }
  return copied;
}

function printReport(r: ImportRayhunterReport): void {
  writeLine(`manifest.toml: ${r.manifest}`);
  for (const p of r.problems) writeLine(`  ${p}`);
  writeLine(`imported ${r.imported.length} recording(s)`);
  for (const i of r.imported) writeLine(`  ${i.name}  seq ${i.seq}  from ${i.recoveredFrom}  (${i.files.join(', ')})`);
  if (r.skipped.length > 0) writeLine(`skipped ${r.skipped.length} already in the store: ${r.skipped.join(', ')}`);
  if (r.missingFiles.length > 0) writeLine(`not importable (no QMDL file): ${r.missingFiles.join(', ')}`);
  for (const x of r.refused) writeLine(`refused ${x.name}: ${x.code}: ${x.message}`);
}
