import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import {
  isGpsMode,
  isRecordingName,
  parseRecordingFileName,
  startTimeOfName,
  type EventDataMap,
  type RayhunterManifestEntry,
} from '@ledger/domain';

/**
 * One recording found in a Rayhunter store directory: what RecordingImported
 * will record of it (`qmdlSizeBytes` is the size of the file on disk), and where
 * it was found.
 */
export interface RayhunterRecording extends Omit<EventDataMap['RecordingImported'], 'recoveredFrom' | 'source'> {
  /** `qmdl_size_bytes` as the manifest had it, when it had one. */
  readonly manifestSize?: number;
  readonly recoveredFrom: 'manifest' | 'file-name';
  /** Absolute paths of the files to copy. */
  readonly files: { readonly qmdl: string; readonly analysis?: string; readonly gps?: string };
}

export interface RayhunterScan {
  readonly recordings: RayhunterRecording[];
  /** 'ok', 'missing', or 'damaged' (did not parse as a whole). */
  readonly manifest: 'ok' | 'missing' | 'damaged';
  /** Manifest entries without a QMDL file: not importable. */
  readonly missingFiles: string[];
  /** What was dropped while reading the manifest, for the report. */
  readonly problems: string[];
}

type Table = Record<string, unknown>;

/**
 * Reads a Rayhunter store directory (`manifest.toml` + `<name>.qmdl[.gz]`,
 * `<name>.ndjson`, `<name>-gps.ndjson`). The daemon rewrites its manifest
 * after every container without fsync, so manifests in the field are often
 * truncated or carry trailing junk: when the
 * whole file does not parse, every `[[entries]]` table is parsed on its own
 * (dropping trailing lines of a cut table until it parses), and recordings
 * that have files but no usable entry are recovered from the file names
 * (start time from the digits, size from the file).
 */
