import { Readable, pipeline } from 'node:stream';
import { Controller, Get, Headers, Inject, Logger, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { SEVERITIES } from '@ledger/analysis';
import { LedgerError, toRayhunterEntry, type RayhunterManifestEntry, type StoredEvent } from '@ledger/domain';
import type { Ledger, StoreVerifyReport } from '@ledger/store';
import { RequiresAuth } from './auth.decorators';
import { EventStreams } from './event-stream.service';
import {
  pageOptions,
  parseEventFilter,
  parseEventQuery,
  parseHistoryPage,
  Q_SCAN_BUDGET,
  queryMatches,
  searchEvents,
} from './event-query';
import { ApiRecordingNameParam, parseRecordingName, RECORDING_NAME_PARAM, recordingRoute } from './recording-name';
import { reflectSeq } from './request-context';
import { LEDGER } from './tokens';

const FILTER_QUERIES = [
  { name: 'type', description: 'Comma-separated event types, e.g. RecordingStarted,RecordingDeleted' },
  { name: 'recording', description: 'Events naming this recording' },
  { name: 'actor', description: 'http | recorder | system | cli | http:<remote address>' },
  { name: 'correlation', description: 'Correlation id (X-Request-Id of the request that caused them)' },
  { name: 'since', description: 'Event time >= (RFC 3339)' },
  { name: 'until', description: 'Event time < (RFC 3339)' },
];

function ApiEventFilters(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const q of FILTER_QUERIES) ApiQuery({ ...q, required: false })(target, key, descriptor);
  };
}

/** `severity`, on the page and the export (the live stream has no post-filters: the viewer matches live events itself). */
function ApiSeverityFilter(): MethodDecorator {
  return ApiQuery({
    name: 'severity',
    required: false,
    enum: [...SEVERITIES],
    description:
      'Analysis events at or above this severity: findings of it or worse, completed analyses whose worst count is it or worse',
  });
}

export interface EventPageResponse {
  readonly events: readonly StoredEvent[];
  readonly next?: number;
  readonly head: number;
}

export interface RecordingHistoryResponse {
  readonly name: string;
  readonly exists: boolean;
  readonly entry: RayhunterManifestEntry | null;
  readonly events: readonly StoredEvent[];
  readonly next?: number;
  readonly head: number;
}

