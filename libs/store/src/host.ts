import os from 'node:os';
import { formatRfc3339 } from '@ledger/domain';

/**
 * The wall clock the ledger reads: the system time, in epoch milliseconds.
 * The store's recorded clock offset is added where an adjusted time is meant
 * (event times, recording names); this is the raw one. Injected once
 * (`openLedger({ clock })`); tests that need time control pass a fake.
 *
 * @example const ledger = await openLedger({ ...options, clock: { now: () => 1_717_236_000_000 } });
 */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * What the ledger knows of the machine and the process it runs in, read in
 * one place: the processor stamps recordings with it, the recorder writes
 * local times with it, the HTTP API reports it. Injected once
 * (`openLedger({ host })`); tests may pass a fixed one.
 */
export interface HostInfo {
  /** `<sysname> <release>` (`Linux 6.1.0`), as Rayhunter's `system_os`. */
  readonly systemOs: string;
  /** Node's architecture name (`x64`, `arm64`, `arm`), as Rayhunter's `arch`. */
  readonly arch: string;
  /** The machine as uname names it (`x86_64`, `aarch64`, `armv7l`), for pcapng headers. */
  readonly machine: string;
  /** This process's id (recorded on ServiceStarted). */
  readonly pid: number;
  /** The local UTC offset in minutes at `epochMs` (e.g. +60 for CET; it changes with daylight saving). */
  utcOffsetMinutes(epochMs: number): number;
}

/** The machine this process runs on. */
export function realHost(): HostInfo {
  return {
    systemOs: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    machine: os.machine(),
    pid: process.pid,
    utcOffsetMinutes(epochMs) {
      const offset = -new Date(epochMs).getTimezoneOffset();
      return offset === 0 ? 0 : offset; // not -0
    },
  };
}

/** RFC 3339 at the host's local offset at that instant, as the manifest shows times. */
export function localRfc3339(host: HostInfo, epochMs: number): string {
  return formatRfc3339(epochMs, host.utcOffsetMinutes(epochMs));
}

/** Rayhunter's `runtime_metadata` / a report's `rayhunter` object: this build on this host. */
export interface RuntimeMetadata {
  readonly rayhunter_version: string;
  readonly system_os: string;
  readonly arch: string;
}

/** The identity the ledger records on RecordingStarted (`rayhunterVersion`, `systemOs`, `arch`), as Rayhunter names it. */
export function runtimeMetadataOf(host: HostInfo, appVersion: string): RuntimeMetadata {
  return { rayhunter_version: `qmdl-ledger ${appVersion}`, system_os: host.systemOs, arch: host.arch };
}
