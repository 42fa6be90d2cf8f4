import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FLEET_PAGE_HTML, FLEET_PAGE_JS } from './fleet-page';

/** The page is public (it holds no data); its data comes from the views, which need the admin token. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

@ApiExcludeController()
@Controller('fleet')
export class FleetPageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-store')
  page(): string {
    return FLEET_PAGE_HTML;
  }

  @Get('fleet.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  script(): string {
    return FLEET_PAGE_JS;
  }
}
