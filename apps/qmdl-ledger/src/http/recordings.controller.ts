import { Controller, Get, Header, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { LedgerError, parseRfc3339, type QmdlStoreState } from '@ledger/domain';
import type { Ledger } from '@ledger/store';
import { Mutation } from './auth.decorators';
import { CommandRunner } from './command-runner.service';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { ManifestService } from './manifest.service';
import { ApiRecordingNameParam, parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from './recording-name';
import { reflectSeq } from './request-context';
import { LEDGER } from './tokens';

const TEXT = 'text/plain; charset=utf-8';
const OK = 'ok';

function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new LedgerError('INVALID_QUERY', `${name} must be given once`);
  return value;
}

/**
 * The Rayhunter daemon's recordings (https://github.com/EFForg/rayhunter): the manifest, start, stop
 * and delete, with its paths, statuses and text bodies, so its web UI and
 * scripts work unchanged. Refusals are the domain's (`decide`), mapped to
 * statuses by the exception filter.
 */
@ApiTags('rayhunter')
@Controller('api')
export class RecordingsController {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    private readonly commands: CommandRunner,
    private readonly manifests: ManifestService,
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
    res.status(200).type('application/json; charset=utf-8').send(this.manifests.serialised(state));
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
    // The ledger stamps the start time, its local offset and this build's identity from its clock and host,
    // and the config's gps_mode (CommandProcessor.stamp, for every start path).
    await this.commands.run(req, { type: 'StartRecording', data: {} });
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
    // An unknown name is the decider's refusal NO_SUCH_RECORDING (`no recording with name X`, 400 on this route).
    await this.commands.run(req, { type: 'DeleteRecording', data: { name: parseRecordingName(raw) } });
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
}
