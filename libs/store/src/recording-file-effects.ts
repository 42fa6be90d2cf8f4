import { promises as fs } from 'node:fs';
import { parseRfc3339, type LedgerEvent } from '@ledger/domain';
import type { DiskGuard } from './disk-guard';
import type { RecordingFiles } from './recording-files';

export interface RecordingFileEffectsOptions {
  readonly files: RecordingFiles;
  /** Takes the space reserve back once deletes have freed space. */
  readonly diskGuard: DiskGuard;
  /** The newest message time written to a recording while it is the active one (undefined otherwise). */
  readonly newestMessageTime: (recording: string) => string | undefined;
}

/**
 * What committed events do to a recording's files besides its QMDL stream:
 * a RecordingDeleted removes them all (idempotent: start-up finishes it after a
 * crash), a GpsFixRecorded appends a line to the GPS sidecar.
 */
export class RecordingFileEffects {
  constructor(private readonly options: RecordingFileEffectsOptions) {}

  /** Creates the recording's (empty) analysis file as it starts, as the original daemon does. */
  async created(recording: string): Promise<void> {
    await fs.writeFile(this.options.files.paths(recording, true).analysis, '', { flag: 'a' });
  }

  async afterCommit(events: readonly LedgerEvent[]): Promise<void> {
    let deleted = false;
    for (const event of events) {
      switch (event.type) {
        case 'RecordingDeleted':
          if (event.recording) await this.options.files.remove(event.recording);
          deleted = true;
          break;
        case 'GpsFixRecorded':
          await this.appendGps(event);
          break;
        default:
          break;
      }
    }
    // Deletes free space: take the reserve back once per commit (a delete-all names every recording).
    if (deleted) await this.options.diskGuard.ensureReserve();
  }

  /**
   * One line of Rayhunter's GpsRecord: `latest_packet_timestamp` is the unix
   * second of the newest message written to the recording when the fix arrived
   * (the device's clock, which the pcap export matches packets against; null
   * before the first message), `system_time` the unix second of the fix by the
   * adjusted clock. Both are integers, as the daemon reads them.
   */
  private async appendGps(event: Extract<LedgerEvent, { type: 'GpsFixRecorded' }>): Promise<void> {
    if (!event.recording) return;
    const newest = this.options.newestMessageTime(event.recording);
    const newestMs = newest === undefined ? undefined : parseRfc3339(newest);
    const line = JSON.stringify({
      latest_packet_timestamp: newestMs === undefined ? null : Math.floor(newestMs / 1000),
      system_time: Math.floor((parseRfc3339(event.time) ?? Date.parse(event.systemTime)) / 1000),
      lat: event.data.lat,
      lon: event.data.lon,
    });
    await fs.appendFile(this.options.files.paths(event.recording, true).gps, `${line}\n`);
  }
}
