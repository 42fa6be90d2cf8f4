import { Readable, pipeline } from 'node:stream';
import { Controller, Get, Logger, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { LedgerError, parseRfc3339, toRayhunterManifest, type QmdlStoreState } from '@ledger/domain';
import type { HttpResponse as Response } from '../http/http-types';
import { parseEventQuery } from '../http/event-query';
import { parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from '../http/recording-name';
import { StreamedDownloads } from '../http/streamed-download.service';
import { parseStoreId } from './devices.service';
import { FleetAdminGuard } from './fleet-admin.guard';
import { FleetDownloadsService } from './fleet-downloads.service';
import { FleetViewsService } from './fleet-views.service';

/** The fleet views of one device and the list of all: from the central copy only. */
@ApiTags('fleet')
@ApiBearerAuth('bearer')
@UseGuards(FleetAdminGuard)
@Controller('api/fleet/devices')
export class FleetDevicesController {
  private readonly logger = new Logger('fleet');

  constructor(
    private readonly views: FleetViewsService,
    private readonly downloads: FleetDownloadsService,
    private readonly streamed: StreamedDownloads,
  ) {}

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
  @ApiResponse({ status: 503, description: 'TOO_MANY_DOWNLOADS (Retry-After): --max-downloads are streaming' })
  async qmdl(
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    const name = parseRecordingName(nameRaw, '.qmdl');
    await this.send(
      res,
      { storeId, name, kind: 'qmdl', type: 'application/octet-stream', file: `${name}.qmdl` },
      (chunkBytes) => this.downloads.openQmdl(storeId, name, chunkBytes),
    );
  }

  @Get(recordingRoute(':storeId/pcap'))
  @ApiOperation({
    summary:
      "A recording as GSMTAP pcapng (the device's own conversion, GPS fixes as comments) from the central copy, also after the device deleted it",
  })
  @ApiProduces('application/vnd.tcpdump.pcap')
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING: no bytes of it were shipped' })
  @ApiResponse({ status: 503, description: 'TOO_MANY_DOWNLOADS (Retry-After): --max-downloads are streaming' })
  async pcap(
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    const name = parseRecordingName(nameRaw, '.pcapng');
    await this.send(
      res,
      { storeId, name, kind: 'pcap', type: 'application/vnd.tcpdump.pcap', file: `${name}.pcapng` },
      (chunkBytes) => this.downloads.openPcap(storeId, name, chunkBytes),
    );
  }

  @Get(recordingRoute(':storeId/zip'))
  @ApiOperation({
    summary:
      "The device's zip from the central copy: <name>.qmdl (decompressed), <name>.ndjson, <name>-gps.ndjson where shipped and <name>.pcapng",
  })
  @ApiProduces('application/zip')
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING: no bytes of it were shipped' })
  @ApiResponse({ status: 503, description: 'TOO_MANY_DOWNLOADS (Retry-After): --max-downloads are streaming' })
  async zip(
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Res() res: Response,
  ): Promise<void> {
    const storeId = parseStoreId(storeIdRaw);
    const name = parseRecordingName(nameRaw, '.zip');
    await this.send(res, { storeId, name, kind: 'zip', type: 'application/zip', file: `${name}.zip` }, (chunkBytes) =>
      this.downloads.openZip(storeId, name, chunkBytes),
    );
  }

  /**
   * A download as the device streams one (`StreamedDownloads`: a slot under `--max-downloads`, taken
   * before anything is read, else 503 TOO_MANY_DOWNLOADS; the read size from the shared budget; piped
   * with backpressure; ended after `--download-idle-timeout-s` without progress). A recording none of
   * whose QMDL was shipped is refused before the 200, with the slot given back.
   */
  private send(
    res: Response,
    download: { storeId: string; name: string; kind: string; type: string; file: string },
    open: (chunkBytes: number) => Promise<Readable>,
  ): Promise<void> {
    const { storeId, name } = download;
    return this.streamed.send(res, `${download.kind} ${storeId}/${name}`, async ({ chunkBytes }) => {
      await this.downloads.requireShipped(storeId, name);
      return {
        headers: { 'Content-Type': download.type, 'Content-Disposition': `attachment; filename="${download.file}"` },
        streams: [await open(chunkBytes)],
      };
    });
  }
}
