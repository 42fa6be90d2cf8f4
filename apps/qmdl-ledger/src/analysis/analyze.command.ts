import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { ANALYZER_KEYS, SEVERITIES, type AnalysisRow, type ReportMetadata } from '@ledger/analysis';
import { ExitCode, UsageError } from '../exit-codes';
import { action, progressBar, usageExits } from '../forensics/cli-support';
import { runtimeMetadata } from '../http/system-info';
import { analyzeQmdlFile, analyzerConfigFrom } from './analyze-file';

const FORMATS = ['text', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

interface AnalyzeOptions {
  readonly format: string;
  readonly enable?: string;
  readonly disable?: string;
}

const list = (value: string | undefined): string[] =>
  value === undefined
    ? []
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');

/** Writes to stdout, waiting for it to drain when its buffer is full (a slow pipe slows the analysis, not memory). */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
}

function textLine(row: AnalysisRow, metadata: ReportMetadata): string[] {
  return row.events.flatMap((event, i) =>
    event === null || event.event_type === 'Informational'
      ? []
      : [
          `${row.packet_timestamp ?? '-'}  ${event.event_type.padEnd(6)} ${metadata.analyzers[i]?.name ?? '?'}: ${event.message}`,
        ],
  );
}

/**
 * `qmdl-ledger analyze <file>`: the heuristics over any QMDL file, as text
 * findings or the exact v2 report. Exit 0 when nothing above Informational was
 * found, 1 when something was (or the file could not be read), 2 on usage errors.
 */
export function registerAnalyzeCommand(program: Command, context: CliContext): void {
  usageExits(
    program
      .command('analyze')
      .description(
        'run the IMSI-catcher heuristics over a QMDL file (.qmdl or .qmdl.gz): findings as text, or the Rayhunter v2 report as NDJSON',
      )
      .argument('<file>', 'a QMDL capture, plain or gzip (detected by its bytes)')
      .option(
        '--format <format>',
        'text: one line per finding (time, severity, analyzer); ndjson: the exact report',
        'text',
      )
      .option('--enable <keys>', `analyzers to turn on, comma-separated (${ANALYZER_KEYS.join(', ')})`)
      .option('--disable <keys>', 'analyzers to turn off, comma-separated'),
  ).action(
    action(async (file: string, options: AnalyzeOptions) => {
      if (!(FORMATS as readonly string[]).includes(options.format))
        throw new UsageError(`--format must be text or ndjson, got ${JSON.stringify(options.format)}`);
      const format = options.format as Format;
      const parsed = analyzerConfigFrom(list(options.enable), list(options.disable));
      if ('unknown' in parsed)
        throw new UsageError(
          `unknown analyzer key(s): ${parsed.unknown.join(', ')} (known: ${ANALYZER_KEYS.join(', ')})`,
        );
      const size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
      const bar = progressBar('analyze', size);
      let metadata: ReportMetadata | undefined;
      let findings = 0;
      const result = await analyzeQmdlFile(file, {
        config: parsed.config,
        runtime: runtimeMetadata(context.host),
        onFileProgress: (n) => bar.update(n),
        onMetadata: async (m) => {
          metadata = m;
          if (format === 'ndjson') await write(`${JSON.stringify(m)}\n`);
        },
        onRow: async (row) => {
          if (row.events.some((e) => e !== null && e.event_type !== 'Informational')) findings++;
          if (format === 'ndjson') await write(`${JSON.stringify(row)}\n`);
          else for (const line of textLine(row, metadata as ReportMetadata)) await write(`${line}\n`);
        },
      });
      bar.finish();
      if (format === 'text') {
        const bySeverity = SEVERITIES.filter((s) => s !== 'Informational')
          .map((s) => `${result.analysis.events[s]} ${s}`)
          .join(', ');
        const skipped = Object.entries(result.analysis.skipped)
          .map(([reason, n]) => `${n} ${reason}`)
          .join(', ');
        await write(
          `${result.read.messages} diag messages, ${result.analysis.elements} analysed: ${bySeverity}${skipped === '' ? '' : `; skipped: ${skipped}`}\n`,
        );
      }
      return findings > 0 ? ExitCode.FAILED : ExitCode.OK;
    }),
  );
}
