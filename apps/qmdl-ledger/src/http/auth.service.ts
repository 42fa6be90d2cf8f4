import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { HttpConfig } from './http-config';
import { SignInThrottle } from './sign-in-throttle';
import { HTTP_CONFIG } from './tokens';

export const SESSION_COOKIE = 'ledger_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time comparison of two secrets of any length (compared as SHA-256 digests). */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The admin token check and the in-memory sessions of the admin viewer. Every
 * token a client presents (a Bearer header, or posted to sign in) is a sign-in:
 * a throttled address is refused before the comparison (SIGN_IN_THROTTLED), and
 * a wrong token counts against it. A stale session cookie is not a guess.
 */
@Injectable()
export class AuthService {
  private readonly sessions = new Map<string, number>();

  constructor(
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
    private readonly throttle: SignInThrottle,
  ) {}

  get required(): boolean {
    return this.config.adminToken !== undefined && this.config.adminToken !== '';
  }

  private tokenMatches(candidate: unknown): boolean {
    const token = this.config.adminToken;
    return typeof token === 'string' && token !== '' && typeof candidate === 'string' && secretsEqual(candidate, token);
  }

  /** A sign-in attempt from `req`'s address: throws SIGN_IN_THROTTLED when it must wait, counts a wrong token. */
  signIn(req: IncomingMessage, candidate: unknown): boolean {
    const address = req.socket.remoteAddress ?? 'unknown';
    this.throttle.check(address);
    if (this.tokenMatches(candidate)) return true;
    this.throttle.failed(address);
    return false;
  }

  isAuthenticated(req: IncomingMessage): boolean {
    if (!this.required) return true;
    const authorization = req.headers.authorization;
    if (
      typeof authorization === 'string' &&
      /^Bearer /i.test(authorization) &&
      this.signIn(req, authorization.slice(7).trim())
    )
      return true;
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    return session !== undefined && this.sessionValid(session);
  }

  createSession(now = Date.now()): string {
    this.prune(now);
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, now + SESSION_TTL_MS);
    return id;
  }

  endSession(req: IncomingMessage): void {
    const session = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (session !== undefined) this.sessions.delete(session);
  }

  private sessionValid(id: string, now = Date.now()): boolean {
    for (const [candidate, expires] of this.sessions) {
      if (expires > now && secretsEqual(candidate, id)) return true;
    }
    return false;
  }

  private prune(now: number): void {
    for (const [id, expires] of this.sessions) if (expires <= now) this.sessions.delete(id);
  }
}
