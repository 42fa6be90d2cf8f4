import path from 'node:path';
import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import {
  formatRfc3339,
  LedgerError,
  parseRfc3339,
  redactRayhunterConfig,
  toRayhunterManifest,
  type QmdlStoreState,
} from '@ledger/domain';
import type { Ledger } from '@ledger/store';
import type { AnalysisStatus } from '../analysis/analysis-queue';
import { Mutation, RequiresAuth } from './auth.decorators';
import { CommandRunner } from './command-runner.service';
import { DownloadsService, findEntry } from './downloads.service';
import type { HttpConfig } from './http-config';
import { ApiRecordingNameParam, parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from './recording-name';
import { reflectSeq } from './request-context';
import { StreamedDownloads } from './streamed-download.service';
import { localUtcOffsetMinutes, rayhunterConfig, systemStats } from './system-info';
import { HTTP_CONFIG, LEDGER } from './tokens';
import { hasBody } from './web-safety';
import { APP_VERSION } from '../version';

const TEXT = 'text/plain; charset=utf-8';
const OK = 'ok';

/** A plain object body, or INVALID_BODY (body-parser leaves `{}` or undefined for non-JSON requests). */
function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new LedgerError('INVALID_BODY', 'expected a JSON object body (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new LedgerError('INVALID_QUERY', `${name} must be given once`);
  return value;
}

/**
 * The Rayhunter daemon's API (RAYHUNTER.md): same paths, methods, statuses,
 * text bodies and JSON shapes, so its web UI and scripts work unchanged.
 */
@ApiTags('rayhunter')
@Controller('api')
export class RayhunterController {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
    private readonly commands: CommandRunner,
    private readonly downloads: DownloadsService,
    private readonly streamed: StreamedDownloads,
  ) {}

  @Get('qmdl-manifest')
  @ApiOperation({ summary: 'The recording manifest: finished entries (ascending start) and the current recording' })
  @ApiQuery({
    name: 'at',
    required: false,
    description:
      "The manifest as it was: after event <seq>, or at an RFC 3339 time (the last event at or before it; a later time gives the head's)",
  })
  @ApiResponse({ status: 200, description: '{entries, current_entry}; each entry has the 11 Rayhunter keys' })
  @ApiResponse({
    status: 400,
    description:
      'INVALID_QUERY: `at` is neither a sequence nor an RFC 3339 time; SEQUENCE_PAST_HEAD: `at` is a sequence past the head',
  })
  async manifest(@Req() req: Request, @Res() res: Response, @Query('at') atRaw: unknown): Promise<void> {
    const at = single(atRaw, 'at');
    let state: QmdlStoreState;
    if (at === undefined) {
      state = this.ledger.state();
    } else if (/^[0-9]{1,15}$/.test(at)) {
      state = await this.ledger.stateAt({ seq: Number(at) });
    } else if (at.length <= 64 && parseRfc3339(at) !== undefined) {
      state = await this.ledger.stateAt({ time: at });
    } else {
      throw new LedgerError('INVALID_QUERY', 'at must be an event sequence or an RFC 3339 time');
    }
    reflectSeq(req, state.seq);
    // The same bytes res.json would send, serialised once per projection state
    // and sent as they are (a Buffer body is neither converted nor copied).
    res.status(200).type('application/json; charset=utf-8').send(this.serialisedManifest(state));
  }

  /**
   * The UI polls the manifest every second from every open tab, and sorting and
   * serialising 1,000 entries costs milliseconds: keep the encoded JSON of the
   * last state served. Keeping bytes rather than a string matters for memory:
   * express would encode a 250 KB string into a fresh buffer on every request,
   * and under 50 polling connections those buffers outran the garbage
   * collector by tens of MB (bench/README.md, peak RSS). States are immutable
   * and replaced on every commit, so the state object itself is the cache key
   * (one per projection seq).
   */
  private manifestCache?: { readonly state: QmdlStoreState; readonly body: Buffer };

  private serialisedManifest(state: QmdlStoreState): Buffer {
    if (this.manifestCache?.state === state) return this.manifestCache.body;
    const body = Buffer.from(JSON.stringify(toRayhunterManifest(state)), 'utf8');
    if (state === this.ledger.state()) this.manifestCache = { state, body };
    return body;
  }

  @Post('start-recording')
  @HttpCode(202)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({ summary: 'Start a new recording (stops the current one first)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 202, description: 'ok' })
  @ApiResponse({ status: 507, description: 'INSUFFICIENT_DISK_SPACE (text)' })
  async startRecording(@Req() req: Request): Promise<string> {
    // The ledger owns the clock and this build's identity (it fills atMs, the offset and the versions).
    const atMs = Date.now() + this.ledger.state().clockOffsetSeconds * 1000;
    const gpsMode = this.ledger.state().config['gps_mode'];
    await this.commands.run(req, {
      type: 'StartRecording',
      data: {
        atMs,
        utcOffsetMinutes: localUtcOffsetMinutes(atMs),
        ...(gpsMode === 0 || gpsMode === 1 || gpsMode === 2 ? { gpsMode } : {}),
      },
    });
    return OK;
  }

  @Post('stop-recording')
  @HttpCode(202)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({ summary: 'Stop the current recording (202 also when nothing is recording)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 202, description: 'ok' })
  async stopRecording(@Req() req: Request): Promise<string> {
    await this.commands.run(
      req,
      { type: 'StopRecording', data: { reason: 'requested' } },
      { accept: ['RECORDING_NOT_ACTIVE'] },
    );
    return OK;
  }

  @Post(recordingRoute('delete-recording'))
  @HttpCode(202)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({ summary: 'Delete a recording (the active one is stopped first, and recording stays stopped)' })
  @ApiRecordingNameParam()
  @ApiProduces('text/plain')
  @ApiResponse({ status: 202, description: 'ok' })
  @ApiResponse({
    status: 400,
    description: '`no recording with name X` (NO_SUCH_RECORDING), or INVALID_RECORDING_NAME',
  })
  async deleteRecording(@Req() req: Request, @Param(RECORDING_NAME_PARAM) raw: string): Promise<string> {
    const name = parseRecordingName(raw);
    const result = await this.commands.run(
      req,
      { type: 'DeleteRecording', data: { name } },
      { accept: ['NO_SUCH_RECORDING'] },
    );
    if (!result.ok) throw new LedgerError('NO_SUCH_RECORDING', `no recording with name ${name}`);
    return OK;
  }

  @Post('delete-all-recordings')
  @HttpCode(202)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({ summary: 'Delete every recording (always stops recording)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 202, description: 'ok' })
  async deleteAll(@Req() req: Request): Promise<string> {
    await this.commands.run(req, { type: 'DeleteAllRecordings', data: {} });
    return OK;
  }

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

  @Get('analysis')
  @ApiOperation({
    summary:
      'The analysis queue: recordings waiting for the analysis reactor (in order), the one it analyses, and those whose report is current',
  })
  @ApiResponse({ status: 200, description: '{queued: [names], running: name | null, finished: [names]}' })
  analysis(@Req() req: Request): AnalysisStatus {
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    return this.analysisStatus();
  }

  @Post(recordingRoute('analysis'))
  @HttpCode(202)
  @Mutation()
  @ApiOperation({
    summary: 'Re-analyse a finished recording: queued first for the analysis reactor; answers the queue',
  })
  @ApiRecordingNameParam()
  @ApiResponse({
    status: 202,
    description: '{queued, running, finished}, as GET /api/analysis, with the recording queued (or running)',
  })
  @ApiResponse({ status: 400, description: 'INVALID_RECORDING_NAME' })
  @ApiResponse({
    status: 404,
    description: 'NO_SUCH_RECORDING (also the active recording: it is analysed once finished)',
  })
  reanalyze(@Req() req: Request, @Param(RECORDING_NAME_PARAM) raw: string): AnalysisStatus {
    const name = parseRecordingName(raw);
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    if (state.entries[name] === undefined || !Object.prototype.hasOwnProperty.call(state.entries, name)) {
      throw new LedgerError('NO_SUCH_RECORDING', `couldn't find recording with name ${name}`);
    }
    this.config.analysis?.requeue(name);
    return this.analysisStatus();
  }

  @Get(recordingRoute('analysis-report'))
  @ApiOperation({
    summary:
      "The analysis report (NDJSON, report format v2): the reactor's `<name>.ndjson` (for the active recording, `live`, growing as it is written), or the metadata line alone until one is written",
  })
  @ApiRecordingNameParam({ orLive: true, description: 'Recording name or `live`' })
  @ApiProduces('application/x-ndjson')
  @ApiResponse({
    status: 200,
    description:
      'metadata line {analyzers, rayhunter, report_version: 2}, then one row per skipped message or finding above Informational',
  })
  @ApiResponse({ status: 404, description: 'NO_SUCH_RECORDING' })
  @ApiResponse({
    status: 503,
    description: 'NOT_RECORDING: `live` while nothing records; TOO_MANY_DOWNLOADS (Retry-After)',
  })
  async analysisReport(
    @Req() req: Request,
    @Res() res: Response,
    @Param(RECORDING_NAME_PARAM) raw: string,
  ): Promise<void> {
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    let entry;
    if (raw === 'live') {
      entry = state.current;
      if (entry === undefined) throw new LedgerError('NOT_RECORDING', 'nothing is being recorded');
    } else {
      const name = parseRecordingName(raw);
      entry = findEntry(state, name)?.entry;
      if (entry === undefined) throw new LedgerError('NO_SUCH_RECORDING', `couldn't find recording with name ${name}`);
    }
    const name = entry.name;
    await this.streamed.send(res, `analysis report ${name}`, async () => ({
      headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8' },
      streams: [await this.downloads.openReport(entry)],
    }));
  }

  @Get('system-stats')
  @ApiOperation({ summary: 'Disk (the data directory) and memory figures, and the runtime metadata' })
  @ApiResponse({ status: 200, description: '{disk_stats, memory_stats, runtime_metadata}' })
  async systemStats(): Promise<unknown> {
    return systemStats(this.ledger.dataDir);
  }

  @Get('time')
  @ApiOperation({ summary: 'System time, adjusted time (system + recorded offset) and the offset' })
  @ApiResponse({ status: 200, description: '{system_time, adjusted_time, offset_seconds}' })
  time(@Req() req: Request): unknown {
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    const now = Date.now();
    const adjusted = now + state.clockOffsetSeconds * 1000;
    return {
      system_time: formatRfc3339(now, localUtcOffsetMinutes(now)),
      adjusted_time: formatRfc3339(adjusted, localUtcOffsetMinutes(adjusted)),
      offset_seconds: state.clockOffsetSeconds,
    };
  }

  @Post('time-offset')
  @HttpCode(200)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({ summary: 'Set the clock offset (recorded as an event; survives restarts)' })
  @ApiBody({
    schema: { type: 'object', required: ['offset_seconds'], properties: { offset_seconds: { type: 'integer' } } },
  })
  @ApiResponse({ status: 200, description: 'ok' })
  @ApiResponse({ status: 400, description: 'INVALID_BODY / INVALID_CLOCK_OFFSET' })
  async setTimeOffset(@Req() req: Request, @Body() body: unknown): Promise<string> {
    const offset = objectBody(body)['offset_seconds'];
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) {
      throw new LedgerError('INVALID_BODY', 'offset_seconds must be an integer number of seconds');
    }
    await this.commands.run(req, { type: 'SetClockOffset', data: { offsetSeconds: offset } });
    return OK;
  }

  @Get('gps')
  @ApiOperation({ summary: "The last GPS fix recorded (Rayhunter's {latitude, longitude})" })
  @ApiResponse({
    status: 200,
    description: '{latitude, longitude, timestamp (unix seconds of the fix, 0 if unknown), fix_time, recorded_time}',
  })
  @ApiResponse({ status: 404, description: 'NO_GPS_FIX: no fix recorded yet (as the original)' })
  gps(@Req() req: Request, @Res() res: Response): void {
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    const fix = state.lastGpsFix;
    const when = fix?.fixTime ?? fix?.time;
    const ms = when === undefined ? undefined : parseRfc3339(when);
    if (fix === undefined) throw new LedgerError('NO_GPS_FIX', 'no GPS fix recorded');
    res.status(200).json({
      latitude: fix.lat,
      longitude: fix.lon,
      timestamp: ms === undefined ? 0 : Math.floor(ms / 1000),
      fix_time: fix.fixTime ?? null,
      recorded_time: fix.time ?? null,
    });
  }

  @Post('gps')
  @HttpCode(200)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({ summary: "Record a GPS fix (an event; the recorder appends it to the recording's -gps.ndjson)" })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['latitude', 'longitude'],
      properties: {
        latitude: { type: 'number' },
        longitude: { type: 'number' },
        lat: { type: 'number' },
        lon: { type: 'number' },
        fix_time: { type: 'string', format: 'date-time' },
      },
    },
  })
  @ApiResponse({ status: 200, description: 'ok' })
  @ApiResponse({ status: 400, description: 'INVALID_BODY / INVALID_GPS_FIX' })
  async recordGps(@Req() req: Request, @Body() body: unknown): Promise<string> {
    const fields = objectBody(body);
    const lat = fields['lat'] ?? fields['latitude'];
    const lon = fields['lon'] ?? fields['longitude'];
    const fixTime = fields['fix_time'] ?? fields['timestamp'];
    if (
      typeof lat !== 'number' ||
      typeof lon !== 'number' ||
      !Number.isFinite(lat) ||
      !Number.isFinite(lon) ||
      Math.abs(lat) > 90 ||
      Math.abs(lon) > 180
    ) {
      throw new LedgerError('INVALID_GPS_FIX', 'lat must be a number in [-90, 90] and lon in [-180, 180]');
    }
    if (
      fixTime !== undefined &&
      (typeof fixTime !== 'string' || fixTime.length > 64 || parseRfc3339(fixTime) === undefined)
    ) {
      throw new LedgerError('INVALID_GPS_FIX', 'fix_time must be an RFC 3339 time');
    }
    await this.commands.run(req, {
      type: 'RecordGpsFix',
      data: { lat, lon, ...(fixTime !== undefined ? { fixTime } : {}) },
    });
    return OK;
  }

  @Get('config')
  @ApiOperation({
    summary:
      'The configuration in force: Rayhunter defaults with the recorded changes over them, every secret redacted (open, so the Rayhunter UI renders for any visitor)',
  })
  @ApiResponse({
    status: 200,
    description:
      'Rayhunter config object; passwords and user names null, URLs without credentials, query or (ntfy) topic',
  })
  getConfig(@Req() req: Request): unknown {
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    const space = this.ledger.spaceSettings();
    return redactRayhunterConfig({
      ...rayhunterConfig(state.config),
      qmdl_store_path: path.dirname(this.ledger.paths('0').qmdl),
      port: this.config.port,
      debug_mode: this.config.readOnly,
      min_space_to_start_recording_mb: space.minSpaceStartMb,
      min_space_to_continue_recording_mb: space.minSpaceContinueMb,
    });
  }

  @Post('config')
  @HttpCode(202)
  @Header('Content-Type', TEXT)
  @Mutation()
  @ApiOperation({
    summary:
      'Replace the configuration with a Rayhunter 0.12 config (keys left out take their defaults; recorded as ConfigChanged; no restart, no new recording). A secret posted back as GET showed it (redacted) keeps its recorded value.',
  })
  @ApiBody({ schema: { type: 'object', additionalProperties: false } })
  @ApiResponse({ status: 202, description: 'ok' })
  @ApiResponse({
    status: 400,
    description: 'INVALID_BODY (no JSON object), INVALID_CONFIG (names each unknown key and bad value)',
  })
  @ApiResponse({ status: 415, description: 'UNSUPPORTED_MEDIA_TYPE: the body is not application/json' })
  async setConfig(@Req() req: Request, @Body() body: unknown): Promise<string> {
    // The body parser leaves `{}` for a bodiless request, which would reset the whole config to its defaults.
    if (!hasBody(req))
      throw new LedgerError('INVALID_BODY', 'expected a JSON object body (Content-Type: application/json)');
    const config = objectBody(body);
    await this.commands.run(req, { type: 'ChangeConfig', data: { config } });
    return OK;
  }

  @Get('log')
  @Header('Content-Type', TEXT)
  @RequiresAuth()
  @ApiOperation({ summary: "The last ~200 lines of this service's log" })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'log text' })
  log(): string {
    return this.config.logBuffer.text();
  }

  @Get('update-status')
  @ApiOperation({ summary: 'Update status: this service does not check for updates' })
  @ApiResponse({ status: 200, description: '{current_version, update_available: false}' })
  updateStatus(): unknown {
    return { current_version: APP_VERSION, update_available: false };
  }

  @Get('wifi-status')
  @ApiOperation({ summary: 'Wi-Fi client status: this service manages no Wi-Fi, so always {state: "disabled"}' })
  @ApiResponse({ status: 200, description: '{state: "disabled"}' })
  wifiStatus(): unknown {
    return { state: 'disabled' };
  }

  @Post('wifi-scan')
  @ApiOperation({ summary: 'Wi-Fi scan: not implemented (this service manages no Wi-Fi)' })
  @ApiResponse({ status: 501, description: 'NOT_IMPLEMENTED (text)' })
  wifiScan(): never {
    throw new LedgerError('NOT_IMPLEMENTED', 'wifi scan is not implemented: qmdl-ledger does not manage Wi-Fi');
  }

  @Post('test-notification')
  @ApiOperation({ summary: 'Send a test notification: not implemented (this service sends no ntfy notifications)' })
  @ApiResponse({ status: 501, description: 'NOT_IMPLEMENTED (text)' })
  testNotification(): never {
    throw new LedgerError(
      'NOT_IMPLEMENTED',
      'notifications are not implemented: qmdl-ledger sends no ntfy notifications',
    );
  }

  /**
   * Rayhunter's analysis status: the reactor's queue. Without a reactor
   * (--read-only) nothing will run, so every finished recording is finished
   * with the report it has: the UI shows a report only for names in
   * `finished`, and spins forever on the others.
   */
  private analysisStatus(): AnalysisStatus {
    const queue = this.config.analysis;
    if (queue !== undefined) return queue.status();
    return { queued: [], running: null, finished: Object.keys(this.ledger.state().entries) };
  }
}
