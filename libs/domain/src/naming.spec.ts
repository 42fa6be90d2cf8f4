import {
  compareRecordingsByStart,
  isRecordingName,
  lookup,
  nextFreeName,
  parseRecordingFileName,
  parseRecordingName,
  qmdlFileName,
  RECORDING_NAME_MAX_DIGITS,
  recordingFileNames,
  startTimeOfName,
} from '@ledger/domain';

describe('recording names', () => {
  it('a name is the floored unix second of the start', () => {
    expect(nextFreeName({}, 1717236000999)).toBe('1717236000');
  });
  it('a name is never issued twice: the next free second is taken', () => {
    expect(nextFreeName({ '1717236000': 'deleted', '1717236001': 'live' }, 1717236000500)).toBe('1717236002');
  });
  it('only decimal digits make a name', () => {
    expect(isRecordingName('1717236000')).toBe(true);
    for (const bad of ['', 'abc', '12a', '-1', '1.5', ' 1', '1e9']) expect(isRecordingName(bad)).toBe(false);
  });
  it('a name is bounded: at most RECORDING_NAME_MAX_DIGITS digits, checked before a path is built', () => {
    expect(isRecordingName('9'.repeat(RECORDING_NAME_MAX_DIGITS))).toBe(true);
    expect(isRecordingName('9'.repeat(RECORDING_NAME_MAX_DIGITS + 1))).toBe(false);
    expect(parseRecordingName('1717236000')).toBe('1717236000');
    for (const bad of ['9'.repeat(RECORDING_NAME_MAX_DIGITS + 1), '../1', '1\0', 42, undefined]) {
      expect(() => parseRecordingName(bad)).toThrow(expect.objectContaining({ code: 'INVALID_RECORDING_NAME' }));
    }
  });
  it('the file layout: <name>.qmdl.gz or .qmdl, <name>.ndjson (and its .partial), <name>-gps.ndjson, and nothing else', () => {
    expect(recordingFileNames('1717236000', true)).toEqual({
      qmdl: '1717236000.qmdl.gz',
      analysis: '1717236000.ndjson',
      analysisPartial: '1717236000.ndjson.partial',
      gps: '1717236000-gps.ndjson',
    });
    expect(qmdlFileName('1717236000', false)).toBe('1717236000.qmdl');
    const names = recordingFileNames('7', false);
    expect(parseRecordingFileName(recordingFileNames('7', true).qmdl)).toEqual({
      name: '7',
      kind: 'qmdl',
      compressed: true,
    });
    expect(parseRecordingFileName(names.qmdl)).toEqual({ name: '7', kind: 'qmdl', compressed: false });
    expect(parseRecordingFileName(names.analysis)).toEqual({ name: '7', kind: 'analysis', compressed: false });
    expect(parseRecordingFileName(names.gps)).toEqual({ name: '7', kind: 'gps', compressed: false });
    expect(parseRecordingFileName(names.analysisPartial)).toEqual({
      name: '7',
      kind: 'analysis-partial',
      compressed: false,
    });
    for (const other of [
      '7.pcapng',
      'manifest.toml',
      '7.qmdl.tmp',
      'a.qmdl',
      `${'9'.repeat(21)}.qmdl`,
      '7.ndjson.tmp',
      '7-gps.ndjson.partial',
    ])
      expect(parseRecordingFileName(other)).toBeUndefined();
  });
  it('lookup does not find Object.prototype members', () => {
    expect(lookup({}, 'constructor')).toBeUndefined();
    expect(lookup({}, '__proto__')).toBeUndefined();
    expect(lookup({ a: 1 }, 'a')).toBe(1);
  });
  it('start order is by start instant, then by name value', () => {
    const rows = [
      { name: '20', startTime: '2024-06-01T10:00:00Z' },
      { name: '3', startTime: '2024-06-01T12:00:00+02:00' },
      { name: '1', startTime: '2020-01-01T00:00:00Z' },
      { name: '10', startTime: 'not a time' },
    ];
    expect([...rows].sort(compareRecordingsByStart).map((r) => r.name)).toEqual(['10', '1', '3', '20']);
  });
});

describe('startTimeOfName', () => {
  it('reads the unix seconds a name encodes as RFC 3339 UTC', () => {
    expect(startTimeOfName('1700000000')).toBe('2023-11-14T22:13:20+00:00');
    expect(startTimeOfName('0')).toBe('1970-01-01T00:00:00+00:00');
  });

  it('gives nothing for a name that is no representable time or no recording name', () => {
    expect(startTimeOfName('99999999999999999999')).toBeUndefined();
    expect(startTimeOfName('12a')).toBeUndefined();
  });
});
