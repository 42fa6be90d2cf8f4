import {
  deciderSpecification,
  DeciderSpecificationError,
  defaultRayhunterConfig,
  evolve,
  initialState,
  MAX_CLOCK_OFFSET_SECONDS,
  rayhunterConfigProblems,
  redactRayhunterConfig,
  type QmdlStoreState,
  type RecordingTotals,
} from '@ledger/domain';
import {
  appended,
  deleted,
  imported,
  NAME0,
  serviceStarted,
  serviceStopped,
  started,
  stopped,
  T0,
  ZERO,
} from './testing/recording-events.fixtures';

const spec = deciderSpecification();
const NAME1 = '1717236001';
const NAME2 = '1717236002';
const TOTALS = { qmdlSizeBytes: 1000, uncompressedBytes: 4000, containers: 7, lastMessageTime: '2024-06-01T10:00:05Z' };
const start = (atMs = T0, utcOffsetMinutes = 120) => ({
  type: 'StartRecording' as const,
  data: { atMs, utcOffsetMinutes },
});

describe('StartRecording', () => {
  it('names the recording after the unix second of its start and writes the local start time', () => {
    spec
      .given([])
      .when({
        type: 'StartRecording',
        data: {
          atMs: T0 + 999,
          utcOffsetMinutes: 120,
          rayhunterVersion: '0.12.0',
          systemOs: 'Linux',
          arch: 'armv7l',
          gpsMode: 1,
        },
      })
      .then([
        {
          type: 'RecordingStarted',
          recording: NAME0,
          data: {
            name: NAME0,
            startTime: '2024-06-01T12:00:00.999+02:00',
            rayhunterVersion: '0.12.0',
            systemOs: 'Linux',
            arch: 'armv7l',
            gpsMode: 1,
            compressed: true,
          },
        },
      ]);
  });

  it('writes no fractional seconds when the millisecond is zero, and keeps compressed: false', () => {
    spec
      .given([])
      .when({ type: 'StartRecording', data: { atMs: T0, utcOffsetMinutes: 0, compressed: false } })
      .then([
        {
          type: 'RecordingStarted',
          recording: NAME0,
          data: { name: NAME0, startTime: '2024-06-01T10:00:00+00:00', compressed: false },
        },
      ]);
  });

  it('stops the active recording (restarted, with its totals) before starting the next, in one decision', () => {
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when(start(T0 + 60_000))
      .then([
        stopped(NAME0, 'restarted', TOTALS),
        {
          type: 'RecordingStarted',
          recording: '1717236060',
          data: { name: '1717236060', startTime: '2024-06-01T12:01:00+02:00', compressed: true },
        },
      ]);
  });

  it('two starts in one second get the next free second', () => {
    spec
      .given([started(NAME0)])
      .when(start(T0 + 500))
      .then([
        stopped(NAME0, 'restarted'),
        {
          type: 'RecordingStarted',
          recording: NAME1,
          data: { name: NAME1, startTime: '2024-06-01T12:00:00.500+02:00', compressed: true },
        },
      ]);
  });

  it('never reuses the name of a deleted recording', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested'), deleted(NAME0)])
      .when(start())
      .then([
        {
          type: 'RecordingStarted',
          recording: NAME1,
          data: { name: NAME1, startTime: '2024-06-01T12:00:00+02:00', compressed: true },
        },
      ]);
  });

  it('when the clock went backwards, steps forward from the clock second to the first free one', () => {
    spec
      .given([
        started(NAME0),
        stopped(NAME0, 'requested'),
        started(NAME1),
        stopped(NAME1, 'requested'),
        started('1717236100'),
      ])
      .when(start(T0))
      .then([
        stopped('1717236100', 'restarted'),
        {
          type: 'RecordingStarted',
          recording: NAME2,
          data: { name: NAME2, startTime: '2024-06-01T12:00:00+02:00', compressed: true },
        },
      ]);
  });

  it('never reuses the name of an imported recording', () => {
    spec
      .given([imported(NAME0, '2024-06-01T10:00:00Z')])
      .when(start())
      .then([
        {
          type: 'RecordingStarted',
          recording: NAME1,
          data: { name: NAME1, startTime: '2024-06-01T12:00:00+02:00', compressed: true },
        },
      ]);
  });

  it.each([
    ['a NaN time', Number.NaN, 0],
    ['a negative time', -1, 0],
    ['an offset beyond 23:59', T0, 1440],
    ['a fractional offset', T0, 30.5],
  ])('refuses %s with INVALID_TIME', (_label, atMs, utcOffsetMinutes) => {
    spec.given([]).when(start(atMs, utcOffsetMinutes)).thenRefused('INVALID_TIME');
  });
});

