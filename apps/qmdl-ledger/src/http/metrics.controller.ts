import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpResponse as Response } from './http-types';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Ledger, ShippingStatus } from '@ledger/store';
import type { HttpConfig } from './http-config';
import { EventStreams, registerEventStreamMetrics } from './event-stream.service';
import { registerReactorMetrics } from './reactors.controller';
import { SignInThrottle } from './sign-in-throttle';
import { HTTP_CONFIG, LEDGER } from './tokens';

/**
 * Prometheus metrics on a private Registry (nothing global, so several apps in
 * one process — the tests — do not collide). Commit latencies come from the
 * ledger's window of recent commits: each scrape observes the commits made
 * since the previous one (at most the window).
 */
@ApiTags('service')
@Controller()
export class MetricsController {
  private readonly registry = new Registry();
  private readonly commitLatency: Histogram;
  private seenCommits = 0;

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    signIns: SignInThrottle,
    @Inject(HTTP_CONFIG) config: HttpConfig,
    streams: EventStreams,
  ) {
    const registers = [this.registry];
    registerEventStreamMetrics(this.registry, streams);
    registerReactorMetrics(this.registry, ledger);
    config.registerMetrics?.(this.registry);
    const ledgerRef = this.ledger;
    new Counter({
      name: 'qmdl_ledger_sign_in_failures_total',
      help: 'Wrong admin tokens presented (Bearer or sign-in) since the service started',
      registers,
      collect() {
        this.reset();
        this.inc(signIns.limiter.failures);
      },
    });
    new Counter({
      name: 'qmdl_ledger_sign_ins_throttled_total',
      help: 'Sign-in attempts refused with 429 (too many failures from the address) since the service started',
      registers,
      collect() {
        this.reset();
        this.inc(signIns.limiter.throttled);
      },
    });
    const shipping = config.shipping;
    if (shipping !== undefined) {
      const gauge = (name: string, help: string, read: (s: ShippingStatus) => number): void => {
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read(shipping()));
          },
        });
      };
      gauge(
        'qmdl_ledger_ship_shipped_seq',
        'Sequence the fleet service has acknowledged (the shipper checkpoint)',
        (s) => s.shippedSeq,
      );
      gauge('qmdl_ledger_ship_lag_events', 'Committed events the fleet service does not hold yet', (s) => s.lagEvents);
      gauge(
        'qmdl_ledger_ship_lag_bytes',
        'Committed recording bytes (compressed) the fleet service does not hold yet',
        (s) => s.lagBytes,
      );
      gauge(
        'qmdl_ledger_ship_uploaded_recordings',
        'Recordings recorded as uploaded since the service started',
        (s) => s.uploadedRecordings,
      );
      gauge('qmdl_ledger_ship_failing', '1 while the last shipping attempt failed (backoff or fork), else 0', (s) =>
        s.state === 'backoff' || s.state === 'forked' ? 1 : 0,
      );
      // The target and the last error are strings: labels of a gauge that is 1 (target) or the time
      // of the failure (error), so an alert can say where shipping goes and why it stopped.
      new Gauge({
        name: 'qmdl_ledger_ship_target_info',
        help: 'The fleet service this device ships to (the target label); always 1',
        labelNames: ['target'],
        registers,
        collect() {
          this.reset();
          this.set({ target: shipping().target }, 1);
        },
      });
      new Gauge({
        name: 'qmdl_ledger_ship_last_error_timestamp_seconds',
        help: 'When the last shipping failure happened, labelled with its code; absent until one fails',
        labelNames: ['code'],
        registers,
        collect() {
          this.reset();
          const error = shipping().lastError;
          if (error !== undefined) this.set({ code: error.code }, Date.parse(error.at) / 1000);
        },
      });
    }
    this.commitLatency = new Histogram({
      name: 'qmdl_ledger_commit_latency_seconds',
      help: 'Latency of a durable log commit (append + fsync), per commit',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
      registers,
    });
    new Gauge({
      name: 'qmdl_ledger_commit_batch_size',
      help: 'Events in the last group commit',
      registers,
      collect() {
        this.set(ledgerRef.metrics().lastBatchSize);
      },
    });
    new Counter({
      name: 'qmdl_ledger_events_committed_total',
      help: 'Events committed since the service started, start-up recovery included (rate() gives events/s)',
      registers,
      collect() {
        this.reset();
        this.inc(ledgerRef.metrics().eventsCommitted);
      },
    });
    new Counter({
      name: 'qmdl_ledger_commits_total',
      help: 'Group commits since the service started',
      registers,
      collect() {
        this.reset();
        this.inc(ledgerRef.metrics().commits);
      },
    });
    new Gauge({
      name: 'qmdl_ledger_head_seq',
      help: 'Sequence of the newest committed event',
      registers,
      collect() {
        this.set(ledgerRef.metrics().headSeq);
      },
    });
    new Gauge({
      name: 'qmdl_ledger_projection_lag_events',
      help: 'Committed events not yet applied to the QmdlStore projection',
      registers,
      collect() {
        const m = ledgerRef.metrics();
        this.set(Math.max(0, m.headSeq - m.projectionSeq));
      },
    });
    new Gauge({
      name: 'qmdl_ledger_active_recording_bytes',
      help: 'Committed compressed bytes of the active recording (0 when none)',
      registers,
      collect() {
        this.set(ledgerRef.metrics().activeRecordingBytes);
      },
    });
  }

  @Get('metrics')
  @ApiOperation({
    summary: 'Prometheus metrics: commit latency, batch size, events committed, projection lag, active recording bytes',
  })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format' })
  async metrics(@Res() res: Response): Promise<void> {
    const m = this.ledger.metrics();
    const fresh = Math.min(Math.max(0, m.commits - this.seenCommits), m.commitLatencyMsHistogram.length);
    for (const ms of m.commitLatencyMsHistogram.slice(m.commitLatencyMsHistogram.length - fresh))
      this.commitLatency.observe(ms / 1000);
    this.seenCommits = m.commits;
    const body = await this.registry.metrics();
    res.status(200).type(this.registry.contentType).send(body);
  }
}
