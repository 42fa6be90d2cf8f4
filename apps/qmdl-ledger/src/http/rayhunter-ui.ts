import { LedgerError } from '@ledger/domain';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { StaticSite } from './static-site';

/** Paths the service answers itself: never taken by the UI's files or its index fallback. */
const SERVICE_PATHS = /^\/(api|admin|healthz|metrics)(\/|$)/;

type Middleware = (req: Request, res: Response, next: (error?: unknown) => void) => void;

/**
 * The Rayhunter web UI at `/`, same origin as the API (`serve --rayhunter-ui
 * <dir>`, the `build/` output of Rayhunter's own `npm run build` in daemon/web):
 * its `/api/*` calls, downloads and the admin session cookie then all work
 * without a proxy. Any GET outside the service's own paths is a file of the
 * build, or its index.html (the UI is a single-page app). Without a UI, `/`
 * points to the admin viewer and everything else stays a 404.
 */
export function rayhunterUiMiddleware(dir: string | undefined): Middleware {
  // SvelteKit puts content-hashed files under _app/immutable; the images beside index.html keep their names.
  const site =
    dir === undefined
      ? undefined
      : new StaticSite({ root: dir, immutable: (relative) => relative.startsWith('_app/immutable/') });
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || SERVICE_PATHS.test(req.path)) return next();
    if (site === undefined) {
      if (req.path !== '/') return next();
      res.statusCode = 302;
      res.setHeader('Location', '/admin');
      res.end();
      return;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(req.path).slice(1);
    } catch {
      return next(new LedgerError('BAD_REQUEST', 'malformed %-escape in the path'));
    }
    site.send(req, res, relative).catch(next);
  };
}