describe('StopRecording', () => {
  it('with nothing active, accepts and records nothing', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested')])
      .when({ type: 'StopRecording', data: { reason: 'requested' } })
      .thenNothingHappened();
  });

  it('stops the active recording with its reason, detail and current totals', () => {
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when({ type: 'StopRecording', data: { reason: 'disk-low', detail: 'Insufficient disk space' } })
      .then([stopped(NAME0, 'disk-low', TOTALS, 'Insufficient disk space')]);
  });
});

describe('DeleteRecording', () => {
  it('of the active recording stops it (deleted) and then deletes it, in one decision', () => {
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when({ type: 'DeleteRecording', data: { name: NAME0 } })
      .then([stopped(NAME0, 'deleted', TOTALS), deleted(NAME0, 'requested')]);
  });

  it('of a finished recording deletes it', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested'), started(NAME1)])
      .when({ type: 'DeleteRecording', data: { name: NAME0 } })
      .then([deleted(NAME0, 'requested')]);
  });

  it('records why: a delete after upload says uploaded', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested')])
      .when({ type: 'DeleteRecording', data: { name: NAME0, reason: 'uploaded' } })
      .then([{ type: 'RecordingDeleted', recording: NAME0, data: { reason: 'uploaded' } }]);
  });

  it('of an unknown name is refused NO_SUCH_RECORDING', () => {
    spec
      .given([started(NAME0)])
      .when({ type: 'DeleteRecording', data: { name: '42' } })
      .thenRefused('NO_SUCH_RECORDING');
    spec
      .given([])
      .when({ type: 'DeleteRecording', data: { name: 'constructor' } })
      .thenRefused('NO_SUCH_RECORDING');
  });

  it('of an already-deleted name is refused NO_SUCH_RECORDING', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested'), deleted(NAME0)])
      .when({ type: 'DeleteRecording', data: { name: NAME0 } })
      .thenRefused('NO_SUCH_RECORDING');
  });
});

describe('DeleteAllRecordings', () => {
  it('with no recordings records nothing', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested'), deleted(NAME0)])
      .when({ type: 'DeleteAllRecordings', data: {} })
      .thenNothingHappened();
  });

  it('stops the active recording, then deletes every recording (active included) in start order', () => {
    spec
      .given([
        started(NAME0),
        stopped(NAME0, 'requested'),
        // Imported with a large name but an early start: start order, not name order.
        imported('1800000000', '2020-01-01T00:00:00Z'),
        imported('1500000000', '2017-07-14T02:40:00Z'),
        started('1717236100'),
        appended('1717236100', TOTALS),
      ])
      .when({ type: 'DeleteAllRecordings', data: {} })
      .then([
        stopped('1717236100', 'all-deleted', TOTALS),
        deleted('1500000000', 'all-deleted'),
        deleted('1800000000', 'all-deleted'),
        deleted(NAME0, 'all-deleted'),
        deleted('1717236100', 'all-deleted'),
      ]);
  });

  it('without an active recording only deletes', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested')])
      .when({ type: 'DeleteAllRecordings', data: {} })
      .then([deleted(NAME0, 'all-deleted')]);
  });
});

