import { existsSync } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { LedgerError } from '@ledger/domain';
import type { HttpConfig } from './http-config';
import { siteIndex, StaticSite } from './static-site';
import { HTTP_CONFIG } from './tokens';

/**
 * Where `npm run build` puts the viewer: `dist/admin`. This file compiles to
 * `dist/apps/qmdl-ledger/src/http/`, four levels below `dist/`; run from source
 * (tests), the repo root is four levels up and the build is in `dist/admin`.
 */
function defaultAdminDir(): string {
  const fromDist = path.resolve(__dirname, '../../../../admin');
  if (existsSync(path.join(fromDist, 'index.html'))) return fromDist;
  return path.resolve(__dirname, '../../../../dist/admin');
}

/**
 * The admin viewer's static assets at /admin. The page loads without auth (it
 * has its own sign-in form); its data comes from the protected event API.
 * Any non-asset path under /admin gets index.html (client-side routes).
 */
@ApiExcludeController()
@Controller('admin')
export class AdminController {
  private readonly root: string;
  private readonly site: StaticSite;

  constructor(@Inject(HTTP_CONFIG) config: HttpConfig) {
    this.root = path.resolve(config.adminDir ?? defaultAdminDir());
    // Vite names every asset by its content hash.
    this.site = new StaticSite({ root: this.root, immutable: () => true });
  }

  @Get()
  index(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve(req, res, '');
  }

  @Get('*')
  asset(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve(req, res, req.path.slice('/admin/'.length));
  }

  private async serve(req: Request, res: Response, relative: string): Promise<void> {
    if (siteIndex(this.root) === undefined)
      throw new LedgerError('NOT_FOUND', 'the admin viewer is not built (npm run build)');
    await this.site.send(req, res, relative);
  }
}
