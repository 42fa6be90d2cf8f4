import { foldEvents, toRayhunterEntry, toRayhunterManifest, type DecidedEvent } from '@ledger/domain';
import { appended, imported, started, stopped } from './testing/recording-events.fixtures';

const KEYS = [
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

const history: DecidedEvent[] = [
  {
    type: 'RecordingStarted',
    recording: '1717236000',
    data: {
      name: '1717236000',
      startTime: '2024-06-01T12:00:00+02:00',
      rayhunterVersion: '0.12.0',
      systemOs: 'Linux',
      arch: 'armv7l',
      gpsMode: 1,
      compressed: true,
    },
  },
  appended('1717236000', {
    qmdlSizeBytes: 2048,
    uncompressedBytes: 9000,
    containers: 3,
    lastMessageTime: '2024-06-01T12:00:09.5+02:00',
  }),
  stopped('1717236000', 'requested', { qmdlSizeBytes: 4096, uncompressedBytes: 18000, containers: 6 }),
  { type: 'RecordingUploaded', recording: '1717236000', data: { uploadTime: '2024-06-02T00:00:00Z' } },
  imported('1800000000', '2020-01-01T00:00:00Z', 10),
  started('1717236100', '2024-06-01T12:01:40+02:00', false),
];
const state = foldEvents(history.map((e, i) => ({ ...e, seq: i + 1 })));

describe('toRayhunterManifest', () => {
  it('writes all 11 keys of every entry, in Rayhunter order, null when absent', () => {
    const manifest = toRayhunterManifest(state);
    expect(Object.keys(manifest)).toEqual(['entries', 'current_entry']);
    for (const entry of [...manifest.entries, manifest.current_entry]) expect(Object.keys(entry ?? {})).toEqual(KEYS);
  });

  it('lists finished recordings in ascending start order, and the current one apart (exact JSON)', () => {
    expect(JSON.stringify(toRayhunterManifest(state))).toBe(
      '{"entries":[' +
        '{"name":"1800000000","start_time":"2020-01-01T00:00:00Z","last_message_time":null,"qmdl_size_bytes":10,' +
        '"rayhunter_version":null,"system_os":null,"arch":null,"stop_reason":null,"upload_time":null,"gps_mode":null,"compressed":true},' +
        '{"name":"1717236000","start_time":"2024-06-01T12:00:00+02:00","last_message_time":"2024-06-01T12:00:09.5+02:00","qmdl_size_bytes":4096,' +
        '"rayhunter_version":"0.12.0","system_os":"Linux","arch":"armv7l","stop_reason":"requested","upload_time":"2024-06-02T00:00:00Z","gps_mode":1,"compressed":true}' +
        '],"current_entry":' +
        '{"name":"1717236100","start_time":"2024-06-01T12:01:40+02:00","last_message_time":null,"qmdl_size_bytes":0,' +
        '"rayhunter_version":null,"system_os":null,"arch":null,"stop_reason":null,"upload_time":null,"gps_mode":null,"compressed":false}}',
    );
  });

  it('of an empty store is no entries and no current entry', () => {
    expect(toRayhunterManifest(foldEvents([]))).toEqual({ entries: [], current_entry: null });
  });

  it('orders equal start times by name', () => {
    const same = foldEvents(
      [imported('20', '2024-01-01T00:00:00Z'), imported('3', '2024-01-01T01:00:00+01:00')].map((e, i) => ({
        ...e,
        seq: i + 1,
      })),
    );
    expect(toRayhunterManifest(same).entries.map((e) => e.name)).toEqual(['3', '20']);
  });
});

describe('toRayhunterEntry', () => {
  it('keeps gps_mode 0 and compressed false (falsy is not absent)', () => {
    const entry = toRayhunterEntry({
      name: '1',
      startTime: '2024-01-01T00:00:00Z',
      qmdlSizeBytes: 0,
      uncompressedBytes: 0,
      containers: 0,
      gpsMode: 0,
      compressed: false,
    });
    expect(entry.gps_mode).toBe(0);
    expect(entry.compressed).toBe(false);
  });
});
