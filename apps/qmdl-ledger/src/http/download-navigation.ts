import { RECORDING_NAME_PATTERN } from '@ledger/domain';
import type { HttpRequest as Request } from './http-types';

/** The download routes the Rayhunter web UI links to with a plain `<a href>`. */
const DOWNLOAD_PATH = /^\/api\/(qmdl|zip|pcap)\/([^/]*)$/;
const LEADING_NAME = new RegExp(`^${RECORDING_NAME_PATTERN}`);

/**
 * A browser following a link, as opposed to a script or a fetch(): Fetch
 * Metadata says so where the browser sends it (only to a trustworthy origin,
 * i.e. https or loopback), else the Accept header every browser sends with a
 * navigation and fetch() and curl do not.
 */
function isNavigation(req: Request): boolean {
  const mode = req.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return /\btext\/html\b/.test(String(req.headers['accept'] ?? ''));
}

/**
 * When a download link of the Rayhunter web UI fails before its first byte, the
 * file name to answer the error under as a download (undefined for any other
 * request). The UI links its downloads without a `download` attribute, and a
 * browser shows any non-2xx answer to a link (Content-Disposition or not) as a
 * page instead of the dashboard; a downloaded `<name>-pcap-error.txt` keeps
 * the dashboard in place and still tells the user what went wrong.
 */
export function downloadErrorFileName(req: Request): string | undefined {
  if (req.method !== 'GET' || !isNavigation(req)) return undefined;
  const match = DOWNLOAD_PATH.exec(req.path);
  if (match === null) return undefined;
  const kind = match[1] as string;
  const name = LEADING_NAME.exec(match[2] ?? '')?.[0];
  return name === undefined ? `${kind}-error.txt` : `${name}-${kind}-error.txt`;
}
