import type { IncomingMessage, ServerResponse } from 'node:http';
import { LedgerError } from '@ledger/domain';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

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
      if (error === undefined || error === null) return next();
      const type = (error as { type?: unknown }).type;
      if (type === 'entity.parse.failed') return next(new LedgerError('MALFORMED_JSON', 'the request body is not valid JSON'));
      if (type === 'entity.too.large') return next(new LedgerError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit}`));
      if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        return next(new LedgerError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content encoding or charset'));
      }
      return next(new LedgerError('BAD_REQUEST', 'the request body could not be read'));
    });
  };
}
