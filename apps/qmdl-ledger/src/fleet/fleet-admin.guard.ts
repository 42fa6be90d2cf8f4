import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LedgerError } from '@ledger/domain';
import { secretsEqual } from '../http/auth.service';
import { bearerToken } from './device-tokens';
import { FLEET_CONFIG, type FleetConfig } from './fleet-tokens';

/** The fleet views need `--admin-token` (Bearer) when one is set, as the event API of a device does. */
@Injectable()
export class FleetAdminGuard implements CanActivate {
  constructor(@Inject(FLEET_CONFIG) private readonly config: FleetConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.adminToken;
    if (expected === undefined || expected === '') return true;
    const token = bearerToken(context.switchToHttp().getRequest<IncomingMessage>().headers.authorization);
    if (token !== undefined && secretsEqual(token, expected)) return true;
    throw new LedgerError('UNAUTHORIZED', 'the fleet views need the admin token (Authorization: Bearer <token>)');
  }
}
