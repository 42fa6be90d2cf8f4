import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** The real, built CLI (scripts/test.sh builds before jest runs; `node scripts/build.js` by hand). */
export const CLI = path.join(ROOT, 'dist', 'apps', 'qmdl-ledger', 'src', 'main.js');
const MAKE_FIXTURES = path.join(ROOT, 'dist', 'scripts', 'make-fixtures.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function assertBuilt(): void {
  for (const file of [CLI, MAKE_FIXTURES]) {
    if (!existsSync(file))
      throw new Error(`${path.relative(ROOT, file)} is missing: run \`node scripts/build.js\` first`);
  }
}

/** Runs `qmdl-ledger <args>` as a child process, stderr not a TTY (so no progress bar). */
export function runCli(args: readonly string[], options: { readonly timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** JSON output of a command that must succeed with `expectedCode`. */
export async function runJson<T = Record<string, unknown>>(args: readonly string[], expectedCode = 0): Promise<T> {
  const result = await runCli([...args, '--json']);
  if (result.code !== expectedCode) {
    throw new Error(
      `qmdl-ledger ${args.join(' ')} exited ${String(result.code)} (expected ${expectedCode})\n${result.stderr}\n${result.stdout}`,
    );
  }
  return JSON.parse(result.stdout) as T;
}

/** Generates fixtures (scripts/make-fixtures.ts, built) into a fresh temp dir. */
export function makeFixtures(names: readonly string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qmdl-ledger-fixtures-'));
  const result = spawnSync(process.execPath, [MAKE_FIXTURES, dir, ...names], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`make-fixtures failed (${String(result.status)}): ${result.stderr}`);
  return dir;
}
