import { Readable } from 'node:stream';
import { GpsFixMatcher, gpsComment, parseGpsFixLine, readGpsFixes } from './gps';

describe('GPS fixes', () => {
  it('reads the lines of a -gps.ndjson, skipping lines that are not fixes or have no packet time', async () => {
    const text = [
      '{"latest_packet_timestamp":1700000000,"system_time":1700000001,"lat":52.52,"lon":13.4}',
      '{"latest_packet_timestamp":null,"system_time":1700000002,"lat":1,"lon":2}',
      'not json',
      '{"latest_packet_timestamp":1700000005,"lat":"x","lon":2}',
      '{"latest_packet_timestamp":1700000009,"system_time":1,"lat":-33.9,"lon":151.2}',
      '',
    ].join('\n');
    const fixes = [];
    for await (const fix of readGpsFixes(Readable.from([text]))) fixes.push(fix);
    expect(fixes).toEqual([
      { unixTs: 1700000000, lat: 52.52, lon: 13.4 },
      { unixTs: 1700000009, lat: -33.9, lon: 151.2 },
    ]);
    expect(parseGpsFixLine('[]')).toBeUndefined();
  });

  it('writes the comment as the original serialises it (floats keep their .0)', () => {
    expect(gpsComment({ unixTs: 17, lat: 52, lon: -0.5 })).toBe('{"unix_ts":17,"lat":52.0,"lon":-0.5}');
  });

  it('picks the nearest fix like the original: before all → first, after all → last, tie → earlier', () => {
    const m = new GpsFixMatcher([
      { unixTs: 200, lat: 2, lon: 0 },
      { unixTs: 100, lat: 1, lon: 0 },
    ]);
    expect([50, 100, 130, 150, 170, 200, 300].map((t) => m.nearest(t)?.unixTs)).toEqual([
      100, 100, 100, 100, 200, 200, 200,
    ]);
    expect(new GpsFixMatcher([]).nearest(5)).toBeUndefined();
  });
});
