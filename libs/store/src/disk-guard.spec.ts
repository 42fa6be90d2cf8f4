import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initialState, type Command, type QmdlStoreState } from '@ledger/domain';
import { DiskGuard } from './disk-guard';

const MB = 1024 * 1024;
const START: Command = { type: 'StartRecording', data: { atMs: 0, utcOffsetMinutes: 0 } };

describe('DiskGuard', () => {
  let root: string;
  let dir: string;
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined };
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'ledger-disk-guard-'));
    dir = path.join(root, 'qmdl');
    mkdirSync(dir);
    warnings.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const guard = (free: () => Promise<number>, state?: () => QmdlStoreState, reserveKiB = 4): DiskGuard =>
    new DiskGuard({
      dir,
      settings: { minSpaceStartMb: 10, minSpaceContinueMb: 5, reserveKiB },
      logger,
      availableBytes: free,
      ...(state ? { state } : {}),
    });

  it('refuses a start below the start threshold with INSUFFICIENT_DISK_SPACE, and nothing else', async () => {
    const low = guard(async () => 9 * MB);
    expect(await low.refuse(START)).toMatchObject({
      code: 'INSUFFICIENT_DISK_SPACE',
      details: { availableBytes: 9 * MB, requiredMb: 10 },
    });
    expect(await low.refuse({ type: 'StopRecording', data: { reason: 'requested' } })).toBeUndefined();
    expect(await guard(async () => 10 * MB).refuse(START)).toBeUndefined();
  });

  it("takes the recorded config's thresholds over its settings", async () => {
    const state = (): QmdlStoreState => ({
      ...initialState(),
      config: { min_space_to_start_recording_mb: 1, min_space_to_continue_recording_mb: 20 },
    });
    const configured = guard(async () => 9 * MB, state);
    expect(await configured.refuse(START)).toBeUndefined();
    expect(await configured.lowSpace('1700000000')).toBe('9MB available, 20MB required to continue');
  });

  it('says why to stop below the continue threshold; a failed probe skips the check', async () => {
    expect(await guard(async () => 4 * MB).lowSpace('1700000000')).toBe('4MB available, 5MB required to continue');
    expect(await guard(async () => 5 * MB).lowSpace('1700000000')).toBeUndefined();
    const failing = guard(async () => {
      throw Object.assign(new Error('too many open files'), { code: 'EMFILE' });
    });
    expect(await failing.lowSpace('1700000000')).toBeUndefined();
    expect(warnings.some((w) => w.includes('EMFILE'))).toBe(true);
  });

  it('takes the reserve beside the recordings when there is room, and gives it back', async () => {
    const reserve = path.join(root, '.space-reserve');
    await guard(async () => 12 * 1024).ensureReserve(); // less than 4 × the reserve: not taken
    expect(existsSync(reserve)).toBe(false);
    const roomy = guard(async () => 100 * MB);
    await roomy.ensureReserve();
    expect(statSync(reserve).size).toBe(4 * 1024);
    await roomy.releaseReserve();
    expect(existsSync(reserve)).toBe(false);
  });
});
