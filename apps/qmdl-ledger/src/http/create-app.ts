import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import { Logger, type LoggerService, type NestApplicationOptions } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Ledger } from '@ledger/store';
import { APP_VERSION } from '../version';
import { AppModule } from './app.module';
import type { HttpConfig } from './http-config';
import { jsonBodyParser } from './json-body';
import { LedgerExceptionFilter } from './ledger-exception.filter';
import { rayhunterUiMiddleware } from './rayhunter-ui';
import { requestContextMiddleware } from './request-context';
import { applyServerLimits } from './server-limits';
import { webSafetyMiddleware } from './web-safety';

/** Request bodies are small JSON documents (config, time offset, a GPS fix, a token). */
const BODY_LIMIT = '64kb';

export interface CreateHttpAppOptions {
  readonly ledger: Ledger;
  readonly config: HttpConfig;
  readonly logger?: LoggerService | false;
}

/** How both HTTP apps (`serve`, `fleet`) are created: bodies are parsed by their own middleware or handlers. */
export function nestAppOptions(logger: LoggerService | false | undefined): NestApplicationOptions {
  return {
    bodyParser: false,
    // Open SSE streams must not hold shutdown (nestjs/nest#6643).
    forceCloseConnections: true,
    logger: logger ?? false,
    abortOnError: false,
  };
}

/** What every response of both HTTP apps shares: no X-Powered-By, no ETag, errors mapped by the one exception filter. */
export function applyHttpConventions(app: NestExpressApplication): void {
  const express = app.getHttpAdapter().getInstance();
  express.disable('x-powered-by');
  express.set('etag', false);
  app.useGlobalFilters(new LedgerExceptionFilter(() => (express as { _router?: { stack?: [] } })._router?.stack ?? []));
}

/**
 * The configured (not yet listening) Nest app: request context first (so every
 * response, errors included, carries X-Request-Id and X-Ledger-Seq), then the
 * cross-origin and content-type checks and the security headers (web-safety.ts),
 * then the 64 KiB JSON body parser, the one exception filter, and the OpenAPI document (built when first asked for).
 * `serve` and the e2e tests both build the app here.
 */
export async function createHttpApp(options: CreateHttpAppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ ledger: options.ledger, config: options.config }),
    nestAppOptions(options.logger),
  );
  applyServerLimits(app.getHttpServer() as Server, options.config.server ?? {}, options.logger || new Logger('http'));
  app.use(requestContextMiddleware(options.ledger));
  app.use(webSafetyMiddleware({ allowedOrigins: options.config.allowedOrigins ?? [], host: options.config.host }));
  app.use(rayhunterUiMiddleware(options.config.rayhunterUiDir));
  app.use(jsonBodyParser(BODY_LIMIT, 64 * 1024));
  applyHttpConventions(app);

  // Built when first asked for, not at start-up: its scan of every controller then delays no other answer.
  const document = (): OpenAPIObject =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('qmdl-ledger')
        .setDescription(
          'Rayhunter-compatible recording API, the event API (audit log, live stream, history, verify), auth and service endpoints. See apps/qmdl-ledger/src/http/README.md for error codes.',
        )
        .setVersion(APP_VERSION)
        .addBearerAuth(
          { type: 'http', scheme: 'bearer', description: 'The admin token (--admin-token / ADMIN_TOKEN)' },
          'bearer',
        )
        .addCookieAuth('ledger_session', { type: 'apiKey', in: 'cookie', name: 'ledger_session' }, 'session')
        .build(),
    );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  await app.init();
  return app;
}
