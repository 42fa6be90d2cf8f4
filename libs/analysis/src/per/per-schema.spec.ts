import { PerWriter } from '../vectors/per-writer';
import { PerReader } from './per-reader';
import {
  bitsNumber,
  choice,
  custom,
  decodePer,
  enumerated,
  int,
  octetString,
  opt,
  read,
  seq,
  seqOf,
} from './per-schema';

const bytes = (w: PerWriter): Uint8Array => w.toBytes();

describe('unaligned PER primitives', () => {
  test('a constrained whole number takes the fewest bits that hold its range, none for a single value', () => {
    const r = new PerReader(bytes(new PerWriter().bits(0b101, 3).bits(0x3ff, 10)));
    expect(r.constrainedWholeNumber(-1, 6)).toBe(4);
    expect(r.constrainedWholeNumber(5, 5)).toBe(5);
    expect(r.constrainedWholeNumber(0, 1023)).toBe(1023);
    expect(r.position).toBe(13);
  });

  test('a value above the upper bound is refused, not wrapped', () => {
    expect(decodePer(int(0, 4), bytes(new PerWriter().bits(7, 3)))).toMatchObject({
      ok: false,
      failure: 'VALUE_OUT_OF_RANGE',
    });
  });

  test('length determinants: 7 bits below 128, 14 bits below 16K, fragmented lengths refused', () => {
    expect(new PerReader(bytes(new PerWriter().length(100))).lengthDeterminant()).toBe(100);
    expect(new PerReader(bytes(new PerWriter().length(3000))).lengthDeterminant()).toBe(3000);
    expect(decodePer(octetString(), bytes(new PerWriter().bits(0b11, 2).bits(1, 6)))).toMatchObject({
      ok: false,
      failure: 'FRAGMENTED_LENGTH',
    });
  });

  test('a PDU that ends early fails with TRUNCATED and the path of the field', () => {
    const schema = seq({ a: int(0, 255), b: seq({ c: bitsNumber(16) }) });
    expect(decodePer(schema, Uint8Array.of(1, 2))).toEqual({ ok: false, failure: 'TRUNCATED', field: 'b.c' });
  });
});

describe('extensions are skipped by their lengths, never guessed', () => {
  const extensible = seq({ first: int(0, 7), maybe: opt(int(0, 3)) }, { extensible: true });
  const outer = seq({ inner: extensible, after: bitsNumber(8) });

  test('a SEQUENCE with extension additions present: bitmap, then each addition as an open type, then the next field', () => {
    const w = new PerWriter().bit(1).bit(1).int(5, 0, 7).int(2, 0, 3);
    w.bit(0)
      .bits(2 - 1, 6)
      .bit(1)
      .bit(1); // two additions, both present
    w.length(2).octets([0xde, 0xad]).length(1).octets([0xbe]);
    w.bits(0xa5, 8);
    expect(decodePer(outer, bytes(w))).toEqual({ ok: true, value: { inner: { first: 5, maybe: 2 }, after: 0xa5 } });
  });

  test('a CHOICE extension alternative is skipped by its open-type length and named when the schema knows it', () => {
    const c = seq({
      pick: choice({ a: int(0, 1), b: int(0, 1) }, { extensible: true, extensionNames: ['c-r10', 'd-r15'] }),
      after: bitsNumber(4),
    });
    const w = new PerWriter().bit(1).bit(0).bits(1, 6).length(3).octets([1, 2, 3]).bits(0b1001, 4);
    expect(decodePer(c, bytes(w))).toEqual({
      ok: true,
      value: { pick: { type: '...', index: 1, name: 'd-r15' }, after: 9 },
    });
  });

  test('an ENUMERATED extension value reads as "..." and the stream stays aligned', () => {
    const e = seq({ v: enumerated(['x', 'y'], { extensible: true }), after: bitsNumber(3) });
    expect(decodePer(e, bytes(new PerWriter().bit(1).bit(0).bits(4, 6).bits(5, 3)))).toEqual({
      ok: true,
      value: { v: '...', after: 5 },
    });
  });

  test('fields after a part that is not decoded fail with POSITION_UNKNOWN instead of being read from a guessed position', () => {
    const partial = seq({ head: int(0, 3) }, { unreadTail: { optionals: 1 } });
    const s = seq({ p: partial, tail: int(0, 3) });
    expect(decodePer(s, Uint8Array.of(0xff))).toEqual({ ok: false, failure: 'POSITION_UNKNOWN', field: 'tail' });
    expect(decodePer(partial, Uint8Array.of(0x40))).toEqual({ ok: true, value: { head: 2 } });
  });

  test('SEQUENCE OF reads its constrained count then each item', () => {
    expect(
      decodePer(seqOf(int(0, 9), 1, 4), bytes(new PerWriter().int(3, 1, 4).int(1, 0, 9).int(2, 0, 9).int(9, 0, 9))),
    ).toEqual({ ok: true, value: [1, 2, 9] });
  });

  test('a hand-written part reads the reader itself and decodes schemas inside it with read, failures naming the field', () => {
    const pair = custom((r) => {
      const count = r.constrainedWholeNumber(1, 2);
      r.path.push('items');
      const items = Array.from({ length: count }, () => read(r, int(0, 255)));
      r.path.pop();
      return { count, items };
    });
    const s = seq({ head: bitsNumber(2), pair, tail: int(0, 1) });
    expect(
      decodePer(s, bytes(new PerWriter().bits(3, 2).int(2, 1, 2).int(1, 0, 255).int(200, 0, 255).int(1, 0, 1))),
    ).toEqual({
      ok: true,
      value: { head: 3, pair: { count: 2, items: [1, 200] }, tail: 1 },
    });
    expect(decodePer(s, bytes(new PerWriter().bits(3, 2).int(2, 1, 2).int(1, 0, 255)))).toEqual({
      ok: false,
      failure: 'TRUNCATED',
      field: 'pair.items',
    });
  });
});
