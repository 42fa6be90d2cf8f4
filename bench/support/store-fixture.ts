/**
 * Builds realistic data directories fast, for benchmarks: every event is
 * decided and evolved by the domain (so the log is a valid history, hash chain
 * included), but appended straight to the LevelDB log in big non-durable
 * batches, and the projection snapshot is written at the end — as a device that
 * ran for months would have it. Files exist for every recording, so start-up
 * reconciliation finds nothing to mark damaged.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  decide,
  evolve,
  EVENT_SCHEMA_VERSIONS,
  initialState,
  type Command,
  type LedgerEvent,
  type NewEvent,
  type QmdlStoreState,
  type RecordingTotals,
} from '@ledger/domain';
import { LevelEventLog } from '@ledger/event-log';
import { MIGRATIONS } from '@ledger/migrations';
import {
  ledgerLocation,
  PROJECTION_SNAPSHOT,
  PROJECTION_VERSION,
  recordingsDir,
  DATA_DIR_FORMAT_VERSION,
} from '@ledger/store';

export interface FixtureOptions {
  readonly dataDir: string;
  /** Finished recordings in the store. */
  readonly recordings: number;
  /** RecordingDataAppended events per recording (each recording also has a start and a stop). */
  readonly dataEventsPerRecording: number;
  /** Events per non-durable append. */
  readonly batchEvents?: number;
  /**
   * A real file for recording `index` (e.g. a 1 GB capture): copied into place
   * by the caller-supplied writer, with the totals it really has.
   */
  readonly realFile?: { readonly index: number; readonly write: (file: string) => RecordingTotals };
  /** Leave the last recording active (as if the service was stopped mid-recording): off by default. */
  readonly log?: (message: string) => void;
}

export interface Fixture {
  readonly dataDir: string;
  readonly names: readonly string[];
  readonly events: number;
  readonly seconds: number;
}

/** A tiny valid .qmdl.gz standing in for recordings whose bytes no benchmark reads. */
const TINY_GZIP = zlib.gzipSync(Buffer.from([0x10, 0x00, 0x7e]));

const START_MS = Date.UTC(2023, 0, 1);

export async function buildStore(options: FixtureOptions): Promise<Fixture> {
  const started = performance.now();
  const { dataDir, recordings, dataEventsPerRecording } = options;
  const batchEvents = options.batchEvents ?? 20_000;
  mkdirSync(recordingsDir(dataDir), { recursive: true });
  const log = await LevelEventLog.open({ location: ledgerLocation(dataDir) });
  const bootId = randomUUID();
  let state: QmdlStoreState = initialState();
  let seq = log.headSeq();
  let appendedSeq = seq;
  let pending: NewEvent[] = [];
  let clock = START_MS;
  const names: string[] = [];

  const run = (command: Command, actor: NewEvent['metadata']['actor'] = { kind: 'system' }): void => {
    const decision = decide(command, state);
    if (!decision.ok)
      throw new Error(`fixture: ${command.type} refused: ${decision.refusal.code}: ${decision.refusal.message}`);
    const time = new Date(clock).toISOString();
    const correlationId = randomUUID();
    for (const event of decision.events) {
      const envelope: NewEvent = {
        type: event.type,
        v: EVENT_SCHEMA_VERSIONS[event.type],
        time,
        systemTime: time,
        ...(event.recording === undefined ? {} : { recording: event.recording }),
        data: event.data,
        metadata: { actor, correlationId, bootId, appVersion: '0.1.0-bench' },
      };
      seq += 1;
      state = evolve(state, { ...envelope, seq, prev: '', hash: '' } as LedgerEvent);
      pending.push(envelope);
    }
  };
  const flush = async (force: boolean): Promise<void> => {
    if (pending.length === 0 || (!force && pending.length < batchEvents)) return;
    await log.append(pending, { sync: false, expectedSeq: appendedSeq });
    appendedSeq += pending.length;
    pending = [];
  };

  try {
    run({ type: 'CreateStore', data: { storeId: log.metadata.storeId, formatVersion: DATA_DIR_FORMAT_VERSION } });
    for (const m of MIGRATIONS) run({ type: 'ApplyMigration', data: { id: m.id, name: m.name } });
    run({ type: 'StartService', data: { bootId, version: '0.1.0-bench', pid: 1 } });
    for (let r = 0; r < recordings; r++) {
      clock += 3_600_000;
      run({
        type: 'StartRecording',
        data: {
          atMs: clock,
          utcOffsetMinutes: 0,
          rayhunterVersion: 'qmdl-ledger 0.1.0-bench',
          systemOs: 'Linux 6.1',
          arch: 'x86_64',
        },
      });
      const name = state.current?.name;
      if (name === undefined) throw new Error('fixture: no active recording after StartRecording');
      names.push(name);
      const file = path.join(recordingsDir(dataDir), `${name}.qmdl.gz`);
      const real = options.realFile?.index === r ? options.realFile.write(file) : undefined;
      if (real === undefined) writeFileSync(file, TINY_GZIP);
      for (let d = 1; d <= dataEventsPerRecording; d++) {
        clock += 1000;
        const totals: RecordingTotals = real
          ? d === dataEventsPerRecording
            ? real
            : {
                qmdlSizeBytes: Math.floor((real.qmdlSizeBytes * d) / (dataEventsPerRecording + 1)),
                uncompressedBytes: Math.floor((real.uncompressedBytes * d) / (dataEventsPerRecording + 1)),
                containers: d,
              }
          : {
              qmdlSizeBytes: 10 + d * 4096,
              uncompressedBytes: d * 16384,
              containers: d * 12,
              lastMessageTime: new Date(clock).toISOString().replace('Z', '+00:00'),
            };
        run({ type: 'AppendRecordingData', data: { name, totals } }, { kind: 'recorder' });
      }
      clock += 1000;
      run(
        { type: 'StopRecording', data: { reason: 'requested' } },
        { kind: 'http', remoteAddress: '127.0.0.1', userAgent: 'bench' },
      );
      await flush(false);
      if (options.log && r > 0 && r % Math.max(1, Math.floor(recordings / 4)) === 0)
        options.log(`fixture: ${r}/${recordings} recordings, ${seq} events`);
    }
    run({ type: 'StopService', data: { bootId } });
    await flush(true);
    if (log.headSeq() !== state.seq) throw new Error(`fixture: log head ${log.headSeq()} != state seq ${state.seq}`);
    await log.writeSnapshot(PROJECTION_SNAPSHOT, { seq: state.seq, version: PROJECTION_VERSION, value: state });
  } finally {
    await log.close();
  }
  return { dataDir, names, events: seq, seconds: (performance.now() - started) / 1000 };
}
