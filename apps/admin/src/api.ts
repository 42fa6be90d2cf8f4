/**
 * The viewer's only way to the server: same-origin JSON over fetch, with the
 * session cookie. A 401 from any data endpoint hands control back to sign-in.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let unauthorizedHandler: () => void = () => undefined;
let ledgerSeqHandler: (seq: number) => void = () => undefined;

/** Called when a data request answers 401 (session missing or expired). */
export function onUnauthorized(handler: () => void): void {
  unauthorizedHandler = handler;
}

/** Called with the X-Ledger-Seq header of every response. */
export function onLedgerSeq(handler: (seq: number) => void): void {
  ledgerSeqHandler = handler;
}

export interface Response<T> {
  readonly body: T;
  /** The X-Ledger-Seq header, when the server sent one. */
  readonly seq?: number;
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<Response<T>> {
  const res = await fetch(path, {
    credentials: 'same-origin',
    ...init,
    headers: {
      Accept: 'application/json',
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  const header = res.headers.get('X-Ledger-Seq');
  const seq = header === null || header === '' ? undefined : Number(header);
  if (seq !== undefined && Number.isFinite(seq)) ledgerSeqHandler(seq);
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let message = res.statusText;
    try {
      const body = (await res.json()) as { code?: unknown; message?: unknown };
      if (typeof body.code === 'string') code = body.code;
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // Not JSON (a proxy page, an empty body): keep the status as the code.
    }
    if (res.status === 401 && !path.startsWith('/api/auth/')) unauthorizedHandler();
    throw new ApiError(res.status, code, message);
  }
  const text = await res.text();
  return { body: (text ? JSON.parse(text) : undefined) as T, seq };
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { signal })).body;
}

/** The API's page sizes: `limit` is 1..1000 on every paged endpoint. */
export const API_PAGE_MAX = 1000;

/** `?limit=` of a view's URL when it is a page size the API takes, else `fallback`. */
export function pageSizeParam(params: URLSearchParams, fallback: number): number {
  const n = Number(params.get('limit'));
  return Number.isInteger(n) && n >= 1 && n <= API_PAGE_MAX ? n : fallback;
}

/** Encodes one path segment (recording names are server-made, but never trusted). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}${err.message ? `: ${err.message}` : ''}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