describe('AppendRecordingData', () => {
  const append = (name: string, totals: RecordingTotals = TOTALS) => ({
    type: 'AppendRecordingData' as const,
    data: { name, totals },
  });

  it('records the new committed totals of the active recording', () => {
    spec
      .given([started(NAME0)])
      .when(append(NAME0))
      .then([appended(NAME0, TOTALS)]);
  });

  it('for a recording that is not active is refused RECORDING_NOT_ACTIVE (the original daemon panicked here)', () => {
    spec.given([]).when(append(NAME0)).thenRefused('RECORDING_NOT_ACTIVE');
    spec
      .given([started(NAME0), stopped(NAME0, 'requested'), started(NAME1)])
      .when(append(NAME0))
      .thenRefused('RECORDING_NOT_ACTIVE');
  });

  it('after the active recording was deleted is refused RECORDING_NOT_ACTIVE', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'deleted'), deleted(NAME0)])
      .when(append(NAME0))
      .thenRefused('RECORDING_NOT_ACTIVE');
    spec
      .given([started(NAME0), stopped(NAME0, 'all-deleted'), deleted(NAME0, 'all-deleted')])
      .when(append(NAME0))
      .thenRefused('RECORDING_NOT_ACTIVE');
  });

  it.each([
    ['a smaller size', { ...TOTALS, qmdlSizeBytes: 999 }],
    ['fewer uncompressed bytes', { ...TOTALS, uncompressedBytes: 3999 }],
    ['fewer containers', { ...TOTALS, containers: 6 }],
    ['a negative size', { ...TOTALS, qmdlSizeBytes: -1 }],
    ['a fractional size', { ...TOTALS, qmdlSizeBytes: 1000.5 }],
    ['a NaN count', { ...TOTALS, containers: Number.NaN }],
    ['a last message time that is not RFC 3339', { ...TOTALS, qmdlSizeBytes: 2000, lastMessageTime: 'yesterday' }],
  ])('with %s is refused INVALID_TOTALS', (_label, totals) => {
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when(append(NAME0, totals))
      .thenRefused('INVALID_TOTALS');
  });

  it('with equal totals records nothing', () => {
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when(append(NAME0))
      .thenNothingHappened();
    const { lastMessageTime: _omitted, ...withoutTime } = TOTALS;
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when(append(NAME0, withoutTime))
      .thenNothingHappened();
    spec
      .given([started(NAME0)])
      .when(append(NAME0, ZERO))
      .thenNothingHappened();
  });

  it('with only a newer last message time records it', () => {
    const newer = { ...TOTALS, lastMessageTime: '2024-06-01T10:00:06Z' };
    spec
      .given([started(NAME0), appended(NAME0, TOTALS)])
      .when(append(NAME0, newer))
      .then([appended(NAME0, newer)]);
  });
});

describe('StartService / StopService', () => {
  const startService = { type: 'StartService' as const, data: { bootId: 'b2', version: '0.1.0', pid: 42 } };

  it('on a fresh store reports a clean previous shutdown', () => {
    spec
      .given([])
      .when(startService)
      .then([serviceStarted('b2', true)]);
  });

  it('after a clean stop reports a clean previous shutdown', () => {
    spec
      .given([serviceStarted('b1', true), serviceStopped('b1')])
      .when(startService)
      .then([serviceStarted('b2', true)]);
  });

  it('after a run that never stopped reports an unclean shutdown', () => {
    spec
      .given([serviceStarted('b1', true)])
      .when({ ...startService, data: { ...startService.data, source: 'systemd' } })
      .then([
        {
          type: 'ServiceStarted',
          data: { bootId: 'b2', version: '0.1.0', pid: 42, source: 'systemd', previousShutdownClean: false },
        },
      ]);
  });

  it('when the previous run died mid-recording, starts the service then stops the recording as interrupted', () => {
    spec
      .given([serviceStarted('b1', true), started(NAME0), appended(NAME0, TOTALS)])
      .when(startService)
      .then([serviceStarted('b2', false), stopped(NAME0, 'interrupted', TOTALS)]);
  });

  it('a clean stop while recording stops the recording (shutdown) before the service', () => {
    spec
      .given([serviceStarted('b1', true), started(NAME0)])
      .when({ type: 'StopService', data: { bootId: 'b1', signal: 'SIGTERM' } })
      .then([stopped(NAME0, 'shutdown'), { type: 'ServiceStopped', data: { bootId: 'b1', signal: 'SIGTERM' } }]);
  });

  it('a clean stop with nothing recording only stops the service', () => {
    spec
      .given([serviceStarted('b1', true)])
      .when({ type: 'StopService', data: { bootId: 'b1' } })
      .then([serviceStopped('b1')]);
  });
});

