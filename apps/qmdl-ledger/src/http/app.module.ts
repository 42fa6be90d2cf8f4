import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Ledger } from '@ledger/store';
import { AdminController } from './admin.controller';
import { AnalysisController } from './analysis.controller';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { CommandRunner } from './command-runner.service';
import { DeviceController } from './device.controller';
import { DownloadsController } from './downloads.controller';
import { DownloadsService } from './downloads.service';
import { EventStreams } from './event-stream.service';
import { EventsController } from './events.controller';
import { HealthController } from './health.controller';
import type { HttpConfig } from './http-config';
import { ManifestService } from './manifest.service';
import { MetricsController } from './metrics.controller';
import { RecordingsController } from './recordings.controller';
import { SignInThrottle } from './sign-in-throttle';
import { ReactorsController } from './reactors.controller';
import { ShippingController } from './shipping.controller';
import { StreamedDownloads } from './streamed-download.service';
import { DOWNLOAD_LIMITS, HTTP_CONFIG, LEDGER } from './tokens';

/** Closes the Ledger when the app shuts down, so the LevelDB LOCK is released (a hung shutdown keeps it). */
class LedgerLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('lifecycle');

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    if (this.config.closeLedgerOnShutdown === false) return;
    this.logger.log(`closing the store${signal ? ` (${signal})` : ''}`);
    await this.ledger.close(signal ? { signal } : {});
  }
}

export interface AppModuleOptions {
  readonly ledger: Ledger;
  readonly config: HttpConfig;
}

/** The HTTP app: wraps an opened Ledger; holds no business rules. */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        // The original Rayhunter daemon's API (https://github.com/EFForg/rayhunter), by resource.
        RecordingsController,
        DownloadsController,
        AnalysisController,
        DeviceController,
        EventsController,
        AuthController,
        HealthController,
        MetricsController,
        AdminController,
        ShippingController,
        ReactorsController,
      ],
      providers: [
        // Factories, not useValue: Nest serialises a dynamic module's metadata
        // (values included) to name it, and with the ledger in it that walked
        // the whole projection on every start (bench/README.md, cold start).
        { provide: LEDGER, useFactory: () => options.ledger },
        { provide: HTTP_CONFIG, useFactory: () => options.config },
        { provide: DOWNLOAD_LIMITS, useFactory: () => options.config.downloads ?? {} },
        AuthService,
        SignInThrottle,
        CommandRunner,
        DownloadsService,
        ManifestService,
        EventStreams,
        StreamedDownloads,
        LedgerLifecycle,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
