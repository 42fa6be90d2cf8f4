import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '@ledger/domain';
import type { Ledger } from '@ledger/store';

/** Who is asking, and which log position the answer reflects. Set on every request. */
export interface RequestContext {
  readonly correlationId: string;
  readonly actor: Actor;
  /** The log position the response reflects; defaults to the projection's seq when the headers go out. */
  seq?: number;
}

export type ContextRequest = IncomingMessage & { ledgerContext?: RequestContext };

const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** X-Request-Id when it is a sane token (≤128 chars), else a random UUID. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}

export function contextOf(req: unknown): RequestContext {
  const context = (req as ContextRequest).ledgerContext;
  if (context === undefined) throw new TypeError('request context middleware did not run');
  return context;
}

/** Record the log position this response reflects (sent as X-Ledger-Seq). */
export function reflectSeq(req: unknown, seq: number): void {
  contextOf(req).seq = seq;
}

/**
 * Plain express middleware, installed before the body parser so that every
 * response — body-parser errors and 404s included — carries X-Request-Id and
 * X-Ledger-Seq. The seq header is set when the headers actually go out
 * (writeHead), so handlers can set the position they read right up to then.
 */
export function requestContextMiddleware(ledger: Pick<Ledger, 'state'>) {
  return (req: ContextRequest, res: ServerResponse, next: () => void): void => {
    const correlationId = correlationIdFrom(req.headers['x-request-id']);
    const userAgent = req.headers['user-agent'];
    const actor: Actor = {
      kind: 'http',
      remoteAddress: req.socket.remoteAddress ?? 'unknown',
      ...(typeof userAgent === 'string' && userAgent.length > 0 ? { userAgent: userAgent.slice(0, 256) } : {}),
    };
    const context: RequestContext = { correlationId, actor };
    req.ledgerContext = context;
    res.setHeader('X-Request-Id', correlationId);
    const writeHead = res.writeHead;
    res.writeHead = function patchedWriteHead(this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      if (!this.headersSent && this.getHeader('X-Ledger-Seq') === undefined) {
        let seq = context.seq;
        if (seq === undefined) {
          try {
            seq = ledger.state().seq;
          } catch {
            seq = undefined;
          }
        }
        if (seq !== undefined) this.setHeader('X-Ledger-Seq', String(seq));
      }
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
    next();
  };
}
