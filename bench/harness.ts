/**
 * Benchmarks report ratios to a baseline measured in the same run on the same
 * machine: the machines are shared and noisy, so absolute figures mean little.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Measurement {
  /** e.g. 'events/s', 'MB/s', 'req/s', 'ms' */
  readonly unit: string;
  readonly value: number;
}

export interface BenchResult {
  /** What was measured, e.g. 'durable append, 64 concurrent appenders'. */
  readonly name: string;
  readonly measured: Measurement;
  /** The baseline it is compared to, measured in the same run. */
  readonly baseline: { readonly name: string } & Measurement;
  /**
   * measured / baseline when higher is better, baseline / measured when lower is
   * better (so a ratio above 1 always means "better than the baseline").
   */
  readonly ratio: number;
  /** The target ratio the row must reach, if it has one. */
  readonly target?: { readonly min: number; readonly note?: string };
  readonly notes?: string;
}

export interface BenchContext {
  /** A fresh temp directory, removed after the bench module ran. */
  readonly tmpDir: string;
  /** Smaller sizes (used by the test that checks the benches still run). */
  readonly quick: boolean;
  /**
   * A directory shared by every module of one run and removed at its end: for
   * fixtures that are expensive to build and used by several modules (the
   * 1,000,000-event store). Absent when a module runs outside the runner.
   */
  readonly runDir?: string;
  /**
   * `--row <substring>`: a module that names its rows runs only those whose key
   * contains it (`rowSelected`); absent, every row runs.
   */
  readonly row?: string;
  log(message: string): void;
}

/** Whether the run asked for the row `key` of a module (every row when no `--row` was given). */
export function rowSelected(ctx: BenchContext, key: string): boolean {
  return ctx.row === undefined || key.includes(ctx.row);
}

export interface BenchModule {
  readonly title: string;
  run(ctx: BenchContext): Promise<readonly BenchResult[]>;
}

/** Ratio where higher values of both are better. */
export function higherIsBetter(measured: number, baseline: number): number {
  return baseline === 0 ? 0 : measured / baseline;
}

/** Ratio where lower values of both are better (latencies, costs). */
export function lowerIsBetter(measured: number, baseline: number): number {
  return measured === 0 ? 0 : baseline / measured;
}

/** The median of the rounds' figures (the upper one of an even count; 0 for none). */
export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export function makeTmpDir(prefix: string): { dir: string; dispose(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
