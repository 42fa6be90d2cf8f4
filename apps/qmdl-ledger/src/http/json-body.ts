import type { IncomingMessage, ServerResponse } from 'node:http';
import { LedgerError } from '@ledger/domain';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The deepest nesting of arrays and objects a request body may have. No
 * endpoint reads more than a few levels (the Rayhunter config is flat), and a
 * body must stay well inside the depth the event log stores (256, with the
 * event's own envelope around it), so a deep body is refused here with a code
 * instead of reaching a command.
 */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests arrays or objects deeper than `max`; iterative, so any depth JSON.parse accepted is safe to walk. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = [{ value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.value === null || typeof top.value !== 'object') continue;
    const depth = top.depth + 1;
    if (depth > max) return true;
    for (const child of Object.values(top.value))
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth });
  }
  return false;
}

/**
 * express.json (body-parser) with its failures turned into coded LedgerErrors.
 * Left alone, Nest maps body-parser's SyntaxError to a bare BadRequestException
 * and the distinction between malformed JSON and other 400s is lost.
 */
export function jsonBodyParser(limit: string, limitBytes: number): Middleware {
  // express is @nestjs/platform-express's own HTTP layer; it is typed here because @types/express is not installed.
  const express = require('express') as { json(options: { limit: string; strict: boolean }): Middleware };
  const parse = express.json({ limit, strict: true });
  return (req, res, next) => {
    // Any body over the limit is refused, whatever its type: no endpoint reads a large body,
    // and a mutation must not succeed while ignoring one.
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      return next(new LedgerError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit}`));
    }
    parse(req, res, (error?: unknown) => {
      if (error === undefined || error === null) {
        if (nestsDeeperThan((req as { body?: unknown }).body, MAX_JSON_DEPTH)) {
          return next(
            new LedgerError(
              'JSON_TOO_DEEP',
              `the request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
            ),
          );
        }
        return next();
      }
      const type = (error as { type?: unknown }).type;
      if (type === 'entity.parse.failed')
        return next(new LedgerError('MALFORMED_JSON', 'the request body is not valid JSON'));
      if (type === 'entity.too.large')
        return next(new LedgerError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit}`));
      if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        return next(new LedgerError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content encoding or charset'));
      }
      return next(new LedgerError('BAD_REQUEST', 'the request body could not be read'));
    });
  };
}

/** A plain object body, or INVALID_BODY (body-parser leaves `{}` or undefined for non-JSON requests). */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new LedgerError('INVALID_BODY', 'expected a JSON object body (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}
