import { PerDecodeError, PerReader, type PerFailure } from './per-reader';

/**
 * Schema combinators for unaligned PER: each ASN.1 type we read is written once
 * as a value built from these (see `rrc/lte-rrc.schema.ts`), and `read` decodes
 * it. The types of the decoded values follow from the schema, so a field the
 * schema does not have cannot be read by mistake.
 *
 * A schema is data, walked by one function (`read`), not a tree of closures:
 * the live analysis decodes a few dozen PDUs a second, so V8 compiles the
 * decoder while it runs, and one walker is compiled once where a closure per
 * combinator was compiled (and recompiled) each on its own, on every call site's
 * mixed feedback. `custom` takes a hand-written part for what the combinators
 * cannot say.
 */
declare const DECODES: unique symbol;

/** An ASN.1 type whose PER encoding decodes to a `T`. */
export interface Per<T> {
  /** Type-level only (no such property exists): what the type decodes to. */
  readonly [DECODES]: T;
}

/** An OPTIONAL (or DEFAULT) component of a SEQUENCE: one presence bit in the preamble. */
export interface OptionalField<T> {
  readonly optional: Per<T>;
}

export type FieldSpec = Per<unknown> | OptionalField<unknown>;
/** What the schema value `P` decodes to. */
export type PerValue<P> = P extends Per<infer T> ? T : never;
type Decoded<S> = S extends OptionalField<infer T> ? T : S extends Per<infer T> ? T : never;
type RequiredKeys<F> = { [K in keyof F]: F[K] extends OptionalField<unknown> ? never : K }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends OptionalField<unknown> ? K : never }[keyof F];
export type SeqValue<F> = { readonly [K in RequiredKeys<F>]: Decoded<F[K]> } & {
  readonly [K in OptionalKeys<F>]?: Decoded<F[K]>;
};

/** The value of an extension alternative of a CHOICE or ENUMERATED we do not decode (skipped by its length). */
export interface UnknownExtension {
  readonly type: '...';
  /** Index among the extension additions (0 = the first after the marker). */
  readonly index: number;
  /** The addition's name, when the schema lists it. */
  readonly name?: string;
}
type AltValue<A> = { [K in keyof A]: { readonly type: K; readonly value: Decoded<A[K]> } }[keyof A];
export type ChoiceValue<A> = AltValue<A> | UnknownExtension;

export interface SeqOptions {
  /** The type has an extension marker `...`: additions are skipped whole, by their open-type lengths. */
  readonly extensible?: boolean;
  /**
   * Components after the listed ones are not decoded (nothing we need follows):
   * `optionals` is how many of them are OPTIONAL, so the preamble is read right.
   * Anything after this SEQUENCE is then unreadable, and reading it fails with POSITION_UNKNOWN.
   */
  readonly unreadTail?: { readonly optionals: number };
}

export interface ChoiceOptions {
  readonly extensible?: boolean;
  /** Names of the extension alternatives, in order (for reporting which one was present). */
  readonly extensionNames?: readonly string[];
}

const SEQ = 0;
const CHOICE = 1;
const ENUMERATED = 2;
const INT = 3;
const BOOL = 4;
const NULL = 5;
const BITS_NUMBER = 6;
const BIT_STRING = 7;
const OCTET_STRING = 8;
const SEQ_OF = 9;
const LAZY = 10;
const CUSTOM = 11;

/**
 * Every kind of type in one shape (unused parts empty), so the walker reads
 * each part at one place with one map.
 */
class PerNode {
  constructor(
    readonly kind: number,
    /** Bounds: of an INTEGER, a SIZE, a SEQUENCE OF's count; the bit count of a small BIT STRING. */
    readonly lb: number,
    readonly ub: number,
    /** SEQUENCE components, CHOICE alternatives, ENUMERATED values; CHOICE extension names in `extensionNames`. */
    readonly names: readonly string[],
    /** The types of the components or alternatives (the item of a SEQUENCE OF is `nodes[0]`). */
    readonly nodes: readonly PerNode[],
    /** Per SEQUENCE component: OPTIONAL. */
    readonly optional: readonly boolean[],
    /** Presence bits of a SEQUENCE's preamble (those of an unread tail included). */
    readonly optionalCount: number,
    readonly extensible: boolean,
    readonly unreadTail: boolean,
    readonly extensionNames: readonly string[] | undefined,
    readonly custom: ((r: PerReader) => unknown) | undefined,
    readonly lazy: (() => Per<unknown>) | undefined,
    /** OCTET STRING with a SIZE constraint (`lb`..`ub`); without one, a length determinant. */
    readonly sized: boolean,
  ) {}
}

