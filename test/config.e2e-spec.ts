/**
 * `POST /api/config` takes only a Rayhunter 0.12 config, the free-space
 * settings in it take effect, and `GET /api/config` shows the values in force,
 * readable without the token and with every secret redacted — against the built server spawned as a real process.
 */
import { rmSync } from 'node:fs';
import { request, spawnServer, tempDir, type SpawnedServer } from './helpers/server';

jest.setTimeout(60_000);

const TOKEN = 'config-test-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };

interface StoredEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

async function stop(server: SpawnedServer | undefined): Promise<void> {
  if (server === undefined || server.proc.exitCode !== null) return;
  server.proc.kill('SIGTERM');
  await server.exited;
}

describe('POST /api/config is validated and GET /api/config shows what is in force', () => {
  let server: SpawnedServer;
  let dataDir: string;
  const getConfig = async (): Promise<Record<string, unknown>> => (await request(server.baseUrl, '/api/config')).json();
  const post = (body: string | undefined, headers: Record<string, string> = json) =>
    request(server.baseUrl, '/api/config', {
      method: 'POST',
      headers: { ...bearer, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
  const seq = async (): Promise<number> => (await request(server.baseUrl, '/healthz')).json<{ seq: number }>().seq;

  beforeAll(async () => {
    dataDir = tempDir('ledger-config-');
    server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'none',
      '--no-auto-start',
      '--admin-token',
      TOKEN,
      '--min-space-start-mb',
      '3',
      '--min-space-continue-mb',
      '2',
    ]);
  });
  afterAll(async () => {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows the service's own free-space settings while the config does not set them", async () => {
    expect(await getConfig()).toMatchObject({
      min_space_to_start_recording_mb: 3,
      min_space_to_continue_recording_mb: 2,
    });
  });

  it('refuses what is not a JSON object of known keys with valid values, naming each bad key, and records nothing', async () => {
    const before = { config: await getConfig(), seq: await seq() };
    const refusals: Array<[string | undefined, Record<string, string>, number, RegExp?]> = [
      ['{"ui_level":2}', { 'content-type': 'text/plain' }, 415],
      ['ui_level=2', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
      [undefined, json, 400],
      [undefined, {}, 400],
      ['null', json, 400],
      ['[]', json, 400],
      ['"ui_level"', json, 400],
      ['{"webdav": null}', json, 400, /webdav/],
      ['{"min_space_to_start_recording_mb": 1e400}', json, 400, /min_space_to_start_recording_mb/],
      ['{"min_space_to_start_recording_mb": 1e12}', json, 400, /min_space_to_start_recording_mb/],
      ['{"min_space_to_continue_recording_mb": -5}', json, 400, /min_space_to_continue_recording_mb/],
      ['{"port": 1.5}', json, 400, /port/],
      ['{"gps_mode": 7}', json, 400, /gps_mode/],
      ['{"gps_fixed_latitude": 123}', json, 400, /gps_fixed_latitude/],
      ['{"device": "nokia"}', json, 400, /device/],
      [JSON.stringify({ wifi_ssid: 'x'.repeat(5000) }), json, 400, /wifi_ssid/],
      ['{"enabled_notifications": ["Warning", "Spam"]}', json, 400, /enabled_notifications/],
      [
        '{"analyzers": {"null_cipher": "yes", "made_up": true}}',
        json,
        400,
        /analyzers\.null_cipher[\s\S]*analyzers\.made_up/,
      ],
      ['{"not_a_key": 1, "neither": 2}', json, 400, /not_a_key: unknown key[\s\S]*neither: unknown key/],
    ];
    for (const [body, headers, status, names] of refusals) {
      const res = await post(body, headers);
      expect([body, res.status]).toEqual([body, status]);
      if (names) expect(res.text()).toMatch(names);
    }
    expect({ config: await getConfig(), seq: await seq() }).toEqual(before);
  });

  it('takes the free-space settings from the config at once: start refused below it, allowed again when lowered', async () => {
    expect(
      (await post(JSON.stringify({ ...(await getConfig()), min_space_to_start_recording_mb: 1_000_000 }))).status,
    ).toBe(202);
    expect(await getConfig()).toMatchObject({
      min_space_to_start_recording_mb: 1_000_000,
      min_space_to_continue_recording_mb: 2,
    });
    const refused = await request(server.baseUrl, '/api/start-recording', { method: 'POST', headers: bearer });
    expect(refused.status).toBe(507);
    expect(refused.text()).toMatch(/1000000MB required/);
    expect((await post(JSON.stringify({ ...(await getConfig()), min_space_to_start_recording_mb: 0 }))).status).toBe(
      202,
    );
    expect((await request(server.baseUrl, '/api/start-recording', { method: 'POST', headers: bearer })).status).toBe(
      202,
    );
  });

  it('is readable without the token with every secret redacted, changes stay behind the token, and posting it back keeps the secrets', async () => {
    const secrets = {
      ...(await getConfig()),
      wifi_ssid: 'home',
      wifi_password: 'hunter2hunter2',
      wifi_security: 'wpa_psk',
      ntfy_url: 'https://ntfy.sh/very-secret-topic?auth=tk_abc',
      webdav: {
        url: 'https://dave:davpass@dav.example/remote.php/files/',
        username: 'dave',
        password: 'davpass2',
        upload_timeout_secs: 300,
        poll_interval_secs: 3600,
        min_age_secs: 60,
        delete_on_upload: false,
      },
    };
    expect((await post(JSON.stringify(secrets))).status).toBe(202);
    const open = await request(server.baseUrl, '/api/config');
    expect(open.status).toBe(200);
    const shown = open.json<Record<string, unknown>>();
    const text = open.text();
    for (const secret of ['hunter2hunter2', 'very-secret-topic', 'tk_abc', 'davpass', 'dave'])
      expect(text).not.toContain(secret);
    expect(shown).toMatchObject({
      wifi_ssid: 'home',
      wifi_password: null,
      ntfy_url: 'https://ntfy.sh/(redacted)?(redacted)',
      webdav: {
        url: 'https://(redacted)@dav.example/remote.php/files/',
        username: null,
        password: null,
        min_age_secs: 60,
      },
    });
    // Without the token: read yes, change no.
    expect(
      (await request(server.baseUrl, '/api/config', { method: 'POST', headers: json, body: JSON.stringify(shown) }))
        .status,
    ).toBe(401);
    // The Rayhunter UI's config dialog posts back what it was shown, with one change.
    expect((await post(JSON.stringify({ ...shown, ui_level: 3 }))).status).toBe(202);
    const events = (await request(server.baseUrl, '/api/events?type=ConfigChanged&limit=1', { headers: bearer })).json<{
      events: StoredEvent[];
    }>().events;
    expect(events[0]?.data['config']).toMatchObject({
      ui_level: 3,
      wifi_password: 'hunter2hunter2',
      ntfy_url: secrets.ntfy_url,
      webdav: secrets.webdav,
    });
  });

  it('answers GET /api/gps 404 while there is no fix, as the original', async () => {
    expect((await request(server.baseUrl, '/api/gps')).status).toBe(404);
    expect(
      (
        await request(server.baseUrl, '/api/gps', {
          method: 'POST',
          headers: { ...bearer, ...json },
          body: '{"latitude":1,"longitude":2}',
        })
      ).status,
    ).toBe(200);
    expect((await request(server.baseUrl, '/api/gps')).json()).toMatchObject({ latitude: 1, longitude: 2 });
  });
});

describe('the minimum free space to keep recording, from the config', () => {
  let server: SpawnedServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir('ledger-config-continue-');
    server = await spawnServer([
      '--data-dir',
      dataDir,
      '--source',
      'synthetic:rate=200',
      '--flush-interval-ms',
      '100',
      '--min-space-continue-mb',
      '0',
      '--min-space-start-mb',
      '0',
    ]);
  });
  afterAll(async () => {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops the active recording (disk-low) once the config asks for more free space than there is', async () => {
    const manifest = async () =>
      (await request(server.baseUrl, '/api/qmdl-manifest')).json<{ current_entry: { name: string } | null }>();
    const deadline = Date.now() + 30_000;
    while ((await manifest()).current_entry === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const active = (await manifest()).current_entry?.name;
    expect(active).toBeDefined();
    const config = (await request(server.baseUrl, '/api/config')).json<Record<string, unknown>>();
    expect(
      (
        await request(server.baseUrl, '/api/config', {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ ...config, min_space_to_continue_recording_mb: 1_000_000 }),
        })
      ).status,
    ).toBe(202);
    let stopped: StoredEvent | undefined;
    while (stopped === undefined && Date.now() < deadline + 30_000) {
      const page = (await request(server.baseUrl, '/api/events?type=RecordingStopped&limit=1')).json<{
        events: StoredEvent[];
      }>();
      stopped = page.events[0];
      if (stopped === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(stopped?.data).toMatchObject({ reason: 'disk-low' });
    expect((await manifest()).current_entry).toBeNull();
  });
});
