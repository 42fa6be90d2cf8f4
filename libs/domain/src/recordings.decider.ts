import type { CommandOf, RefusalCode } from './commands';
import { invariantBroken, type Decision } from './decider';
import type { RecordingsCommandDataMap } from './recordings.commands';
import type { DeleteReason, RecordingTotals, StopReason } from './recordings.events';
import type { RecordingsEvent } from './recordings.evolve';
import { compareRecordingsByStart, isRecordingName, lookup, nextFreeName } from './naming';
import { compact, isCount, liveRecordings, totalsOf } from './recording-entry';
import { keepUnchangedSecrets, rayhunterConfigProblems } from './rayhunter-config';
import { canFormatRfc3339, formatRfc3339, parseRfc3339 } from './rfc3339';
import type { RecordingEntry, RecordingsState } from './state';

/** A command of the recordings slice. */
export type RecordingsCommand = CommandOf<RecordingsCommandDataMap>;

type RecordingsDecision = Decision<RecordingsEvent>;

/** ±10 years, in seconds: a clock offset beyond this is a typo, not a clock. */
export const MAX_CLOCK_OFFSET_SECONDS = 10 * 365.25 * 86_400;

function accept(...events: RecordingsEvent[]): RecordingsDecision {
  return { ok: true, events };
}

function refuse(code: RefusalCode, message: string, details?: Record<string, unknown>): RecordingsDecision {
  return { ok: false, refusal: compact({ code, message, details }) };
}

function stopped(current: RecordingEntry, reason: StopReason, detail?: string): RecordingsEvent {
  return { type: 'RecordingStopped', recording: current.name, data: compact({ reason, detail, ...totalsOf(current) }) };
}

function deleted(name: string, reason: DeleteReason): RecordingsEvent {
  return { type: 'RecordingDeleted', recording: name, data: { reason } };
}

/** The recording named `name` that is live (active or finished), if any. */
function liveRecording(state: RecordingsState, name: string): RecordingEntry | undefined {
  if (state.current !== undefined && state.current.name === name) return state.current;
  return lookup(state.entries, name);
}

/**
 * O(1) checks of what every decision relies on (run before every command, of
 * every slice). A state that fails them was not built by `evolve` from a valid
 * history (or was edited): deciding on it could only make things worse, so
 * this is the one place `decide` throws.
 */
export function assertRecordingsDecidable(state: RecordingsState): void {
  const current = state.current;
  if (current === undefined) return;
  if (lookup(state.entries, current.name) !== undefined) {
    invariantBroken('ACTIVE_NOT_IN_ENTRIES', `active recording ${current.name} is also a finished entry`, {
      name: current.name,
    });
  }
  if (lookup(state.names, current.name) !== 'live') {
    invariantBroken('ACTIVE_NAME_LIVE', `active recording ${current.name} is not a live name`, { name: current.name });
  }
}

function invalidTotals(totals: RecordingTotals, current: RecordingEntry): string | undefined {
  const counts = {
    qmdlSizeBytes: totals.qmdlSizeBytes,
    uncompressedBytes: totals.uncompressedBytes,
    containers: totals.containers,
  };
  for (const [key, value] of Object.entries(counts)) {
    if (!isCount(value)) return `${key} must be a non-negative integer, got ${String(value)}`;
    if (value < current[key as keyof typeof counts]) {
      return `${key} must not decrease while recording (${String(current[key as keyof typeof counts])} → ${String(value)})`;
    }
  }
  if (totals.lastMessageTime !== undefined && parseRfc3339(totals.lastMessageTime) === undefined) {
    return `lastMessageTime is not RFC 3339: ${String(totals.lastMessageTime)}`;
  }
  return undefined;
}

/**
 * Decides what a recordings command means in `state`: the events to append
 * atomically, in order, or a typed refusal with a stable code. Pure: time, ids
 * and offsets come inside the command. The ledger's `decide` (every slice's
 * commands) runs {@link assertRecordingsDecidable} first.
 *
 * @example
 * const decision = decideRecordings({ type: 'StopRecording', data: { reason: 'requested' } }, state);
 * if (decision.ok) await log.append(decision.events); else throw toHttp(decision.refusal.code);
 */
