import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { Injectable, Logger } from '@nestjs/common';
import { LedgerError, recordingFileNames } from '@ledger/domain';
import { createPcapngExport, readGpsFixes } from '@ledger/radio';
import { realHost } from '@ledger/store';
import { analysisReport } from '../http/analysis-report';
import { storedZip, type ZipMember } from '../http/stored-zip';
import { recordingSectionOptions, runtimeMetadata } from '../http/system-info';
import { FleetViewsService } from './fleet-views.service';

/** A gzip member starts with these two bytes; a recording imported uncompressed does not. */
function isGzip(first: Buffer | undefined): boolean {
  return first !== undefined && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
}

/** The stream's first bytes, put back where they were read from (undefined: it is empty); rejects on its error. */
function peek(source: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const settle = (error: Error | undefined, head: Buffer | undefined): void => {
      source.off('readable', onReadable).off('error', onError);
      if (error !== undefined) return reject(error);
      if (head !== undefined) source.unshift(head);
      resolve(head);
    };
    const onReadable = (): void => settle(undefined, (source.read() as Buffer | null) ?? undefined);
    const onError = (error: Error): void => settle(error, undefined);
    source.on('readable', onReadable).on('error', onError);
  });
}

/** The recording's QMDL as the device serves it: decompressed (a live recording's committed prefix has no gzip trailer yet). */
async function decompressed(source: Readable, chunkBytes: number): Promise<Readable> {
  let head: Buffer | undefined;
  try {
    head = await peek(source);
  } catch (error) {
    source.destroy();
    throw error;
  }
  if (!isGzip(head)) return source;
  const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: chunkBytes });
  return pipeline(source, gunzip, () => undefined);
}

/**
 * A shipped recording's downloads from the central copy, as the device's
 * `DownloadsService` makes them from its files: the decompressed QMDL, the
 * GSMTAP pcapng (the device's converter), and the zip of all of them. Each
 * takes `chunkBytes`, the read size `StreamedDownloads` gives the download
 * from its shared budget: every stream reads slices of that size from the
 * chunk rows as its consumer takes them (`FleetViewsService.fileStream`), so
 * a download holds a few slices whatever the recording's size, and a stalled
 * client stops the reads. A recording the device has since deleted is served
 * the same.
 */
@Injectable()
export class FleetDownloadsService {
  private readonly logger = new Logger('fleet');

  /** The central service's host: only for what a recording's start did not record, in the metadata line of a report not shipped. */
  private readonly host = realHost();

  constructor(private readonly views: FleetViewsService) {}

  /** Refuses with NO_SUCH_DEVICE / NO_SUCH_RECORDING unless some of the recording's QMDL was shipped. */
  async requireShipped(storeId: string, name: string): Promise<void> {
    await this.views.headSeq(storeId);
    if ((await this.views.fileSize(storeId, name, 'qmdl')) === 0)
      throw new LedgerError('NO_SUCH_RECORDING', `no bytes of recording ${name} were shipped from ${storeId}`);
  }

  /** The QMDL, decompressed. */
  openQmdl(storeId: string, name: string, chunkBytes: number): Promise<Readable> {
    return decompressed(this.views.fileStream(storeId, name, 'qmdl', chunkBytes), chunkBytes);
  }

  /**
   * The recording as GSMTAP pcapng, converted as the QMDL streams from the
   * central copy, the shipped `-gps.ndjson` fixes as packet comments: the
   * converter of @ledger/radio with the section header of the device that
   * recorded it, as `GET /api/pcap/{name}` on the device.
   */
  async openPcap(storeId: string, name: string, chunkBytes: number): Promise<Readable> {
    const identity = (await this.views.recordedIdentity(storeId, name)) ?? {};
    const gps =
      (await this.views.fileSize(storeId, name, 'gps')) > 0
        ? this.views.fileStream(storeId, name, 'gps', chunkBytes)
        : undefined;
    const exported = createPcapngExport({
      ...recordingSectionOptions(identity),
      ...(gps !== undefined ? { gpsFixes: readGpsFixes(gps) } : {}),
    });
    const qmdl = await this.openQmdl(storeId, name, chunkBytes).catch((error: unknown) => {
      gps?.destroy();
      throw error;
    });
    // A read failure fails the pcap; a consumer that goes away ends the reads.
    pipeline(qmdl, exported.stream, () => gps?.destroy());
    return exported.stream;
  }

  /**
   * The device's zip from the central copy, member for member: `<name>.qmdl`
   * (decompressed), `<name>.ndjson` (the shipped report; until one is shipped,
   * the metadata line the device serves then), `<name>-gps.ndjson` where
   * shipped, and `<name>.pcapng`, equal to `openPcap`'s bytes. Stored, not
   * deflated, as the device does; each member is read when the zip gets to it.
   */
  async openZip(storeId: string, name: string, chunkBytes: number): Promise<Readable> {
    const files = recordingFileNames(name, false);
    const members: ZipMember[] = [];
    try {
      members.push({ name: files.qmdl, stream: await this.openQmdl(storeId, name, chunkBytes) });
      members.push({ name: files.analysis, stream: await this.openReport(storeId, name, chunkBytes) });
      if ((await this.views.fileSize(storeId, name, 'gps')) > 0)
        members.push({ name: files.gps, stream: this.views.fileStream(storeId, name, 'gps', chunkBytes) });
      members.push({ name: `${name}.pcapng`, stream: await this.openPcap(storeId, name, chunkBytes) });
    } catch (error) {
      for (const m of members) m.stream.destroy();
      throw error;
    }
    return storedZip(members, (message) => this.logger.warn(`zip ${storeId}/${name}: ${message}`));
  }

  /**
   * The shipped analysis report, or — none shipped (the device does not analyse, or has not
   * finished) — the metadata line alone, from the recording's own recorded identity, as the device
   * serves it then.
   */
  private async openReport(storeId: string, name: string, chunkBytes: number): Promise<Readable> {
    if ((await this.views.fileSize(storeId, name, 'analysis')) > 0)
      return this.views.fileStream(storeId, name, 'analysis', chunkBytes);
    const identity = (await this.views.recordedIdentity(storeId, name)) ?? {};
    return Readable.from([Buffer.from(analysisReport(identity, runtimeMetadata(this.host)))]);
  }
}
