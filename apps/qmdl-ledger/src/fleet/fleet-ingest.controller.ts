import type { IncomingMessage } from 'node:http';
import { Controller, Get, HttpCode, Param, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { LedgerError } from '@ledger/domain';
import type { HttpRequest as Request } from '../http/http-types';
import { parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from '../http/recording-name';
import { bearerToken } from './device-tokens';
import { parseStoreId, type DeviceRequest } from './devices.service';
import { EventIngestService, type ChainHead } from './event-ingest.service';
import {
  parseRecordingFile,
  parseReportVersion,
  parseReportVersionId,
  RecordingDataService,
  type StoredSize,
} from './recording-data.service';

/** A batch of events is read whole (it is checked before anything is stored); this bounds it. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(new LedgerError('PAYLOAD_TOO_LARGE', `a batch is at most ${limit} bytes`));
  // Listeners rather than `for await`: an async iterator per request (and a promise per chunk)
  // cost more than the few chunks of a batch.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        req.destroy();
        reject(new LedgerError('PAYLOAD_TOO_LARGE', `a batch is at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, total).toString('utf8'),
      );
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    // Closed before its end: the client went away mid-body.
    const onClose = (): void => onError(new Error('the request was closed before its end'));
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** A reported count header, or undefined when absent or not a count (it is informational: never refused). */
function countHeader(value: unknown): number | undefined {
  return typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}

/**
 * Who is asking: the device token, the store id of the URL, and what the device reports of itself,
 * shown as its lag: its head (`X-Ledger-Head-Seq`) and its committed recording bytes the central
 * side will still lack once this request is stored (`X-Ledger-Lag-Bytes`).
 */
export function deviceRequest(req: IncomingMessage, storeIdRaw: string): DeviceRequest {
  const reportedHeadSeq = countHeader(req.headers['x-ledger-head-seq']);
  const reportedLagBytes = countHeader(req.headers['x-ledger-lag-bytes']);
  return {
    token: bearerToken(req.headers.authorization),
    storeId: parseStoreId(storeIdRaw),
    ...(reportedHeadSeq !== undefined ? { reportedHeadSeq } : {}),
    ...(reportedLagBytes !== undefined ? { reportedLagBytes } : {}),
  };
}

function offsetOf(raw: unknown): number {
  if (typeof raw !== 'string' || !/^[0-9]{1,15}$/.test(raw))
    throw new LedgerError('INVALID_QUERY', 'offset must be a non-negative integer');
  return Number(raw);
}

/** The device-facing protocol, versioned: events in, recording bytes in, the head out. Device token as Bearer. */
@ApiTags('fleet ingest')
@ApiBearerAuth('device')
@Controller('api/fleet/v1/devices/:storeId')
export class FleetIngestController {
  constructor(
    private readonly events: EventIngestService,
    private readonly data: RecordingDataService,
  ) {}

  @Get('head')
  @ApiOperation({ summary: "The central head of this device's log: where shipping resumes" })
  @ApiResponse({ status: 200, description: '{head: {seq, hash}}' })
  async head(@Req() req: Request, @Param('storeId') storeIdRaw: string): Promise<{ head: ChainHead }> {
    return { head: await this.events.head(deviceRequest(req, storeIdRaw)) };
  }

  @Post('events')
  @HttpCode(200)
  @ApiConsumes('application/x-ndjson')
  @ApiOperation({ summary: 'Append sealed events (NDJSON, exactly as `qmdl-ledger export` writes them)' })
  @ApiResponse({
    status: 200,
    description: '{head: {seq, hash}, stored}: appended, or already stored (acknowledged again, not stored twice)',
  })
  @ApiResponse({
    status: 409,
    description: 'CHAIN_MISMATCH {head, fork?}: the batch does not extend the central head (a fork is recorded)',
  })
  @ApiResponse({ status: 422, description: 'EVENT_HASH_MISMATCH: a hash does not verify; nothing stored' })
  async append(
    @Req() req: Request,
    @Param('storeId') storeIdRaw: string,
  ): Promise<{ head: ChainHead; stored: number }> {
    const request = deviceRequest(req, storeIdRaw);
    const text = await readBody(req, MAX_BATCH_BYTES);
    return this.events.ingest(request, text);
  }

  @Put(recordingRoute('recordings', 'data'))
  @HttpCode(200)
  @ApiConsumes('application/octet-stream')
  @ApiOperation({
    summary:
      "A recording file's bytes from `offset` (qmdl: the .qmdl.gz as committed; gps; analysis, with `version` (its analysis id) and `length`)",
  })
  @ApiResponse({
    status: 200,
    description:
      '{size} (with version: {size, version}): the bytes held after this upload (idempotent by offset; of `version` when given) and the version served',
  })
  @ApiResponse({
    status: 409,
    description:
      'OFFSET_MISMATCH {size}: the offset is past the bytes held; STALE_REPORT_VERSION {size, version}: an older report than the stored one',
  })
  @ApiResponse({
    status: 422,
    description:
      'UNKNOWN_REPORT_VERSION: no shipped RecordingAnalysisCompleted of the recording has that id; REPORT_LENGTH_MISMATCH',
  })
  async put(
    @Req() req: Request,
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Query('offset') offsetRaw: unknown,
    @Query('file') fileRaw: unknown,
    @Query('version') versionRaw: unknown,
    @Query('length') lengthRaw: unknown,
  ): Promise<StoredSize> {
    const file = parseRecordingFile(fileRaw);
    const report = parseReportVersion(file, versionRaw, lengthRaw);
    return this.data.append({
      ...deviceRequest(req, storeIdRaw),
      name: parseRecordingName(nameRaw),
      file,
      offset: offsetOf(offsetRaw),
      body: req as AsyncIterable<Buffer>,
      ...(report !== undefined ? { report } : {}),
    });
  }

  @Get(recordingRoute('recordings', 'data/size'))
  @ApiOperation({
    summary:
      'The stored size of a recording file (where an upload resumes); analysis: {size, version}, with `version` the bytes held of it',
  })
  async size(
    @Req() req: Request,
    @Param('storeId') storeIdRaw: string,
    @Param(RECORDING_NAME_PARAM) nameRaw: string,
    @Query('file') fileRaw: unknown,
    @Query('version') versionRaw: unknown,
  ): Promise<StoredSize> {
    const file = parseRecordingFile(fileRaw);
    return this.data.size(
      deviceRequest(req, storeIdRaw),
      parseRecordingName(nameRaw),
      file,
      parseReportVersionId(file, versionRaw),
    );
  }
}