export function decideRecordings(command: RecordingsCommand, state: RecordingsState): RecordingsDecision {
  switch (command.type) {
    case 'CreateStore':
      if (state.storeId !== undefined) {
        return refuse('STORE_ALREADY_CREATED', `store ${state.storeId} already exists`, { storeId: state.storeId });
      }
      return accept({
        type: 'StoreCreated',
        data: { storeId: command.data.storeId, formatVersion: command.data.formatVersion },
      });

    case 'StartService': {
      const { bootId, version, pid, source } = command.data;
      const events: RecordingsEvent[] = [
        {
          type: 'ServiceStarted',
          data: compact({ bootId, version, pid, source, previousShutdownClean: state.runningBootId === undefined }),
        },
      ];
      // The previous run died mid-recording: its recording ends here, in the boot's own decision.
      if (state.current !== undefined) events.push(stopped(state.current, 'interrupted'));
      return accept(...events);
    }

    case 'StopService': {
      const events: RecordingsEvent[] = [];
      if (state.current !== undefined) events.push(stopped(state.current, 'shutdown'));
      events.push({
        type: 'ServiceStopped',
        data: compact({ bootId: command.data.bootId, signal: command.data.signal }),
      });
      return accept(...events);
    }

    case 'StartRecording': {
      const { atMs, utcOffsetMinutes, rayhunterVersion, systemOs, arch, machine, gpsMode, compressed } = command.data;
      if (!(atMs >= 0) || !canFormatRfc3339(atMs, utcOffsetMinutes)) {
        return refuse(
          'INVALID_TIME',
          'atMs must be a non-negative epoch time and utcOffsetMinutes a whole offset within ±23:59',
          {
            atMs,
            utcOffsetMinutes,
          },
        );
      }
      const events: RecordingsEvent[] = [];
      if (state.current !== undefined) events.push(stopped(state.current, 'restarted'));
      // The active recording's name is in `names` too, so a restart in the same second steps past it.
      const name = nextFreeName(state.names, atMs);
      events.push({
        type: 'RecordingStarted',
        recording: name,
        data: compact({
          name,
          startTime: formatRfc3339(atMs, utcOffsetMinutes),
          rayhunterVersion,
          systemOs,
          arch,
          machine,
          gpsMode,
          compressed: compressed ?? true,
        }),
      });
      return accept(...events);
    }

    case 'StopRecording':
      if (state.current === undefined) return accept();
      return accept(stopped(state.current, command.data.reason, command.data.detail));

    case 'DeleteRecording': {
      const name = command.data.name;
      const reason = command.data.reason ?? 'requested';
      if (state.current !== undefined && state.current.name === name) {
        // Stop and delete in one atomic append: no state has a writer without an entry.
        return accept(stopped(state.current, 'deleted'), deleted(name, reason));
      }
      if (lookup(state.entries, name) === undefined) {
        return refuse('NO_SUCH_RECORDING', `no recording with name ${name}`, { name });
      }
      return accept(deleted(name, reason));
    }

    case 'DeleteAllRecordings': {
      const events: RecordingsEvent[] = state.current === undefined ? [] : [stopped(state.current, 'all-deleted')];
      for (const entry of liveRecordings(state).sort(compareRecordingsByStart))
        events.push(deleted(entry.name, 'all-deleted'));
      return accept(...events);
    }

    case 'AppendRecordingData': {
      const { name, totals } = command.data;
      const current = state.current;
      if (current === undefined || current.name !== name) {
        return refuse(
          'RECORDING_NOT_ACTIVE',
          `recording ${name} is not the active recording`,
          compact({ name, active: current?.name }),
        );
      }
      const problem = invalidTotals(totals, current);
      if (problem !== undefined) return refuse('INVALID_TOTALS', problem, { name });
      const unchanged =
        totals.qmdlSizeBytes === current.qmdlSizeBytes &&
        totals.uncompressedBytes === current.uncompressedBytes &&
        totals.containers === current.containers &&
        (totals.lastMessageTime === undefined || totals.lastMessageTime === current.lastMessageTime);
      if (unchanged) return accept();
      return accept({
        type: 'RecordingDataAppended',
        recording: name,
        data: compact({
          qmdlSizeBytes: totals.qmdlSizeBytes,
          uncompressedBytes: totals.uncompressedBytes,
          containers: totals.containers,
          lastMessageTime: totals.lastMessageTime,
        }),
      });
    }

    case 'MarkRecordingUploaded': {
      const { name, uploadTime, target, sizeBytes, reportVersion } = command.data;
      if (liveRecording(state, name) === undefined)
        return refuse('NO_SUCH_RECORDING', `no recording with name ${name}`, { name });
      if (parseRfc3339(uploadTime) === undefined)
        return refuse('INVALID_TIME', `uploadTime is not RFC 3339: ${uploadTime}`, { name });
      return accept({
        type: 'RecordingUploaded',
        recording: name,
        data: {
          uploadTime,
          ...(target !== undefined ? { target } : {}),
          ...(sizeBytes !== undefined ? { sizeBytes } : {}),
          ...(reportVersion !== undefined ? { reportVersion } : {}),
        },
      });
    }

    case 'MarkRecordingDamaged': {
      const { name, missing, detail } = command.data;
      if (liveRecording(state, name) === undefined)
        return refuse('NO_SUCH_RECORDING', `no recording with name ${name}`, { name });
      return accept({ type: 'RecordingDamaged', recording: name, data: { missing: [...missing], detail } });
    }

    case 'ImportRecording': {
      const d = command.data;
      if (!isRecordingName(d.name)) {
        return refuse('INVALID_RECORDING_NAME', `recording names are decimal digits, got ${JSON.stringify(d.name)}`, {
          name: d.name,
        });
      }
      const known = lookup(state.names, d.name);
      if (known !== undefined) {
        return refuse('RECORDING_EXISTS', `name ${d.name} is already taken (${known})`, {
          name: d.name,
          status: known,
        });
      }
      if (!isCount(d.qmdlSizeBytes)) {
        return refuse(
          'INVALID_TOTALS',
          `qmdlSizeBytes must be a non-negative integer, got ${String(d.qmdlSizeBytes)}`,
          { name: d.name },
        );
      }
      for (const [key, value] of [
        ['startTime', d.startTime],
        ['lastMessageTime', d.lastMessageTime],
        ['uploadTime', d.uploadTime],
      ] as const) {
        if (value !== undefined && parseRfc3339(value) === undefined) {
          return refuse('INVALID_TIME', `${key} is not RFC 3339: ${value}`, { name: d.name, field: key });
        }
      }
      return accept({
        type: 'RecordingImported',
        recording: d.name,
        data: compact({
          name: d.name,
          startTime: d.startTime,
          lastMessageTime: d.lastMessageTime,
          qmdlSizeBytes: d.qmdlSizeBytes,
          rayhunterVersion: d.rayhunterVersion,
          systemOs: d.systemOs,
          arch: d.arch,
          stopReason: d.stopReason,
          uploadTime: d.uploadTime,
          gpsMode: d.gpsMode,
          compressed: d.compressed,
          recoveredFrom: d.recoveredFrom,
          source: d.source,
        }),
      });
    }

    case 'SetClockOffset': {
      const { offsetSeconds } = command.data;
      if (
        typeof offsetSeconds !== 'number' ||
        !Number.isFinite(offsetSeconds) ||
        Math.abs(offsetSeconds) > MAX_CLOCK_OFFSET_SECONDS
      ) {
        return refuse(
          'INVALID_CLOCK_OFFSET',
          `offset must be a finite number of seconds within ±10 years, got ${String(offsetSeconds)}`,
          {
            offsetSeconds,
          },
        );
      }
      return accept({ type: 'ClockOffsetSet', data: { offsetSeconds } });
    }

    case 'RecordGpsFix': {
      const { lat, lon, fixTime } = command.data;
      const valid =
        typeof lat === 'number' &&
        typeof lon === 'number' &&
        Number.isFinite(lat) &&
        Number.isFinite(lon) &&
        lat >= -90 &&
        lat <= 90 &&
        lon >= -180 &&
        lon <= 180;
      if (!valid)
        return refuse('INVALID_GPS_FIX', 'lat must be a number in [-90, 90] and lon in [-180, 180]', { lat, lon });
      if (
        fixTime !== undefined &&
        (typeof fixTime !== 'string' || fixTime.length > 64 || parseRfc3339(fixTime) === undefined)
      )
        return refuse('INVALID_GPS_FIX', 'fix_time must be an RFC 3339 time', { fixTime });
      return accept(
        compact({
          type: 'GpsFixRecorded' as const,
          recording: state.current?.name,
          data: compact({ lat, lon, fixTime, source: 'api' as const }),
        }),
      );
    }

    case 'ChangeConfig': {
      const problems = rayhunterConfigProblems(command.data.config);
      if (problems.length > 0) return refuse('INVALID_CONFIG', `invalid config: ${problems.join('; ')}`, { problems });
      return accept({
        type: 'ConfigChanged',
        data: { config: keepUnchangedSecrets(command.data.config, state.config) },
      });
    }

    case 'RecordSignInFailures': {
      const { remoteAddress, count, firstAt, lastAt, throttled } = command.data;
      const first = parseRfc3339(firstAt);
      const last = parseRfc3339(lastAt);
      const valid =
        typeof remoteAddress === 'string' &&
        remoteAddress.length > 0 &&
        remoteAddress.length <= 64 &&
        isCount(count) &&
        count >= 1 &&
        isCount(throttled) &&
        throttled <= count;
      if (!valid)
        return refuse(
          'INVALID_SIGN_IN_FAILURES',
          `a sign-in failure report needs an address, a count of at least 1 and at most that many throttled, got ${String(count)} / ${String(throttled)}`,
          { remoteAddress },
        );
      if (first === undefined || last === undefined || first > last)
        return refuse(
          'INVALID_TIME',
          `firstAt and lastAt must be RFC 3339 times in order, got ${String(firstAt)} .. ${String(lastAt)}`,
          { remoteAddress },
        );
      return accept({ type: 'SignInsFailed', data: { remoteAddress, count, firstAt, lastAt, throttled } });
    }

    case 'ApplyMigration': {
      const { id, name } = command.data;
      const applied = lookup(state.migrations, id);
      if (applied !== undefined)
        return refuse('MIGRATION_ALREADY_APPLIED', `migration ${id} is already applied`, { id, name: applied });
      return accept({ type: 'MigrationApplied', data: { id, name } });
    }

    default: {
      const unknown: never = command;
      throw new TypeError(`unknown command type ${JSON.stringify((unknown as { type?: unknown }).type)}`);
    }
  }
}
