/**
 * No other web page can act for the user, against the built
 * server spawned as a real process and driven by headless Chromium: a page served
 * from another port of 127.0.0.1 tries every way a browser lets a page send a
 * request it cannot read (fetch with mode 'no-cors', with credentials, form posts
 * of every enctype, navigations), with and without an admin token and signed in;
 * the log does not move. The server's own pages (a stand-in shaped like the
 * Rayhunter UI's calls) still work. Plus the content-type rule, the streamed body
 * cap and the security headers.
 */
import { createServer, type Server } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { launchBrowser, type TestBrowser } from './helpers/browser';
import { analysisQueue, eventually, request, spawnServer, tempDir, type SpawnedServer } from './helpers/server';
import { errorOf } from './helpers/http-errors';

jest.setTimeout(120_000);

const TOKEN = 'csrf-test-token-0123456789';

interface Manifest {
  entries: { name: string }[];
  current_entry: { name: string } | null;
}

/** The page another site serves: it fires every request a page can send blind, then says it is done. */
function attackPage(target: string): string {
  return `<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<script>
const target = ${JSON.stringify(target)};
const paths = ['/api/stop-recording', '/api/start-recording', '/api/delete-all-recordings', '/api/delete-recording/1', '/api/config', '/api/time-offset', '/api/gps', '/api/auth/session'];
function formPost(path, enctype, fields) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    const name = 'f' + Math.random().toString(36).slice(2);
    frame.name = name;
    frame.onload = () => resolve();
    document.body.appendChild(frame);
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = target + path;
    form.enctype = enctype;
    form.target = name;
    for (const [k, v] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.name = k;
      input.value = v;
      form.appendChild(input);
    }
    document.body.appendChild(form);
    form.submit();
    setTimeout(resolve, 5000);
  });
}
(async () => {
  const sent = [];
  for (const path of paths) {
    for (const init of [
      { method: 'POST', mode: 'no-cors' },
      { method: 'POST', mode: 'no-cors', credentials: 'include' },
      { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"offset_seconds":99,"lat":1,"lon":1,"ui_level":3}', headers: { 'Content-Type': 'text/plain' } },
      { method: 'POST', mode: 'no-cors', credentials: 'include', body: new URLSearchParams({ offset_seconds: '99' }) },
      { method: 'POST', mode: 'cors', credentials: 'include', body: '{"offset_seconds":99,"lat":1,"lon":1,"ui_level":3}', headers: { 'Content-Type': 'application/json' } },
      { method: 'DELETE', mode: 'cors', credentials: 'include' },
    ]) {
      try { await fetch(target + path, init); sent.push(path); } catch (e) { sent.push(path + ': ' + e.message); }
    }
    // The text/plain form trick: the body reads as JSON ({"offset_seconds":99,"x":"=1"}).
    await formPost(path, 'text/plain', { '{"offset_seconds":99,"ui_level":3,"x":"': '1"}' });
    await formPost(path, 'application/x-www-form-urlencoded', { offset_seconds: '99' });
    await formPost(path, 'multipart/form-data', { offset_seconds: '99' });
  }
  navigator.sendBeacon(target + '/api/delete-all-recordings');
  navigator.sendBeacon(target + '/api/config', new Blob(['{"ui_level":4}'], { type: 'text/plain' }));
  document.title = 'done ' + sent.length;
})();
</script></body></html>`;
}

/** A static server on another port of 127.0.0.1: the hostile site. */
async function serveAttacker(target: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/frame')) {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><iframe id="admin" src="${target}/admin"></iframe>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage(target));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function auth(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function snapshot(
  base: string,
  token: string | undefined,
): Promise<{ seq: number; manifest: Manifest; config: unknown; time: unknown }> {
  const health = (await request(base, '/healthz')).json<{ seq: number }>();
  return {
    seq: health.seq,
    manifest: (await request(base, '/api/qmdl-manifest')).json<Manifest>(),
    config: (await request(base, '/api/config', { headers: auth(token) })).json(),
    time: (await request(base, '/api/time')).json<{ offset_seconds: number }>().offset_seconds,
  };
}

async function stop(server: SpawnedServer | undefined): Promise<void> {
  if (server === undefined || server.proc.exitCode !== null) return;
  server.proc.kill('SIGTERM');
  await server.exited;
}

