import { promises as fs } from 'node:fs';
import { liveRecordings, startTimeOfName, type QmdlStoreState } from '@ledger/domain';
import type { CommandContext, CommandResult, LedgerCommand } from './ledger';
import type { LedgerLogger } from './logger';
import { pendingMigrations, type Migration } from './migration';
import type { RecordingFiles } from './recording-files';
import { ensureWritableDirectory } from './data-dir';
import type { EventLog } from '@ledger/event-log';

export interface RecoveryOptions {
  readonly log: EventLog;
  readonly dataDir: string;
  readonly files: RecordingFiles;
  readonly logger: LedgerLogger;
  readonly state: () => QmdlStoreState;
  readonly execute: (command: LedgerCommand, context: CommandContext) => Promise<CommandResult>;
  readonly correlationId: string;
  readonly migrations: readonly Migration[];
  readonly formatVersion: number;
}

/** What start-up found and did; logged, and returned for tests and `inspect`. */
export interface RecoveryReport {
  readonly createdStore: boolean;
  readonly migrationsApplied: readonly string[];
  readonly truncated: ReadonlyArray<{ name: string; from: number; to: number }>;
  readonly removedDeleted: readonly string[];
  /** Recordings whose `<name>.ndjson.partial` an interrupted analysis left: removed. */
  readonly removedPartials: readonly string[];
  readonly damaged: readonly string[];
  readonly adopted: readonly string[];
  readonly interrupted?: string;
  readonly previousShutdownClean: boolean;
}

const SYSTEM: CommandContext['actor'] = { kind: 'system' };

/**
 * Start-up: create the store, apply migrations, then make
 * the files agree with the log — cut the interrupted recording back to its last
 * committed size, finish deletes a crash cut short, mark missing files damaged,
 * adopt orphan files — and record the boot, which stops an interrupted recording.
 */
export async function reconcileAtStartup(
  options: RecoveryOptions,
  boot: { readonly source?: string },
): Promise<RecoveryReport> {
  const { files, logger } = options;
  const context: CommandContext = { actor: SYSTEM, correlationId: options.correlationId };
  const run = async (command: LedgerCommand): Promise<CommandResult> => {
    const result = await options.execute(command, context);
    if (!result.ok) logger.warn(`start-up: ${command.type} refused: ${result.refusal.code}: ${result.refusal.message}`);
    return result;
  };

  let createdStore = false;
  if (options.state().storeId === undefined) {
    await run({
      type: 'CreateStore',
      data: { storeId: options.log.metadata.storeId, formatVersion: options.formatVersion },
    });
    createdStore = true;
  }

  const migrationsApplied: string[] = [];
  for (const migration of pendingMigrations(options.migrations, options.state())) {
    logger.info(`applying migration ${migration.id}_${migration.name}`);
    await migration.up({ dataDir: options.dataDir, log: options.log, state: options.state(), logger });
    await run({ type: 'ApplyMigration', data: { id: migration.id, name: migration.name } });
    migrationsApplied.push(`${migration.id}_${migration.name}`);
  }

  await ensureWritableDirectory(files.dir);
  const state = options.state();
  // One directory read; sizes only for the files whose size matters (the
  // interrupted recording's and orphans'), so start-up does not grow with the
  // number of recordings kept.
  const onDisk = await files.scan();

  // Bytes past the last committed offset were never acknowledged: cut them off.
  const truncated: Array<{ name: string; from: number; to: number }> = [];
  const current = state.current;
  if (current) {
    for (const f of onDisk.get(current.name)?.qmdl ?? []) {
      if (f.compressed !== current.compressed) continue;
      const size = await files.sizeOf(f.file);
      if (size > current.qmdlSizeBytes) {
        await fs.truncate(f.file, current.qmdlSizeBytes);
        truncated.push({ name: current.name, from: size, to: current.qmdlSizeBytes });
        logger.warn(
          `recording ${current.name}: cut ${size - current.qmdlSizeBytes} uncommitted bytes (${size} → ${current.qmdlSizeBytes})`,
        );
      }
    }
  }

  const removedDeleted: string[] = [];
  for (const name of onDisk.keys()) {
    if (state.names[name] !== 'deleted') continue;
    const removed = await files.remove(name);
    if (removed.length > 0) {
      removedDeleted.push(name);
      logger.warn(`recording ${name} was deleted but ${removed.length} file(s) remained: removed`);
    }
  }

  // No analysis runs before start-up is done (the reactors start after it), so a report being written is one
  // a crash or a kill interrupted. It is never served, and the resumed analysis rewrites it from the first byte.
  const removedPartials: string[] = [];
  for (const [name, found] of onDisk) {
    if (found.partial === undefined || state.names[name] === 'deleted') continue;
    await fs.rm(found.partial, { force: true });
    removedPartials.push(name);
    logger.warn(`recording ${name}: removed the analysis report an interrupted analysis left half-written`);
  }

  const damaged: string[] = [];
  const known = liveRecordings(state);
  for (const entry of known) {
    if (entry.damaged) continue;
    const present = (onDisk.get(entry.name)?.qmdl ?? []).some((f) => f.compressed === entry.compressed);
    if (present) continue;
    const missing = [files.paths(entry.name, entry.compressed).qmdl];
    await run({
      type: 'MarkRecordingDamaged',
      data: { name: entry.name, missing, detail: 'QMDL file missing on disk at start-up' },
    });
    damaged.push(entry.name);
  }

  const adopted: string[] = [];
  for (const [name, found] of onDisk) {
    if (state.names[name] !== undefined) continue;
    const f = found.qmdl[0];
    if (!f) continue;
    const startTime = startTimeOfName(name);
    if (startTime === undefined) {
      logger.warn(`orphan file ${f.file} not adopted: its name is no representable start time`);
      continue;
    }
    const result = await run({
      type: 'ImportRecording',
      data: {
        name,
        startTime,
        qmdlSizeBytes: await files.sizeOf(f.file),
        compressed: f.compressed,
        recoveredFrom: 'orphan-file',
        source: f.file,
      },
    });
    if (result.ok) adopted.push(name);
  }

  const previousShutdownClean = options.state().runningBootId === undefined;
  const interrupted = options.state().current?.name;
  await run({
    type: 'StartService',
    data: boot.source ? { source: boot.source } : {},
  });
  if (interrupted) logger.warn(`recording ${interrupted} was active when the previous run died: stopped (interrupted)`);

  return {
    createdStore,
    migrationsApplied,
    truncated,
    removedDeleted,
    removedPartials,
    damaged,
    adopted,
    previousShutdownClean,
    ...(interrupted ? { interrupted } : {}),
  };
}
