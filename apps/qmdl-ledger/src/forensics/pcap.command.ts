import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { HostInfo } from '@ledger/store';
import type { CliContext } from '../cli-context';
import { isLedgerError } from '@ledger/domain';
import { QmdlErrorCode, openQmdlReadStream } from '@ledger/qmdl';
import { createPcapngExport, readGpsFixes, type PcapExportStats } from '@ledger/radio';
import { ExitCode, UsageError } from '../exit-codes';
import { pcapngSectionOptions } from '../http/system-info';
import { action, CommandFailed, progressBar, usageExits, writeJson, writeLine } from './cli-support';

interface PcapOptions {
  readonly out: string;
  readonly gps?: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

/** What `pcap` reports (`--json` prints it as is). */
export interface PcapReport {
  readonly input: string;
  readonly output: string;
  readonly stats: PcapExportStats;
  /** Set when the input could not be read to its end (corrupt gzip data, an I/O error): the pcapng holds what came before. */
  readonly readError?: { readonly code: string; readonly message: string; readonly afterBytes: number };
}

export function registerPcapCommand(program: Command, context: CliContext): void {
  usageExits(
    program
      .command('pcap')
      .description(
        'convert a QMDL capture (.qmdl, or gzip: detected by its magic) to a GSMTAP pcapng file for Wireshark',
      )
      .argument('<file>', 'a .qmdl or .qmdl.gz file from any source')
      .requiredOption('-o, --out <out.pcapng>', 'the pcapng file to write')
      .option('--gps <file>', "a recording's -gps.ndjson: each packet gets the nearest fix as a comment")
      .option('--force', 'overwrite an existing output file')
      .option('--json', 'machine-readable output (JSON)'),
  ).action(
    action(async (file: string, options: PcapOptions) => {
      const report = await convert(file, options, context.host);
      if (options.json) writeJson(report);
      else writeSummary(report);
      if (report.readError !== undefined) {
        process.stderr.write(
          `qmdl-ledger: ${report.input} could not be read past byte ${report.readError.afterBytes} of its QMDL data (${report.readError.code}); the pcapng holds everything before it\n`,
        );
        return ExitCode.FAILED;
      }
      return ExitCode.OK;
    }),
  );
}

async function convert(file: string, options: PcapOptions, host: HostInfo): Promise<PcapReport> {
  const stat = await fs.stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new CommandFailed(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  if (!stat.isFile()) throw new UsageError(`${file} is not a file`);
  if (options.gps !== undefined) {
    await fs.access(options.gps).catch(() => {
      throw new UsageError(`cannot read the GPS file ${options.gps}`);
    });
  }
  if (!options.force && (await exists(options.out)))
    throw new CommandFailed(`${options.out} exists; use --force to overwrite it`);
  // Written beside the target and renamed at the end: a failed run leaves no half-written pcapng under the given name.
  const temp = path.join(path.dirname(options.out), `.${path.basename(options.out)}.${process.pid}.tmp`);
  const exportStream = createPcapngExport({
    ...pcapngSectionOptions(host),
    ...(options.gps === undefined ? {} : { gpsFixes: readGpsFixes(createReadStream(options.gps)) }),
  });
  const bar = progressBar('pcap', stat.size);
  let readError: PcapReport['readError'];
  try {
    const input = openQmdlReadStream(file, { chunkSize: 256 * 1024, onFileProgress: (done) => bar.update(done) });
    // A read error ends the input early instead of failing the pipeline: what came before is converted and kept.
    const tolerant = async function* (): AsyncGenerator<Buffer> {
      let bytes = 0;
      try {
        for await (const chunk of input) {
          bytes += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      } catch (error) {
        if (!isLedgerError(error, QmdlErrorCode.QMDL_READ_FAILED)) throw error;
        readError = { code: error.code, message: error.message, afterBytes: bytes };
      }
    };
    await pipeline(tolerant, exportStream.stream, createWriteStream(temp, { flags: 'wx' }));
    await fs.rename(temp, options.out);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  } finally {
    bar.finish();
  }
  return {
    input: file,
    output: options.out,
    stats: exportStream.stats(),
    ...(readError === undefined ? {} : { readError }),
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

function writeSummary(report: PcapReport): void {
  const s = report.stats;
  writeLine(
    `${report.output}: ${s.converted} packet(s) from ${s.messages} diag message(s) of ${report.input} (${s.bytesRead} bytes of QMDL)`,
  );
  for (const [key, count] of Object.entries(s.convertedBy).sort(([a], [b]) => a.localeCompare(b)))
    writeLine(`  ${key}: ${count}`);
  const skipped = Object.entries(s.skipped).sort(([a], [b]) => a.localeCompare(b));
  if (skipped.length > 0) {
    writeLine(`skipped ${s.messages - s.converted} message(s):`);
    for (const [reason, count] of skipped) {
      const codes =
        reason === 'LOG_CODE_NOT_CONVERTED'
          ? ` (${Object.entries(s.notConvertedLogCodes)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ')})`
          : '';
      writeLine(`  ${reason}: ${count}${codes}`);
    }
  }
  if (s.damagedFrames > 0) {
    const first = s.damage[0];
    writeLine(
      `damaged: ${s.damagedFrames} stretch(es), ${s.bytesSkipped} byte(s) skipped; first at byte ${first?.offset} (${first?.reason}, ${first?.length} bytes)`,
    );
    for (const d of s.damage.slice(1, 10)) writeLine(`  at byte ${d.offset}: ${d.reason}, ${d.length} bytes`);
  }
  if (s.withGps > 0) writeLine(`GPS: ${s.withGps} packet(s) carry the nearest fix`);
}
