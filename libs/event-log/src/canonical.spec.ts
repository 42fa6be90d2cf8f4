import { GENESIS_HASH, type StoredEvent } from '@ledger/domain';
import { canonicalEncode, hashEvent, sha256Hex } from './canonical';
import { sealEvent } from './sealing';
import { prepareEvent } from './validation';

describe('canonical encoding', () => {
  it('writes object keys in sorted order at every depth, without whitespace', () => {
    expect(canonicalEncode({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('sorts integer-like keys as strings, unlike JSON.stringify', () => {
    expect(canonicalEncode({ 9: 'a', 10: 'b', x: 'c' })).toBe('{"10":"b","9":"a","x":"c"}');
  });

  it('orders keys as Array.prototype.sort does, for objects of few keys and of many', () => {
    const pool = ['b', 'a', 'B', '_', 'é', '10', '9', 'aa', 'a\u0000', '\ud83d\ude00', '\uffff', 'Z', 'z', '', ' '];
    const keys = [...pool, ...pool.map((k) => `${k}x`), ...pool.map((k) => `x${k}`)];
    for (let size = 1; size <= keys.length; size++) {
      // A fixed shuffle per size, so that insertion order differs from the sorted one.
      const picked = keys.slice(0, size).sort((x, y) => ((x.length * 7 + size) % 5) - ((y.length * 7 + size) % 5));
      const value = Object.fromEntries(picked.map((k, i) => [k, i]));
      const expected = `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${String(value[k])}`)
        .join(',')}}`;
      expect(canonicalEncode(value)).toBe(expected);
    }
  });

  it('follows JSON.stringify for undefined, non-finite numbers, toJSON and boxed primitives', () => {
    const value = {
      u: undefined,
      f: () => 1,
      list: [undefined, NaN, Infinity, -0],
      at: new Date(0),
      n: Object(5) as number,
    };
    expect(canonicalEncode(value)).toBe('{"at":"1970-01-01T00:00:00.000Z","list":[null,null,null,0],"n":5}');
  });

  it('re-encodes a value read back from JSON to the same bytes', () => {
    const value = {
      text: 'lone \ud800 surrogate, "quotes", \u0000 and é',
      n: 0.1 + 0.2,
      big: 2 ** 60,
      nested: { list: [true, false, null] },
    };
    const encoded = canonicalEncode(value);
    expect(canonicalEncode(JSON.parse(encoded))).toBe(encoded);
    expect(canonicalEncode(JSON.parse(JSON.stringify(value)))).toBe(encoded);
  });

  it('refuses what JSON cannot represent (TypeError)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalEncode(cyclic)).toThrow(TypeError);
    expect(() => canonicalEncode({ n: 1n })).toThrow(TypeError);
    expect(() => canonicalEncode(undefined)).toThrow(TypeError);
  });

  it('hashes a stored event over every field except hash, including seq and prev', () => {
    const prepared = prepareEvent(
      {
        type: 'RecordingStarted',
        v: 1,
        time: '2024-01-01T00:00:00Z',
        systemTime: '2024-01-01T00:00:00.000Z',
        recording: 'r1',
        data: { name: 'r1', z: [1, { b: 2, a: 1 }] },
        metadata: { correlationId: 'c', actor: { kind: 'http', remoteAddress: '::1' }, bootId: 'b', appVersion: '1' },
      },
      0,
    );
    const { event, value } = sealEvent(prepared, 7, GENESIS_HASH);
    const { hash, ...covered } = event;
    expect(hash).toBe(sha256Hex(canonicalEncode(covered)));
    expect(hashEvent(event)).toBe(hash);
    expect(JSON.parse(value)).toEqual(event);
    expect(hashEvent({ ...event, seq: 8 })).not.toBe(hash);
    expect(hashEvent({ ...event, prev: hash })).not.toBe(hash);
    const withoutRecording = sealEvent(
      prepareEvent({ ...prepared.event, recording: undefined }, 0),
      1,
      GENESIS_HASH,
    ).event;
    expect(hashEvent(withoutRecording as StoredEvent)).toBe(withoutRecording.hash);
    // Only the envelope's own hash is left out: a `hash` in the data is covered.
    const nested = { ...event, data: { hash: 'covered' } };
    const { hash: _left, ...nestedCovered } = nested;
    expect(hashEvent(nested)).toBe(sha256Hex(canonicalEncode(nestedCovered)));
    expect(hashEvent(nested)).not.toBe(hashEvent({ ...event, data: {} }));
  });
});