const NONE: readonly never[] = [];

function node<T>(kind: number, parts: Partial<Omit<PerNode, 'kind'>> = {}): Per<T> {
  const made = new PerNode(
    kind,
    parts.lb ?? 0,
    parts.ub ?? 0,
    parts.names ?? NONE,
    parts.nodes ?? NONE,
    parts.optional ?? NONE,
    parts.optionalCount ?? 0,
    parts.extensible ?? false,
    parts.unreadTail ?? false,
    parts.extensionNames,
    parts.custom,
    parts.lazy,
    parts.sized ?? false,
  );
  return made as unknown as Per<T>;
}

/** The node behind a schema value (every `Per` is one: only this module makes them). */
function nodeOf(per: Per<unknown>): PerNode {
  return per as unknown as PerNode;
}

export function opt<T>(per: Per<T>): OptionalField<T> {
  return { optional: per };
}

/** SEQUENCE: extension bit, presence preamble, root components in order, then additions (X.691 19). */
export function seq<F extends Record<string, FieldSpec>>(fields: F, options: SeqOptions = {}): Per<SeqValue<F>> {
  const names = Object.keys(fields);
  const specs = names.map((name) => fields[name] as FieldSpec);
  const optional = specs.map((spec) => !(spec instanceof PerNode));
  return node(SEQ, {
    names,
    nodes: specs.map((spec, i) =>
      nodeOf(optional[i] === true ? (spec as OptionalField<unknown>).optional : (spec as Per<unknown>)),
    ),
    optional,
    optionalCount: optional.filter(Boolean).length + (options.unreadTail?.optionals ?? 0),
    extensible: options.extensible === true,
    unreadTail: options.unreadTail !== undefined,
  });
}

/** CHOICE: extension bit, then the index of a root alternative, or of an addition in an open type (X.691 23). */
export function choice<A extends Record<string, Per<unknown>>>(
  alternatives: A,
  options: ChoiceOptions = {},
): Per<ChoiceValue<A>> {
  const names = Object.keys(alternatives);
  return node(CHOICE, {
    ub: names.length - 1,
    names,
    nodes: names.map((name) => nodeOf(alternatives[name] as Per<unknown>)),
    extensible: options.extensible === true,
    extensionNames: options.extensionNames,
  });
}

/** ENUMERATED: the root index, or (extensible, bit set) a normally small index of an addition. */
export function enumerated<const V extends readonly string[]>(
  values: V,
  options: { extensible?: boolean } = {},
): Per<V[number] | '...'> {
  return node(ENUMERATED, { ub: values.length - 1, names: values, extensible: options.extensible === true });
}

export function int(lb: number, ub: number): Per<number> {
  return node(INT, { lb, ub });
}

export const bool: Per<boolean> = node(BOOL);
export const nul: Per<null> = node(NULL);

/** BIT STRING (SIZE (n)) with n ≤ 32, as an unsigned number (most significant bit first). */
export function bitsNumber(size: number): Per<number> {
  return node(BITS_NUMBER, { lb: size, ub: size });
}

/** BIT STRING (SIZE (lb..ub)), left-aligned in bytes. */
export function bitString(lb: number, ub: number = lb): Per<{ readonly length: number; readonly bytes: Uint8Array }> {
  return node(BIT_STRING, { lb, ub });
}

/** OCTET STRING, unconstrained (a length determinant) or SIZE (lb..ub). */
export function octetString(size?: { readonly lb: number; readonly ub: number }): Per<Uint8Array> {
  return size === undefined ? node(OCTET_STRING) : node(OCTET_STRING, { lb: size.lb, ub: size.ub, sized: true });
}

/** SEQUENCE (SIZE (lb..ub)) OF item. */
export function seqOf<T>(item: Per<T>, lb: number, ub: number): Per<readonly T[]> {
  return node(SEQ_OF, { lb, ub, nodes: [nodeOf(item)] });
}

/** A type used before its definition (definitions that refer to each other). */
export function lazy<T>(get: () => Per<T>): Per<T> {
  return node(LAZY, { lazy: get });
}

/** A hand-written part: `decode` reads the type from the reader itself (and decodes any schema inside with `read`). */
export function custom<T>(decode: (r: PerReader) => T): Per<T> {
  return node(CUSTOM, { custom: decode });
}

