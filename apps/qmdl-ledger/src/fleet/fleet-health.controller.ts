import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FleetDatabase } from './fleet-database';
import { FLEET_DB } from './fleet-tokens';

@ApiTags('fleet')
@Controller()
export class FleetHealthController {
  constructor(@Inject(FLEET_DB) private readonly db: FleetDatabase) {}

  @Get('healthz')
  @ApiOperation({ summary: '200 {status: ok} when the database answers (503 DATABASE_UNAVAILABLE otherwise)' })
  async health(): Promise<{ status: 'ok' }> {
    await this.db.query('SELECT 1');
    return { status: 'ok' };
  }
}
