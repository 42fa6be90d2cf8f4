import type { GpsMode } from './recordings.events';

/**
 * The Rayhunter 0.12 daemon's configuration (daemon/src/config.rs `Config`,
 * `WebdavConfig`, lib `AnalyzerConfig`): every key with its type, range and
 * default, as one table. `POST /api/config` accepts exactly these keys; the
 * defaults fill what a change leaves out (serde's `#[serde(default)]`); the
 * secrets are what `GET /api/config` never shows.
 */

/** How a secret is hidden: `value` shows nothing (null), `url` hides credentials and query, `url-path` also the path (an ntfy topic is its password). */
export type SecretKind = 'value' | 'url' | 'url-path';

export type ConfigField =
  | { readonly kind: 'boolean'; readonly default: boolean }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number; readonly default: number }
  | {
      readonly kind: 'number';
      readonly min: number;
      readonly max: number;
      readonly nullable: true;
      readonly default: null;
    }
  | {
      readonly kind: 'string';
      readonly maxLength: number;
      readonly nullable: boolean;
      readonly default: string | null;
      readonly secret?: SecretKind;
    }
  | {
      readonly kind: 'enum';
      readonly values: readonly (string | number)[];
      readonly nullable: boolean;
      readonly default: string | number | null;
    }
  | {
      readonly kind: 'list';
      readonly of: { readonly values?: readonly string[]; readonly maxLength?: number };
      readonly maxItems: number;
      readonly nullable: boolean;
      readonly default: readonly string[] | null;
    }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, ConfigField>> };

const bool = (value: boolean): ConfigField => ({ kind: 'boolean', default: value });
const DAY_SECONDS = 86_400;

/** The free-space settings are in MB; a terabyte is already more than any capture device holds. */
const MAX_SPACE_MB = 1_000_000;

export const RAYHUNTER_CONFIG_FIELDS: Readonly<Record<string, ConfigField>> = {
  qmdl_store_path: { kind: 'string', maxLength: 4096, nullable: false, default: '/data/rayhunter/qmdl' },
  port: { kind: 'integer', min: 0, max: 65_535, default: 8080 },
  debug_mode: bool(false),
  device: {
    kind: 'enum',
    values: ['orbic', 'tplink', 'tmobile', 'wingtech', 'pinephone', 'uz801', 'moxee'],
    nullable: false,
    default: 'orbic',
  },
  ui_level: { kind: 'enum', values: [0, 1, 2, 3, 4, 128], nullable: false, default: 1 },
  colorblind_mode: bool(false),
  key_input_mode: { kind: 'enum', values: [0, 1], nullable: false, default: 0 },
  ntfy_url: { kind: 'string', maxLength: 2048, nullable: true, default: null, secret: 'url-path' },
  enabled_notifications: {
    kind: 'list',
    of: { values: ['Warning', 'LowBattery', 'Update'] },
    maxItems: 3,
    nullable: false,
    default: ['Warning', 'LowBattery'],
  },
  auto_check_updates: bool(true),
  analyzers: {
    kind: 'object',
    fields: {
      imsi_requested: bool(true),
      connection_redirect_2g_downgrade: bool(true),
      lte_sib6_and_7_downgrade: bool(true),
      null_cipher: bool(true),
      nas_null_cipher: bool(true),
      incomplete_sib: bool(true),
      test_analyzer: bool(false),
      diagnostic_analyzer: bool(true),
    },
  },
  min_space_to_start_recording_mb: { kind: 'integer', min: 0, max: MAX_SPACE_MB, default: 1 },
  min_space_to_continue_recording_mb: { kind: 'integer', min: 0, max: MAX_SPACE_MB, default: 1 },
  gps_mode: { kind: 'enum', values: [0, 1, 2], nullable: false, default: 0 },
  gps_fixed_latitude: { kind: 'number', min: -90, max: 90, nullable: true, default: null },
  gps_fixed_longitude: { kind: 'number', min: -180, max: 180, nullable: true, default: null },
  wifi_ssid: { kind: 'string', maxLength: 32, nullable: true, default: null },
  // A WPA passphrase is at most 63 characters, a raw PSK 64 hex digits.
  wifi_password: { kind: 'string', maxLength: 64, nullable: true, default: null, secret: 'value' },
  wifi_security: { kind: 'enum', values: ['wpa_psk', 'sae'], nullable: true, default: null },
  wifi_enabled: bool(false),
  dns_servers: { kind: 'list', of: { maxLength: 253 }, maxItems: 8, nullable: true, default: null },
  webdav: {
    kind: 'object',
    fields: {
      url: { kind: 'string', maxLength: 2048, nullable: false, default: '', secret: 'url' },
      username: { kind: 'string', maxLength: 256, nullable: true, default: null, secret: 'value' },
      password: { kind: 'string', maxLength: 1024, nullable: true, default: null, secret: 'value' },
      upload_timeout_secs: { kind: 'integer', min: 1, max: DAY_SECONDS, default: 300 },
      poll_interval_secs: { kind: 'integer', min: 1, max: 30 * DAY_SECONDS, default: 3600 },
      min_age_secs: { kind: 'integer', min: 0, max: 3650 * DAY_SECONDS, default: DAY_SECONDS },
      delete_on_upload: bool(false),
    },
  },
};

