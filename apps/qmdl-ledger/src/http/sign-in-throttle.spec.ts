import { clientOf, SignInLimiter, OTHER_ADDRESSES } from './sign-in-throttle';

const T0 = 1_717_236_000_000;

describe('failed sign-ins', () => {
  it('lets an address fail `burst` times in a row, then makes it wait one refill per further try', () => {
    const limiter = new SignInLimiter({ burst: 3, refillMs: 6000, windowMs: 60_000, maxAddresses: 10 });
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.retryAfterSeconds('a', T0)).toBeUndefined();
      limiter.failed('a', T0);
    }
    expect(limiter.retryAfterSeconds('a', T0)).toBe(6);
    expect(limiter.retryAfterSeconds('a', T0 + 3000)).toBe(3);
    // Another address is not held back by the first one's failures.
    expect(limiter.retryAfterSeconds('b', T0)).toBeUndefined();
    // Once a failure has drained away, one more try.
    expect(limiter.retryAfterSeconds('a', T0 + 6000)).toBeUndefined();
    limiter.failed('a', T0 + 6000);
    expect(limiter.retryAfterSeconds('a', T0 + 6000)).toBe(6);
    expect(limiter.failures).toBe(4);
    expect(limiter.throttled).toBe(3);
  });

  it("coalesces an address's failures into one report per window, with the count and how many were throttled", () => {
    const limiter = new SignInLimiter({ burst: 2, refillMs: 60_000, windowMs: 60_000, maxAddresses: 10 });
    for (let i = 0; i < 500; i += 1) {
      if (limiter.retryAfterSeconds('a', T0 + i) === undefined) limiter.failed('a', T0 + i);
    }
    expect(limiter.closedWindows(T0 + 59_999)).toEqual([]);
    expect(limiter.closedWindows(T0 + 60_000)).toEqual([
      { remoteAddress: 'a', count: 500, throttled: 498, firstAtMs: T0, lastAtMs: T0 + 499 },
    ]);
    // Reported once: the next window starts with the next failure.
    expect(limiter.closedWindows(T0 + 120_000)).toEqual([]);
    limiter.failed('a', T0 + 70_000);
    expect(limiter.closedWindows(T0 + 70_000, { all: true })).toEqual([
      { remoteAddress: 'a', count: 1, throttled: 0, firstAtMs: T0 + 70_000, lastAtMs: T0 + 70_000 },
    ]);
  });

  it('tracks at most maxAddresses: the rest share one bucket and one report', () => {
    const limiter = new SignInLimiter({ burst: 1, refillMs: 60_000, windowMs: 60_000, maxAddresses: 2 });
    for (let i = 0; i < 100; i += 1) {
      const address = `10.0.0.${String(i)}`;
      if (limiter.retryAfterSeconds(address, T0) === undefined) limiter.failed(address, T0);
    }
    const reports = limiter.closedWindows(T0 + 60_000);
    expect(reports.map((r) => r.remoteAddress)).toEqual(['10.0.0.0', '10.0.0.1', OTHER_ADDRESSES]);
    expect(reports.reduce((sum, r) => sum + r.count, 0)).toBe(100);
    expect(reports[2]).toMatchObject({ count: 98, throttled: 97 });
  });
});

describe('who counts as one client', () => {
  it('is an IPv4 address (mapped or not), or an IPv6 /64', () => {
    expect(clientOf('192.0.2.7')).toBe('192.0.2.7');
    expect(clientOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientOf('unknown')).toBe('unknown');
  });

  it('throttles a whole IPv6 /64, one address per guess or not', () => {
    const limiter = new SignInLimiter({ burst: 2, refillMs: 60_000, windowMs: 60_000, maxAddresses: 10 });
    limiter.failed('2001:db8:1:2::1', T0);
    limiter.failed('2001:db8:1:2::2', T0);
    expect(limiter.retryAfterSeconds('2001:db8:1:2::3', T0)).toBe(60);
    expect(limiter.retryAfterSeconds('2001:db8:1:3::1', T0)).toBeUndefined();
  });
});
