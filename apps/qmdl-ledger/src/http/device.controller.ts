import path from 'node:path';
import { Body, Controller, Get, Header, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { LedgerError, parseRfc3339, redactRayhunterConfig, type Command } from '@ledger/domain';
import { localRfc3339, type Ledger } from '@ledger/store';
import { APP_VERSION } from '../version';
import { Mutation, RequiresAuth } from './auth.decorators';
import { CommandRunner } from './command-runner.service';
import type { HttpConfig } from './http-config';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { objectBody } from './json-body';
import { reflectSeq } from './request-context';
import { rayhunterConfig, systemStats } from './system-info';
import { HTTP_CONFIG, LEDGER } from './tokens';
import { hasBody } from './web-safety';

const TEXT = 'text/plain; charset=utf-8';
const OK = 'ok';

type RecordGpsFix = Extract<Command, { type: 'RecordGpsFix' }>;

/**
 * The device as the Rayhunter daemon exposes it: system figures, its clock and
 * offset, GPS, the configuration, its log, and the Wi-Fi and notification
 * endpoints this service answers without managing either.
 */
@ApiTags('rayhunter')
@Controller('api')
export class DeviceController {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
    private readonly commands: CommandRunner,
  ) {}

  @Get('system-stats')
  @ApiOperation({ summary: 'Disk (the data directory) and memory figures, and the runtime metadata' })
  @ApiResponse({ status: 200, description: '{disk_stats, memory_stats, runtime_metadata}' })
  async systemStats(): Promise<unknown> {
    return systemStats(this.ledger.dataDir, this.ledger.runtimeMetadata());
  }

  @Get('time')
  @ApiOperation({ summary: 'System time, adjusted time (system + recorded offset) and the offset' })
  @ApiResponse({ status: 200, description: '{system_time, adjusted_time, offset_seconds}' })
  time(@Req() req: Request): unknown {
    const state = this.ledger.state();
    reflectSeq(req, state.seq);
    const now = this.ledger.clock.now();
    const adjusted = now + state.clockOffsetSeconds * 1000;
    return {
      system_time: localRfc3339(this.ledger.host, now),
      adjusted_time: localRfc3339(this.ledger.host, adjusted),
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
    const fixTime = fields['fix_time'] ?? fields['timestamp'];
    // The fields as the body has them: the decider refuses what is not a fix (INVALID_GPS_FIX).
    const fix = {
      lat: fields['lat'] ?? fields['latitude'],
      lon: fields['lon'] ?? fields['longitude'],
      ...(fixTime !== undefined ? { fixTime } : {}),
    } as RecordGpsFix['data'];
    await this.commands.run(req, { type: 'RecordGpsFix', data: fix });
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
}