describe.each([
  ['without a token', undefined],
  ['with a token, signed in', TOKEN],
])('a page on another port of 127.0.0.1 cannot act for the user (%s)', (_label, token) => {
  let server: SpawnedServer;
  let dataDir: string;
  let browser: TestBrowser;
  let attacker: { server: Server; origin: string };

  beforeAll(async () => {
    dataDir = tempDir('ledger-csrf-');
    server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'none',
      '--no-auto-start',
      ...(token ? ['--admin-token', token] : []),
    ]);
    // Scripts (no Origin, no Sec-Fetch-Site) keep working: make two recordings, one active.
    for (const p of ['/api/start-recording', '/api/start-recording']) {
      expect((await request(server.baseUrl, p, { method: 'POST', headers: auth(token) })).status).toBe(202);
    }
    // The service's own analysis reactor commits too: the first recording (stopped by the second
    // start) is analysed from the queue, and the active one's live analysis starts a moment later.
    // Wait for both before the page acts, so the log moves only if the page moved it.
    await eventually(
      async () => {
        const status = await analysisQueue(server.baseUrl, auth(token));
        const started = (
          await request(server.baseUrl, '/api/events?type=RecordingAnalysisStarted', { headers: auth(token) })
        ).json<{ events: unknown[] }>().events;
        return status.queued.length === 0 && status.running === null && started.length === 2 ? true : undefined;
      },
      60_000,
      100,
    );
    attacker = await serveAttacker(server.baseUrl);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    attacker?.server.close();
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('start, stop, delete, config, clock and sign-in requests from it change nothing in the log', async () => {
    const page = await browser.context.newPage();
    if (token) {
      // Signed in as the admin would be: the session cookie is SameSite=Strict, and another port is the same site.
      await page.goto(`${server.baseUrl}/admin`);
      const signedIn = await page.evaluate(
        async (t) =>
          (
            await fetch('/api/auth/session', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ token: t }),
            })
          ).status,
        token,
      );
      expect(signedIn).toBe(204);
    }
    const before = await snapshot(server.baseUrl, token);
    expect(before.manifest.current_entry).not.toBeNull();
    expect(before.manifest.entries.length).toBe(1);
    await page.goto(attacker.origin);
    await page.waitForFunction('document.title.startsWith("done")', undefined, { timeout: 90_000 });
    const after = await snapshot(server.baseUrl, token);
    expect(after).toEqual(before);
    await page.close();
  });

  it('answers such requests 403 CROSS_ORIGIN_REFUSED, also when only Sec-Fetch-Site tells', async () => {
    const crossOrigin = await request(server.baseUrl, '/api/stop-recording', {
      method: 'POST',
      headers: { ...auth(token), origin: attacker.origin },
    });
    expect(crossOrigin.status).toBe(403);
    expect(crossOrigin.text()).toMatch(/origin/);
    const events = await request(server.baseUrl, '/api/auth/session', {
      method: 'DELETE',
      headers: { origin: attacker.origin },
    });
    expect(errorOf(events)).toEqual({ status: 403, code: 'CROSS_ORIGIN_REFUSED' });
    for (const site of ['same-site', 'cross-site']) {
      expect(
        (
          await request(server.baseUrl, '/api/stop-recording', {
            method: 'POST',
            headers: { ...auth(token), 'sec-fetch-site': site },
          })
        ).status,
      ).toBe(403);
    }
    expect(
      (
        await request(server.baseUrl, '/api/stop-recording', {
          method: 'POST',
          headers: { ...auth(token), origin: 'null' },
        })
      ).status,
    ).toBe(403);
    expect((await request(server.baseUrl, '/api/qmdl-manifest', { headers: { origin: attacker.origin } })).status).toBe(
      200,
    );
  });

  it('may not frame the admin viewer', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${attacker.origin}/frame`);
    const frame = await (await page.waitForSelector('#admin')).contentFrame();
    // Chromium replaces a refused frame by its error page: the viewer's app never boots in it.
    await page.waitForTimeout(500);
    const booted =
      frame === null ? false : await frame.evaluate('document.querySelector("#app") !== null').catch(() => false);
    expect(booted).toBe(false);
    await page.close();
  });

  it("the server's own pages still work: the Rayhunter UI's calls (bodiless POSTs, JSON POSTs) from its origin", async () => {
    const page = await browser.context.newPage();
    // Any page of the server's own origin; not /admin, whose CSP is the viewer's.
    await page.goto(`${server.baseUrl}/api/update-status`);
    const statuses = await page.evaluate(async (t) => {
      // The shape of Rayhunter's own `req(method, url, json_body?)`: a body only for JSON.
      const req = async (method: string, url: string, body?: unknown): Promise<number> =>
        (
          await fetch(
            url,
            body === undefined
              ? { method }
              : { method, body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
          )
        ).status;
      const out: Record<string, number> = {};
      if (t !== null) out['signin'] = await req('POST', '/api/auth/session', { token: t });
      const config = JSON.parse(await (await fetch('/api/config')).text()) as Record<string, unknown>;
      out['stop'] = await req('POST', '/api/stop-recording');
      out['start'] = await req('POST', '/api/start-recording');
      out['config'] = await req('POST', '/api/config', { ...config, ui_level: 2 });
      out['offset'] = await req('POST', '/api/time-offset', { offset_seconds: 5 });
      out['gps'] = await req('POST', '/api/gps', { latitude: 1.5, longitude: 2.5 });
      const manifest = JSON.parse(await (await fetch('/api/qmdl-manifest')).text()) as { entries: { name: string }[] };
      const first = manifest.entries[0];
      out['delete'] = first ? await req('POST', `/api/delete-recording/${first.name}`) : -1;
      out['deleteAll'] = await req('POST', '/api/delete-all-recordings');
      return out;
    }, token ?? null);
    expect(statuses).toEqual({
      ...(token ? { signin: 204 } : {}),
      stop: 202,
      start: 202,
      config: 202,
      offset: 200,
      gps: 200,
      delete: 202,
      deleteAll: 202,
    });
    const state = await snapshot(server.baseUrl, token);
    expect(state.time).toBe(5);
    expect((state.config as Record<string, unknown>)['ui_level']).toBe(2);
    expect(state.manifest).toEqual({ entries: [], current_entry: null });
    await page.close();
  });
});

describe('--allow-origin', () => {
  let server: SpawnedServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir('ledger-allow-origin-');
    server = await spawnServer(
      [
        '--data-dir',
        dataDir,
        '--source',
        'none',
        '--no-auto-start',
        '--allow-origin',
        'http://ui.example:8080',
        '--allow-origin',
        'https://a.example,https://b.example,http://named.example',
      ],
      { LEDGER_ALLOW_ORIGIN: 'http://env.example' },
    );
  });
  afterAll(async () => {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts state changes from the listed origins (flag, comma list, environment) and no other', async () => {
    for (const origin of [
      'http://ui.example:8080',
      'https://a.example',
      'https://b.example',
      'http://env.example',
      server.baseUrl,
    ]) {
      expect([
        origin,
        (await request(server.baseUrl, '/api/stop-recording', { method: 'POST', headers: { origin } })).status,
      ]).toEqual([origin, 202]);
    }
    for (const origin of ['http://ui.example:8081', 'http://evil.example', 'https://ui.example:8080']) {
      expect([
        origin,
        (await request(server.baseUrl, '/api/stop-recording', { method: 'POST', headers: { origin } })).status,
      ]).toEqual([origin, 403]);
    }
  });

  it("takes a page under another host name for the server's own only when that name is listed (DNS rebinding)", async () => {
    // A hostile domain re-pointed at 127.0.0.1: Host and Origin agree, as for a real same-origin page.
    const rebound = await request(server.baseUrl, '/api/stop-recording', {
      method: 'POST',
      headers: { host: 'rebound.example', origin: 'http://rebound.example' },
    });
    expect(rebound.status).toBe(403);
    expect(
      (
        await request(server.baseUrl, '/api/stop-recording', {
          method: 'POST',
          headers: { host: 'named.example', origin: 'http://named.example' },
        })
      ).status,
    ).toBe(202);
    const port = new URL(server.baseUrl).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `ui.localhost:${port}`]) {
      expect([
        host,
        (
          await request(server.baseUrl, '/api/stop-recording', {
            method: 'POST',
            headers: { host, origin: `http://${host}` },
          })
        ).status,
      ]).toEqual([host, 202]);
    }
  });

  it('exits 2 on an origin that is not one', async () => {
    const bad = await spawnServer(['--data-dir', dataDir, '--allow-origin', 'not an origin']).then(
      () => 'started',
      (error: unknown) => String(error),
    );
    expect(bad).toMatch(/exited \(2\)[\s\S]*--allow-origin/);
  });
});