/** Path names of list elements, made once: a list's elements are named by their index. */
const INDEX_NAMES = Array.from({ length: 64 }, (_, i) => String(i));
function indexName(i: number): string {
  return INDEX_NAMES[i] ?? String(i);
}

/** X.691 19.8: a normally small length of the addition bitmap, the bitmap, then one open type per set bit. */
function skipExtensionAdditions(r: PerReader): void {
  const count = r.normallySmallNumber() + 1;
  let present = 0;
  for (let i = 0; i < count; i++) if (r.bit()) present++;
  for (let i = 0; i < present; i++) r.skipOpenType();
}

/** Decodes one value of the type `per` at the reader's position; a failure throws (see `decodePer`). */
export function read<T>(r: PerReader, per: Per<T>): T {
  return walk(r, nodeOf(per)) as T;
}

/** The walker: every kind of type decoded in one function (see the module comment for why). */
function walk(r: PerReader, n: PerNode): unknown {
  switch (n.kind) {
    case SEQ: {
      const extended = n.extensible && r.bit();
      // The presence bits, first one highest, in a number (no array per SEQUENCE) unless there are too many.
      const optionalCount = n.optionalCount;
      let mask = 0;
      let many: boolean[] | undefined;
      if (optionalCount <= 30) for (let i = 0; i < optionalCount; i++) mask = mask * 2 + (r.bit() ? 1 : 0);
      else {
        many = [];
        for (let i = 0; i < optionalCount; i++) many.push(r.bit());
      }
      const out: Record<string, unknown> = {};
      const names = n.names;
      let optionalIndex = 0;
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string;
        if (n.optional[i] === true) {
          const present =
            many === undefined
              ? ((mask >>> (optionalCount - 1 - optionalIndex)) & 1) === 1
              : many[optionalIndex] === true;
          optionalIndex++;
          if (!present) continue;
        }
        r.path.push(name);
        out[name] = walk(r, n.nodes[i] as PerNode);
        r.path.pop();
      }
      if (n.unreadTail) r.loseTrack();
      else if (extended) skipExtensionAdditions(r);
      return out;
    }
    case CHOICE: {
      if (n.extensible && r.bit()) {
        const index = r.normallySmallNumber();
        r.skipOpenType();
        const name = n.extensionNames?.[index];
        return name === undefined ? { type: '...', index } : { type: '...', index, name };
      }
      const index = r.constrainedWholeNumber(0, n.ub);
      const type = n.names[index] as string;
      r.path.push(type);
      const value: unknown = walk(r, n.nodes[index] as PerNode);
      r.path.pop();
      return { type, value };
    }
    case ENUMERATED:
      if (n.extensible && r.bit()) {
        r.normallySmallNumber();
        return '...';
      }
      return n.names[r.constrainedWholeNumber(0, n.ub)];
    case INT:
      return r.constrainedWholeNumber(n.lb, n.ub);
    case BOOL:
      return r.bit();
    case NULL:
      return null;
    case BITS_NUMBER:
      return r.bits(n.lb);
    case BIT_STRING: {
      const length = r.constrainedLength(n.lb, n.ub);
      return { length, bytes: r.bitBytes(length) };
    }
    case OCTET_STRING: {
      const length = n.sized ? r.constrainedLength(n.lb, n.ub) : r.lengthDeterminant();
      return r.bitBytes(length * 8);
    }
    case SEQ_OF: {
      const count = r.constrainedLength(n.lb, n.ub);
      const item = n.nodes[0] as PerNode;
      const out: unknown[] = [];
      for (let i = 0; i < count; i++) {
        r.path.push(indexName(i));
        out.push(walk(r, item));
        r.path.pop();
      }
      return out;
    }
    case LAZY:
      return walk(r, nodeOf((n.lazy as () => Per<unknown>)()));
    default:
      return (n.custom as (r: PerReader) => unknown)(r);
  }
}

/** The result of decoding one PDU: the value, or where and why it stopped. */
export type PerResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: PerFailure; readonly field: string };

/** Decodes a whole PDU. Never throws for bad input: failures come back as data. */
export function decodePer<T>(per: Per<T>, data: Uint8Array): PerResult<T> {
  const r = new PerReader(data);
  try {
    return { ok: true, value: read(r, per) };
  } catch (error) {
    if (error instanceof PerDecodeError) return { ok: false, failure: error.failure, field: error.field };
    throw error;
  }
}
