import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Gauge, Counter, type Registry } from 'prom-client';
import type { Ledger, ReactorStatus } from '@ledger/store';
import { RequiresAuth } from './auth.decorators';
import { LEDGER } from './tokens';

/** The reactors running on the store (consumers of the log outside the commit loop): where each is, how far behind. */
@ApiTags('service')
@RequiresAuth()
@Controller('api')
export class ReactorsController {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  @Get('reactors')
  @ApiOperation({
    summary:
      'Every reactor: name, state, position (its checkpoint), head, lag in events, batches, failures, last error',
  })
  @ApiResponse({
    status: 200,
    description: '{reactors: [{name, state, position, headSeq, lagEvents, batches, failures, lastError?}]}',
  })
  list(): { reactors: readonly ReactorStatus[] } {
    return { reactors: this.ledger.reactors() };
  }
}

/** Per-reactor gauges and counters on `/metrics`, labelled `reactor`. */
export function registerReactorMetrics(registry: Registry, ledger: Ledger): void {
  const registers = [registry];
  const perReactor = (name: string, help: string, value: (status: ReactorStatus) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['reactor'],
      registers,
      collect() {
        this.reset();
        for (const status of ledger.reactors()) this.set({ reactor: status.name }, value(status));
      },
    });
  };
  perReactor('qmdl_ledger_reactor_position', 'The last sequence a reactor handled (its checkpoint)', (s) => s.position);
  perReactor('qmdl_ledger_reactor_lag_events', 'Committed events a reactor has not handled yet', (s) => s.lagEvents);
  new Counter({
    name: 'qmdl_ledger_reactor_failures_total',
    help: 'Failed reactor batches (each retried with backoff)',
    labelNames: ['reactor'],
    registers,
    collect() {
      this.reset();
      for (const status of ledger.reactors()) this.inc({ reactor: status.name }, status.failures);
    },
  });
}
