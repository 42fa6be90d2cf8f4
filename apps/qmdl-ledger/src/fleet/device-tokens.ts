import { createHash, randomBytes } from 'node:crypto';

/** A device token: 32 random bytes, base64url, with a prefix that says what it is. */
export function newDeviceToken(): string {
  return `qlf_${randomBytes(32).toString('base64url')}`;
}

/**
 * What is stored of a token: its SHA-256. Tokens carry 256 random bits, so a
 * fast hash is enough (no password stretching), and the lookup by digest leaks
 * nothing useful about a token through timing.
 */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string' || !/^Bearer /i.test(header)) return undefined;
  const token = header.slice(7).trim();
  return token === '' || token.length > 512 ? undefined : token;
}
