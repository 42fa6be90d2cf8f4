import { UsageError } from '../exit-codes';
import { parseServeOptions } from '../serve/serve-options';
import { parseFleetOptions } from './fleet-options';

const DB = 'postgres://fleet@127.0.0.1:5432/fleet';

describe('fleet options', () => {
  it("has serve's server limits with serve's defaults", () => {
    const serve = parseServeOptions({}, {});
    expect(parseFleetOptions({ db: DB }, {})).toMatchObject({
      port: 8090,
      maxConnections: serve.maxConnections,
      headersTimeoutS: serve.headersTimeoutS,
      requestTimeoutS: serve.requestTimeoutS,
      keepAliveTimeoutS: serve.keepAliveTimeoutS,
      maxDownloads: serve.maxDownloads,
      downloadIdleTimeoutS: serve.downloadIdleTimeoutS,
    });
  });

  it('takes the download limits given', () => {
    expect(parseFleetOptions({ db: DB, maxDownloads: '2', downloadIdleTimeoutS: '7' }, {})).toMatchObject({
      maxDownloads: 2,
      downloadIdleTimeoutS: 7,
    });
  });

  it('takes the server limits given', () => {
    expect(
      parseFleetOptions(
        { db: DB, maxConnections: '3', headersTimeoutS: '2', requestTimeoutS: '4', keepAliveTimeoutS: '65' },
        {},
      ),
    ).toMatchObject({ maxConnections: 3, headersTimeoutS: 2, requestTimeoutS: 4, keepAliveTimeoutS: 65 });
  });

  it('refuses a limit out of range, or a headers timeout past the request timeout, as a usage error', () => {
    for (const bad of [
      { maxConnections: '0' },
      { keepAliveTimeoutS: 'soon' },
      { headersTimeoutS: '40' },
      { requestTimeoutS: '3601' },
      { maxDownloads: '0' },
      { downloadIdleTimeoutS: '86401' },
    ])
      expect(() => parseFleetOptions({ db: DB, ...bad }, {})).toThrow(UsageError);
  });
});
