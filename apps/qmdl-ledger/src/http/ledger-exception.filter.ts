import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { HttpRequest as Request, HttpResponse as Response } from './http-types';
import { isLedgerError } from '@ledger/domain';
import { downloadErrorFileName } from './download-navigation';
import { answersJson, type ErrorCode, isOutOfDescriptors, STATUS_BY_CODE, statusFor } from './error-codes';

interface Mapped {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra members of the JSON answer a coded error carries (`details.body`, e.g. the fleet's `head`). */
  readonly body?: Readonly<Record<string, unknown>>;
}

/** Express's router layers, to tell "wrong method on a known path" (405) from "unknown path" (404). */
interface RouterLayer {
  readonly route?: { readonly methods: Readonly<Record<string, boolean>> };
  match(path: string): boolean;
}

function codeForStatus(status: number): ErrorCode {
  const match = (Object.entries(STATUS_BY_CODE) as [ErrorCode, number][]).find(([, s]) => s === status);
  return match?.[0] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}

/**
 * The one place error codes become HTTP statuses (see error-codes.ts). Also turns
 * Nest's router 404 into 405 when the path exists with another method.
 * (Body-parser failures arrive already coded, see json-body.ts.) Anything unrecognised is a 500
 * INTERNAL with its stack logged — never a crash.
 */
@Catch()
export class LedgerExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  constructor(private readonly routerLayers: () => readonly RouterLayer[] = () => []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const mapped = this.mapLogged(exception, req, req.originalUrl);
    if (res.headersSent) {
      // A stream failed after the headers went out: all we can do is cut it.
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(mapped.headers ?? {})) res.setHeader(name, value);
    // The Rayhunter endpoints answer errors as plain text, as the original does: the code travels in a header.
    res.setHeader('X-Error-Code', mapped.code);
    const attachment = downloadErrorFileName(req);
    if (attachment !== undefined) {
      // 2xx, or the browser shows the error as a page in place of the UI (see download-navigation.ts).
      res.status(200).setHeader('Content-Disposition', `attachment; filename="${attachment}"`);
      res.type('text/plain; charset=utf-8').send(`${mapped.status} ${mapped.code}: ${mapped.message}\n`);
      return;
    }
    res.status(mapped.status);
    if (answersJson(req.path)) {
      res.json({ ...mapped.body, code: mapped.code, message: mapped.message });
    } else {
      res.type('text/plain; charset=utf-8').send(mapped.message);
    }
  }

  /**
   * Answers `exception` on a plain Node response as `catch` answers it on a JSON path (status,
   * headers, `{...body, code, message}`): for a handler served before Express and Nest.
   */
  answerJson(exception: unknown, req: IncomingMessage, path: string, res: ServerResponse): void {
    const mapped = this.mapLogged(exception, { method: req.method ?? '', path }, req.url ?? path);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ ...mapped.body, code: mapped.code, message: mapped.message });
    res.writeHead(mapped.status, {
      ...mapped.headers,
      'X-Error-Code': mapped.code,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** The answer to `exception`; an unrecognised one (500 INTERNAL) is logged with its stack. */
  private mapLogged(exception: unknown, req: Pick<Request, 'method' | 'path'>, url: string): Mapped {
    const mapped = this.map(exception, req);
    if (mapped.status >= 500 && mapped.code === 'INTERNAL') {
      this.logger.error(
        `${req.method} ${url.slice(0, 200)}: ${exception instanceof Error ? exception.message : String(exception)}`,
        exception instanceof Error ? exception.stack : undefined,
      );
    }
    return mapped;
  }

  private map(exception: unknown, req: Pick<Request, 'method' | 'path'>): Mapped {
    if (isLedgerError(exception)) {
      const body = exception.details?.['body'];
      // A refusal that says when to come back (a throttle, a cap) says it in Retry-After.
      const retryAfter = exception.details?.['retryAfterSeconds'];
      return {
        status: statusFor(exception.code, req.method, req.path),
        code: exception.code,
        message: exception.message,
        ...(body !== null && typeof body === 'object' ? { body: body as Record<string, unknown> } : {}),
        ...(typeof retryAfter === 'number' ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
      };
    }
    if (isOutOfDescriptors(exception)) {
      // The process ran out of file descriptors (too many connections or open files): a moment later it may not be.
      return {
        status: 503,
        code: 'OUT_OF_DESCRIPTORS',
        message: 'the service is out of file descriptors; try again in a moment',
        headers: { 'Retry-After': '1' },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return this.notFound(req);
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : exception.message;
      return { status, code: codeForStatus(status), message };
    }
    const raw = exception as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown } | null;
    if (raw !== null && typeof raw === 'object') {
      const status =
        typeof raw.status === 'number' ? raw.status : typeof raw.statusCode === 'number' ? raw.statusCode : undefined;
      // express's own 4xx (e.g. a malformed %-escape in a path: URIError with status 400)
      if (status !== undefined && status >= 400 && status < 500) {
        return {
          status,
          code: codeForStatus(status),
          message: status === 400 ? 'bad request' : String(raw.message ?? 'request error'),
        };
      }
    }
    return { status: 500, code: 'INTERNAL', message: 'internal error' };
  }

  private notFound(req: Pick<Request, 'method' | 'path'>): Mapped {
    const allowed = new Set<string>();
    try {
      for (const layer of this.routerLayers()) {
        if (layer.route !== undefined && layer.match(req.path)) {
          for (const [method, on] of Object.entries(layer.route.methods))
            if (on && method !== '_all') allowed.add(method.toUpperCase());
        }
      }
    } catch {
      allowed.clear();
    }
    if (allowed.size > 0 && !allowed.has(req.method)) {
      const allow = [...allowed].sort().join(', ');
      return {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `method ${req.method} not allowed (allowed: ${allow})`,
        headers: { Allow: allow },
      };
    }
    return { status: 404, code: 'NOT_FOUND', message: `no such endpoint: ${req.method} ${req.path.slice(0, 200)}` };
  }
}
