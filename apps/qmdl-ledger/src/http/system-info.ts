import { promises as fs, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultRayhunterConfig, type RecordingEntry } from '@ledger/domain';
import type { SectionHeaderOptions } from '@ledger/radio';
import { runtimeMetadataOf, type HostInfo, type RuntimeMetadata } from '@ledger/store';
import { APP_VERSION } from '../version';

/**
 * This build on `host`, the way the ledger records it on RecordingStarted: the
 * service's ledger's `host`, or the one the CLI makes once (`buildProgram`).
 */
export function runtimeMetadata(host: HostInfo): RuntimeMetadata {
  return runtimeMetadataOf(host, APP_VERSION);
}

/** Who recorded a recording, as its start (or import) records it; any of it may be absent. */
export type RecordedIdentity = Pick<RecordingEntry, 'rayhunterVersion' | 'systemOs' | 'arch' | 'machine'>;

/**
 * The section header options of a recording's pcapng: the device that
 * recorded it, as the recording's start recorded it — the machine (`x86_64`,
 * `aarch64`, `armv7l`), `<sysname> <release>`, `<app> <version>`, as the
 * original fills them from uname. The same for the device's download and the
 * fleet's (both read the recorded log, not the host converting it), so the two
 * are the same bytes. What the start did not record (recordings from before it
 * recorded the machine, imports without an identity) is left out rather than
 * filled with the converting host's.
 */
export function recordingSectionOptions(identity: RecordedIdentity): SectionHeaderOptions {
  return {
    ...(identity.machine !== undefined ? { hardware: identity.machine } : {}),
    ...(identity.systemOs !== undefined ? { os: identity.systemOs } : {}),
    ...(identity.rayhunterVersion !== undefined ? { application: identity.rayhunterVersion } : {}),
  };
}

/** The section header options of a pcapng the CLI converts from a bare QMDL file: this host, this build. */
export function pcapngSectionOptions(host: HostInfo): SectionHeaderOptions {
  const meta = runtimeMetadata(host);
  return recordingSectionOptions({
    machine: host.machine,
    systemOs: meta.system_os,
    rayhunterVersion: meta.rayhunter_version,
  });
}

/** Rayhunter's `humanize_kb`: "812K" below 1000 KiB, else MiB with one decimal ("28.3M"). */
export function humanizeKb(kb: number): string {
  const whole = Math.floor(kb);
  if (whole < 1000) return `${whole}K`;
  return `${(whole / 1024).toFixed(1)}M`;
}

/** `df -h` style: 1024-based, one decimal below 10 (rounded up, as df does), else a whole number. */
export function humanizeBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)}`;
  const shown = value < 10 ? (Math.ceil(value * 10) / 10).toFixed(1) : String(Math.ceil(value));
  return `${shown}${units[unit]}`;
}

interface Mount {
  readonly device: string;
  readonly mountPoint: string;
}

/** The mount (device, mount point) holding `dir`, from /proc/mounts; best effort. */
function mountOf(dir: string): Mount {
  let real = path.resolve(dir);
  try {
    real = realpathSync(real);
  } catch {
    // keep the resolved path
  }
  let best: Mount = { device: 'unknown', mountPoint: '/' };
  try {
    const text = readFileSync('/proc/mounts', 'utf8');
    for (const line of text.split('\n')) {
      const [device, mountPointRaw] = line.split(' ');
      if (device === undefined || mountPointRaw === undefined) continue;
      const mountPoint = mountPointRaw.replace(/\\040/g, ' ');
      const inside = real === mountPoint || real.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
      if (inside && mountPoint.length >= best.mountPoint.length) best = { device, mountPoint };
    }
  } catch {
    // not Linux: keep the default
  }
  return best;
}

/** GET /api/system-stats, with real figures: statfs on the data dir, os memory. */
export async function systemStats(dataDir: string, runtime: RuntimeMetadata): Promise<Record<string, unknown>> {
  const stat = await fs.statfs(dataDir);
  const total = stat.blocks * stat.bsize;
  const free = stat.bfree * stat.bsize;
  const available = stat.bavail * stat.bsize;
  const used = total - free;
  // df's Use%: used / (used + available), rounded up.
  const usedPercent = used + available === 0 ? 0 : Math.ceil((used * 100) / (used + available));
  const mount = mountOf(dataDir);
  const totalMem = os.totalmem();
  const freeMem = os.freemem();
  return {
    disk_stats: {
      partition: mount.device,
      total_size: humanizeBytes(total),
      used_size: humanizeBytes(used),
      available_size: humanizeBytes(available),
      used_percent: `${usedPercent}%`,
      mounted_on: mount.mountPoint,
      available_bytes: available,
    },
    memory_stats: {
      total: humanizeKb(totalMem / 1024),
      used: humanizeKb((totalMem - freeMem) / 1024),
      free: humanizeKb(freeMem / 1024),
    },
    runtime_metadata: runtime,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The recorded config over Rayhunter 0.12's defaults (`defaultRayhunterConfig`
 * in @ledger/domain), like serde's `#[serde(default)]` on the original's
 * structs: a missing key (also inside `analyzers` / `webdav`) takes its default,
 * a recorded one wins. History written before changes were validated may hold
 * other keys; they are kept, as recorded.
 */
export function rayhunterConfig(recorded: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...defaultRayhunterConfig() };
  for (const [key, value] of Object.entries(recorded)) {
    const fallback = merged[key];
    merged[key] = isPlainObject(fallback) && isPlainObject(value) ? { ...fallback, ...value } : value;
  }
  return merged;
}
