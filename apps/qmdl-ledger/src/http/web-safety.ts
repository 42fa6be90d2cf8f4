import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { LedgerError } from '@ledger/domain';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Methods that never change anything here; every other method is state-changing. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The viewer is built by vite into external scripts and stylesheets only, so it
 * needs nothing inline; `data:` images are its empty favicon. `frame-ancestors`
 * stops another page from framing it (clickjacking); X-Frame-Options says the
 * same to browsers that predate CSP level 2.
 */
const ADMIN_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `scheme://host[:port]` as browsers send it in `Origin` (lower case, no path,
 * default port left out), or undefined when `value` is not an origin.
 */
export function normaliseOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== ''
  )
    return undefined;
  return url.origin;
}

/** What a refused request may still send before its connection is cut instead of answered. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Refuse once the request's body has been read off and discarded, as body-parser
 * does for its own errors: a client that is still sending when the answer comes
 * would see its write fail (EPIPE) instead of the status. Past DRAIN_LIMIT_BYTES
 * the connection is cut.
 */
function refuseAfterBody(req: IncomingMessage, next: (error?: unknown) => void, error: LedgerError): void {
  if (req.complete || !hasBody(req)) return next(error);
  let done = false;
  let drained = 0;
  const finish = (): void => {
    if (done) return;
    done = true;
    next(error);
  };
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.once('end', finish);
  req.once('close', finish);
  req.once('error', finish);
  req.resume();
}

export interface WebSafetyOptions {
  /** Origins besides the server's own that may make state-changing requests (normalised, see normaliseOrigin). */
  readonly allowedOrigins: readonly string[];
  /** The address the server binds (`--host`): a name a browser may use for it without DNS rebinding being in play. */
  readonly host?: string;
}

/**
 * Whether a browser that names this server `hostname` reached it without DNS in
 * play: an IP literal, `localhost` (browsers resolve it, and `*.localhost`, to
 * loopback themselves) or the bound host. Any other name may be a hostile domain
 * re-pointed at this address (DNS rebinding): its pages are then the "same
 * origin" by Host and Origin alike, so such a name counts as this server's own
 * only when listed with --allow-origin.
 */
function trustedHostName(hostname: string, boundHost: string | undefined): boolean {
  const name = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return boundHost !== undefined && name === boundHost.toLowerCase();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** True when the request carries a body: chunked, or a non-zero Content-Length (a bodiless fetch POST sends `Content-Length: 0`). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length > 0;
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * Why a browser page elsewhere cannot act for the user, as one middleware before
 * the body parser and the router:
 *
 * - A state-changing request whose `Origin` is neither this server's own origin
 *   (from its `Host`) nor an allowed one is refused with 403 CROSS_ORIGIN_REFUSED;
 *   without `Origin`, a `Sec-Fetch-Site` other than `same-origin` / `none` is refused
 *   too. Browsers send `Origin` on every cross-origin and every non-GET request,
 *   `mode: 'no-cors'` and form posts included, and page scripts cannot forge it.
 *   A request with neither header (curl, scripts) is not from a browser page and
 *   passes. The own origin counts only under a name DNS rebinding cannot forge
 *   (trustedHostName). `SameSite=Strict` cookies do not cover this: another port of the same
 *   host is the same site, and without a token there is no cookie at all.
 * - A state-changing request with a body must say `application/json` (415
 *   UNSUPPORTED_MEDIA_TYPE): the types an HTML form can send (`text/plain`, url-encoded,
 *   multipart) never reach a handler. A POST without a body stays allowed, as the
 *   Rayhunter UI sends start, stop and delete.
 * - Every response says `nosniff` and sends no Referer; `/admin` also gets a strict
 *   Content-Security-Policy and may not be framed.
 */
export function webSafetyMiddleware(options: WebSafetyOptions): Middleware {
  const allowed = new Set(options.allowedOrigins);
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // Express routes case-insensitively: /ADMIN is the viewer too.
    const url = (req.url ?? '/').toLowerCase();
    if (url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?')) {
      res.setHeader('Content-Security-Policy', ADMIN_CONTENT_SECURITY_POLICY);
      res.setHeader('X-Frame-Options', 'DENY');
    }
    if (SAFE_METHODS.has(req.method ?? 'GET')) return next();

    const origin = header(req, 'origin');
    const host = header(req, 'host');
    if (origin !== undefined) {
      const own = host !== undefined ? normaliseOrigin(`http://${host}`) : undefined;
      const ownTrusted = own !== undefined && trustedHostName(new URL(own).hostname, options.host);
      const normalised = normaliseOrigin(origin);
      if (normalised === undefined || !((normalised === own && ownTrusted) || allowed.has(normalised))) {
        return refuseAfterBody(
          req,
          next,
          new LedgerError(
            'CROSS_ORIGIN_REFUSED',
            `refused: a ${req.method ?? ''} from origin ${origin.slice(0, 200)} (only this server's own origin${allowed.size > 0 ? ' and --allow-origin' : ''} may change anything)`,
          ),
        );
      }
    } else {
      const site = header(req, 'sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        return refuseAfterBody(
          req,
          next,
          new LedgerError(
            'CROSS_ORIGIN_REFUSED',
            `refused: a ${req.method ?? ''} from a ${site.slice(0, 40)} page (only this server's own pages may change anything)`,
          ),
        );
      }
    }

    if (hasBody(req) && !isJson(header(req, 'content-type'))) {
      return refuseAfterBody(
        req,
        next,
        new LedgerError(
          'UNSUPPORTED_MEDIA_TYPE',
          'the body of a request that changes anything must be application/json',
        ),
      );
    }
    return next();
  };
}
