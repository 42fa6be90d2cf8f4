/**
 * The HTTP API end to end: the real Nest app on a LevelDB store in a temp dir,
 * driven over HTTP (paths sent byte for byte). Rayhunter compatibility, the
 * event API with its live stream, headers, errors and the admin assets.
 *
 * Every test gets a server on a fresh store of its own and makes the history it
 * reads, so the tests hold in any order (`jest --randomize`).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  eventually,
  openSse,
  readZip,
  recordingEvents,
  request,
  startInProcess,
  tempDir,
  type InProcessServer,
  type RawResponse,
} from './helpers/server';
import { errorOf } from './helpers/http-errors';
import { LEDGER_EVENT_TYPES } from '@ledger/domain';

jest.setTimeout(60_000);

const ENTRY_KEYS = [
  'name',
  'start_time',
  'last_message_time',
  'qmdl_size_bytes',
  'rayhunter_version',
  'system_os',
  'arch',
  'stop_reason',
  'upload_time',
  'gps_mode',
  'compressed',
];

interface Entry {
  name: string;
  qmdl_size_bytes: number;
  stop_reason: string | null;
  [key: string]: unknown;
}
interface Manifest {
  entries: Entry[];
  current_entry: Entry | null;
}
interface StoredEventJson {
  seq: number;
  type: string;
  recording?: string;
  metadata: { correlationId: string; actor: { kind: string; remoteAddress?: string; userAgent?: string } };
}

let server: InProcessServer;
let adminDir: string;
const get = (p: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  request(server.baseUrl, p, { headers });
const post = (p: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> =>
  request(server.baseUrl, p, {
    method: 'POST',
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
  });
const manifest = async (): Promise<Manifest> => (await get('/api/qmdl-manifest')).json<Manifest>();

/** Start, let data flow, stop: a finished recording with bytes. */
async function finishedRecording(): Promise<Entry> {
  const current = await activeRecording();
  expect((await post('/api/stop-recording')).status).toBe(202);
  const m = await manifest();
  const entry = m.entries.find((e) => e.name === current.name);
  if (!entry) throw new Error('stopped recording not in entries');
  return entry;
}

