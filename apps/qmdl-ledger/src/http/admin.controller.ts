import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { LedgerError } from '@ledger/domain';
import type { HttpConfig } from './http-config';
import { HTTP_CONFIG } from './tokens';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Where `npm run build` puts the viewer: `dist/admin`. This file compiles to
 * `dist/apps/qmdl-ledger/src/http/`, four levels below `dist/`; run from source
 * (tests), the repo root is four levels up and the build is in `dist/admin`.
 */
export function defaultAdminDir(): string {
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

  constructor(@Inject(HTTP_CONFIG) config: HttpConfig) {
    this.root = path.resolve(config.adminDir ?? defaultAdminDir());
  }

  @Get()
  index(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve(req, res, '');
  }

  @Get('*')
  asset(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve(req, res, req.path.slice('/admin/'.length));
  }

  private async serve(_req: Request, res: Response, relative: string): Promise<void> {
    const index = path.join(this.root, 'index.html');
    if (!existsSync(index)) throw new LedgerError('NOT_FOUND', 'the admin viewer is not built (npm run build)');
    let target = index;
    if (relative !== '' && !relative.includes('\0')) {
      const candidate = path.resolve(this.root, relative);
      const inside = candidate.startsWith(this.root + path.sep);
      const looksLikeAsset = /\.[A-Za-z0-9]{1,8}$/.test(relative);
      if (inside && (await isFile(candidate))) target = candidate;
      else if (looksLikeAsset) throw new LedgerError('NOT_FOUND', 'no such asset');
    }
    const body = await fs.readFile(target);
    const type = CONTENT_TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream';
    res.status(200).setHeader('Content-Type', type);
    // Hashed assets may be cached; index.html must not be (it names the current hashes).
    res.setHeader('Cache-Control', target === index ? 'no-cache' : 'public, max-age=31536000, immutable');
    res.send(body);
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
