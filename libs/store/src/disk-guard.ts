import { promises as fs } from 'node:fs';
import path from 'node:path';
import { spaceSettingsInForce, type Command, type QmdlStoreState, type Refusal } from '@ledger/domain';
import type { RecorderSettings } from './ledger';
import type { LedgerLogger } from './logger';
import { errorDetail } from './error-detail';
import { availableBytes } from './recording-files';

const MB = 1024 * 1024;

export interface DiskGuardOptions {
  /** The recordings directory: its filesystem is the one measured; the reserve lives beside it. */
  readonly dir: string;
  readonly settings: Pick<RecorderSettings, 'minSpaceStartMb' | 'minSpaceContinueMb' | 'reserveKiB'>;
  readonly logger: LedgerLogger;
  /** Free bytes on the data filesystem; injectable so tests can simulate a full disk. */
  readonly availableBytes?: (dir: string) => Promise<number>;
  /**
   * The projection as committed. The free-space settings come from the recorded
   * config when it sets them (`POST /api/config`), else from `settings`.
   */
  readonly state?: () => QmdlStoreState;
}

/**
 * The recorder's watch on free space: no recording starts below the start
 * threshold, a recording stops below the continue threshold, and a small
 * reserved file is given back when a write fails for lack of space, so that
 * the stop and later deletes can still be committed.
 */
export class DiskGuard {
  constructor(private readonly options: DiskGuardOptions) {}

  /** A StartRecording below the start threshold is refused (INSUFFICIENT_DISK_SPACE); nothing else is. */
  async refuse(command: Command, state?: QmdlStoreState): Promise<Refusal | undefined> {
    if (command.type !== 'StartRecording') return undefined;
    const required = this.minSpaceMb('start', state);
    if (required <= 0) return undefined;
    const available = await this.freeBytes();
    if (available >= required * MB) return undefined;
    return {
      code: 'INSUFFICIENT_DISK_SPACE',
      message: `Insufficient disk space: ${Math.floor(available / MB)}MB available, ${required}MB required`,
      details: { availableBytes: available, requiredMb: required },
    };
  }

  /**
   * Why the active recording must stop for lack of space (the detail of its
   * `disk-low` stop), or undefined while there is enough. Asked after each data
   * commit: a probe that fails (e.g. EMFILE) skips the check, it does not fail the write.
   */
  async lowSpace(recording: string): Promise<string | undefined> {
    const low = this.minSpaceMb('continue');
    if (low <= 0) return undefined;
    const free = await this.freeBytes().catch((error: unknown) => {
      this.options.logger.warn(
        `free space of ${this.options.dir} unknown (${errorDetail(error)}); checked again at the next commit`,
      );
      return Number.POSITIVE_INFINITY;
    });
    if (free >= low * MB) return undefined;
    this.options.logger.warn(`free space ${Math.floor(free / MB)}MB below ${low}MB: stopping recording ${recording}`);
    return `${Math.floor(free / MB)}MB available, ${low}MB required to continue`;
  }

  /** Takes the reserve (`<dataDir>/.space-reserve`) when it is missing and there is room for it. */
  async ensureReserve(): Promise<void> {
    const bytes = (this.options.settings.reserveKiB ?? 512) * 1024;
    if (bytes <= 0) return;
    try {
      const stat = await fs.stat(this.reservePath()).catch(() => undefined);
      if (stat && stat.size >= bytes) return;
      if ((await this.freeBytes()) < bytes * 4) return;
      await fs.writeFile(this.reservePath(), Buffer.alloc(bytes));
    } catch (error) {
      this.options.logger.warn(`could not reserve ${bytes} bytes: ${String(error)}`);
      await fs.unlink(this.reservePath()).catch(() => undefined);
    }
  }

  /** Gives the reserve back (a write failed, a commit could not be written). */
  async releaseReserve(): Promise<void> {
    await fs.unlink(this.reservePath()).catch(() => undefined);
  }

  /** The free space (MB) needed to start, or to keep recording: the recorded config's value, else the setting. */
  private minSpaceMb(which: 'start' | 'continue', state: QmdlStoreState | undefined = this.options.state?.()): number {
    const settings =
      state === undefined ? this.options.settings : spaceSettingsInForce(state.config, this.options.settings);
    return which === 'start' ? settings.minSpaceStartMb : settings.minSpaceContinueMb;
  }

  private reservePath(): string {
    return path.join(this.options.dir, '..', '.space-reserve');
  }

  private freeBytes(): Promise<number> {
    return (this.options.availableBytes ?? availableBytes)(this.options.dir);
  }
}
