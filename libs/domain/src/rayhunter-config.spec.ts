import { isGpsMode, RAYHUNTER_CONFIG_FIELDS, recordingGpsMode } from './rayhunter-config';

describe('the gps_mode a recording records', () => {
  it('is one of the config table’s gps_mode values', () => {
    const field = RAYHUNTER_CONFIG_FIELDS['gps_mode'];
    const values = field?.kind === 'enum' ? field.values : [];
    expect(values).toEqual([0, 1, 2]);
    for (const value of values) expect(isGpsMode(value)).toBe(true);
    for (const value of [3, -1, 1.5, '1', null, undefined, true]) expect(isGpsMode(value)).toBe(false);
  });

  it('is the recorded config’s when it sets a valid one, else none', () => {
    expect(recordingGpsMode({ gps_mode: 2 })).toBe(2);
    expect(recordingGpsMode({ gps_mode: 0 })).toBe(0);
    expect(recordingGpsMode({})).toBeUndefined();
    // History written before changes were validated may hold anything.
    expect(recordingGpsMode({ gps_mode: 7 })).toBeUndefined();
    expect(recordingGpsMode({ gps_mode: '1' })).toBeUndefined();
  });
});