type Json = unknown;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function defaultsOf(fields: Readonly<Record<string, ConfigField>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, field] of Object.entries(fields)) {
    out[key] =
      field.kind === 'object'
        ? defaultsOf(field.fields)
        : field.kind === 'list' && field.default !== null
          ? [...field.default]
          : field.default;
  }
  return out;
}

/** Rayhunter 0.12's `Config::default()`: every key, nested objects included (the UI's config dialog reads them unguarded). */
export function defaultRayhunterConfig(): Record<string, Json> {
  return defaultsOf(RAYHUNTER_CONFIG_FIELDS);
}

function describe(field: ConfigField): string {
  const orNull = (text: string, nullable: boolean): string => (nullable ? `${text} or null` : text);
  switch (field.kind) {
    case 'boolean':
      return 'true or false';
    case 'integer':
      return `an integer in ${field.min}..${field.max}`;
    case 'number':
      return orNull(`a number in ${field.min}..${field.max}`, field.nullable);
    case 'string':
      return orNull(`a string of at most ${field.maxLength} characters`, field.nullable);
    case 'enum':
      return orNull(`one of ${field.values.map((v) => JSON.stringify(v)).join(', ')}`, field.nullable);
    case 'list':
      return orNull(
        `a list of at most ${field.maxItems} ${field.of.values ? `of ${field.of.values.map((v) => JSON.stringify(v)).join(', ')}` : `strings of at most ${field.of.maxLength ?? 0} characters`}`,
        field.nullable,
      );
    case 'object':
      return `an object of ${Object.keys(field.fields).join(', ')}`;
    default: {
      const unknown: never = field;
      return String(unknown);
    }
  }
}

function valid(field: Exclude<ConfigField, { kind: 'object' }>, value: unknown): boolean {
  switch (field.kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= field.min && value <= field.max;
    case 'number':
      return (
        (value === null && field.nullable) ||
        (typeof value === 'number' && Number.isFinite(value) && value >= field.min && value <= field.max)
      );
    case 'string':
      return (value === null && field.nullable) || (typeof value === 'string' && value.length <= field.maxLength);
    case 'enum':
      return (
        (value === null && field.nullable) ||
        ((typeof value === 'string' || typeof value === 'number') && field.values.includes(value))
      );
    case 'list': {
      if (value === null) return field.nullable;
      if (!Array.isArray(value) || value.length > field.maxItems) return false;
      const { values, maxLength } = field.of;
      return value.every(
        (item) =>
          typeof item === 'string' &&
          (values === undefined || values.includes(item)) &&
          (maxLength === undefined || item.length <= maxLength),
      );
    }
    default: {
      const unknown: never = field;
      return Boolean(unknown);
    }
  }
}

function check(
  fields: Readonly<Record<string, ConfigField>>,
  value: Record<string, unknown>,
  prefix: string,
  problems: string[],
): void {
  for (const [key, item] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    const field = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    if (field === undefined) {
      problems.push(`${name}: unknown key`);
    } else if (field.kind === 'object') {
      if (isPlainObject(item)) check(field.fields, item, `${name}.`, problems);
      else problems.push(`${name}: must be ${describe(field)}`);
    } else if (!valid(field, item)) {
      problems.push(`${name}: must be ${describe(field)}`);
    }
  }
}

/**
 * Every problem of a config change, one line per bad or unknown key
 * (`webdav.password: must be a string of at most 1024 characters or null`);
 * empty when `value` is a JSON object of known keys with valid values. Keys left
 * out are fine: they take their defaults, as in the original.
 */
export function rayhunterConfigProblems(value: unknown): string[] {
  if (!isPlainObject(value)) return ['the config must be a JSON object'];
  const problems: string[] = [];
  check(RAYHUNTER_CONFIG_FIELDS, value, '', problems);
  return problems;
}