describe('CreateStore', () => {
  const create = { type: 'CreateStore' as const, data: { storeId: 's1', formatVersion: 1 } };
  it('creates the store on an empty state', () => {
    spec
      .given([])
      .when(create)
      .then([{ type: 'StoreCreated', data: { storeId: 's1', formatVersion: 1 } }]);
  });
  it('is refused STORE_ALREADY_CREATED once the store exists', () => {
    spec
      .given([{ type: 'StoreCreated', data: { storeId: 's0', formatVersion: 1 } }])
      .when(create)
      .thenRefused('STORE_ALREADY_CREATED');
  });
});

describe('ImportRecording', () => {
  const importCommand = (name: string, extra: Record<string, unknown> = {}) => ({
    type: 'ImportRecording' as const,
    data: {
      name,
      startTime: '2024-05-01T08:00:00+02:00',
      qmdlSizeBytes: 5000,
      compressed: true,
      recoveredFrom: 'file-name' as const,
      ...extra,
    },
  });

  it('adds a recording recovered from an old store', () => {
    spec
      .given([])
      .when(importCommand('1714543200', { stopReason: 'requested', gpsMode: 0 }))
      .then([
        {
          type: 'RecordingImported',
          recording: '1714543200',
          data: {
            name: '1714543200',
            startTime: '2024-05-01T08:00:00+02:00',
            qmdlSizeBytes: 5000,
            stopReason: 'requested',
            gpsMode: 0,
            compressed: true,
            recoveredFrom: 'file-name',
          },
        },
      ]);
  });

  it.each(['', 'abc', '12a', '-5', '1.5', '../etc/passwd'])(
    'refuses the name %j with INVALID_RECORDING_NAME',
    (name) => {
      spec.given([]).when(importCommand(name)).thenRefused('INVALID_RECORDING_NAME');
    },
  );

  it('refuses a name already issued (live or deleted) with RECORDING_EXISTS', () => {
    spec
      .given([started(NAME0)])
      .when(importCommand(NAME0))
      .thenRefused('RECORDING_EXISTS');
    spec
      .given([started(NAME0), stopped(NAME0, 'requested'), deleted(NAME0)])
      .when(importCommand(NAME0))
      .thenRefused('RECORDING_EXISTS');
  });

  it('refuses a negative size with INVALID_TOTALS and a bad start time with INVALID_TIME', () => {
    spec
      .given([])
      .when(importCommand('1', { qmdlSizeBytes: -1 }))
      .thenRefused('INVALID_TOTALS');
    spec
      .given([])
      .when(importCommand('1', { startTime: '2024-05-01 08:00' }))
      .thenRefused('INVALID_TIME');
  });
});

