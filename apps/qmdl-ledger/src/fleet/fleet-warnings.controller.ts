import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { LedgerError, parseRfc3339 } from '@ledger/domain';
import { WARNING_SEVERITIES } from './analysis-warnings';
import { parseStoreId } from './devices.service';
import { FleetAdminGuard } from './fleet-admin.guard';
import { decodeWarningCursor, FleetViewsService, type FleetWarning } from './fleet-views.service';

function one(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new LedgerError('INVALID_QUERY', `${name} must be given once`);
  return raw;
}

/** The analysis findings across the fleet: a map-free list, newest first. */
@ApiTags('fleet')
@ApiBearerAuth('bearer')
@UseGuards(FleetAdminGuard)
@Controller('api/fleet/warnings')
export class FleetWarningsController {
  constructor(private readonly views: FleetViewsService) {}

  @Get()
  @ApiOperation({ summary: 'Every device’s analysis findings (Low, Medium, High), newest first' })
  @ApiQuery({
    name: 'severity',
    required: false,
    description: 'Comma-separated: Low,Medium,High — these severities (at or above Medium: Medium,High)',
  })
  @ApiQuery({ name: 'device', required: false, description: 'A store id' })
  @ApiQuery({ name: 'limit', required: false, description: '1..1000, default 100' })
  @ApiQuery({
    name: 'cursor',
    required: false,
    description:
      'The cursor: the findings after this one (the last `cursor` of the previous page); each page ends where the next begins, none skipped or repeated',
  })
  @ApiQuery({
    name: 'before',
    required: false,
    description:
      'Findings of packets before this RFC 3339 time (a filter, not a cursor: findings share packet times, so page with `cursor`)',
  })
  async list(@Query() query: Record<string, unknown>): Promise<FleetWarning[]> {
    const severityRaw = one(query['severity'], 'severity');
    const severities = severityRaw?.split(',').map((s) => s.trim());
    if (severities !== undefined && severities.some((s) => !WARNING_SEVERITIES.includes(s))) {
      throw new LedgerError(
        'INVALID_QUERY',
        `severity must be a comma-separated list of ${WARNING_SEVERITIES.join(', ')}`,
      );
    }
    const device = one(query['device'], 'device');
    const limitRaw = one(query['limit'], 'limit') ?? '100';
    if (!/^[0-9]{1,4}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 1000)
      throw new LedgerError('INVALID_QUERY', 'limit must be an integer in 1..1000');
    const before = one(query['before'], 'before');
    const beforeMs = before === undefined ? undefined : before.length <= 64 ? parseRfc3339(before) : undefined;
    if (before !== undefined && beforeMs === undefined)
      throw new LedgerError('INVALID_QUERY', 'before must be an RFC 3339 time');
    const cursor = one(query['cursor'], 'cursor');
    return this.views.warnings({
      limit: Number(limitRaw),
      ...(severities !== undefined ? { severities } : {}),
      ...(device !== undefined ? { storeId: parseStoreId(device) } : {}),
      ...(beforeMs !== undefined ? { before: new Date(beforeMs).toISOString() } : {}),
      ...(cursor !== undefined ? { after: decodeWarningCursor(cursor) } : {}),
    });
  }
}
