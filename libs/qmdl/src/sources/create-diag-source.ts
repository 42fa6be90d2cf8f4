import { isIP } from 'node:net';
import { QmdlErrorCode, qmdlError } from '../errors';
import type { DiagSource, DiagSourceOptions, DiagSourcePace } from './diag-source';
import { FifoDiagSource } from './fifo-source';
import { QmdlFileDiagSource } from './qmdl-file-source';
import { SyntheticDiagSource } from './synthetic-source';
import { TcpDiagSource } from './tcp-source';

const DEFAULT_RATE = 50;

function invalid(spec: string, why: string): never {
  throw qmdlError(QmdlErrorCode.INVALID_SOURCE, `invalid diag source '${spec}': ${why}`, { details: { spec } });
}

function parsePace(spec: string, value: string): DiagSourcePace {
  if (value === 'realtime' || value === 'fast') return value;
  return invalid(spec, `pace must be 'realtime' or 'fast', got '${value}'`);
}

function parseNumber(spec: string, key: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    return invalid(spec, `${key} must be a non-negative ${integer ? 'integer' : 'number'}, got '${value}'`);
  }
  return n;
}

/** `k=v,k=v` (synthetic) or `k=v&k=v` (after `?`) into a map; rejects keys outside `allowed`. */
function parseParams(spec: string, text: string, separator: string, allowed: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  if (text === '') return params;
  for (const part of text.split(separator)) {
    const eq = part.indexOf('=');
    if (eq <= 0) invalid(spec, `expected key=value, got '${part}'`);
    const key = part.slice(0, eq).trim();
    if (!allowed.includes(key)) invalid(spec, `unknown parameter '${key}' (allowed: ${allowed.join(', ')})`);
    if (params.has(key)) invalid(spec, `parameter '${key}' given twice`);
    params.set(key, part.slice(eq + 1).trim());
  }
  return params;
}

/**
 * Makes new sources of one spec, parsed once: a recorder creates one per
 * recording without reading its spec string again. `create` takes what differs
 * per source (the store's clock offset as the recording starts).
 *
 * @example
 * const sources = diagSourceFactory('synthetic:rate=2000'); // undefined for 'none'
 * const source = sources?.create({ clockOffsetMs: 0 });
 */
export interface DiagSourceFactory {
  /** The spec, trimmed: what every source it creates reports as its own. */
  readonly spec: string;
  create(options?: Pick<DiagSourceOptions, 'clockOffsetMs'>): DiagSource;
}

/**
 * Creates the diag source a spec names, or undefined for 'none'. Parameters in
 * the spec win over `options`.
 *
 * | spec | source |
 * |---|---|
 * | `none` | undefined |
 * | `synthetic`, `synthetic:rate=2000,seed=7,pace=fast` | generated LTE RRC OTA traffic (default 50 msg/s; rate 0 = as fast as possible) |
 * | `qmdl:<path>`, `qmdl:<path>?pace=fast` | replay of a .qmdl / .qmdl.gz file, then end |
 * | `fifo:<path>` | a named pipe (or file) of raw QMDL bytes, until EOF |
 * | `tcp:<host>:<port>`, `tcp:[::1]:<port>` | a TCP producer, reconnecting with backoff until aborted |
 *
 * @throws LedgerError INVALID_SOURCE
 * @example createDiagSource('synthetic:rate=2000,seed=7')
 */
export function createDiagSource(spec: string, options: DiagSourceOptions = {}): DiagSource | undefined {
  return diagSourceFactory(spec, options)?.create();
}

/**
 * Parses a spec (the table of {@link createDiagSource}) once: the factory of its
 * sources, or undefined for 'none'. A bad spec throws here, not at `create`.
 *
 * @throws LedgerError INVALID_SOURCE
 */
export function diagSourceFactory(spec: string, options: DiagSourceOptions = {}): DiagSourceFactory | undefined {
  if (typeof spec !== 'string') throw new TypeError('createDiagSource: spec must be a string');
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const rest = colon < 0 ? undefined : trimmed.slice(colon + 1);
  const maxFrameBytes = options.maxFrameBytes;
  const factory = (create: DiagSourceFactory['create']): DiagSourceFactory => ({ spec: trimmed, create });
  switch (kind) {
    case 'none':
      if (rest !== undefined) invalid(spec, "'none' takes no parameters");
      return undefined;
    case 'synthetic': {
      const params = parseParams(spec, rest ?? '', ',', ['rate', 'seed', 'pace']);
      const rateText = params.get('rate');
      const seedText = params.get('seed');
      const paceText = params.get('pace');
      const settings = {
        spec: trimmed,
        rateMessagesPerSecond:
          rateText !== undefined
            ? parseNumber(spec, 'rate', rateText, false)
            : (options.rateMessagesPerSecond ?? DEFAULT_RATE),
        seed: seedText !== undefined ? parseNumber(spec, 'seed', seedText, true) : (options.seed ?? 1),
        pace: paceText !== undefined ? parsePace(spec, paceText) : (options.pace ?? 'realtime'),
      };
      return factory((perSource = {}) => {
        const clockOffsetMs = perSource.clockOffsetMs ?? options.clockOffsetMs;
        return new SyntheticDiagSource({ ...settings, ...(clockOffsetMs === undefined ? {} : { clockOffsetMs }) });
      });
    }
    case 'qmdl': {
      if (rest === undefined || rest === '') return invalid(spec, 'expected qmdl:<path>');
      const q = rest.lastIndexOf('?');
      const path = q < 0 ? rest : rest.slice(0, q);
      if (path === '') invalid(spec, 'expected qmdl:<path>');
      const params = parseParams(spec, q < 0 ? '' : rest.slice(q + 1), '&', ['pace']);
      const paceText = params.get('pace');
      const settings = {
        spec: trimmed,
        path,
        pace: paceText !== undefined ? parsePace(spec, paceText) : (options.pace ?? 'realtime'),
        maxReplayGapMs: options.maxReplayGapMs ?? 5000,
        ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
      };
      return factory(() => new QmdlFileDiagSource(settings));
    }
    case 'fifo': {
      if (rest === undefined || rest === '') return invalid(spec, 'expected fifo:<path>');
      const settings = { spec: trimmed, path: rest, ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }) };
      return factory(() => new FifoDiagSource(settings));
    }
    case 'tcp': {
      const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(rest ?? '');
      if (!match) return invalid(spec, 'expected tcp:<host>:<port>');
      const host = (match[1] ?? match[2] ?? '').trim();
      const port = Number(match[3]);
      if (host === '' || (match[1] !== undefined && isIP(host) !== 6)) invalid(spec, 'bad host');
      if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(spec, 'port must be 1–65535');
      const initial = options.reconnectInitialMs ?? 100;
      const max = options.reconnectMaxMs ?? 5000;
      if (!(initial > 0) || !(max >= initial))
        throw new TypeError('createDiagSource: need 0 < reconnectInitialMs <= reconnectMaxMs');
      const settings = {
        spec: trimmed,
        host,
        port,
        reconnectInitialMs: initial,
        reconnectMaxMs: max,
        ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
      };
      return factory(() => new TcpDiagSource(settings));
    }
    default:
      return invalid(spec, `unknown kind '${kind}' (expected synthetic, qmdl, fifo, tcp or none)`);
  }
}
