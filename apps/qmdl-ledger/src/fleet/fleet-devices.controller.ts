import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { Controller, Get, Logger, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ZipFile } from 'yazl';
import {
  LedgerError,
  parseRfc3339,
  recordingFileNames,
  toRayhunterManifest,
  type QmdlStoreState,
} from '@ledger/domain';
import { createPcapngExport, readGpsFixes } from '@ledger/radio';
import type { HttpResponse as Response } from '../http/http-types';
import { parseEventQuery } from '../http/event-query';
import { parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from '../http/recording-name';
import { pcapngSectionOptions } from '../http/system-info';
import { realHost } from '@ledger/store';
import { parseStoreId } from './devices.service';
import { FleetAdminGuard } from './fleet-admin.guard';
import { FleetViewsService } from './fleet-views.service';

/** A gzip member starts with these two bytes; a recording imported uncompressed does not. */
function isGzip(first: Buffer | undefined): boolean {
  return first !== undefined && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
}

/** The recording's QMDL as the device serves it: decompressed (a live recording's committed prefix has no gzip trailer yet). */
async function decompressed(chunks: AsyncGenerator<Buffer>): Promise<Readable> {
  const first = await chunks.next();
  const head = first.done ? undefined : first.value;
  const source = Readable.from(
    (async function* all() {
      if (head !== undefined) yield head;
      yield* chunks;
    })(),
  );
  if (!isGzip(head)) return source;
  const gunzip = zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return pipeline(source, gunzip, () => undefined);
}

/** The fleet views of one device and the list of all: from the central copy only. */
@ApiTags('fleet')
@ApiBearerAuth('bearer')
@UseGuards(FleetAdminGuard)
@Controller('api/fleet/devices')
export class FleetDevicesController {
  private readonly logger = new Logger('fleet');

  /** The central service's host, read once, which its pcapng headers name. */
  private readonly host = realHost();

  constructor(private readonly views: FleetViewsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Every enrolled device: store id, label, head, last seen, chain status, active recording, recordings, warnings',
  })
  @ApiResponse({ status: 200, description: 'FleetDeviceSummary[] (JSON), in label order' })
  async list(@Res() res: Response): Promise<void> {
    const pages = this.views.devicesJson();
    // The first page is read before the status is sent, so a database that is down is a 503, not a cut body.
    const first = await pages.next();
    res.status(200).type('application/json; charset=utf-8');
    pipeline(
      Readable.from(
        (async function* all() {
          if (!first.done) yield first.value;
          yield* pages;
        })(),
      ),
      res,
      (error) => {
        if (error) this.logger.warn(`devices list: ${error.message}`);
      },
    );
  }

  @Get(':storeId/qmdl-manifest')
  @ApiQuery({
    name: 'at',
    required: false,
    description: 'The manifest as it was: after event <seq>, or at an RFC 3339 time',
  })
  @ApiOperation({ summary: 'Exactly the JSON the device served at the shipped head (or at `at`)' })
  async manifest(
    @Param('storeId') storeIdRaw: string,
    @Query('at') atRaw: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    let state: QmdlStoreState;
    if (atRaw === undefined || atRaw === '') state = await this.views.stateOf(storeId);
    else if (typeof atRaw === 'string' && /^[0-9]{1,15}$/.test(atRaw))
      state = await this.views.stateOf(storeId, { seq: Number(atRaw) });
    else if (typeof atRaw === 'string' && atRaw.length <= 64 && parseRfc3339(atRaw) !== undefined)
      state = await this.views.stateOf(storeId, { time: atRaw });
    else throw new LedgerError('INVALID_QUERY', 'at must be an event sequence or an RFC 3339 time');
    res.setHeader('X-Ledger-Seq', String(state.seq));
    res
      .status(200)
      .type('application/json; charset=utf-8')
      .send(Buffer.from(JSON.stringify(toRayhunterManifest(state)), 'utf8'));
  }

  @Get(':storeId/events')
  @ApiOperation({ summary: "One page of the device's events: the event API's filters and cursors" })
  async events(@Param('storeId') storeIdRaw: string, @Query() query: Record<string, unknown>): Promise<unknown> {
    return this.views.events(parseStoreId(storeIdRaw), parseEventQuery(query));
  }

  @Get(':storeId/events/export')
  @ApiOperation({ summary: "The device's shipped events exactly as stored (the device's `export`), NDJSON" })
  async export(@Param('storeId') storeIdRaw: string, @Res() res: Response): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    await this.views.headSeq(storeId);
    const lines = this.views.exportLines(storeId);
    res.status(200).type('application/x-ndjson');
    pipeline(
      Readable.from(
        (async function* withNewlines() {
          for await (const line of lines) yield `${line}\n`;
        })(),
      ),
      res,
      (error) => {
        if (error) this.logger.warn(`export ${storeId}: ${error.message}`);
      },
    );
  }

  @Get(recordingRoute(':storeId/qmdl'))
  @ApiOperation({
    summary: "A recording's QMDL (decompressed) from the central copy, also after the device deleted it",
  })
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING: no bytes of it were shipped' })
  async qmdl(
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    const name = parseRecordingName(nameRaw, '.qmdl');
    await this.requireShipped(storeId, name);
    const body = await decompressed(this.views.fileChunks(storeId, name, 'qmdl'));
    res.status(200).type('application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${name}.qmdl"`);
    pipeline(body, res, (error) => {
      if (error) this.logger.warn(`qmdl ${storeId}/${name}: ${error.message}`);
    });
  }

  @Get(recordingRoute(':storeId/pcap'))
  @ApiOperation({
    summary:
      "A recording as GSMTAP pcapng (the device's own conversion, GPS fixes as comments) from the central copy, also after the device deleted it",
  })
  @ApiProduces('application/vnd.tcpdump.pcap')
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING: no bytes of it were shipped' })
  async pcap(
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    const name = parseRecordingName(nameRaw, '.pcapng');
    await this.requireShipped(storeId, name);
    const gps =
      (await this.views.fileSize(storeId, name, 'gps')) > 0
        ? Readable.from(this.views.fileChunks(storeId, name, 'gps'))
        : undefined;
    // The converter of @ledger/radio, as `GET /api/pcap/{name}` on the device: the same bytes for the same recording.
    const exported = createPcapngExport({
      ...pcapngSectionOptions(this.host),
      ...(gps !== undefined ? { gpsFixes: readGpsFixes(gps) } : {}),
    });
    const qmdl = await decompressed(this.views.fileChunks(storeId, name, 'qmdl'));
    res.status(200).type('application/vnd.tcpdump.pcap');
    res.setHeader('Content-Disposition', `attachment; filename="${name}.pcapng"`);
    pipeline(qmdl, exported.stream, res, (error) => {
      gps?.destroy();
      if (error) this.logger.warn(`pcap ${storeId}/${name}: ${error.message}`);
    });
  }

  @Get(recordingRoute(':storeId/zip'))
  @ApiOperation({ summary: 'A zip of the QMDL (decompressed), the analysis and the GPS file, from the central copy' })
  async zip(
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    const name = parseRecordingName(nameRaw, '.zip');
    await this.requireShipped(storeId, name);
    const zip = new ZipFile();
    const mtime = new Date();
    const files = recordingFileNames(name, false);
    zip.addReadStream(await decompressed(this.views.fileChunks(storeId, name, 'qmdl')), files.qmdl, {
      compress: false,
      mtime,
      mode: 0o100644,
    });
    for (const [file, member] of [
      ['analysis', files.analysis],
      ['gps', files.gps],
    ] as const) {
      if ((await this.views.fileSize(storeId, name, file)) > 0) {
        zip.addReadStream(Readable.from(this.views.fileChunks(storeId, name, file)), member, {
          compress: false,
          mtime,
          mode: 0o100644,
        });
      }
    }
    zip.end();
    res.status(200).type('application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${name}.zip"`);
    pipeline(zip.outputStream as unknown as Readable, res, (error) => {
      if (error) this.logger.warn(`zip ${storeId}/${name}: ${error.message}`);
    });
  }

  private async requireShipped(storeId: string, name: string): Promise<void> {
    await this.views.headSeq(storeId);
    if ((await this.views.fileSize(storeId, name, 'qmdl')) === 0)
      throw new LedgerError('NO_SUCH_RECORDING', `no bytes of recording ${name} were shipped from ${storeId}`);
  }
}