describe('MarkRecordingUploaded / MarkRecordingDamaged', () => {
  it('mark a known recording', () => {
    spec
      .given([started(NAME0), stopped(NAME0, 'requested')])
      .when({ type: 'MarkRecordingUploaded', data: { name: NAME0, uploadTime: '2024-06-02T00:00:00Z' } })
      .then([{ type: 'RecordingUploaded', recording: NAME0, data: { uploadTime: '2024-06-02T00:00:00Z' } }]);
    spec
      .given([started(NAME0)])
      .when({
        type: 'MarkRecordingDamaged',
        data: { name: NAME0, missing: [`${NAME0}.ndjson`], detail: 'file missing' },
      })
      .then([
        { type: 'RecordingDamaged', recording: NAME0, data: { missing: [`${NAME0}.ndjson`], detail: 'file missing' } },
      ]);
  });

  it('an upload names its target, the size acknowledged and the report version held whole', () => {
    const data = {
      uploadTime: '2024-06-02T00:00:00Z',
      target: 'http://fleet.example:8090',
      sizeBytes: 4096,
      reportVersion: 'a1',
    };
    spec
      .given([started(NAME0), stopped(NAME0, 'requested')])
      .when({ type: 'MarkRecordingUploaded', data: { name: NAME0, ...data } })
      .then([{ type: 'RecordingUploaded', recording: NAME0, data }]);
  });

  it('of an unknown or deleted recording are refused NO_SUCH_RECORDING', () => {
    const given = [started(NAME0), stopped(NAME0, 'requested'), deleted(NAME0)];
    spec
      .given(given)
      .when({ type: 'MarkRecordingUploaded', data: { name: NAME0, uploadTime: '2024-06-02T00:00:00Z' } })
      .thenRefused('NO_SUCH_RECORDING');
    spec
      .given([])
      .when({ type: 'MarkRecordingDamaged', data: { name: '7', missing: [], detail: '' } })
      .thenRefused('NO_SUCH_RECORDING');
  });
});

describe('SetClockOffset', () => {
  it('records a finite offset within ±10 years', () => {
    spec
      .given([])
      .when({ type: 'SetClockOffset', data: { offsetSeconds: -3600.5 } })
      .then([{ type: 'ClockOffsetSet', data: { offsetSeconds: -3600.5 } }]);
    spec
      .given([])
      .when({ type: 'SetClockOffset', data: { offsetSeconds: MAX_CLOCK_OFFSET_SECONDS } })
      .then([{ type: 'ClockOffsetSet', data: { offsetSeconds: MAX_CLOCK_OFFSET_SECONDS } }]);
  });
  it.each([Number.NaN, Number.POSITIVE_INFINITY, MAX_CLOCK_OFFSET_SECONDS + 1, -MAX_CLOCK_OFFSET_SECONDS - 1])(
    'refuses %p with INVALID_CLOCK_OFFSET',
    (offsetSeconds) => {
      spec.given([]).when({ type: 'SetClockOffset', data: { offsetSeconds } }).thenRefused('INVALID_CLOCK_OFFSET');
    },
  );
});

describe('RecordGpsFix', () => {
  it('names the active recording when there is one', () => {
    spec
      .given([started(NAME0)])
      .when({ type: 'RecordGpsFix', data: { lat: 52.5, lon: 13.4, fixTime: '2024-06-01T10:00:01Z' } })
      .then([
        {
          type: 'GpsFixRecorded',
          recording: NAME0,
          data: { lat: 52.5, lon: 13.4, fixTime: '2024-06-01T10:00:01Z', source: 'api' },
        },
      ]);
  });
  it('names no recording when none is active', () => {
    spec
      .given([])
      .when({ type: 'RecordGpsFix', data: { lat: -90, lon: 180 } })
      .then([{ type: 'GpsFixRecorded', data: { lat: -90, lon: 180, source: 'api' } }]);
  });
  it.each([
    [90.1, 0],
    [-91, 0],
    [0, 180.5],
    [0, -181],
    [Number.NaN, 0],
    [0, Number.POSITIVE_INFINITY],
  ])('refuses lat %p, lon %p with INVALID_GPS_FIX', (lat, lon) => {
    spec.given([]).when({ type: 'RecordGpsFix', data: { lat, lon } }).thenRefused('INVALID_GPS_FIX');
  });
  it.each([['yesterday'], ['2024-13-01T00:00:00Z'], [`2024-01-01T00:00:00${'0'.repeat(60)}Z`], [1700000000]])(
    'refuses a fix time %p that is not an RFC 3339 time with INVALID_GPS_FIX',
    (fixTime) => {
      spec
        .given([])
        .when({ type: 'RecordGpsFix', data: { lat: 0, lon: 0, fixTime: fixTime as string } })
        .thenRefused('INVALID_GPS_FIX');
    },
  );
  it('records a fix with its RFC 3339 fix time', () => {
    spec
      .given([])
      .when({ type: 'RecordGpsFix', data: { lat: 1, lon: 2, fixTime: '2024-01-01T00:00:00Z' } })
      .then([{ type: 'GpsFixRecorded', data: { lat: 1, lon: 2, fixTime: '2024-01-01T00:00:00Z', source: 'api' } }]);
  });
});

