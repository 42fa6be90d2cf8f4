import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const REQUIRES_AUTH = 'ledger:requires-auth';
export const MUTATION = 'ledger:mutation';

/** The endpoint needs the admin token (Bearer or session cookie) when one is set. */
export const RequiresAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRES_AUTH, true),
    ApiSecurity('bearer'),
    ApiSecurity('session'),
    ApiUnauthorizedResponse({
      description: 'UNAUTHORIZED: an admin token is set and the request carries neither it nor a session cookie',
    }),
  );

/** The endpoint changes the store: it needs the token (when set) and answers 403 in read-only mode. */
export const Mutation = (): MethodDecorator =>
  applyDecorators(
    RequiresAuth(),
    SetMetadata(MUTATION, true),
    ApiForbiddenResponse({ description: 'READ_ONLY: the service runs with --read-only' }),
  ) as MethodDecorator;