export async function scanRayhunterStore(dir: string): Promise<RayhunterScan> {
  const problems: string[] = [];
  let text: string | undefined;
  try {
    text = await fs.readFile(path.join(dir, 'manifest.toml'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let manifest: RayhunterScan['manifest'] = 'missing';
  let tables: Table[] = [];
  if (text !== undefined) {
    const whole = tryParse(text);
    if (whole !== undefined) {
      manifest = 'ok';
      tables = Array.isArray(whole['entries']) ? (whole['entries'] as Table[]) : [];
    } else {
      manifest = 'damaged';
      tables = recoverTables(text, problems);
    }
  } else {
    problems.push('manifest.toml is missing');
  }

  const files = await listFiles(dir);
  const byName = new Map<string, RayhunterRecording>();
  const missingFiles: string[] = [];
  for (const table of tables) {
    const name = stringField(table['name']);
    const startTime = timeField(table['start_time']);
    if (name === undefined || !isRecordingName(name) || startTime === undefined) {
      problems.push(`manifest entry ${JSON.stringify(name ?? '?')} lacks a valid name or start_time`);
      continue;
    }
    const found = files.get(name);
    if (!found?.qmdl) {
      missingFiles.push(name);
      continue;
    }
    const manifestSize = typeof table['qmdl_size_bytes'] === 'number' ? table['qmdl_size_bytes'] : undefined;
    const gpsMode = table['gps_mode'];
    byName.set(
      name,
      compactRecording({
        name,
        startTime,
        lastMessageTime: timeField(table['last_message_time']),
        qmdlSizeBytes: found.qmdl.size,
        manifestSize,
        rayhunterVersion: stringField(table['rayhunter_version']),
        systemOs: stringField(table['system_os']),
        arch: stringField(table['arch']),
        stopReason: stringField(table['stop_reason']),
        uploadTime: timeField(table['upload_time']),
        gpsMode: isGpsMode(gpsMode) ? gpsMode : undefined,
        // The file decides: a `.gz` file is gzip whatever the manifest says.
        compressed: found.qmdl.compressed,
        recoveredFrom: manifestSize === undefined ? 'file-name' : 'manifest',
        files: { qmdl: found.qmdl.path, analysis: found.analysis, gps: found.gps },
      }),
    );
  }
  for (const [name, found] of files) {
    if (byName.has(name) || !found.qmdl) continue;
    const startTime = startTimeOfName(name);
    if (startTime === undefined) {
      problems.push(`${found.qmdl.path}: the name is no representable start time; not imported`);
      continue;
    }
    byName.set(
      name,
      compactRecording({
        name,
        startTime,
        qmdlSizeBytes: found.qmdl.size,
        compressed: found.qmdl.compressed,
        recoveredFrom: 'file-name',
        files: { qmdl: found.qmdl.path, analysis: found.analysis, gps: found.gps },
      }),
    );
  }
  const recordings = [...byName.values()].sort((a, b) => Number(BigInt(a.name) - BigInt(b.name)) || 0);
  return { recordings, manifest, missingFiles, problems };
}

function tryParse(text: string): Table | undefined {
  try {
    return parseToml(text) as Table;
  } catch {
    return undefined;
  }
}

/** Every `[[entries]]` table parsed on its own; a table that fails loses trailing lines until it parses. */
function recoverTables(text: string, problems: string[]): Table[] {
  const chunks = text.split(/^(?=\[\[entries\]\])/m).filter((chunk) => chunk.startsWith('[[entries]]'));
  const out: Table[] = [];
  for (const chunk of chunks) {
    const lines = chunk.split('\n');
    for (let keep = lines.length; keep >= 2; keep--) {
      const parsed = tryParse(lines.slice(0, keep).join('\n'));
      const entries = parsed?.['entries'];
      if (Array.isArray(entries) && entries[0] !== undefined) {
        if (keep < lines.length)
          problems.push(`dropped ${lines.length - keep} damaged line(s) of an [[entries]] table`);
        out.push(entries[0] as Table);
        break;
      }
      if (keep === 2) problems.push('dropped an [[entries]] table that does not parse');
    }
  }
  return out;
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** RFC 3339 as a string; smol-toml gives unquoted TOML datetimes as Date objects. */
function timeField(value: unknown): string | undefined {
  if (typeof value === 'string') return Number.isFinite(Date.parse(value)) ? value : undefined;
  if (value instanceof Date && Number.isFinite(value.getTime())) return value.toISOString();
  return undefined;
}

interface FoundFiles {
  qmdl?: { path: string; size: number; compressed: boolean };
  analysis?: string;
  gps?: string;
}

async function listFiles(dir: string): Promise<Map<string, FoundFiles>> {
  const out = new Map<string, FoundFiles>();
  for (const file of await fs.readdir(dir)) {
    const layout = parseRecordingFileName(file);
    if (layout === undefined) continue;
    const full = path.join(dir, file);
    const stat = await fs.stat(full);
    if (!stat.isFile()) continue;
    const found = out.get(layout.name) ?? {};
    if (layout.kind === 'qmdl' && layout.compressed) found.qmdl = { path: full, size: stat.size, compressed: true };
    else if (layout.kind === 'qmdl') found.qmdl ??= { path: full, size: stat.size, compressed: false };
    else if (layout.kind === 'analysis') found.analysis = full;
    else if (layout.kind === 'gps') found.gps = full;
    out.set(layout.name, found);
  }
  return out;
}

function compactRecording(r: RayhunterRecording): RayhunterRecording {
  const files = Object.fromEntries(
    Object.entries(r.files).filter(([, v]) => v !== undefined),
  ) as unknown as RayhunterRecording['files'];
  return {
    ...(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as RayhunterRecording),
    files,
  };
}

/**
 * `manifest.toml` as the Rayhunter daemon writes and reads it: `[[entries]]`
 * tables, RFC 3339 times as quoted strings, absent fields omitted.
 */
export function toManifestToml(entries: readonly RayhunterManifestEntry[]): string {
  if (entries.length === 0) return 'entries = []\n';
  const q = (s: string): string => JSON.stringify(s);
  return entries
    .map((e) => {
      const lines = ['[[entries]]', `name = ${q(e.name)}`, `start_time = ${q(e.start_time)}`];
      if (e.last_message_time !== null) lines.push(`last_message_time = ${q(e.last_message_time)}`);
      lines.push(`qmdl_size_bytes = ${e.qmdl_size_bytes}`);
      if (e.rayhunter_version !== null) lines.push(`rayhunter_version = ${q(e.rayhunter_version)}`);
      if (e.system_os !== null) lines.push(`system_os = ${q(e.system_os)}`);
      if (e.arch !== null) lines.push(`arch = ${q(e.arch)}`);
      if (e.stop_reason !== null) lines.push(`stop_reason = ${q(e.stop_reason)}`);
      if (e.upload_time !== null) lines.push(`upload_time = ${q(e.upload_time)}`);
      if (e.gps_mode !== null) lines.push(`gps_mode = ${e.gps_mode}`);
      lines.push(`compressed = ${e.compressed}`);
      return `${lines.join('\n')}\n`;
    })
    .join('\n');
}
