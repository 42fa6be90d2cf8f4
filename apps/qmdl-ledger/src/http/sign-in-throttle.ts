import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { formatRfc3339, LedgerError } from '@ledger/domain';
import type { Ledger } from '@ledger/store';
import type { HttpConfig } from './http-config';
import { HTTP_CONFIG, LEDGER } from './tokens';

/** One address's failures in the current audit window. */
interface Window {
  readonly startedAt: number;
  firstAt: number;
  lastAt: number;
  count: number;
  throttled: number;
}

/** One address's leaky bucket: `level` failures, draining one per `refillMs`. */
interface Bucket {
  level: number;
  at: number;
}

/** What SignInsFailed records for one address and window. */
export interface SignInFailureReport {
  readonly remoteAddress: string;
  readonly count: number;
  readonly throttled: number;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
}

export interface SignInThrottleOptions {
  /** Failures an address may make in a row before it is throttled. */
  readonly burst: number;
  /** One failure is forgiven per this many ms (the sustained rate). */
  readonly refillMs: number;
  /** Failures of one address are coalesced into one audit event per window. */
  readonly windowMs: number;
  /** Addresses tracked at once; past it, the rest share one bucket (OTHER_ADDRESSES), so a flood of addresses bounds memory and the log alike. */
  readonly maxAddresses: number;
}

export const DEFAULT_SIGN_IN_THROTTLE: SignInThrottleOptions = {
  burst: 10,
  refillMs: 6000,
  windowMs: 60_000,
  maxAddresses: 4096,
};

/** The shared key of addresses seen once `maxAddresses` are tracked. */
export const OTHER_ADDRESSES = 'other-addresses';

/**
 * Who is counted as one client: an IPv4 address (also IPv4-mapped IPv6, as a
 * dual-stack socket reports it), or an IPv6 /64 — one host usually holds a whole
 * /64 and could otherwise take a fresh address for every guess.
 */
export function clientOf(remoteAddress: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(remoteAddress);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIP(remoteAddress) !== 6) return remoteAddress;
  const [head = '', tail = ''] = remoteAddress.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = remoteAddress.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * The bookkeeping of failed sign-ins, with the clock passed in: a leaky bucket
 * per remote address (after `burst` failures in a row it must wait, one more try
 * per `refillMs`), and a count per address and window for the audit log.
 */
export class SignInLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly windows = new Map<string, Window>();
  failures = 0;
  throttled = 0;

  constructor(private readonly options: SignInThrottleOptions = DEFAULT_SIGN_IN_THROTTLE) {}

  private key(remoteAddress: string): string {
    const address = clientOf(remoteAddress);
    if (this.buckets.has(address) || this.windows.has(address)) return address;
    return this.buckets.size >= this.options.maxAddresses || this.windows.size >= this.options.maxAddresses
      ? OTHER_ADDRESSES
      : address;
  }

  private level(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return 0;
    const level = Math.max(0, bucket.level - (now - bucket.at) / this.options.refillMs);
    if (level === 0) this.buckets.delete(key);
    return level;
  }

  /** Seconds `address` must wait before its next try, or undefined when it may try now. A refused try is counted as a failure. */
  retryAfterSeconds(address: string, now: number): number | undefined {
    const key = this.key(address);
    const level = this.level(key, now);
    if (level + 1 <= this.options.burst) return undefined;
    this.throttled += 1;
    this.note(key, now, true);
    return Math.max(1, Math.ceil(((level + 1 - this.options.burst) * this.options.refillMs) / 1000));
  }

  /** A wrong token from `address`. */
  failed(address: string, now: number): void {
    const key = this.key(address);
    this.buckets.set(key, { level: this.level(key, now) + 1, at: now });
    this.failures += 1;
    this.note(key, now, false);
  }

  private note(key: string, now: number, throttled: boolean): void {
    const window = this.windows.get(key) ?? { startedAt: now, firstAt: now, lastAt: now, count: 0, throttled: 0 };
    window.lastAt = now;
    window.count += 1;
    if (throttled) window.throttled += 1;
    this.windows.set(key, window);
  }

  /** The windows that have closed by `now` (every window with `all`), forgotten once returned. */
  closedWindows(now: number, options: { readonly all?: boolean } = {}): SignInFailureReport[] {
    const out: SignInFailureReport[] = [];
    for (const [remoteAddress, w] of this.windows) {
      if (options.all !== true && now - w.startedAt < this.options.windowMs) continue;
      this.windows.delete(remoteAddress);
      out.push({ remoteAddress, count: w.count, throttled: w.throttled, firstAtMs: w.firstAt, lastAtMs: w.lastAt });
    }
    return out;
  }
}

/**
 * Throttles token guessing and writes it to the audit log without letting it
 * flood the log: one SignInsFailed per address and minute, with the count. The
 * windows are written as they close (checked every few seconds) and at shutdown,
 * before the store closes.
 */
@Injectable()
export class SignInThrottle implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('auth');
  readonly limiter: SignInLimiter;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(LEDGER) private readonly ledger: Ledger,
    @Inject(HTTP_CONFIG) config: HttpConfig,
  ) {
    this.limiter = new SignInLimiter({ ...DEFAULT_SIGN_IN_THROTTLE, ...config.signInThrottle });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.record(), 5000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.record({ all: true });
  }

  /** Before a token is compared: SIGN_IN_THROTTLED (429, Retry-After) when the address has failed too often. */
  check(remoteAddress: string): void {
    const wait = this.limiter.retryAfterSeconds(remoteAddress, Date.now());
    if (wait !== undefined) {
      throw new LedgerError(
        'SIGN_IN_THROTTLED',
        `too many failed sign-ins from ${remoteAddress}: try again in ${wait} s`,
        { details: { retryAfterSeconds: wait } },
      );
    }
  }

  failed(remoteAddress: string): void {
    this.limiter.failed(remoteAddress, Date.now());
  }

  private record(options: { readonly all?: boolean } = {}): Promise<void> {
    const run = this.writing.then(async () => {
      for (const report of this.limiter.closedWindows(Date.now(), options)) {
        try {
          const result = await this.ledger.execute(
            {
              type: 'RecordSignInFailures',
              data: {
                remoteAddress: report.remoteAddress,
                count: report.count,
                throttled: report.throttled,
                firstAt: formatRfc3339(report.firstAtMs, 0),
                lastAt: formatRfc3339(report.lastAtMs, 0),
              },
            },
            { actor: { kind: 'http', remoteAddress: report.remoteAddress }, correlationId: randomUUID() },
          );
          if (!result.ok)
            this.logger.warn(
              `${report.count} failed sign-ins from ${report.remoteAddress} not recorded: ${result.refusal.code}`,
            );
        } catch (error) {
          // A closed or failing store must not end the process from a timer.
          this.logger.warn(
            `${report.count} failed sign-ins from ${report.remoteAddress} not recorded: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    });
    this.writing = run.catch(() => undefined);
    return this.writing;
  }
}