/** The event API: pages, one event, NDJSON export, the live SSE stream, recording history, verify. */
@ApiTags('events')
@RequiresAuth()
@Controller('api')
export class EventsController {
  private readonly logger = new Logger('events');

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    private readonly streams: EventStreams,
  ) {}

  @Get('events')
  @ApiOperation({
    summary: 'One page of events with a cursor (constant cost per page however deep)',
    description: `With \`q\` or \`severity\`, at most ${Q_SCAN_BUDGET} events are examined per request; when the budget runs out the page may hold fewer than \`limit\` events and \`next\` continues the scan.`,
  })
  @ApiQuery({ name: 'order', required: false, enum: ['desc', 'asc'], description: 'Default desc (newest first)' })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiQuery({ name: 'before', required: false, description: 'seq < before (the cursor for desc)' })
  @ApiQuery({ name: 'after', required: false, description: 'seq > after (the cursor for asc)' })
  @ApiQuery({ name: 'q', required: false, description: 'Free text matched against the event JSON (bounded scan)' })
  @ApiSeverityFilter()
  @ApiEventFilters()
  @ApiResponse({ status: 200, description: '{events, next?, head}; pass `next` as `before` (desc) or `after` (asc)' })
  @ApiResponse({ status: 400, description: 'INVALID_QUERY' })
  async page(@Req() req: Request, @Query() query: Record<string, unknown>): Promise<EventPageResponse> {
    const parsed = parseEventQuery(query);
    let response: EventPageResponse;
    if (parsed.q === undefined && parsed.severity === undefined) {
      const page = await this.ledger.log.page(pageOptions(parsed));
      response = { events: page.events, ...(page.next !== undefined ? { next: page.next } : {}), head: page.head };
    } else {
      response = await searchEvents((options) => this.ledger.log.page(options), parsed);
    }
    reflectSeq(req, response.head);
    return response;
  }

  @Get('events/export')
  @ApiOperation({ summary: 'Every matching event as NDJSON, streamed from the log (never buffered)' })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'], description: 'Default asc' })
  @ApiQuery({ name: 'after', required: false })
  @ApiQuery({ name: 'before', required: false })
  @ApiQuery({ name: 'q', required: false })
  @ApiSeverityFilter()
  @ApiEventFilters()
  @ApiProduces('application/x-ndjson')
  @ApiResponse({ status: 200, description: 'one event per line' })
  export(@Req() req: Request, @Res() res: Response, @Query() query: Record<string, unknown>): void {
    const parsed = parseEventQuery({ order: 'asc', ...query });
    const head = this.ledger.log.headSeq();
    reflectSeq(req, head);
    const log = this.ledger.log;
    async function* lines(): AsyncGenerator<string> {
      const fromSeq = (parsed.after ?? 0) + 1;
      const toSeq = Math.min(head, parsed.before !== undefined ? parsed.before - 1 : head);
      if (toSeq < fromSeq) return;
      for await (const event of log.read({ ...parsed.filter, fromSeq, toSeq, reverse: parsed.order === 'desc' })) {
        if (queryMatches(event, parsed)) yield `${JSON.stringify(event)}\n`;
      }
    }
    res.status(200).type('application/x-ndjson');
    res.setHeader('Content-Disposition', 'attachment; filename="events.ndjson"');
    pipeline(Readable.from(lines()), res, (error) => {
      if (error && (error as { code?: unknown }).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        this.logger.warn(`export: ${error.message}`);
    });
  }

  @Get('events/stream')
  @ApiOperation({
    summary: 'Server-sent events: catch-up from Last-Event-ID or ?after=, then live; id is the seq, data the event',
    description:
      'Written at the client\'s pace (the next event is read when the socket drains). A client that does not read while more than `--sse-max-behind` events are committed past it gets a last `event: end` message (`data: {code: "STREAM_BEHIND", lastEventId}`, `id:` the last event sent) and the stream ends: reconnect with that Last-Event-ID.',
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'Start after this seq (Last-Event-ID wins when both are given); default: live only from the head',
  })
  @ApiEventFilters()
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: 'event stream' })
  @ApiResponse({ status: 400, description: 'INVALID_QUERY' })
  async stream(
    @Req() req: Request,
    @Res() res: Response,
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<void> {
    const filter = parseEventFilter(query);
    const raw = lastEventId !== undefined && lastEventId !== '' ? lastEventId : query['after'];
    let after: number;
    if (raw === undefined || raw === '') {
      after = this.ledger.log.headSeq();
    } else if (typeof raw === 'string' && /^[0-9]{1,15}$/.test(raw)) {
      after = Number(raw);
    } else {
      throw new LedgerError('INVALID_QUERY', 'after / Last-Event-ID must be a non-negative integer');
    }
    reflectSeq(req, this.ledger.log.headSeq());
    await this.streams.stream(res, { after, filter });
  }

  @Get('events/:seq')
  @ApiOperation({ summary: 'One event by sequence' })
  @ApiParam({ name: 'seq' })
  @ApiResponse({ status: 200, description: 'the stored event' })
  @ApiResponse({ status: 404, description: 'NO_SUCH_EVENT' })
  async one(@Req() req: Request, @Param('seq') raw: string): Promise<StoredEvent> {
    if (!/^[0-9]{1,15}$/.test(raw)) throw new LedgerError('INVALID_QUERY', 'seq must be a positive integer');
    const seq = Number(raw);
    reflectSeq(req, this.ledger.log.headSeq());
    const event = seq === 0 ? undefined : await this.ledger.log.get(seq);
    if (event === undefined) throw new LedgerError('NO_SUCH_EVENT', `no event with seq ${seq}`);
    return event;
  }

  @Get(recordingRoute('recordings', 'history'))
  @ApiOperation({
    summary: 'One page of the events naming a recording, oldest first, and its manifest entry if it still exists',
    description:
      'Paged as `GET /api/events?order=asc`: at most `limit` events with seq > `after`, read from the recording index (a page costs the same however long the history); pass `next` as `after` for the following page, no `next` at the end. `exists` and `entry` are as of the request.',
  })
  @ApiRecordingNameParam()
  @ApiQuery({ name: 'after', required: false, description: "seq > after (the previous page's next)" })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiResponse({
    status: 200,
    description: '{name, exists, entry (Rayhunter entry or null), events, next?, head}',
  })
  @ApiResponse({ status: 400, description: 'INVALID_RECORDING_NAME, INVALID_QUERY' })
  async history(
    @Req() req: Request,
    @Param(RECORDING_NAME_PARAM) raw: string,
    @Query() query: Record<string, unknown>,
  ): Promise<RecordingHistoryResponse> {
    const name = parseRecordingName(raw);
    const cursor = parseHistoryPage(query);
    // The state before the page: the page reads up to a head at or past it, so a deletion it shows is in the page too.
    const state = this.ledger.state();
    const page = await this.ledger.history(name, cursor);
    reflectSeq(req, page.head);
    // One entry, not the whole manifest: a viewer reads a long history as many pages.
    const record =
      state.current?.name === name
        ? state.current
        : Object.prototype.hasOwnProperty.call(state.entries, name)
          ? state.entries[name]
          : undefined;
    const entry = record !== undefined ? toRayhunterEntry(record) : null;
    return {
      name,
      exists: state.names[name] === 'live',
      entry,
      events: page.events,
      ...(page.next !== undefined ? { next: page.next } : {}),
      head: page.head,
    };
  }

  @Get('store/verify')
  @ApiOperation({
    summary:
      'Verify the hash chain, the invariants after every event, the stored and served projection against a rebuild, and the recordings on disk (as `qmdl-ledger verify`)',
  })
  @ApiResponse({
    status: 200,
    description:
      'StoreVerifyReport {ok, scope, from, head, headHash, checked, replayed, firstBad?, findings, notes, invariants, projection}',
  })
  @ApiQuery({
    name: 'full',
    required: false,
    description: 'true: re-check the whole log; default: only what was appended since the last clean verification',
  })
  async verify(@Req() req: Request, @Query('full') full?: string): Promise<StoreVerifyReport> {
    // The files too: the same findings as `qmdl-ledger verify` on this store.
    const report = await this.ledger.verify({ full: full === 'true' || full === '1', files: true });
    reflectSeq(req, report.head);
    return report;
  }
}
