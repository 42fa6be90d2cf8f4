import path from 'node:path';
import { UsageError } from '../exit-codes';
import { fitToDescriptorLimit, isLoopback, parseBoolean, parseServeOptions } from './serve-options';

describe('serve options', () => {
  it('defaults as documented', () => {
    const o = parseServeOptions({}, {});
    expect(o).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      source: 'synthetic',
      autoStart: true,
      analysis: true,
      readOnly: false,
      minSpaceStartMb: 1,
      minSpaceContinueMb: 1,
      flushIntervalMs: 1000,
      flushKiB: 256,
      bufferLimitMb: 16,
      sseMaxBehind: 10_000,
      signInThrottle: { burst: 10, refillMs: 6000 },
    });
    expect(o).toMatchObject({
      maxConnections: 512,
      maxDownloads: 64,
      downloadIdleTimeoutS: 60,
      headersTimeoutS: 20,
      requestTimeoutS: 30,
      keepAliveTimeoutS: 5,
    });
    expect(o.adminToken).toBeUndefined();
    expect(o.dataDir).toMatch(/\/data$/);
  });

  it('runs the analyzers unless --no-analysis or --read-only', () => {
    expect(parseServeOptions({ analysis: false }, {}).analysis).toBe(false);
    expect(parseServeOptions({ readOnly: true }, {}).analysis).toBe(false);
  });

  it('takes the environment when no flag is given', () => {
    const o = parseServeOptions(
      {},
      {
        LEDGER_DATA_DIR: '/tmp/x',
        PORT: '0',
        HOST: '::1',
        LEDGER_SOURCE: 'none',
        LEDGER_READ_ONLY: 'yes',
        ADMIN_TOKEN: 'abc',
      },
    );
    expect(o).toMatchObject({
      dataDir: '/tmp/x',
      port: 0,
      host: '::1',
      source: 'none',
      readOnly: true,
      adminToken: 'abc',
    });
  });

  it('parses the diag source spec once: the factory serve hands to the recorder, none for none', () => {
    expect(parseServeOptions({ source: ' synthetic:rate=5 ' }, {}).sources?.spec).toBe('synthetic:rate=5');
    expect(parseServeOptions({ source: 'none' }, {}).sources).toBeUndefined();
  });

  it.each([
    [{ port: 'x' }],
    [{ port: '65536' }],
    [{ port: '-1' }],
    [{ flushKib: '0' }],
    [{ flushIntervalMs: '1.5' }],
    [{ bufferLimitMb: '-1' }],
    [{ bufferLimitMb: 'big' }],
    [{ sseMaxBehind: '0' }],
    [{ sseMaxBehind: 'all' }],
    [{ signInBurst: '0' }],
    [{ signInRetryS: '1.5' }],
    [{ minSpaceStartMb: 'lots' }],
    [{ maxConnections: '0' }],
    [{ maxDownloads: 'many' }],
    [{ downloadIdleTimeoutS: '0' }],
    [{ headersTimeoutS: '40', requestTimeoutS: '30' }],
    [{ source: 'pigeon:' }],
    [{ host: 'bad host' }],
    [{ adminToken: 'has space' }],
    [{ dataDir: '' }],
  ])('refuses %j with a UsageError', (raw) => {
    expect(() => parseServeOptions(raw, {})).toThrow(UsageError);
  });

  it('takes extra allowed origins from repeated flags, comma lists and LEDGER_ALLOW_ORIGIN, normalised', () => {
    const o = parseServeOptions(
      { allowOrigin: ['http://192.168.1.5:8080', 'HTTPS://Example.org:443,http://a.test'] },
      { LEDGER_ALLOW_ORIGIN: 'http://b.test:81' },
    );
    expect(o.allowedOrigins).toEqual([
      'http://192.168.1.5:8080',
      'https://example.org',
      'http://a.test',
      'http://b.test:81',
    ]);
    expect(parseServeOptions({}, {}).allowedOrigins).toEqual([]);
  });

  it.each(['*', 'null', 'example.org', 'ftp://a.test', 'http://a.test/path', 'http://user:pw@a.test'])(
    'refuses --allow-origin %s with a UsageError',
    (origin) => {
      expect(() => parseServeOptions({ allowOrigin: [origin] }, {})).toThrow(UsageError);
    },
  );

  it('lowers the connection and download caps to fit the descriptor limit, leaving room for the store', () => {
    expect(fitToDescriptorLimit({ maxConnections: 512, maxDownloads: 64 }, 1024)).toEqual({
      maxConnections: 512,
      maxDownloads: 64,
      lowered: false,
    });
    expect(fitToDescriptorLimit({ maxConnections: 512, maxDownloads: 64 }, undefined)).toEqual({
      maxConnections: 512,
      maxDownloads: 64,
      lowered: false,
    });
    for (const limit of [256, 600, 100]) {
      const fit = fitToDescriptorLimit({ maxConnections: 512, maxDownloads: 64 }, limit);
      expect(fit.lowered).toBe(true);
      expect(fit.maxDownloads).toBeGreaterThanOrEqual(1);
      expect(fit.maxConnections).toBeGreaterThan(fit.maxDownloads);
      if (limit > 64 * 2) expect(fit.maxConnections + 3 * fit.maxDownloads + 64).toBeLessThanOrEqual(limit);
    }
  });

  it('reads booleans strictly', () => {
    expect(parseBoolean('on', 'X')).toBe(true);
    expect(parseBoolean('0', 'X')).toBe(false);
    expect(() => parseBoolean('maybe', 'X')).toThrow(UsageError);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '192.168.1.1', '::'].some(isLoopback)).toBe(false);
  });

  it("takes --rayhunter-ui only for a directory holding index.html (or the build's index.html.gz)", () => {
    const standIn = path.resolve(__dirname, '../../../../test/fixtures/rayhunter-ui-standin');
    expect(parseServeOptions({ rayhunterUi: standIn }, {}).rayhunterUi).toBe(standIn);
    expect(parseServeOptions({}, { LEDGER_RAYHUNTER_UI: standIn }).rayhunterUi).toBe(standIn);
    expect(parseServeOptions({}, {}).rayhunterUi).toBeUndefined();
    expect(() => parseServeOptions({ rayhunterUi: path.join(standIn, 'missing') }, {})).toThrow(UsageError);
    expect(() => parseServeOptions({ rayhunterUi: path.join(standIn, 'index.html') }, {})).toThrow(UsageError);
    expect(() => parseServeOptions({ rayhunterUi: path.dirname(standIn) }, {})).toThrow(UsageError);
  });
  it('ships with --ship-to and --ship-token, or LEDGER_SHIP_TO and LEDGER_SHIP_TOKEN; not at all without a target', () => {
    expect(parseServeOptions({}, {}).ship).toBeUndefined();
    const token = 'qlf_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';
    expect(parseServeOptions({ shipTo: 'http://fleet.example:8090/', shipToken: token }, {}).ship).toEqual({
      to: 'http://fleet.example:8090',
      token,
      deleteAfterUpload: false,
      rateKiB: 4096,
      chunkKiB: 1024,
    });
    expect(
      parseServeOptions(
        { deleteAfterUpload: true, shipRateKib: '16', shipChunkKib: '64' },
        { LEDGER_SHIP_TO: 'https://fleet.example', LEDGER_SHIP_TOKEN: token },
      ).ship,
    ).toEqual({ to: 'https://fleet.example', token, deleteAfterUpload: true, rateKiB: 16, chunkKiB: 64 });
    // A flag wins over the environment.
    expect(
      parseServeOptions(
        { shipTo: 'http://a.example' },
        { LEDGER_SHIP_TO: 'http://b.example', LEDGER_SHIP_TOKEN: token },
      ).ship?.to,
    ).toBe('http://a.example');
  });

  it.each([
    [{ shipToken: 't' }, {}, '--ship-token needs --ship-to'],
    [{ deleteAfterUpload: true }, {}, '--delete-after-upload needs --ship-to'],
    [{ shipTo: 'fleet.example:8090', shipToken: 't' }, {}, '--ship-to must be'],
    [{ shipTo: 'ftp://fleet.example', shipToken: 't' }, {}, '--ship-to must be an http:// or https:// URL'],
    [{ shipTo: 'http://fleet.example' }, {}, '--ship-to needs --ship-token'],
    [{ shipTo: 'http://fleet.example', shipToken: 'two words' }, {}, '--ship-to needs --ship-token'],
    [{ shipTo: 'http://fleet.example', shipToken: 't', readOnly: true }, {}, 'cannot run with --read-only'],
    [{ shipTo: 'http://fleet.example', shipToken: 't', shipRateKib: '0' }, {}, '--ship-rate-kib'],
    [{}, { LEDGER_SHIP_TO: 'http://fleet.example' }, '--ship-to needs --ship-token'],
  ] as const)('refuses shipping options %j (env %j) with a UsageError: %s', (raw, env, message) => {
    expect(() => parseServeOptions(raw, env)).toThrow(UsageError);
    expect(() => parseServeOptions(raw, env)).toThrow(message);
  });
});
