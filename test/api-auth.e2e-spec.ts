/**
 * Auth (admin token, session cookie), read-only mode, and the empty-recording
 * answers, each on its own real app and LevelDB store.
 */
import { openSse, request, startInProcess, type InProcessServer, type RawResponse } from './helpers/server';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(60_000);

const TOKEN = 's3cret-token-for-e2e';

describe('with an admin token', () => {
  let server: InProcessServer;
  const call = (
    method: string,
    p: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<RawResponse> =>
    request(server.baseUrl, p, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    server = await startInProcess({ adminToken: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('keeps the read-only Rayhunter endpoints open (the config redacted, GPS 404 until a fix, as the original)', async () => {
    for (const p of [
      '/api/qmdl-manifest',
      '/api/system-stats',
      '/api/time',
      '/api/analysis',
      '/api/update-status',
      '/api/config',
      '/healthz',
      '/metrics',
      '/api/auth/status',
      '/api/docs-json',
    ]) {
      expect([p, (await call('GET', p)).status]).toEqual([p, 200]);
    }
    expect((await call('GET', '/api/gps')).status).toBe(404);
  });

  it('answers 401 to every mutation, the service log and the event API without the token', async () => {
    const closed: Array<[string, string]> = [
      ['POST', '/api/start-recording'],
      ['POST', '/api/stop-recording'],
      ['POST', '/api/delete-recording/1'],
      ['POST', '/api/delete-all-recordings'],
      ['POST', '/api/time-offset'],
      ['POST', '/api/gps'],
      ['POST', '/api/config'],
      ['POST', '/api/analysis/1'],
      ['GET', '/api/log'],
      ['GET', '/api/events'],
      ['GET', '/api/events/1'],
      ['GET', '/api/events/export'],
      ['GET', '/api/events/stream'],
      ['GET', '/api/recordings/1/history'],
      ['GET', '/api/store/verify'],
    ];
    for (const [method, p] of closed) {
      const res = await call(method, p);
      expect([method, p, res.status]).toEqual([method, p, 401]);
    }
    const json = await call('GET', '/api/events');
    expect(errorOf(json)).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(json.json()).toMatchObject({ message: expect.any(String) });
    const wrong = await call('GET', '/api/events', { Authorization: 'Bearer nope' });
    expect(errorOf(wrong)).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(server.ledger.state().current).toBeUndefined();
  });

  it('accepts the Bearer token', async () => {
    expect((await call('GET', '/api/events', bearer)).status).toBe(200);
    expect((await call('POST', '/api/stop-recording', bearer)).status).toBe(202);
    expect((await call('GET', '/api/config', bearer)).status).toBe(200);
    expect((await call('GET', '/api/log', bearer)).status).toBe(200);
    // Past the token check, a re-analysis is the analysis API's to answer (no such recording here).
    expect(errorOf(await call('POST', '/api/analysis/1', bearer))).toEqual({ status: 404, code: 'NO_SUCH_RECORDING' });
  });

  it('exchanges the token for an HttpOnly session cookie that works for the API and SSE, until signed out', async () => {
    expect((await call('GET', '/api/auth/status')).json()).toEqual({ required: true, authenticated: false });
    const wrong = await call('POST', '/api/auth/session', {}, { token: 'wrong' });
    expect(errorOf(wrong)).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    const ok = await call('POST', '/api/auth/session', {}, { token: TOKEN });
    expect(ok.status).toBe(204);
    const setCookie = ok.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^ledger_session=[A-Za-z0-9_-]{20,}; HttpOnly; SameSite=Strict; Path=\/$/);
    const cookie = { Cookie: setCookie.split(';')[0] ?? '' };
    expect((await call('GET', '/api/auth/status', cookie)).json()).toEqual({ required: true, authenticated: true });
    expect((await call('GET', '/api/events?limit=1', cookie)).status).toBe(200);
    const sse = openSse(server.baseUrl, '/api/events/stream?after=0', cookie);
    expect(await sse.status).toBe(200);
    await sse.waitFor(1);
    sse.close();
    expect((await call('DELETE', '/api/auth/session', cookie)).status).toBe(204);
    expect((await call('GET', '/api/events', cookie)).status).toBe(401);
    expect((await call('GET', '/api/events', { Cookie: 'ledger_session=forged' })).status).toBe(401);
  });
});

describe('in read-only mode', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    // A store with history, then reopened read-only.
    const writer = await startInProcess({ keep: true });
    await request(writer.baseUrl, '/api/time-offset', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"offset_seconds":7}',
    });
    await writer.close();
    server = await startInProcess({ dataDir: writer.dataDir, readOnly: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers every mutation 403 (text, like the original debug mode) and changes nothing', async () => {
    const seq = server.ledger.state().seq;
    for (const [p, body] of [
      ['/api/start-recording'],
      ['/api/stop-recording'],
      ['/api/delete-recording/1'],
      ['/api/delete-all-recordings'],
      ['/api/time-offset', '{"offset_seconds":1}'],
      ['/api/gps', '{"lat":1,"lon":1}'],
      ['/api/config', '{}'],
    ] as Array<[string, string?]>) {
      const res = await request(server.baseUrl, p, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body ? { body } : {}),
      });
      expect([p, res.status]).toEqual([p, 403]);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
    expect(server.ledger.state().seq).toBe(seq);
  });

  it('still serves reads and the event API', async () => {
    expect((await request(server.baseUrl, '/api/time')).json()).toMatchObject({ offset_seconds: 7 });
    expect((await request(server.baseUrl, '/api/config')).json()).toMatchObject({ debug_mode: true });
    expect((await request(server.baseUrl, '/api/events')).status).toBe(200);
  });
});

describe('a recording with no data yet', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess({ recorder: { source: 'none' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers zip and pcap 503 while qmdl_size_bytes is 0', async () => {
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    const current = (await request(server.baseUrl, '/api/qmdl-manifest')).json<{
      current_entry: { name: string; qmdl_size_bytes: number } | null;
    }>().current_entry;
    expect(current?.qmdl_size_bytes).toBe(0);
    const zip = await request(server.baseUrl, `/api/zip/${current?.name}`);
    expect(zip.status).toBe(503);
    expect(zip.text()).toBe('QMDL file is empty, try again in a bit!');
    expect((await request(server.baseUrl, `/api/pcap/${current?.name}`)).status).toBe(503);
    const qmdl = await request(server.baseUrl, `/api/qmdl/${current?.name}`);
    expect(qmdl.status).toBe(200);
    expect(qmdl.body.length).toBe(0);
  });
});

describe('below the free-space guard', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    // 10 TB required: no test machine has that much free.
    server = await startInProcess({ recorder: { minSpaceStartMb: 10_000_000 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers start-recording 507 with the refusal message as text, and records nothing', async () => {
    const seq = server.ledger.state().seq;
    const res = await request(server.baseUrl, '/api/start-recording', { method: 'POST' });
    expect(res.status).toBe(507);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text()).toMatch(/disk space/i);
    expect(server.ledger.state().current).toBeUndefined();
    expect(server.ledger.state().seq).toBe(seq);
  });
});