describe('ChangeConfig', () => {
  it('refuses a config that is not a Rayhunter 0.12 config, naming every bad or unknown key', () => {
    for (const config of [
      null,
      [],
      'x',
      { webdav: null },
      { port: Number.POSITIVE_INFINITY },
      { min_space_to_start_recording_mb: -1 },
      { min_space_to_start_recording_mb: 1.5 },
      { ui_level: 5 },
      { gps_fixed_latitude: 91 },
      { device: 'nokia' },
      { enabled_notifications: ['Spam'] },
      { analyzers: { null_cipher: 'yes' } },
      { bogus: 1 },
    ]) {
      spec
        .given([])
        .when({ type: 'ChangeConfig', data: { config: config as Record<string, unknown> } })
        .thenRefused('INVALID_CONFIG');
    }
    const refused = spec.given([]).when({
      type: 'ChangeConfig',
      data: { config: { bogus: 1, webdav: { password: 5, extra: true }, port: 70_000 } },
    });
    refused.thenRefused('INVALID_CONFIG');
  });

  it('lists each problem by its key path', () => {
    expect(rayhunterConfigProblems({ bogus: 1, webdav: { password: 5, extra: true }, port: 70_000 })).toEqual([
      'bogus: unknown key',
      expect.stringMatching(/^webdav\.password: must be a string/),
      'webdav.extra: unknown key',
      expect.stringMatching(/^port: must be an integer in 0\.\.65535/),
    ]);
    expect(rayhunterConfigProblems(defaultRayhunterConfig())).toEqual([]);
  });

  it('keeps a recorded secret that comes back as GET showed it (redacted), and takes a changed one', () => {
    const secret = {
      wifi_password: 'hunter22',
      ntfy_url: 'https://ntfy.sh/my-secret-topic',
      webdav: { url: 'https://u:p@dav.example/files/', password: 'pw', username: 'me' },
    };
    const shown = redactRayhunterConfig(secret);
    expect(shown).toEqual({
      wifi_password: null,
      ntfy_url: 'https://ntfy.sh/(redacted)',
      webdav: { url: 'https://(redacted)@dav.example/files/', password: null, username: null },
    });
    spec
      .given([{ type: 'ConfigChanged', data: { config: secret } }])
      .when({ type: 'ChangeConfig', data: { config: { ...shown, ui_level: 2 } } })
      .then([{ type: 'ConfigChanged', data: { config: { ...secret, ui_level: 2 } } }]);
    spec
      .given([{ type: 'ConfigChanged', data: { config: secret } }])
      .when({ type: 'ChangeConfig', data: { config: { wifi_password: 'changed!', ntfy_url: null } } })
      .then([{ type: 'ConfigChanged', data: { config: { wifi_password: 'changed!', ntfy_url: null } } }]);
  });
});

