import { createReadStream, promises as fs } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  isLedgerError,
  LedgerError,
  recordingFileNames,
  type QmdlStoreState,
  type RecordingEntry,
} from '@ledger/domain';
import { openQmdlReadStream } from '@ledger/qmdl';
import { createPcapngExport, readGpsFixes } from '@ledger/radio';
import type { Ledger } from '@ledger/store';
import { analysisReport } from './analysis-report';
import { isOutOfDescriptors } from './error-codes';
import { storedZip, type ZipMember } from './stored-zip';
import { recordingSectionOptions } from './system-info';
import type { HttpConfig } from './http-config';
import { HTTP_CONFIG, LEDGER } from './tokens';

export interface FoundEntry {
  readonly entry: RecordingEntry;
  readonly active: boolean;
}

export interface OpenedQmdl {
  readonly entry: RecordingEntry;
  readonly stream: Readable;
  /** Decompressed length, when the projection knows it for sure (a finished recording). */
  readonly contentLength?: number;
}

/**
 * Chunk size of the QMDL read behind a download (file reads and zlib's output
 * buffers): fewer trips through the thread pool and the stream machinery per
 * byte. Throughput rises with the size up to 128 KiB and little beyond it (the
 * sizes measured are in bench/README.md, download), and 128 KiB keeps what a
 * download holds (a few chunks) near 1 MB.
 */
const DOWNLOAD_CHUNK_BYTES = 128 * 1024;

/** The recording `name` in a state snapshot: a finished entry or the active one. */
export function findEntry(state: QmdlStoreState, name: string): FoundEntry | undefined {
  const finished = state.entries[name];
  if (finished !== undefined) return { entry: finished, active: false };
  if (state.current?.name === name) return { entry: state.current, active: true };
  return undefined;
}

/**
 * Resolves once the stream has opened its file and has data (or ended), rejects
 * if opening failed — so a missing file becomes a 404 before any header is sent,
 * and a file deleted after this point is still read through the open descriptor.
 */
async function primed(stream: Readable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const done = (error?: unknown): void => {
      stream.off('readable', onReady);
      stream.off('end', onReady);
      stream.off('error', onError);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onReady = (): void => done();
    const onError = (error: unknown): void => done(error ?? new Error('stream failed'));
    stream.on('readable', onReady);
    stream.on('end', onReady);
    stream.on('error', onError);
  });
  // The 'readable' listener's removal is applied on the next tick; let it land
  // before anyone pipes, or the stream would stay paused.
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** ENOENT from fs, or the qmdl lib's QMDL_READ_FAILED carrying it (details.errno / cause.code). */
function isMissingFile(error: unknown): boolean {
  const e = error as { code?: unknown; details?: { errno?: unknown }; cause?: { code?: unknown } } | null;
  const codes = [e?.code, e?.details?.errno, e?.cause?.code];
  return codes.includes('ENOENT') || codes.includes('ENOTDIR');
}

/**
 * Downloads resolve the recording once, from one state snapshot, and open every
 * file before the first byte is sent: a concurrent delete cannot mix another
 * recording's files in (the original's zip bug), and names are never reused.
 */
