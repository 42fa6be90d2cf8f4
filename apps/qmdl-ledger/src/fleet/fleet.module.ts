import { type DynamicModule, Module } from '@nestjs/common';
import type { UpcasterRegistry } from '@ledger/event-log';
import { StreamedDownloads } from '../http/streamed-download.service';
import { DOWNLOAD_LIMITS } from '../http/tokens';
import { DevicesService } from './devices.service';
import { EventIngestService } from './event-ingest.service';
import { FleetAdminGuard } from './fleet-admin.guard';
import type { FleetDatabase } from './fleet-database';
import { FleetDevicesController } from './fleet-devices.controller';
import { FleetDownloadsService } from './fleet-downloads.service';
import { FleetHealthController } from './fleet-health.controller';
import { FleetIngestController } from './fleet-ingest.controller';
import { FleetPageController } from './fleet-page.controller';
import { FLEET_CONFIG, FLEET_DB, FLEET_UPCASTERS, type FleetConfig } from './fleet-tokens';
import { FleetViewsService } from './fleet-views.service';
import { FleetWarningsController } from './fleet-warnings.controller';
import { RecordingDataService } from './recording-data.service';

export interface FleetModuleOptions {
  readonly db: FleetDatabase;
  readonly config: FleetConfig;
  readonly upcasters: UpcasterRegistry;
}

/** The central service: ingest (devices ship to it) and the fleet views. Wraps the database; holds no business rules. */
@Module({})
export class FleetModule {
  static forRoot(options: FleetModuleOptions): DynamicModule {
    return {
      module: FleetModule,
      controllers: [
        FleetIngestController,
        FleetDevicesController,
        FleetWarningsController,
        FleetHealthController,
        FleetPageController,
      ],
      providers: [
        { provide: FLEET_DB, useFactory: () => options.db },
        { provide: FLEET_CONFIG, useFactory: () => options.config },
        { provide: FLEET_UPCASTERS, useFactory: () => options.upcasters },
        { provide: DOWNLOAD_LIMITS, useFactory: () => options.config.downloads ?? {} },
        StreamedDownloads,
        DevicesService,
        EventIngestService,
        RecordingDataService,
        FleetViewsService,
        FleetDownloadsService,
        FleetAdminGuard,
      ],
    };
  }
}
