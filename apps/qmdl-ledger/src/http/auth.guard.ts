import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { LedgerError } from '@ledger/domain';
import { AuthService } from './auth.service';
import { MUTATION, REQUIRES_AUTH } from './auth.decorators';
import type { HttpConfig } from './http-config';
import { HTTP_CONFIG } from './tokens';

/** Global guard: admin token for @RequiresAuth/@Mutation endpoints, then read-only mode for @Mutation. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const mutation = this.reflector.getAllAndOverride<boolean | undefined>(MUTATION, targets) === true;
    const requiresAuth =
      mutation || this.reflector.getAllAndOverride<boolean | undefined>(REQUIRES_AUTH, targets) === true;
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    if (requiresAuth && !this.auth.isAuthenticated(req)) {
      throw new LedgerError(
        'UNAUTHORIZED',
        'this endpoint needs the admin token (Authorization: Bearer <token>, or a session from POST /api/auth/session)',
      );
    }
    if (mutation && this.config.readOnly) {
      throw new LedgerError('READ_ONLY', 'the service runs in read-only mode: recordings cannot be changed');
    }
    return true;
  }
}