describe('RecordSignInFailures', () => {
  const report = {
    remoteAddress: '192.0.2.7',
    count: 40,
    throttled: 30,
    firstAt: '2024-06-01T10:00:00Z',
    lastAt: '2024-06-01T10:00:59Z',
  };

  it('records one coalesced event with the count, changing no state', () => {
    spec
      .given([])
      .when({ type: 'RecordSignInFailures', data: report })
      .then([{ type: 'SignInsFailed', data: report }]);
    const before = initialState();
    expect(evolve(before, { type: 'SignInsFailed', data: report, seq: 1 })).toEqual({ ...before, seq: 1 });
  });

  it.each([
    [{ count: 0, throttled: 0 }],
    [{ count: 2.5 }],
    [{ throttled: 41 }],
    [{ remoteAddress: '' }],
    [{ remoteAddress: 'x'.repeat(65) }],
  ])('refuses a report of %j', (change) => {
    spec
      .given([])
      .when({ type: 'RecordSignInFailures', data: { ...report, ...change } })
      .thenRefused('INVALID_SIGN_IN_FAILURES');
  });

  it('refuses times that are not RFC 3339 or out of order', () => {
    spec
      .given([])
      .when({ type: 'RecordSignInFailures', data: { ...report, firstAt: 'noon' } })
      .thenRefused('INVALID_TIME');
    spec
      .given([])
      .when({ type: 'RecordSignInFailures', data: { ...report, firstAt: report.lastAt, lastAt: report.firstAt } })
      .thenRefused('INVALID_TIME');
  });
});

describe('ChangeConfig / ApplyMigration', () => {
  it('records a config change', () => {
    spec
      .given([])
      .when({ type: 'ChangeConfig', data: { config: { ui_level: 1 } } })
      .then([{ type: 'ConfigChanged', data: { config: { ui_level: 1 } } }]);
  });
  it('applies a migration once; again is refused MIGRATION_ALREADY_APPLIED', () => {
    const apply = { type: 'ApplyMigration' as const, data: { id: '0001', name: 'created_store' } };
    spec
      .given([])
      .when(apply)
      .then([{ type: 'MigrationApplied', data: { id: '0001', name: 'created_store' } }]);
    spec
      .given([{ type: 'MigrationApplied', data: { id: '0001', name: 'created_store' } }])
      .when(apply)
      .thenRefused('MIGRATION_ALREADY_APPLIED');
  });
});

describe('a broken state', () => {
  const entry = {
    name: NAME0,
    startTime: '2024-06-01T10:00:00Z',
    qmdlSizeBytes: 0,
    uncompressedBytes: 0,
    containers: 0,
    compressed: true,
  };
  it('whose active recording is also a finished entry makes decide throw INVARIANT_BROKEN', () => {
    const state: QmdlStoreState = {
      ...initialState(),
      current: entry,
      entries: { [NAME0]: entry },
      names: { [NAME0]: 'live' },
    };
    spec
      .givenState(state)
      .when({ type: 'StopRecording', data: { reason: 'requested' } })
      .thenThrows('INVARIANT_BROKEN');
  });
  it('whose active recording has a deleted name makes decide throw INVARIANT_BROKEN', () => {
    const state: QmdlStoreState = { ...initialState(), current: entry, names: { [NAME0]: 'deleted' } };
    spec.givenState(state).when(start()).thenThrows('INVARIANT_BROKEN');
  });
});

describe('the decider specification helper', () => {
  it('fails loudly on unexpected events, refusals and codes', () => {
    expect(() => spec.given([]).when(start()).thenNothingHappened()).toThrow(DeciderSpecificationError);
    expect(() => spec.given([]).when(start()).thenRefused('INVALID_TIME')).toThrow(DeciderSpecificationError);
    expect(() =>
      spec
        .given([])
        .when({ type: 'DeleteRecording', data: { name: '1' } })
        .thenRefused('RECORDING_EXISTS'),
    ).toThrow(DeciderSpecificationError);
    expect(() =>
      spec
        .given([])
        .when({ type: 'DeleteRecording', data: { name: '1' } })
        .then([]),
    ).toThrow(DeciderSpecificationError);
    expect(() => spec.given([]).when(start()).thenThrows('INVARIANT_BROKEN')).toThrow(DeciderSpecificationError);
  });
});