function gunzipFile(file: string): Buffer {
  return zlib.gunzipSync(readFileSync(file), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/** Start a recording and wait until it has bytes: the active recording. */
async function activeRecording(): Promise<Entry> {
  expect((await post('/api/start-recording')).status).toBe(202);
  return eventually(async () => {
    const m = await manifest();
    return m.current_entry && m.current_entry.qmdl_size_bytes > 0 ? m.current_entry : undefined;
  });
}

/** Start a recording and delete it while active, in one request with this X-Request-Id. */
async function deleteActive(requestId: string): Promise<RawResponse> {
  const current = await activeRecording();
  return post(`/api/delete-recording/${current.name}`, undefined, {
    'X-Request-Id': requestId,
    'User-Agent': 'api-e2e',
  });
}

beforeAll(() => {
  // The admin viewer's assets: a read-only fixture every server serves.
  adminDir = tempDir('qmdl-ledger-admin-');
  mkdirSync(path.join(adminDir, 'assets'));
  writeFileSync(path.join(adminDir, 'index.html'), '<!doctype html><title>admin</title>');
  writeFileSync(path.join(adminDir, 'assets', 'app.js'), 'console.log(1)');
});

afterAll(() => {
  rmSync(adminDir, { recursive: true, force: true });
});

beforeEach(async () => {
  server = await startInProcess({ adminDir });
});

afterEach(async () => {
  await server?.close();
});

describe('Rayhunter-compatible recording endpoints', () => {
  it('answers an empty manifest with X-Ledger-Seq and X-Request-Id on the response', async () => {
    const res = await get('/api/qmdl-manifest');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ entries: [], current_entry: null });
    expect(res.headers['x-ledger-seq']).toMatch(/^\d+$/);
    expect(Number(res.headers['x-ledger-seq'])).toBe(server.ledger.state().seq);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('start-recording answers 202 ok and the manifest entry has the 11 keys in order', async () => {
    const res = await post('/api/start-recording');
    expect(res.status).toBe(202);
    expect(res.text()).toBe('ok');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(Number(res.headers['x-ledger-seq'])).toBeGreaterThan(0);
    const m = await manifest();
    expect(m.current_entry).not.toBeNull();
    const current = m.current_entry as Entry;
    expect(Object.keys(current)).toEqual(ENTRY_KEYS);
    expect(current.name).toMatch(/^\d+$/);
    expect(current['start_time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/);
    expect(typeof current.qmdl_size_bytes).toBe('number');
    expect(current.stop_reason).toBeNull();
    expect(current['upload_time']).toBeNull();
    expect(current['compressed']).toBe(true);
    expect(m.entries.find((e) => e.name === current.name)).toBeUndefined();
  });

  it('analysis-report/live is the metadata line while recording, 503 when nothing records', async () => {
    await activeRecording();
    const live = await get('/api/analysis-report/live');
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = live.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    const meta = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['analyzers', 'rayhunter', 'report_version']);
    expect(meta['analyzers']).toEqual([]);
    expect(meta['report_version']).toBe(2);
    expect(Object.keys(meta['rayhunter'] as object)).toEqual(['rayhunter_version', 'system_os', 'arch']);
    expect((await post('/api/stop-recording')).status).toBe(202);
    const none = await get('/api/analysis-report/live');
    expect(none.status).toBe(503);
    expect(none.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('stop-recording answers 202 also when nothing is recording', async () => {
    const res = await post('/api/stop-recording');
    expect(res.status).toBe(202);
    expect(res.text()).toBe('ok');
  });

  it('downloads the decompressed QMDL byte for byte, with Content-Length and Content-Disposition', async () => {
    const entry = await finishedRecording();
    const file = path.join(server.dataDir, 'qmdl', `${entry.name}.qmdl.gz`);
    expect(statSync(file).size).toBe(entry.qmdl_size_bytes);
    const expected = gunzipFile(file);
    expect(expected.length).toBeGreaterThan(0);
    for (const p of [`/api/qmdl/${entry.name}`, `/api/qmdl/${entry.name}.qmdl`]) {
      const res = await get(p);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${entry.name}.qmdl"`);
      expect(res.headers['content-length']).toBe(String(expected.length));
      expect(res.body.equals(expected)).toBe(true);
    }
    const report = await get(`/api/analysis-report/${entry.name}`);
    expect(report.status).toBe(200);
  });

  it('zips <name>.qmdl (decompressed), <name>.ndjson (the analysis report it serves) and <name>.pcapng (the pcap it serves), stripping .zip', async () => {
    const entry = await finishedRecording();
    const res = await get(`/api/zip/${entry.name}.zip`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${entry.name}.zip"`);
    const members = readZip(res.body);
    expect(members.map((m) => m.name)).toEqual([`${entry.name}.qmdl`, `${entry.name}.ndjson`, `${entry.name}.pcapng`]);
    expect(members[0]?.data.equals(gunzipFile(path.join(server.dataDir, 'qmdl', `${entry.name}.qmdl.gz`)))).toBe(true);
    expect(members[1]?.data.equals((await get(`/api/analysis-report/${entry.name}`)).body)).toBe(true);
    expect(members[2]?.data.equals((await get(`/api/pcap/${entry.name}`)).body)).toBe(true);
  });

  it('serves the pcapng with and without .pcapng as an attachment, 404 for an unknown recording', async () => {
    const entry = await finishedRecording();
    const plain = await get(`/api/pcap/${entry.name}`);
    const suffixed = await get(`/api/pcap/${entry.name}.pcapng`);
    for (const res of [plain, suffixed]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.tcpdump.pcap');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${entry.name}.pcapng"`);
      // A section header block, big-endian (byte-order magic 0x1A2B3C4D), as the original writes.
      expect(res.body.readUInt32BE(0)).toBe(0x0a0d0d0a);
      expect(res.body.readUInt32BE(8)).toBe(0x1a2b3c4d);
    }
    expect(suffixed.body.equals(plain.body)).toBe(true);
    expect((await get('/api/pcap/1')).status).toBe(404);
    expect((await get('/api/pcap/1.pcapng')).status).toBe(404);
  });

  it('answers 404 for unknown recordings and 400 INVALID_RECORDING_NAME for names that are not digits', async () => {
    for (const p of ['/api/qmdl/1', '/api/qmdl/1.qmdl', '/api/zip/1.zip', '/api/analysis-report/1']) {
      const res = await get(p);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
    for (const p of [
      '/api/qmdl/abc',
      '/api/zip/..%2f..%2fetc',
      '/api/qmdl/%2e%2e',
      '/api/analysis-report/1a',
      `/api/qmdl/${'9'.repeat(21)}`,
    ]) {
      const res = await get(p);
      expect(errorOf(res)).toEqual({ status: 400, code: 'INVALID_RECORDING_NAME' });
      expect(res.text()).toMatch(/^invalid recording name/);
    }
  });

  it('delete-recording answers 400 "no recording with name X" for an unknown name, 202 and removes the files otherwise', async () => {
    const unknown = await post('/api/delete-recording/12345');
    expect(errorOf(unknown)).toEqual({ status: 400, code: 'NO_SUCH_RECORDING' });
    expect(unknown.text()).toBe('no recording with name 12345');
    const entry = await finishedRecording();
    const res = await post(`/api/delete-recording/${entry.name}`);
    expect(res.status).toBe(202);
    expect(res.text()).toBe('ok');
    expect((await manifest()).entries.find((e) => e.name === entry.name)).toBeUndefined();
    await eventually(() => (existsSync(path.join(server.dataDir, 'qmdl', `${entry.name}.qmdl.gz`)) ? undefined : true));
    expect((await get(`/api/qmdl/${entry.name}`)).status).toBe(404);
  });

  it('delete of the active recording stops it first, and every event of the request shares its X-Request-Id', async () => {
    const res = await deleteActive('e2e-delete-active-1');
    expect(res.status).toBe(202);
    expect(res.headers['x-request-id']).toBe('e2e-delete-active-1');
    const m = await manifest();
    expect(m.current_entry).toBeNull();
    const page = (await get('/api/events?correlation=e2e-delete-active-1&order=asc')).json<{
      events: StoredEventJson[];
    }>();
    expect(page.events.map((e) => e.type)).toEqual(['RecordingStopped', 'RecordingDeleted']);
    for (const e of page.events) {
      expect(e.metadata.correlationId).toBe('e2e-delete-active-1');
      expect(e.metadata.actor).toEqual({ kind: 'http', remoteAddress: '127.0.0.1', userAgent: 'api-e2e' });
    }
    expect(Number(res.headers['x-ledger-seq'])).toBe(page.events[page.events.length - 1]?.seq);
  });

  it('replaces an insane X-Request-Id with a UUID', async () => {
    const long = await get('/api/time', { 'X-Request-Id': 'x'.repeat(129) });
    expect(long.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const spaced = await get('/api/time', { 'X-Request-Id': 'a b' });
    expect(spaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('delete-all-recordings answers 202 and leaves nothing, recording stopped', async () => {
    await finishedRecording();
    expect((await post('/api/start-recording')).status).toBe(202);
    const res = await post('/api/delete-all-recordings');
    expect(res.status).toBe(202);
    expect(await manifest()).toEqual({ entries: [], current_entry: null });
  });

  it('answers the manifest as it was with ?at=<seq> and ?at=<RFC 3339>, 400 for anything else', async () => {
    await finishedRecording();
    const page = (await get('/api/events?type=RecordingStarted&order=asc&limit=1')).json<{
      events: StoredEventJson[];
    }>();
    const first = page.events[0] as StoredEventJson;
    const then = await get(`/api/qmdl-manifest?at=${first.seq}`);
    expect(then.status).toBe(200);
    expect(then.headers['x-ledger-seq']).toBe(String(first.seq));
    const body = then.json<Manifest>();
    expect(body.current_entry?.name).toBe(first.recording);
    const before = await get('/api/qmdl-manifest?at=2000-01-01T00:00:00Z');
    expect(before.status).toBe(200);
    expect(before.json()).toEqual({ entries: [], current_entry: null });
    expect((await get('/api/qmdl-manifest?at=yesterday')).status).toBe(400);
    expect((await get('/api/qmdl-manifest?at=1&at=2')).status).toBe(400);
  });

  it("refuses ?at= a sequence past the head (400 SEQUENCE_PAST_HEAD, as `state --at` does); a time after the last event is the head's manifest", async () => {
    const now = await get('/api/qmdl-manifest');
    const head = Number(now.headers['x-ledger-seq']);
    const past = await get(`/api/qmdl-manifest?at=${head + 1000}`);
    expect(errorOf(past)).toEqual({ status: 400, code: 'SEQUENCE_PAST_HEAD' });
    const later = await get('/api/qmdl-manifest?at=2999-01-01T00:00:00Z');
    expect(later.status).toBe(200);
    expect(later.json()).toEqual((await get('/api/qmdl-manifest')).json());
  });

  it('answers the analysis status in the Rayhunter shape: with no analysis reactor running (this in-process app), every recording finished but a re-analysis asked for', async () => {
    // The Rayhunter UI shows a recording's report (and its Re-analyze button) only
    // once its name is in `finished`; a name missing there spins "Loading..." forever.
    const entry = await finishedRecording();
    const res = await get('/api/analysis');
    expect(res.status).toBe(200);
    const status = res.json<{ queued: string[]; running: string | null; finished: string[] }>();
    expect(Object.keys(status)).toEqual(['queued', 'running', 'finished']);
    expect(status.queued).toEqual([]);
    expect(status.running).toBeNull();
    const m = await manifest();
    expect([...status.finished].sort()).toEqual(m.entries.map((e) => e.name).sort());
    expect(status.finished).toContain(entry.name);
    if (m.current_entry) expect(status.finished).not.toContain(m.current_entry.name);
    // Re-analyze (POST /api/analysis/{name}): 202 with the same status JSON. The request is recorded, so
    // with no reactor to run it, it stays queued (a serve with one runs it).
    const again = await post(`/api/analysis/${entry.name}`);
    expect(again.status).toBe(202);
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    const asked = again.json<{ queued: string[]; finished: string[] }>();
    expect(asked.queued).toEqual([entry.name]);
    expect(asked.finished).not.toContain(entry.name);
    expect([...asked.finished, entry.name].sort()).toEqual([...status.finished].sort());
    expect((await post('/api/analysis/1')).status).toBe(404);
    expect((await post('/api/analysis/x1')).status).toBe(400);
  });

  it('reports real disk and memory figures in the original shape', async () => {
    const res = await get('/api/system-stats');
    expect(res.status).toBe(200);
    const body = res.json<{
      disk_stats: Record<string, unknown>;
      memory_stats: Record<string, unknown>;
      runtime_metadata: Record<string, unknown>;
    }>();
    expect(Object.keys(body.disk_stats)).toEqual([
      'partition',
      'total_size',
      'used_size',
      'available_size',
      'used_percent',
      'mounted_on',
      'available_bytes',
    ]);
    for (const k of ['total_size', 'used_size', 'available_size'])
      expect(body.disk_stats[k]).toMatch(/^\d+(\.\d)?[KMGTP]?$/);
    expect(body.disk_stats['used_percent']).toMatch(/^\d{1,3}%$/);
    expect(typeof body.disk_stats['available_bytes']).toBe('number');
    expect(body.disk_stats['available_bytes'] as number).toBeGreaterThan(0);
    expect(Object.keys(body.memory_stats)).toEqual(['total', 'used', 'free']);
    for (const v of Object.values(body.memory_stats)) expect(v).toMatch(/^\d+(\.\d)?[KM]$/);
    expect(Object.keys(body.runtime_metadata)).toEqual(['rayhunter_version', 'system_os', 'arch']);
  });

  it('records the clock offset as an event and shows it in /api/time', async () => {
    const before = (await get('/api/time')).json<Record<string, unknown>>();
    expect(Object.keys(before)).toEqual(['system_time', 'adjusted_time', 'offset_seconds']);
    const set = await post('/api/time-offset', { offset_seconds: 3600 });
    expect(set.status).toBe(200);
    const after = (await get('/api/time')).json<{
      system_time: string;
      adjusted_time: string;
      offset_seconds: number;
    }>();
    expect(after.offset_seconds).toBe(3600);
    const delta = Date.parse(after.adjusted_time) - Date.parse(after.system_time);
    expect(Math.abs(delta - 3_600_000)).toBeLessThan(1000);
    expect(
      (await get('/api/events?type=ClockOffsetSet&limit=1')).json<{ events: StoredEventJson[] }>().events,
    ).toHaveLength(1);
    expect((await post('/api/time-offset', { offset_seconds: 0 })).status).toBe(200);
    for (const bad of [{}, { offset_seconds: 'x' }, { offset_seconds: 1.5 }, [1], 'null']) {
      expect((await post('/api/time-offset', bad)).status).toBe(400);
    }
    expect((await post('/api/time-offset')).status).toBe(400);
  });

  it("records GPS fixes and serves the last one in Rayhunter's shape", async () => {
    // The original answers 404 while it has no fix.
    expect((await get('/api/gps')).status).toBe(404);
    // Rayhunter's body and status (200); the UI reads `latitude` / `longitude` (numbers) and `timestamp` (unix seconds).
    expect((await post('/api/gps', { latitude: 48.8566, longitude: 2.3522 })).status).toBe(200);
    expect((await get('/api/gps')).json()).toMatchObject({ latitude: 48.8566, longitude: 2.3522 });
    expect((await post('/api/gps', { lat: 52.52, lon: 13.405, fix_time: '2026-01-02T03:04:05Z' })).status).toBe(200);
    const fix = (await get('/api/gps')).json<Record<string, unknown>>();
    expect(fix).toMatchObject({
      latitude: 52.52,
      longitude: 13.405,
      timestamp: Date.parse('2026-01-02T03:04:05Z') / 1000,
      fix_time: '2026-01-02T03:04:05Z',
    });
    expect(fix).not.toHaveProperty('lat');
    for (const bad of [{ lat: 91, lon: 0 }, { lat: 'x', lon: 0 }, { lon: 1 }, { lat: 1, lon: 1, fix_time: 'noon' }]) {
      const res = await post('/api/gps', bad);
      expect(res.status).toBe(400);
    }
  });

  it('serves the config over Rayhunter defaults and records changes', async () => {
    const config = (await get('/api/config')).json<Record<string, unknown>>();
    expect(config['ui_level']).toBe(1);
    expect(config['debug_mode']).toBe(false);
    expect((await post('/api/config', { ...config, ui_level: 2 })).status).toBe(202);
    expect((await get('/api/config')).json<Record<string, unknown>>()['ui_level']).toBe(2);
    expect((await post('/api/config', [1, 2])).status).toBe(400);
  });

  it("a recording started over HTTP records the config's gps_mode", async () => {
    const config = (await get('/api/config')).json<Record<string, unknown>>();
    try {
      expect((await post('/api/config', { ...config, gps_mode: 2 })).status).toBe(202);
      expect((await post('/api/start-recording')).status).toBe(202);
      const manifest = (await get('/api/qmdl-manifest')).json<{ current_entry: { gps_mode: number | null } | null }>();
      expect(manifest.current_entry?.gps_mode).toBe(2);
    } finally {
      expect((await post('/api/stop-recording')).status).toBe(202);
      expect((await post('/api/config', config)).status).toBe(202);
    }
  });

  it('serves every config key the Rayhunter UI reads, nested defaults filled in', async () => {
    // The UI's config dialog renders webdav.* and analyzers.* unguarded (a missing
    // `webdav` throws and the dialog never leaves "Loading config..."), and the
    // status poll reads gps_mode.
    const config = (await get('/api/config')).json<Record<string, unknown>>();
    for (const key of [
      'device',
      'ui_level',
      'colorblind_mode',
      'key_input_mode',
      'ntfy_url',
      'enabled_notifications',
      'auto_check_updates',
      'analyzers',
      'min_space_to_start_recording_mb',
      'min_space_to_continue_recording_mb',
      'wifi_ssid',
      'wifi_password',
      'wifi_security',
      'wifi_enabled',
      'dns_servers',
      'webdav',
      'gps_mode',
      'gps_fixed_latitude',
      'gps_fixed_longitude',
    ]) {
      expect(config).toHaveProperty(key);
    }
    expect(config['gps_mode']).toBe(0);
    expect(Array.isArray(config['enabled_notifications'])).toBe(true);
    const analyzers = config['analyzers'] as Record<string, unknown>;
    for (const key of [
      'imsi_requested',
      'connection_redirect_2g_downgrade',
      'lte_sib6_and_7_downgrade',
      'null_cipher',
      'nas_null_cipher',
      'incomplete_sib',
      'test_analyzer',
      'diagnostic_analyzer',
    ]) {
      expect(typeof analyzers[key]).toBe('boolean');
    }
    expect(config['webdav']).toEqual({
      url: '',
      username: null,
      password: null,
      upload_timeout_secs: 300,
      poll_interval_secs: 3600,
      min_age_secs: 86400,
      delete_on_upload: false,
    });
    // A recorded config missing nested keys still answers them (serde's #[serde(default)]).
    expect(
      (
        await post('/api/config', {
          ...config,
          webdav: { url: 'https://dav.example/' },
          analyzers: { test_analyzer: true },
        })
      ).status,
    ).toBe(202);
    const merged = (await get('/api/config')).json<{
      webdav: Record<string, unknown>;
      analyzers: Record<string, unknown>;
    }>();
    expect(merged.webdav).toMatchObject({
      url: 'https://dav.example/',
      upload_timeout_secs: 300,
      delete_on_upload: false,
    });
    expect(merged.analyzers).toMatchObject({ test_analyzer: true, imsi_requested: true });
    expect((await post('/api/config', config)).status).toBe(202);
  });

  it("answers the config dialog's device endpoints: Wi-Fi status, and 501 text for scan and test notification", async () => {
    const wifi = await get('/api/wifi-status');
    expect(wifi.status).toBe(200);
    expect(wifi.json()).toEqual({ state: 'disabled' });
    for (const p of ['/api/wifi-scan', '/api/test-notification']) {
      const res = await post(p);
      expect(res.status).toBe(501);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('serves its own recent log, and a truthful update status', async () => {
    const log = await get('/api/log');
    expect(log.status).toBe(200);
    expect(log.headers['content-type']).toMatch(/^text\/plain/);
    const update = (await get('/api/update-status')).json<Record<string, unknown>>();
    expect(update['update_available']).toBe(false);
    expect(typeof update['current_version']).toBe('string');
  });
});

describe('HTTP conventions and errors', () => {
  it('answers 405 with Allow for a wrong method on a known path, 404 for an unknown path', async () => {
    const wrong = await get('/api/start-recording');
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('POST');
    const del = await request(server.baseUrl, '/api/qmdl-manifest', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(errorOf(await request(server.baseUrl, '/api/events', { method: 'PUT' }))).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
    });
    expect((await get('/api/nope')).status).toBe(404);
    expect(errorOf(await get('/nope'))).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it('answers malformed JSON 400 MALFORMED_JSON and bodies over 64 KiB 413 PAYLOAD_TOO_LARGE', async () => {
    const bad = await post('/api/auth/session', '{"token":');
    expect(errorOf(bad)).toEqual({ status: 400, code: 'MALFORMED_JSON' });
    const badText = await post('/api/time-offset', '{oops');
    expect(badText.status).toBe(400);
    expect(badText.headers['x-request-id']).toBeDefined();
    expect(badText.headers['x-ledger-seq']).toBeDefined();
    const huge = await post('/api/auth/session', JSON.stringify({ token: 'x'.repeat(70 * 1024) }));
    expect(errorOf(huge)).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers /healthz with the seq, and /metrics in Prometheus text', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', seq: server.ledger.state().seq });
    const headBefore = server.ledger.log.headSeq();
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    for (const name of [
      'qmdl_ledger_commit_latency_seconds_bucket',
      'qmdl_ledger_commit_batch_size',
      'qmdl_ledger_events_committed_total',
      'qmdl_ledger_projection_lag_events',
      'qmdl_ledger_active_recording_bytes',
    ]) {
      expect(metrics.text()).toContain(name);
    }
    // Counters cover every committed event, start-up recovery included: the total equals the head.
    const total = Number(/^qmdl_ledger_events_committed_total (\d+)$/m.exec(metrics.text())?.[1]);
    expect(total).toBeGreaterThanOrEqual(headBefore);
    expect(total).toBeLessThanOrEqual(server.ledger.log.headSeq());
  });

  it('describes every endpoint in the OpenAPI document', async () => {
    const doc = (await get('/api/docs-json')).json<{ paths: Record<string, Record<string, { summary?: string }>> }>();
    const expected: Array<[string, string]> = [
      ['/api/qmdl-manifest', 'get'],
      ['/api/start-recording', 'post'],
      ['/api/stop-recording', 'post'],
      ['/api/delete-recording/{name}', 'post'],
      ['/api/delete-all-recordings', 'post'],
      ['/api/qmdl/{name}', 'get'],
      ['/api/zip/{name}', 'get'],
      ['/api/pcap/{name}', 'get'],
      ['/api/analysis', 'get'],
      ['/api/analysis-report/{name}', 'get'],
      ['/api/system-stats', 'get'],
      ['/api/time', 'get'],
      ['/api/time-offset', 'post'],
      ['/api/gps', 'get'],
      ['/api/gps', 'post'],
      ['/api/config', 'get'],
      ['/api/config', 'post'],
      ['/api/log', 'get'],
      ['/api/update-status', 'get'],
      ['/api/analysis/{name}', 'post'],
      ['/api/wifi-status', 'get'],
      ['/api/wifi-scan', 'post'],
      ['/api/test-notification', 'post'],
      ['/api/events', 'get'],
      ['/api/events/{seq}', 'get'],
      ['/api/events/export', 'get'],
      ['/api/events/stream', 'get'],
      ['/api/recordings/{name}/history', 'get'],
      ['/api/store/verify', 'get'],
      ['/api/auth/status', 'get'],
      ['/api/auth/session', 'post'],
      ['/api/auth/session', 'delete'],
      ['/healthz', 'get'],
      ['/metrics', 'get'],
    ];
    for (const [p, method] of expected) expect(doc.paths[p]?.[method]?.summary).toEqual(expect.any(String));
    expect((await get('/api/docs')).status).toBe(200);
  });

  it('serves the admin viewer: assets, index.html for client routes, 404 for missing assets, nothing outside its dir', async () => {
    expect((await get('/admin')).text()).toContain('<title>admin</title>');
    expect((await get('/admin/events/42')).text()).toContain('<title>admin</title>');
    const js = await get('/admin/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get('/admin/assets/missing.js')).status).toBe(404);
    expect((await get('/admin/..%2f..%2fpackage.json')).status).toBe(404);
    const escape = await get('/admin/../../../../etc/passwd');
    expect(escape.text()).not.toContain('root:');
  });
});

describe('event API', () => {
  it('pages newest first by default and oldest first with order=asc, without gaps or duplicates', async () => {
    // More than two pages of 97: a recording with its data events, and a burst of clock offsets.
    await finishedRecording();
    for (let burst = 0; burst < 10; burst++) {
      const offsets = await Promise.all(
        Array.from({ length: 20 }, (_, i) => post('/api/time-offset', { offset_seconds: burst * 20 + i })),
      );
      expect(offsets.map((r) => r.status)).toEqual(Array(20).fill(200));
    }
    const head = server.ledger.log.headSeq();
    const desc = (await get('/api/events?limit=5')).json<{ events: StoredEventJson[]; next?: number; head: number }>();
    expect(desc.head).toBeGreaterThanOrEqual(head);
    expect(desc.events).toHaveLength(5);
    expect(desc.events[0]?.seq).toBeGreaterThan(desc.events[4]?.seq ?? Infinity);
    const seen: number[] = [];
    let after: number | undefined = 0;
    const until = head;
    while (after !== undefined) {
      const res = await get(`/api/events?order=asc&limit=97&after=${after}`);
      const page = res.json<{ events: StoredEventJson[]; next?: number }>();
      seen.push(...page.events.map((e) => e.seq));
      after = page.next;
      if (seen.length > 100_000) throw new Error('runaway paging');
    }
    const upto = seen.filter((s) => s <= until);
    expect(upto).toEqual(Array.from({ length: until }, (_, i) => i + 1));
  });

  it('filters by type, recording, actor and time, and searches free text', async () => {
    await finishedRecording();
    expect((await deleteActive('e2e-delete-active-1')).status).toBe(202);
    const started = (await get('/api/events?type=RecordingStarted,RecordingDeleted&limit=1000')).json<{
      events: StoredEventJson[];
    }>();
    expect(started.events.length).toBeGreaterThan(0);
    expect(new Set(started.events.map((e) => e.type))).toEqual(new Set(['RecordingStarted', 'RecordingDeleted']));
    const name = started.events.find((e) => e.type === 'RecordingStarted')?.recording as string;
    const byRecording = (await get(`/api/events?recording=${name}&order=asc`)).json<{ events: StoredEventJson[] }>();
    expect(byRecording.events.every((e) => e.recording === name)).toBe(true);
    expect(byRecording.events[0]?.type).toBe('RecordingStarted');
    const http = (await get('/api/events?actor=http&limit=1000')).json<{ events: StoredEventJson[] }>();
    expect(http.events.every((e) => e.metadata.actor.kind === 'http')).toBe(true);
    expect((await get('/api/events?until=2000-01-01T00:00:00Z')).json<{ events: unknown[] }>().events).toEqual([]);
    const q = (await get('/api/events?q=e2e-delete-active-1&limit=10')).json<{ events: StoredEventJson[] }>();
    expect(q.events.map((e) => e.type).sort()).toEqual(['RecordingDeleted', 'RecordingStopped']);
  });

  it('rejects bad queries with 400 INVALID_QUERY', async () => {
    for (const qs of [
      'limit=0',
      'limit=1001',
      'limit=x',
      'order=sideways',
      'after=-1',
      'since=yesterday',
      'type=%3Cscript%3E',
      'recording=..',
      'actor=root',
      `q=${'x'.repeat(300)}`,
      'after=1&after=2',
    ]) {
      const res = await get(`/api/events?${qs}`);
      expect([errorOf(res), qs]).toEqual([{ status: 400, code: expect.stringMatching(/^INVALID_/) }, qs]);
    }
  });

  it('refuses a type filter naming no event type with 400 UNKNOWN_EVENT_TYPE listing the known types, on every event endpoint', async () => {
    for (const p of [
      '/api/events?type=Bogus',
      '/api/events?type=RecordingStarted,Bogus',
      '/api/events/export?type=Bogus',
      '/api/events/stream?type=Bogus',
    ]) {
      const res = await get(p);
      expect([p, errorOf(res)]).toEqual([p, { status: 400, code: 'UNKNOWN_EVENT_TYPE' }]);
      const body = res.json<{ message: string }>();
      expect(body.message).toContain('Bogus');
      for (const known of LEDGER_EVENT_TYPES) expect(body.message).toContain(known);
    }
    expect((await get('/api/events?type=RecordingStarted,GpsFixRecorded')).status).toBe(200);
  });

  it('serves one event by seq, 404 NO_SUCH_EVENT beyond the head', async () => {
    const one = await get('/api/events/1');
    expect(one.status).toBe(200);
    expect(one.json<StoredEventJson>()).toMatchObject({ seq: 1, type: 'StoreCreated' });
    const missing = await get('/api/events/999999999');
    expect(errorOf(missing)).toEqual({ status: 404, code: 'NO_SUCH_EVENT' });
    expect((await get('/api/events/abc')).status).toBe(400);
  });

  it('exports matching events as NDJSON', async () => {
    await finishedRecording();
    await activeRecording();
    const res = await get('/api/events/export?type=RecordingStarted');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = res
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredEventJson);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e) => e.type === 'RecordingStarted')).toBe(true);
    const all = (await get('/api/events/export')).text().trim().split('\n');
    expect(all.length).toBeGreaterThanOrEqual(Number(res.headers['x-ledger-seq']));
  });

  it('streams catch-up then live over SSE, with no gap and no duplicate, and resumes from Last-Event-ID', async () => {
    const head = server.ledger.log.headSeq();
    const sse = openSse(server.baseUrl, '/api/events/stream?after=0');
    expect(await sse.status).toBe(200);
    await sse.waitFor(head);
    expect((await post('/api/time-offset', { offset_seconds: 5 })).status).toBe(200);
    const after = server.ledger.log.headSeq();
    const messages = await sse.waitFor(after);
    sse.close();
    const ids = messages.map((m) => Number(m.id));
    expect(ids.slice(0, after)).toEqual(Array.from({ length: after }, (_, i) => i + 1));
    const last = JSON.parse(messages[after - 1]?.data ?? '{}') as StoredEventJson;
    expect(last.type).toBe('ClockOffsetSet');

    const resumed = openSse(server.baseUrl, '/api/events/stream?after=0', { 'Last-Event-ID': String(after - 2) });
    const again = await resumed.waitFor(2);
    resumed.close();
    expect(again.map((m) => Number(m.id))).toEqual([after - 1, after]);
    const bad = openSse(server.baseUrl, '/api/events/stream?after=abc');
    expect(await bad.status).toBe(400);
    bad.close();
  });

  it('answers a recording history with its entry, and exists:false after delete', async () => {
    const entry = await finishedRecording();
    const live = (await get(`/api/recordings/${entry.name}/history`)).json<{
      name: string;
      exists: boolean;
      entry: Entry | null;
      events: StoredEventJson[];
    }>();
    expect(live.name).toBe(entry.name);
    expect(live.exists).toBe(true);
    expect(live.entry?.name).toBe(entry.name);
    expect(Object.keys(live.entry ?? {})).toEqual(ENTRY_KEYS);
    expect(live.events[0]?.type).toBe('RecordingStarted');
    expect((await post(`/api/delete-recording/${entry.name}`)).status).toBe(202);
    const gone = (await get(`/api/recordings/${entry.name}/history`)).json<{
      exists: boolean;
      entry: Entry | null;
      events: StoredEventJson[];
    }>();
    expect(gone.exists).toBe(false);
    expect(gone.entry).toBeNull();
    expect(gone.events[gone.events.length - 1]?.type).toBe('RecordingDeleted');
    expect((await get('/api/recordings/..%2f/history')).status).toBe(400);
  });

  it('a recording history longer than a page: its pages join to exactly its events, each once, in order', async () => {
    const active = await activeRecording();
    // Sixteen fixes, each an event of the recording, so its history is longer than three pages of five
    // however few data appends a loaded machine's source managed meanwhile (with 12 it once had 15 events).
    for (let i = 0; i < 16; i++) expect((await post('/api/gps', { lat: 48 + i / 100, lon: 2.35 })).status).toBe(200);
    expect((await post('/api/stop-recording')).status).toBe(202);
    const all = await recordingEvents(server.ledger, active.name);
    expect(all.length).toBeGreaterThan(3 * 5);

    interface HistoryPage {
      name: string;
      exists: boolean;
      entry: Entry | null;
      events: StoredEventJson[];
      next?: number;
      head: number;
    }
    const pages: HistoryPage[] = [];
    let after: number | undefined;
    do {
      const query = `limit=5${after !== undefined ? `&after=${after}` : ''}`;
      const res = await get(`/api/recordings/${active.name}/history?${query}`);
      expect(res.status).toBe(200);
      const page = res.json<HistoryPage>();
      pages.push(page);
      after = page.next;
    } while (after !== undefined && pages.length <= all.length);
    for (const page of pages) {
      expect(page).toMatchObject({ name: active.name, exists: true, entry: { name: active.name } });
      expect(page.events.length).toBeLessThanOrEqual(5);
      expect(page.head).toBe(server.ledger.log.headSeq());
    }
    // Every page but the last is full, and its `next` is its last event.
    for (const page of pages.slice(0, -1)) {
      expect(page.events).toHaveLength(5);
      expect(page.next).toBe(page.events[4]?.seq);
    }
    expect(pages.at(-1)?.next).toBeUndefined();
    expect(pages.flatMap((p) => p.events.map((e) => e.seq))).toEqual(all.map((e) => e.seq));
    expect(pages.flatMap((p) => p.events.map((e) => e.type))).toEqual(all.map((e) => e.type));

    // Without a limit, a page holds the event API's default (100) and says the recording's whole history fits.
    const first = (await get(`/api/recordings/${active.name}/history`)).json<HistoryPage>();
    expect(first.events.map((e) => e.seq)).toEqual(all.slice(0, 100).map((e) => e.seq));
    expect(first.next).toBe(all.length > 100 ? all[99]?.seq : undefined);
    // A cursor past the end: an empty last page.
    const past = (await get(`/api/recordings/${active.name}/history?after=${all.at(-1)?.seq}`)).json<HistoryPage>();
    expect(past.events).toEqual([]);
    expect(past.next).toBeUndefined();
  });

  it('a history page with a bad cursor or limit is 400 INVALID_QUERY', async () => {
    const { name } = await finishedRecording();
    for (const query of [
      'limit=0',
      'limit=1001',
      'limit=abc',
      'limit=5&limit=6',
      'after=-1',
      'after=1.5',
      'after=x',
      'before=3',
      'order=desc',
    ]) {
      const res = await get(`/api/recordings/${name}/history?${query}`);
      expect([query, errorOf(res)]).toEqual([query, { status: 400, code: 'INVALID_QUERY' }]);
    }
    expect((await get(`/api/recordings/${name}/history?limit=1000&after=0&order=asc`)).status).toBe(200);
  });

  it('verifies the store', async () => {
    const res = await get('/api/store/verify');
    expect(res.status).toBe(200);
    const report = res.json<{ ok: boolean; head: number }>();
    expect(report.ok).toBe(true);
    expect(res.headers['x-ledger-seq']).toBe(String(report.head));
  });
});
