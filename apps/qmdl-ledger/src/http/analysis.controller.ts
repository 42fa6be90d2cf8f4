import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { LedgerError } from '@ledger/domain';
import type { Ledger } from '@ledger/store';
import { dueAnalyses, type AnalysisStatus } from '../analysis/analysis-queue';
import { Mutation } from './auth.decorators';
import { CommandRunner } from './command-runner.service';
import { DownloadsService, findEntry } from './downloads.service';
import type { HttpConfig } from './http-config';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { ApiRecordingNameParam, parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from './recording-name';
import { reflectSeq } from './request-context';
import { StreamedDownloads } from './streamed-download.service';
import { HTTP_CONFIG, LEDGER } from './tokens';

/** Rayhunter's analysis API: the analysis reactor's queue, a re-analysis, and a recording's report. */
@ApiTags('rayhunter')
@Controller('api')
export class AnalysisController {
  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
    private readonly downloads: DownloadsService,
    private readonly streamed: StreamedDownloads,
    private readonly commands: CommandRunner,
  ) {}

  @Get('analysis')
  @ApiOperation({
    summary:
      'The analysis queue: recordings waiting for the analysis reactor (in order), the one it analyses, and those no analysis is to come for (their report is the one served; with every analyzer off the metadata line, after a failed analysis a skipped row saying why)',
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
    summary:
      "Re-analyse a finished recording: recorded as RecordingAnalysisRequested (so it survives a restart) and queued, in the order asked, before the reactor's own work; asked again while it waits, nothing changes; answers the queue",
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
  async reanalyze(@Req() req: Request, @Param(RECORDING_NAME_PARAM) raw: string): Promise<AnalysisStatus> {
    const name = parseRecordingName(raw);
    // Recorded, so a restart before it starts does not lose it (the queue is a projection of the log); asked
    // again while it waits, nothing changes. Not a finished recording: NO_SUCH_RECORDING.
    await this.commands.run(req, { type: 'RequestRecordingAnalysis', data: { name } });
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

  /**
   * Rayhunter's analysis status: the reactor's queue. Without a reactor
   * (--no-analysis, --read-only) nothing runs now: the re-analyses asked for
   * are queued (a reactor runs them when serve runs with one), and every other
   * finished recording is finished with the report it has — the UI shows a
   * report only for names in `finished`, and spins forever on the others.
   */
  private analysisStatus(): AnalysisStatus {
    const queue = this.config.analysis;
    if (queue !== undefined) return queue.status();
    const state = this.ledger.state();
    const queued = dueAnalyses(state, []).flatMap((job) => (job.reason === 'requested' ? [job.name] : []));
    const waiting = new Set(queued);
    return { queued, running: null, finished: Object.keys(state.entries).filter((name) => !waiting.has(name)) };
  }
}
