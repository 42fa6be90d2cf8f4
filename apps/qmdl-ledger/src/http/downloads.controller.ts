import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DownloadsService } from './downloads.service';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { ApiRecordingNameParam, parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from './recording-name';
import { reflectSeq } from './request-context';
import { StreamedDownloads } from './streamed-download.service';

/**
 * A recording's downloads, as the Rayhunter daemon serves them (the QMDL and
 * the zip), and the pcapng it does not have; streamed under the download caps.
 */
@ApiTags('rayhunter')
@Controller('api')
export class DownloadsController {
  constructor(
    private readonly downloads: DownloadsService,
    private readonly streamed: StreamedDownloads,
  ) {}

  @Get(recordingRoute('qmdl'))
  @ApiOperation({ summary: 'Download the decompressed QMDL bytes of a recording (a trailing .qmdl is stripped)' })
  @ApiRecordingNameParam({ suffix: '.qmdl' })
  @ApiProduces('application/octet-stream')
  @ApiResponse({ status: 200, description: 'Raw QMDL (HDLC frames); Content-Length for finished recordings' })
  @ApiResponse({ status: 400, description: 'INVALID_RECORDING_NAME' })
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING: unknown name or missing file' })
  @ApiResponse({ status: 503, description: 'TOO_MANY_DOWNLOADS (Retry-After): --max-downloads are streaming' })
  async qmdl(@Req() req: Request, @Res() res: Response, @Param(RECORDING_NAME_PARAM) raw: string): Promise<void> {
    const name = parseRecordingName(raw, '.qmdl');
    const found = this.downloads.find(name);
    reflectSeq(req, found.seq);
    await this.streamed.send(res, `qmdl ${name}`, async ({ chunkBytes }) => {
      const opened = await this.downloads.openQmdl(found, chunkBytes);
      const headers = {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${name}.qmdl"`,
      };
      return {
        headers,
        streams: [opened.stream],
        ...(opened.contentLength === undefined ? {} : { contentLength: opened.contentLength }),
      };
    });
  }

  @Get(recordingRoute('zip'))
  @ApiOperation({
    summary:
      'Download a zip of <name>.qmdl (decompressed), <name>.ndjson (the analysis report), <name>-gps.ndjson where present and <name>.pcapng',
  })
  @ApiRecordingNameParam({ suffix: '.zip' })
  @ApiProduces('application/zip')
  @ApiResponse({ status: 200, description: 'Streamed zip' })
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING' })
  @ApiResponse({ status: 503, description: 'RECORDING_EMPTY: qmdl_size_bytes is 0; TOO_MANY_DOWNLOADS (Retry-After)' })
  async zip(@Req() req: Request, @Res() res: Response, @Param(RECORDING_NAME_PARAM) raw: string): Promise<void> {
    const name = parseRecordingName(raw, '.zip');
    const found = this.downloads.find(name);
    reflectSeq(req, found.seq);
    await this.streamed.send(res, `zip ${name}`, async ({ chunkBytes }) => ({
      headers: { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${name}.zip"` },
      streams: [await this.downloads.openZip(found, chunkBytes)],
    }));
  }

  @Get(recordingRoute('pcap'))
  @ApiOperation({
    summary:
      'Download the recording as a GSMTAP pcapng for Wireshark, converted as it streams (a trailing .pcapng is stripped); the active recording up to its committed size',
  })
  @ApiRecordingNameParam({ suffix: '.pcapng' })
  @ApiProduces('application/vnd.tcpdump.pcap')
  @ApiResponse({
    status: 200,
    description:
      'pcapng: LTE RRC, LTE NAS, LTE MAC RAR and GSM RR messages as GSMTAP v2 over UDP 4729, GPS fixes as packet comments',
  })
  @ApiResponse({ status: 400, description: 'INVALID_RECORDING_NAME' })
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING' })
  @ApiResponse({ status: 503, description: 'RECORDING_EMPTY: qmdl_size_bytes is 0; TOO_MANY_DOWNLOADS (Retry-After)' })
  async pcap(@Req() req: Request, @Res() res: Response, @Param(RECORDING_NAME_PARAM) raw: string): Promise<void> {
    const name = parseRecordingName(raw, '.pcapng');
    const found = this.downloads.find(name);
    reflectSeq(req, found.seq);
    await this.streamed.send(res, `pcap ${name}`, async ({ chunkBytes }) => ({
      headers: {
        'Content-Type': 'application/vnd.tcpdump.pcap',
        'Content-Disposition': `attachment; filename="${name}.pcapng"`,
      },
      streams: [await this.downloads.openPcap(found, chunkBytes)],
    }));
  }
}
