import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { HttpRequest as Request } from './http-types';
import type { Ledger } from '@ledger/store';
import { reflectSeq } from './request-context';
import { LEDGER } from './tokens';

@ApiTags('service')
@Controller()
export class HealthController {
  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: 200 once the store is open and recovered, with the projection seq' })
  @ApiResponse({ status: 200, description: "{status: 'ok', seq}" })
  health(@Req() req: Request): { status: 'ok'; seq: number } {
    const seq = this.ledger.state().seq;
    reflectSeq(req, seq);
    return { status: 'ok', seq };
  }
}