/**
 * A POST whose body is sent in 64 KiB chunks without Content-Length
 * (Transfer-Encoding: chunked). The server may answer and close before the body
 * is all sent: what counts is the status it answered.
 */
function chunkedPost(base: string, path: string, contentType: string, totalBytes: number): Promise<{ status: number }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    const settle = (error?: Error): void =>
      status !== undefined ? resolve({ status }) : reject(error ?? new Error('no response'));
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { 'content-type': contentType },
        agent: false,
      },
      (res) => {
        status = res.statusCode ?? 0;
        res
          .resume()
          .on('end', () => settle())
          .on('error', settle);
      },
    );
    req.on('error', settle);
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const write = (): void => {
      while (sent < totalBytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

describe('request bodies and security headers', () => {
  let server: SpawnedServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir('ledger-bodies-');
    server = await spawnServer(['--data-dir', dataDir, '--source', 'none', '--no-auto-start']);
  });
  afterAll(async () => {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a state-changing body that is not application/json with 415, and changes nothing', async () => {
    const seq = (await request(server.baseUrl, '/healthz')).json<{ seq: number }>().seq;
    for (const [type, body] of [
      ['text/plain', '{"offset_seconds":9}'],
      ['application/x-www-form-urlencoded', 'offset_seconds=9'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="offset_seconds"\r\n\r\n9\r\n--x--\r\n',
      ],
      ['application/jsonx', '{"offset_seconds":9}'],
    ] as const) {
      for (const p of ['/api/time-offset', '/api/config', '/api/start-recording']) {
        const res = await request(server.baseUrl, p, { method: 'POST', headers: { 'content-type': type }, body });
        expect([p, type, res.status]).toEqual([p, type, 415]);
      }
    }
    const untyped = await request(server.baseUrl, '/api/start-recording', { method: 'POST', body: 'x' });
    expect(untyped.status).toBe(415);
    expect((await request(server.baseUrl, '/healthz')).json<{ seq: number }>().seq).toBe(seq);
    // A POST with no body (how the Rayhunter UI starts and stops) and a JSON one still pass.
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST' })).status).toBe(202);
    expect((await request(server.baseUrl, '/api/stop-recording', { method: 'POST', body: '' })).status).toBe(202);
    expect(
      (
        await request(server.baseUrl, '/api/time-offset', {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: '{"offset_seconds":9}',
        })
      ).status,
    ).toBe(200);
  });

  it('counts streamed bytes: a chunked 10 MB body is a 413, whatever it claims to be', async () => {
    const json = await chunkedPost(server.baseUrl, '/api/config', 'application/json', 10 * 1024 * 1024);
    expect(json.status).toBe(413);
    // Not JSON: refused for its type, answered once the body is read off (the client sees the status, not a broken pipe).
    const text = await chunkedPost(server.baseUrl, '/api/config', 'text/plain', 10 * 1024 * 1024);
    expect(text.status).toBe(415);
    expect((await request(server.baseUrl, '/healthz')).status).toBe(200);
  });

  it('sends nosniff and no Referer on every response, and a strict CSP that forbids framing on /admin', async () => {
    for (const [method, p] of [
      ['GET', '/api/qmdl-manifest'],
      ['GET', '/healthz'],
      ['GET', '/nope'],
      ['POST', '/api/time-offset'],
      ['GET', '/api/qmdl/1'],
      ['GET', '/admin'],
    ] as const) {
      const res = await request(server.baseUrl, p, { method });
      expect([p, res.headers['x-content-type-options'], res.headers['referrer-policy']]).toEqual([
        p,
        'nosniff',
        'no-referrer',
      ]);
    }
    for (const p of ['/admin', '/admin/', '/admin/anything', '/ADMIN', '/admin?x=1']) {
      const csp = String((await request(server.baseUrl, p)).headers['content-security-policy']);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    }
  });
});