function redactUrl(value: string, kind: 'url' | 'url-path'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not a URL we can take apart: nothing of it is safe to show.
    return value === '' ? '' : REDACTED;
  }
  const credentials = url.username !== '' || url.password !== '' ? `${REDACTED}@` : '';
  const path = kind === 'url-path' ? (url.pathname === '/' || url.pathname === '' ? '' : `/${REDACTED}`) : url.pathname;
  const query = url.search !== '' ? `?${REDACTED}` : '';
  return `${url.protocol}//${credentials}${url.host}${path}${query}`;
}

/** What a redacted secret reads as (a URL keeps its scheme and host). */
const REDACTED = '(redacted)';

function redactValue(field: ConfigField, value: unknown): unknown {
  if (field.kind === 'object') return isPlainObject(value) ? redactFields(field.fields, value) : value;
  if (field.kind !== 'string' || field.secret === undefined || typeof value !== 'string') return value;
  return field.secret === 'value' ? null : redactUrl(value, field.secret);
}

function redactFields(
  fields: Readonly<Record<string, ConfigField>>,
  config: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const field = Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    out[key] = field === undefined ? value : redactValue(field, value);
  }
  return out;
}

/**
 * The config with every secret hidden: passwords and user names as null, URLs
 * without credentials and query, the ntfy URL without its topic. The original
 * already blanks the Wi-Fi password; the rest is readable without the token here.
 */
export function redactRayhunterConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return redactFields(RAYHUNTER_CONFIG_FIELDS, config);
}

function keepFields(
  fields: Readonly<Record<string, ConfigField>>,
  posted: Readonly<Record<string, unknown>>,
  recorded: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(posted)) {
    const field = fields[key];
    const before = Object.prototype.hasOwnProperty.call(recorded, key) ? recorded[key] : undefined;
    if (field?.kind === 'object' && isPlainObject(value)) {
      out[key] = keepFields(field.fields, value, isPlainObject(before) ? before : {});
    } else if (
      field?.kind === 'string' &&
      field.secret !== undefined &&
      typeof before === 'string' &&
      before !== value &&
      redactValue(field, before) === value
    ) {
      out[key] = before;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * A posted config with each secret the client sent back as it was shown (the
 * redacted form of the recorded value) replaced by the recorded value, so saving
 * the config dialog, which posts back what `GET /api/config` showed, keeps the
 * passwords. A secret that differs from what was shown is a change.
 */
export function keepUnchangedSecrets(
  posted: Readonly<Record<string, unknown>>,
  recorded: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return keepFields(RAYHUNTER_CONFIG_FIELDS, posted, recorded);
}

/** The free-space thresholds (MB) a recording needs to start and to keep going. */
export interface SpaceSettings {
  readonly minSpaceStartMb: number;
  readonly minSpaceContinueMb: number;
}

function recordedMb(config: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = Object.prototype.hasOwnProperty.call(config, key) ? config[key] : undefined;
  // History written before changes were validated may hold anything: only a valid value counts.
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_SPACE_MB ? value : undefined;
}

/**
 * The free-space thresholds in force: the recorded config's
 * `min_space_to_start_recording_mb` / `min_space_to_continue_recording_mb` where
 * it sets them (a change through `POST /api/config` takes effect at once), else
 * the service's own settings (`--min-space-start-mb`, `--min-space-continue-mb`).
 */
export function spaceSettingsInForce(
  config: Readonly<Record<string, unknown>>,
  fallback: SpaceSettings,
): SpaceSettings {
  return {
    minSpaceStartMb: recordedMb(config, 'min_space_to_start_recording_mb') ?? fallback.minSpaceStartMb,
    minSpaceContinueMb: recordedMb(config, 'min_space_to_continue_recording_mb') ?? fallback.minSpaceContinueMb,
  };
}

const GPS_MODE_FIELD = RAYHUNTER_CONFIG_FIELDS['gps_mode'];

/** One of Rayhunter's `gps_mode` values (the config table's enum: 0 disabled, 1 fixed, 2 api). */
export function isGpsMode(value: unknown): value is GpsMode {
  return GPS_MODE_FIELD?.kind === 'enum' && typeof value === 'number' && GPS_MODE_FIELD.values.includes(value);
}

/**
 * The `gps_mode` a recording started now records (`StartRecording`'s
 * `gpsMode`): the recorded config's, when it sets a valid one; undefined
 * when it does not (the manifest then shows `gps_mode: null`).
 */
export function recordingGpsMode(config: Readonly<Record<string, unknown>>): GpsMode | undefined {
  const value = Object.prototype.hasOwnProperty.call(config, 'gps_mode') ? config['gps_mode'] : undefined;
  return isGpsMode(value) ? value : undefined;
}
