import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { Logger, type LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { UpcasterRegistry } from '@ledger/event-log';
import { applyHttpConventions, nestAppOptions } from '../http/create-app';
import { LedgerExceptionFilter } from '../http/ledger-exception.filter';
import { applyServerLimits } from '../http/server-limits';
import { APP_VERSION } from '../version';
import { serveEventBatches } from './event-batch-route';
import { EventIngestService } from './event-ingest.service';
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
 * bounded or streamed), the one exception filter, the OpenAPI document; event
 * batches served ahead of Express (event-batch-route.ts).
 */
export async function createFleetApp(options: CreateFleetAppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    FleetModule.forRoot(options),
    nestAppOptions(options.logger),
  );
  const server = app.getHttpServer() as Server;
  applyServerLimits(server, options.config.server ?? {}, options.logger || new Logger('http'));
  applyHttpConventions(app);
  serveEventBatches(server, app.get(EventIngestService), new LedgerExceptionFilter());
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
