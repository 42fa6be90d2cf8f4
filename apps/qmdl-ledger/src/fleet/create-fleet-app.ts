import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { Logger, type LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { UpcasterRegistry } from '@ledger/event-log';
import { applyHttpConventions, nestAppOptions } from '../http/create-app';
import { applyServerLimits } from '../http/server-limits';
import { APP_VERSION } from '../version';
import type { FleetDatabase } from './fleet-database';
import { FleetModule } from './fleet.module';
import type { FleetConfig } from './fleet-tokens';

export interface CreateFleetAppOptions {
  readonly db: FleetDatabase;
  readonly config: FleetConfig;
  readonly upcasters: UpcasterRegistry;
  readonly logger?: LoggerService | false;
}

/**
 * The configured (not yet listening) central service: the server limits
 * `serve` has (connections, header/request/keep-alive timeouts), no body
 * parser (event batches and recording bytes are read by their handlers,
 * bounded or streamed), the one exception filter, the OpenAPI document.
 */
export async function createFleetApp(options: CreateFleetAppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    FleetModule.forRoot(options),
    nestAppOptions(options.logger),
  );
  applyServerLimits(app.getHttpServer() as Server, options.config.server ?? {}, options.logger || new Logger('http'));
  applyHttpConventions(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('qmdl-ledger fleet')
      .setDescription(
        'The central service: devices ship their logs and recordings to /api/fleet/v1 (device token); the fleet views (admin token).',
      )
      .setVersion(APP_VERSION)
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: 'A device token (qmdl-ledger fleet enroll)' },
        'device',
      )
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The admin token (--admin-token)' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  await app.init();
  return app;
}
