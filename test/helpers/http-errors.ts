import type { IncomingHttpHeaders } from 'node:http';

/** An HTTP answer as the specs' clients hold it (test/helpers/server.ts `request`, or a hand-made client). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer | string;
}

export interface HttpError {
  readonly status: number;
  readonly code: string | undefined;
}

/**
 * The status and stable code of an error answer, the one way specs assert an HTTP error:
 * `expect(errorOf(res)).toEqual({ status: 409, code: 'CHAIN_MISMATCH' })`.
 *
 * Every error carries its code in `X-Error-Code` (the Rayhunter endpoints answer plain
 * text, so the header is the only place there); a JSON answer carries it in `code` as
 * well, and the two must agree — a disagreement comes back as the code, so the
 * assertion fails and shows both.
 */
export function errorOf(res: HttpAnswer): HttpError {
  const header = res.headers['x-error-code'];
  const code = typeof header === 'string' ? header : undefined;
  const bodyCode = jsonCode(res);
  if (bodyCode !== undefined && bodyCode !== code) {
    return { status: res.status, code: `X-Error-Code ${String(code)}, body code ${bodyCode}` };
  }
  return { status: res.status, code };
}

function jsonCode(res: HttpAnswer): string | undefined {
  if (!/^application\/json/.test(String(res.headers['content-type'] ?? ''))) return undefined;
  const text = typeof res.body === 'string' ? res.body : res.body.toString('utf8');
  const parsed = JSON.parse(text) as { code?: unknown } | null;
  const code = parsed !== null && typeof parsed === 'object' ? parsed.code : undefined;
  return typeof code === 'string' ? code : `(not a string: ${JSON.stringify(code)})`;
}
