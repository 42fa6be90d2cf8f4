import { createReadStream, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { LedgerError } from '@ledger/domain';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';

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
  '.webmanifest': 'application/manifest+json',
};

/** A built single-page app on disk: the file it names, or its index. */
interface Resolved {
  readonly file: string;
  readonly isIndex: boolean;
  /** The file on disk is `<name>.gz` (served as `<name>` with Content-Encoding: gzip). */
  readonly gzipped: boolean;
}

export interface StaticSiteOptions {
  /** The directory `npm run build` wrote. */
  readonly root: string;
  /** Whether an asset (a path relative to the root) may be cached for good; index.html never is. */
  readonly immutable: (relative: string) => boolean;
}

/** The file that serves as a site's index.html: itself, or a precompressed `index.html.gz`; undefined if neither. */
export function siteIndex(root: string): { readonly file: string; readonly gzipped: boolean } | undefined {
  for (const [name, gzipped] of [
    ['index.html', false],
    ['index.html.gz', true],
  ] as const) {
    const file = path.join(root, name);
    try {
      if (statSync(file).isFile()) return { file, gzipped };
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * Serves a built single-page app from a directory: a path naming a file gets
 * that file; any other path that does not look like an asset gets index.html
 * (client-side routes); a missing asset is 404; nothing outside the directory
 * is ever served. A file may be stored precompressed as `<name>.gz` (Rayhunter's
 * `npm run build` leaves only `index.html.gz`): it is sent with
 * `Content-Encoding: gzip`, or decompressed for a client that does not take gzip.
 */
export class StaticSite {
  private readonly root: string;

  constructor(private readonly options: StaticSiteOptions) {
    this.root = path.resolve(options.root);
  }

  /** Answer GET/HEAD `relative` (the request path below the site's mount point, without its leading slash). */
  async send(req: Request, res: Response, relative: string): Promise<void> {
    const found = await this.resolve(relative);
    const type =
      CONTENT_TYPES[path.extname(found.gzipped ? found.file.slice(0, -3) : found.file).toLowerCase()] ??
      'application/octet-stream';
    res.status(200).setHeader('Content-Type', type);
    // Hashed assets may be cached; index.html must not be (it names the current hashes).
    res.setHeader(
      'Cache-Control',
      !found.isIndex && this.options.immutable(relative) ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    if (found.gzipped) res.setHeader('Vary', 'Accept-Encoding');
    const sendGzip = found.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (sendGzip) res.setHeader('Content-Encoding', 'gzip');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (!found.gzipped || sendGzip) {
      res.send(await fs.readFile(found.file));
      return;
    }
    pipeline(createReadStream(found.file), zlib.createGunzip(), res, () => undefined);
  }

  private async resolve(relative: string): Promise<Resolved> {
    const index = siteIndex(this.root);
    if (index === undefined) throw new LedgerError('NOT_FOUND', `no index.html in ${this.root}`);
    if (relative !== '' && !relative.includes('\0')) {
      const candidate = path.resolve(this.root, relative);
      if (candidate.startsWith(this.root + path.sep)) {
        if (await isFile(candidate)) return { file: candidate, isIndex: candidate === index.file, gzipped: false };
        if (await isFile(`${candidate}.gz`))
          return { file: `${candidate}.gz`, isIndex: `${candidate}.gz` === index.file, gzipped: true };
      }
      if (/\.[A-Za-z0-9]{1,12}$/.test(relative)) throw new LedgerError('NOT_FOUND', 'no such asset');
    }
    return { ...index, isIndex: true };
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
