/**
 * The third-party captures the tests run against (real devices, not our generator):
 * `../shared/samples` beside the repository, or the directory named by QMDL_SAMPLES.
 * They are checked against their SHA256SUMS once, so a test never runs on a changed
 * copy, and a missing directory fails loudly instead of skipping.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, request, spawnServer, type Manifest, type SpawnedServer } from './server';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type SampleName = 'attach-2020-lte' | 'cmcc-2015-lte-gsm' | 'mi10-2020-lte-nr-0x98';

function locate(): string {
  const fromEnv = process.env['QMDL_SAMPLES'];
  // The repository's sibling `shared/`; a git worktree one level further down sees it two levels up.
  const candidates =
    fromEnv !== undefined
      ? [fromEnv]
      : [path.resolve(REPO_ROOT, '..', 'shared', 'samples'), path.resolve(REPO_ROOT, '..', '..', 'shared', 'samples')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'SHA256SUMS')));
  if (found === undefined)
    throw new Error(
      `the real captures are missing: looked for SHA256SUMS in ${candidates.join(', ')} (set QMDL_SAMPLES to their directory)`,
    );
  return found;
}

let verified: string | undefined;

/** The samples directory, its files checked against SHA256SUMS (once per test file). */
export function samplesDir(): string {
  if (verified !== undefined) return verified;
  const dir = locate();
  for (const line of readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (!match) continue;
    const [, expected, file] = match as unknown as [string, string, string];
    const actual = createHash('sha256')
      .update(readFileSync(path.join(dir, file)))
      .digest('hex');
    if (actual !== expected) throw new Error(`sample ${file} in ${dir} does not match its SHA256SUMS entry`);
  }
  verified = dir;
  return dir;
}

/** The path of one sample capture (copy it before use: the originals are read-only). */
export function samplePath(name: SampleName): string {
  return path.join(samplesDir(), `${name}.qmdl`);
}

/**
 * A sample replayed into a new recording of a spawned `serve` (`qmdl:<copy>?pace=fast`),
 * once that recording has finished (stopped as `source-ended`). `serveArgs` go to `serve` as well.
 */
export async function replaySample(
  name: SampleName,
  workDir: string,
  options: { serveArgs?: readonly string[] } = {},
): Promise<{ server: SpawnedServer; dataDir: string; recording: string }> {
  const capture = path.join(workDir, 'capture.qmdl');
  copyFileSync(samplePath(name), capture);
  const dataDir = path.join(workDir, 'data');
  const server = await spawnServer([
    '--data-dir',
    dataDir,
    '--source',
    `qmdl:${capture}?pace=fast`,
    ...(options.serveArgs ?? []),
  ]);
  const finished = await eventually(
    async () =>
      (await request(server.baseUrl, '/api/qmdl-manifest'))
        .json<Manifest>()
        .entries.find((e) => e.stop_reason === 'source-ended'),
    60_000,
    100,
  );
  return { server, dataDir, recording: finished.name };
}
