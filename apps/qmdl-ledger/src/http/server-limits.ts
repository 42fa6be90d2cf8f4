import type { Server } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { coalesced } from './log-buffer';

/** Limits of the HTTP server itself (flags `--max-connections`, `--headers-timeout-s`, `--request-timeout-s`, `--keep-alive-timeout-s`). */
export interface ServerLimits {
  /** Open connections at most; Node closes any further one as soon as it is accepted. */
  readonly maxConnections: number;
  /** A client must have sent its request headers within this (Node checks every few seconds). */
  readonly headersTimeoutMs: number;
  /** …and its whole request (body included). */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
}

const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxConnections: 512,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * Applies the limits, and keeps errors of the listening socket from ending
 * the process: when the process is out of descriptors, every accept fails
 * (libuv closes the waiting connection, so the client is refused) and Node
 * reports it as an 'error' event on the server — with no listener, an
 * uncaught exception. They are logged (coalesced) and the server goes on
 * accepting once descriptors are free again.
 */
export function applyServerLimits(
  server: Server,
  limits: Partial<ServerLimits>,
  logger: Pick<LoggerService, 'warn'>,
): void {
  const l = { ...DEFAULT_SERVER_LIMITS, ...limits };
  server.maxConnections = l.maxConnections;
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  const warn = coalesced((message) => logger.warn(message, 'http'));
  server.on('error', (error: NodeJS.ErrnoException) => {
    // Before listening, errors (EADDRINUSE) belong to listen(), which reports them.
    if (!server.listening) return;
    warn(
      `server: ${error.syscall ?? 'socket'} failed: ${error.code ?? error.message}; connections are refused until descriptors free up`,
    );
  });
}
