import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import type { StoredEvent } from '@ledger/domain';
import type { EventFilter } from '@ledger/event-log';
import type { Ledger } from '@ledger/store';
import { DEFAULT_SSE_MAX_BEHIND, type HttpConfig } from './http-config';
import type { HttpResponse as Response } from './http-types';
import { HTTP_CONFIG, LEDGER } from './tokens';

/**
 * How long an ended stream may take to hand its last bytes to a client that
 * does not read, before its socket is cut (the descriptor is freed either way).
 */
const END_GRACE_MS = 60_000;

/**
 * Events read from the log at a time for a stream: about what one socket
 * buffer (16 KiB) takes, so a stalled client holds little more than that.
 */
const STREAM_BATCH = 64;

/** The `event: end` message's code: the client fell too far behind; resume from `lastEventId`. */
const SSE_BEHIND_CODE = 'STREAM_BEHIND';

/** What `/metrics` reports about the open event streams. */
export interface EventStreamStats {
  /** Streams open now. */
  readonly open: number;
  /** Of those, waiting for their client to read (the socket did not drain). */
  readonly stalled: number;
  /** Bytes written to the open streams that their clients have not taken yet (response and socket buffers). */
  readonly bufferedBytes: number;
  /** Streams ended because their client fell more than `--sse-max-behind` events behind. */
  readonly endedBehind: number;
}

export interface StreamRequest {
  /** Start after this sequence. */
  readonly after: number;
  readonly filter: EventFilter;
}

type Wait = 'drained' | 'closed' | 'behind';

function frame(event: StoredEvent): string {
  // JSON.stringify never writes a newline, so the event is one `data:` line.
  return `id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * The SSE event stream (`GET /api/events/stream`), built on the log's
 * pull-based tail: the next event is read only after the previous one was
 * written, and when a write fills the socket's buffer the stream waits for it
 * to drain. A client that stops reading therefore holds one socket buffer and
 * one small batch of events, never the log. While it waits, each commit checks how far
 * behind it is (events committed after both its last event and the head when it
 * connected, so a long catch-up of old history does not count); past
 * `--sse-max-behind` the stream ends with an `event: end` message whose `id`
 * is the last event sent — an EventSource reconnects with it as
 * `Last-Event-ID`, any client can pass it as `after`.
 *
 * Nest's `@Sse()` is not used: it subscribes to an Observable and writes every
 * emission at once, with no way to wait for the socket.
 */
@Injectable()
export class EventStreams {
  private readonly logger = new Logger('events');
  private readonly responses = new Set<Response>();
  private stalled = 0;
  private endedBehind = 0;
  private readonly maxBehind: number;

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) config: HttpConfig,
  ) {
    this.maxBehind = config.sseMaxBehind ?? DEFAULT_SSE_MAX_BEHIND;
  }

  stats(): EventStreamStats {
    let bufferedBytes = 0;
    for (const res of this.responses) bufferedBytes += res.writableLength;
    return { open: this.responses.size, stalled: this.stalled, bufferedBytes, endedBehind: this.endedBehind };
  }

  /** Streams `request` to `res` until the client goes away, it falls too far behind, or the log closes. */
  async stream(res: Response, request: StreamRequest): Promise<void> {
    const log = this.ledger.log;
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Connection', 'keep-alive');
    // Proxies that buffer responses (nginx) would defeat the backpressure.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    this.responses.add(res);
    const connectedAt = log.headSeq();
    let lastId = request.after;
    const behind = (): number => log.headSeq() - Math.max(lastId, connectedAt);
    try {
      for await (const batch of log.tailBatches({
        ...request.filter,
        after: request.after,
        signal: aborted.signal,
        maxBatch: STREAM_BATCH,
      })) {
        // One write per batch: fewer, larger socket writes than one per event.
        const room = res.write(batch.map(frame).join(''));
        lastId = batch[batch.length - 1]?.seq ?? lastId;
        if (room) continue;
        const outcome = await this.drained(res, aborted.signal, behind);
        if (outcome === 'closed') return;
        if (outcome === 'behind') {
          this.endBehind(res, lastId, behind());
          return;
        }
      }
    } catch (error) {
      this.logger.warn(`event stream after ${lastId}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.responses.delete(res);
      if (!res.writableEnded && !res.destroyed) res.end();
    }
  }

  /** Waits until the socket drains, the client goes away, or it is more than `maxBehind` events behind. */
  private drained(res: Response, signal: AbortSignal, behind: () => number): Promise<Wait> {
    if (signal.aborted) return Promise.resolve('closed');
    if (behind() > this.maxBehind) return Promise.resolve('behind');
    this.stalled += 1;
    return new Promise<Wait>((resolve) => {
      let done = false;
      // Closed by finish(); anything added after that is torn down at once.
      const commits = new Subscription();
      const finish = (outcome: Wait): void => {
        if (done) return;
        done = true;
        this.stalled -= 1;
        res.off('drain', onDrain);
        signal.removeEventListener('abort', onAbort);
        commits.unsubscribe();
        resolve(outcome);
      };
      const onDrain = (): void => finish('drained');
      const onAbort = (): void => finish('closed');
      res.on('drain', onDrain);
      signal.addEventListener('abort', onAbort);
      // Live only (after the head): told of each commit while the client does not read.
      commits.add(
        this.ledger.log.subscribe({ after: this.ledger.log.headSeq() }).subscribe({
          next: () => {
            if (behind() > this.maxBehind) finish('behind');
          },
          complete: () => finish('closed'),
        }),
      );
    });
  }

  private endBehind(res: Response, lastId: number, behindBy: number): void {
    this.endedBehind += 1;
    this.logger.warn(
      `event stream ended: the client is ${behindBy} events behind (more than ${this.maxBehind}); it may resume after ${lastId}`,
    );
    const message = {
      code: SSE_BEHIND_CODE,
      message: `the client fell more than ${this.maxBehind} events behind; reconnect with Last-Event-ID: ${lastId} (or ?after=${lastId})`,
      lastEventId: lastId,
      behind: behindBy,
    };
    res.end(`event: end\nid: ${lastId}\ndata: ${JSON.stringify(message)}\n\n`);
    // A client that never reads again would keep the socket (and its buffer) forever.
    const cut = setTimeout(() => res.destroy(), END_GRACE_MS);
    cut.unref();
    res.once('close', () => clearTimeout(cut));
  }
}

/** The event streams' gauges and counter on `/metrics`. */
export function registerEventStreamMetrics(registry: Registry, streams: EventStreams): void {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (stats: EventStreamStats) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value(streams.stats()));
      },
    });
  };
  gauge('qmdl_ledger_sse_streams', 'Open SSE event streams (GET /api/events/stream)', (s) => s.open);
  gauge('qmdl_ledger_sse_streams_stalled', 'Open SSE event streams waiting for their client to read', (s) => s.stalled);
  gauge(
    'qmdl_ledger_sse_buffered_bytes',
    'Bytes written to open SSE streams that their clients have not read yet',
    (s) => s.bufferedBytes,
  );
  new Counter({
    name: 'qmdl_ledger_sse_streams_ended_behind_total',
    help: 'SSE streams ended because their client fell more than --sse-max-behind events behind',
    registers,
    collect() {
      this.reset();
      this.inc(streams.stats().endedBehind);
    },
  });
}
