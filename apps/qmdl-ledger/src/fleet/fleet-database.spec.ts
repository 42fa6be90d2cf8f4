import { arrayParameter } from './fleet-database';

/** pg's own conversion of a parameter (what it sends for an array when given one). */
const { prepareValue } = jest.requireActual<{ prepareValue(value: unknown): unknown }>('pg/lib/utils');

describe('array parameters', () => {
  test('are the text pg sends for the same array, whatever the elements need of escaping', () => {
    const sparse: Array<string | undefined> = ['a'];
    sparse[2] = 'c';
    const arrays: unknown[][] = [
      [],
      [null],
      [undefined, 'x'],
      ['a', 'b'],
      ['a"b', 'c\\d', 'e\\"f'],
      ['', ' ', 'NULL', '{}', ',', '{"a"}', 'é', '\u0000', '\ud83d\ude00', 'line\nbreak'],
      [1, 2.5, -0, NaN, Infinity, 1e21, -7, Number.MAX_SAFE_INTEGER],
      [null, 'x', 3, undefined, 'y"'],
      sparse,
      ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '2024-01-01T00:00:01.000Z'],
    ];
    for (const values of arrays) expect(arrayParameter(values)).toBe(prepareValue(values));
  });

  test('leave any other element to pg (nested arrays, booleans, dates, objects, buffers)', () => {
    for (const values of [[[1]], [true], [new Date(0)], [{ a: 1 }], [Buffer.from('x')], ['a', 1n]])
      expect(arrayParameter(values)).toBeUndefined();
  });
});
