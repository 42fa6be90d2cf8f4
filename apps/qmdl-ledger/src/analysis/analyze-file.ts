import {
  ANALYZER_KEYS,
  AnalysisHarness,
  type AnalysisRow,
  type AnalysisStats,
  type AnalyzerConfig,
  type ReportMetadata,
  type RuntimeMetadata,
} from '@ledger/analysis';
import { openQmdlReadStream } from '@ledger/qmdl';
import { RadioMessageReader, type RadioReadStats } from '@ledger/radio';

export interface AnalyzeFileOptions {
  /** Which analyzers run (the config's `analyzers` object); missing keys take the defaults. */
  readonly config?: Partial<AnalyzerConfig>;
  /** Who analyses: the report's `rayhunter` object. */
  readonly runtime: RuntimeMetadata;
  /** The metadata line, before any row. */
  readonly onMetadata?: (metadata: ReportMetadata) => void | Promise<void>;
  /** Each report row, in order; awaited, so a slow writer slows the read (backpressure). */
  readonly onRow: (row: AnalysisRow) => void | Promise<void>;
  /** File bytes read so far (compressed bytes for a gzip file), for a progress bar. */
  readonly onFileProgress?: (fileBytesRead: number) => void;
}

export interface FileAnalysis {
  readonly metadata: ReportMetadata;
  readonly analysis: AnalysisStats;
  readonly read: RadioReadStats;
}

/**
 * Analyses a QMDL file (plain or gzip, detected by its bytes) after the fact:
 * raw bytes → radio messages → the enabled analyzers → report v2 rows, one
 * chunk at a time, so memory stays bounded for any file size.
 */
export async function analyzeQmdlFile(file: string, options: AnalyzeFileOptions): Promise<FileAnalysis> {
  const harness = new AnalysisHarness(options.config === undefined ? {} : { config: options.config });
  const metadata = harness.metadata(options.runtime);
  await options.onMetadata?.(metadata);
  const reader = new RadioMessageReader();
  const stream = openQmdlReadStream(file, {
    chunkSize: 256 * 1024,
    ...(options.onFileProgress === undefined ? {} : { onFileProgress: options.onFileProgress }),
  });
  for await (const chunk of stream) {
    for (const message of reader.pushAll(chunk as Buffer)) {
      for (const row of harness.analyze(message)) await options.onRow(row);
    }
  }
  for (const message of reader.endAll()) for (const row of harness.analyze(message)) await options.onRow(row);
  return { metadata, analysis: harness.stats(), read: reader.stats() };
}

/** Parses `--enable`/`--disable` lists of analyzer keys; unknown keys are reported, not ignored. */
export function analyzerConfigFrom(
  enable: readonly string[],
  disable: readonly string[],
): { config: Partial<AnalyzerConfig> } | { unknown: string[] } {
  const known = new Set<string>(ANALYZER_KEYS);
  const unknown = [...enable, ...disable].filter((k) => !known.has(k));
  if (unknown.length > 0) return { unknown };
  const config: Partial<Record<string, boolean>> = {};
  for (const k of enable) config[k] = true;
  for (const k of disable) config[k] = false;
  return { config: config as Partial<AnalyzerConfig> };
}