@Injectable()
export class DownloadsService {
  private readonly logger = new Logger('downloads');

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
  ) {}

  /** `name` must already be validated. */
  find(name: string): FoundEntry & { readonly seq: number } {
    const state = this.ledger.state();
    const found = findEntry(state, name);
    if (found === undefined) throw new LedgerError('NO_SUCH_RECORDING', `couldn't find qmdl file with name ${name}`);
    return { ...found, seq: state.seq };
  }

  /** `chunkBytes`: the read size, from `StreamedDownloads`' budget (default DOWNLOAD_CHUNK_BYTES). */
  async openQmdl(found: FoundEntry, chunkBytes = DOWNLOAD_CHUNK_BYTES): Promise<OpenedQmdl> {
    const { entry, active } = found;
    const file = this.ledger.paths(entry.name, entry.compressed).qmdl;
    let stream: Readable;
    try {
      // Only the committed prefix: a live recording has bytes on disk no event covers yet.
      stream = await this.open(
        () => openQmdlReadStream(file, { fileBytes: entry.qmdlSizeBytes, chunkSize: chunkBytes }),
        entry.name,
      );
    } catch (error) {
      // A recording that never got a byte may have no file at all (the recorder opens it
      // after the start commits; a stop in the same group commit can come first). Zero
      // listed bytes download as zero bytes.
      if (isLedgerError(error, 'NO_SUCH_RECORDING') && entry.qmdlSizeBytes === 0 && !active) {
        return { entry, stream: Readable.from([]), contentLength: 0 };
      }
      throw error;
    }
    const knowsLength = !active && entry.damaged === undefined && entry.containers > 0;
    return { entry, stream, ...(knowsLength ? { contentLength: entry.uncompressedBytes } : {}) };
  }

  /**
   * The recording converted to GSMTAP pcapng as it is read (the committed
   * prefix of an active one), its `-gps.ndjson` fixes as packet comments.
   * Both files are open before this resolves.
   */
  async openPcap(found: FoundEntry, chunkBytes = DOWNLOAD_CHUNK_BYTES): Promise<Readable> {
    const { entry } = found;
    if (entry.qmdlSizeBytes === 0) throw new LedgerError('RECORDING_EMPTY', 'QMDL file is empty, try again in a bit!');
    const paths = this.ledger.paths(entry.name, entry.compressed);
    const qmdl = await this.open(
      () => openQmdlReadStream(paths.qmdl, { fileBytes: entry.qmdlSizeBytes, chunkSize: chunkBytes }),
      entry.name,
    );
    let gps: Readable | undefined;
    try {
      gps = await this.openOptional(paths.gps);
    } catch (error) {
      qmdl.destroy();
      throw error;
    }
    const exported = createPcapngExport({
      ...recordingSectionOptions(entry),
      ...(gps !== undefined ? { gpsFixes: readGpsFixes(gps) } : {}),
    });
    // A read failure fails the pcap; a consumer that goes away closes the file.
    pipeline(qmdl, exported.stream, () => gps?.destroy());
    return exported.stream;
  }

  /** A streamed zip of `<name>.qmdl` (decompressed), `<name>.ndjson` (the analysis report), `<name>-gps.ndjson` where present and `<name>.pcapng`. */
  async openZip(found: FoundEntry, chunkBytes = DOWNLOAD_CHUNK_BYTES): Promise<Readable> {
    const { entry } = found;
    if (entry.qmdlSizeBytes === 0) throw new LedgerError('RECORDING_EMPTY', 'QMDL file is empty, try again in a bit!');
    const paths = this.ledger.paths(entry.name, entry.compressed);
    // The members have the layout's names, the QMDL as the uncompressed file.
    const files = recordingFileNames(entry.name, false);
    const members: ZipMember[] = [];
    try {
      const qmdl = await this.open(
        () => openQmdlReadStream(paths.qmdl, { fileBytes: entry.qmdlSizeBytes, chunkSize: chunkBytes }),
        entry.name,
      );
      members.push({ name: files.qmdl, stream: qmdl });
      // The report /api/analysis-report/{name} serves, so the zip and the endpoint agree.
      members.push({ name: files.analysis, stream: await this.openReport(entry) });
      const gps = await this.openOptional(paths.gps);
      if (gps !== undefined) members.push({ name: files.gps, stream: gps });
      // Last, in the original's order; converted from its own read of the file when the zip gets to it.
      members.push({ name: `${entry.name}.pcapng`, stream: await this.openPcap(found, chunkBytes) });
    } catch (error) {
      for (const m of members) m.stream.destroy();
      throw error;
    }
    return storedZip(members, (message) => this.logger.warn(`zip ${entry.name}: ${message}`));
  }

  /**
   * The recording's analysis report: `<name>.ndjson` as the analysis reactor
   * wrote it (whole: it is renamed into place; growing for the active
   * recording), or, until one is written, the metadata line (with why its
   * analysis failed, if it did). `GET /api/analysis-report/{name}` and the zip both serve this.
   */
  async openReport(entry: RecordingEntry): Promise<Readable> {
    const file = this.ledger.paths(entry.name, entry.compressed).analysis;
    // The recorder creates the file empty, as the original does: empty is "not written yet".
    const size = await fs.stat(file).then(
      (s) => s.size,
      () => 0,
    );
    const written = size > 0 ? await this.openOptional(file) : undefined;
    if (written !== undefined) return written;
    const failure = this.config.analysis?.failure(entry.name);
    return Readable.from([Buffer.from(analysisReport(entry, this.ledger.runtimeMetadata(), failure))]);
  }

  private async open(make: () => Readable, name: string): Promise<Readable> {
    let stream: Readable;
    try {
      stream = make();
      await primed(stream);
      return stream;
    } catch (error) {
      if (isMissingFile(error))
        throw new LedgerError('NO_SUCH_RECORDING', `the files of recording ${name} are missing`);
      if (isOutOfDescriptors(error))
        throw new LedgerError(
          'OUT_OF_DESCRIPTORS',
          `no file descriptor left to open recording ${name}; try again in a moment`,
          { cause: error, details: { retryAfterSeconds: 1 } },
        );
      throw error;
    }
  }

  private async openOptional(file: string): Promise<Readable | undefined> {
    try {
      await fs.access(file);
    } catch {
      return undefined;
    }
    const stream = createReadStream(file);
    try {
      await primed(stream);
      return stream;
    } catch (error) {
      stream.destroy();
      if (isMissingFile(error)) return undefined;
      throw error;
    }
  }
}
