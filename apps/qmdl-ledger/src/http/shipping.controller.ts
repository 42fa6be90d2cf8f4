import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ShippingStatus } from '@ledger/store';
import { RequiresAuth } from './auth.decorators';
import type { HttpConfig } from './http-config';
import { HTTP_CONFIG } from './tokens';

/** `serve --ship-to`: where the log and the recordings go, and how far behind they are. */
@ApiTags('service')
@RequiresAuth()
@Controller('api')
export class ShippingController {
  constructor(@Inject(HTTP_CONFIG) private readonly config: HttpConfig) {}

  @Get('shipping')
  @ApiOperation({ summary: 'The shipper: target, state, shipped seq, head seq, lag in events and bytes, last error' })
  @ApiResponse({
    status: 200,
    description:
      '{enabled: false} without --ship-to; else {enabled: true, target, state, shippedSeq, headSeq, lagEvents, lagBytes, uploadedRecordings, lastError?, lastSuccessAt?}',
  })
  status(): { enabled: false } | ({ enabled: true } & ShippingStatus) {
    const shipping = this.config.shipping;
    return shipping === undefined ? { enabled: false } : { enabled: true, ...shipping() };
  }
}
