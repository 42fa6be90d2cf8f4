import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The few parts of Express 4's request/response this app uses. @types/express
 * is not a dependency of the repo, so these are declared here rather than
 * imported; they describe what @nestjs/platform-express hands to handlers.
 */
export interface HttpRequest extends IncomingMessage {
  readonly method: string;
  readonly path: string;
  readonly originalUrl: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
}

export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  type(contentType: string): this;
  send(body?: unknown): this;
  json(body: unknown): this;
}
