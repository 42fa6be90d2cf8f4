import { PerDecodeError, PerReader, type PerFailure } from './per-reader';

/**
 * Schema combinators for unaligned PER: each ASN.1 type we read is written once
 * as a value built from these (see `rrc/lte-rrc.schema.ts`), and the same value
 * decodes it. The types of the decoded values follow from the schema, so a
 * field the schema does not have cannot be read by mistake.
 */
export type Per<T> = (r: PerReader) => T;

/** An OPTIONAL (or DEFAULT) component of a SEQUENCE: one presence bit in the preamble. */
export interface OptionalField<T> {
  readonly optional: Per<T>;
}

export type FieldSpec = Per<unknown> | OptionalField<unknown>;
type Decoded<S> = S extends Per<infer T> ? T : S extends OptionalField<infer T> ? T : never;
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

export function opt<T>(per: Per<T>): OptionalField<T> {
  return { optional: per };
}

function isOptional(spec: FieldSpec): spec is OptionalField<unknown> {
  return typeof spec !== 'function';
}

/** SEQUENCE: extension bit, presence preamble, root components in order, then additions (X.691 19). */
export function seq<F extends Record<string, FieldSpec>>(fields: F, options: SeqOptions = {}): Per<SeqValue<F>> {
  // Parallel arrays walked by index: destructuring `for (const [name, spec] of entries)` allocates an iterator
  // and a result per field until the closure is optimized, and the live analysis runs it mostly unoptimized.
  const names = Object.keys(fields);
  const specs = names.map((name) => fields[name] as FieldSpec);
  const optional = specs.map(isOptional);
  const optionalCount = optional.filter(Boolean).length + (options.unreadTail?.optionals ?? 0);
  const extensible = options.extensible === true;
  const unreadTail = options.unreadTail !== undefined;
  return (r) => {
    const extended = extensible && r.bit();
    // The presence bits, first one highest, in a number (no array per SEQUENCE) unless there are too many.
    let mask = 0;
    let many: boolean[] | undefined;
    if (optionalCount <= 30) for (let i = 0; i < optionalCount; i++) mask = mask * 2 + (r.bit() ? 1 : 0);
    else {
      many = [];
      for (let i = 0; i < optionalCount; i++) many.push(r.bit());
    }
    const out: Record<string, unknown> = {};
    let optionalIndex = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const spec = specs[i] as FieldSpec;
      r.path.push(name);
      if (optional[i] === true) {
        const present =
          many === undefined
            ? ((mask >>> (optionalCount - 1 - optionalIndex)) & 1) === 1
            : many[optionalIndex] === true;
        optionalIndex++;
        if (present) out[name] = (spec as OptionalField<unknown>).optional(r);
      } else {
        out[name] = (spec as Per<unknown>)(r);
      }
      r.path.pop();
    }
    if (unreadTail) {
      r.loseTrack();
    } else if (extended) {
      skipExtensionAdditions(r);
    }
    return out as SeqValue<F>;
  };
}

/** X.691 19.8: a normally small length of the addition bitmap, the bitmap, then one open type per set bit. */
function skipExtensionAdditions(r: PerReader): void {
  const count = r.normallySmallNumber() + 1;
  let present = 0;
  for (let i = 0; i < count; i++) if (r.bit()) present++;
  for (let i = 0; i < present; i++) r.skipOpenType();
}

export interface ChoiceOptions {
  readonly extensible?: boolean;
  /** Names of the extension alternatives, in order (for reporting which one was present). */
  readonly extensionNames?: readonly string[];
}

/** CHOICE: extension bit, then the index of a root alternative, or of an addition in an open type (X.691 23). */
export function choice<A extends Record<string, Per<unknown>>>(
  alternatives: A,
  options: ChoiceOptions = {},
): Per<ChoiceValue<A>> {
  const types = Object.keys(alternatives);
  const pers = types.map((type) => alternatives[type] as Per<unknown>);
  const extensible = options.extensible === true;
  return (r) => {
    if (extensible && r.bit()) {
      const index = r.normallySmallNumber();
      r.skipOpenType();
      const name = options.extensionNames?.[index];
      return (name === undefined ? { type: '...', index } : { type: '...', index, name }) as ChoiceValue<A>;
    }
    const index = r.constrainedWholeNumber(0, types.length - 1);
    const type = types[index] as string;
    const per = pers[index] as Per<unknown>;
    r.path.push(type);
    const value = per(r);
    r.path.pop();
    return { type, value } as ChoiceValue<A>;
  };
}

/** ENUMERATED: the root index, or (extensible, bit set) a normally small index of an addition. */
export function enumerated<const V extends readonly string[]>(
  values: V,
  options: { extensible?: boolean } = {},
): Per<V[number] | '...'> {
  return (r) => {
    if (options.extensible === true && r.bit()) {
      r.normallySmallNumber();
      return '...';
    }
    return values[r.constrainedWholeNumber(0, values.length - 1)] as V[number];
  };
}

export function int(lb: number, ub: number): Per<number> {
  return (r) => r.constrainedWholeNumber(lb, ub);
}

export const bool: Per<boolean> = (r) => r.bit();
export const nul: Per<null> = () => null;

/** BIT STRING (SIZE (n)) with n ≤ 32, as an unsigned number (most significant bit first). */
export function bitsNumber(size: number): Per<number> {
  return (r) => r.bits(size);
}

/** BIT STRING (SIZE (lb..ub)), left-aligned in bytes. */
export function bitString(lb: number, ub: number = lb): Per<{ readonly length: number; readonly bytes: Uint8Array }> {
  return (r) => {
    const length = r.constrainedLength(lb, ub);
    return { length, bytes: r.bitBytes(length) };
  };
}

/** OCTET STRING, unconstrained (a length determinant) or SIZE (lb..ub). */
export function octetString(size?: { readonly lb: number; readonly ub: number }): Per<Uint8Array> {
  return (r) => {
    const length = size === undefined ? r.lengthDeterminant() : r.constrainedLength(size.lb, size.ub);
    return r.bitBytes(length * 8);
  };
}

/** Path names of list elements, made once: a list's elements are named by their index. */
const INDEX_NAMES = Array.from({ length: 64 }, (_, i) => String(i));
function indexName(i: number): string {
  return INDEX_NAMES[i] ?? String(i);
}

/** SEQUENCE (SIZE (lb..ub)) OF item. */
export function seqOf<T>(item: Per<T>, lb: number, ub: number): Per<readonly T[]> {
  return (r) => {
    const count = r.constrainedLength(lb, ub);
    const out: T[] = [];
    for (let i = 0; i < count; i++) {
      r.path.push(indexName(i));
      out.push(item(r));
      r.path.pop();
    }
    return out;
  };
}

/** A type used before its definition (definitions that refer to each other). */
export function lazy<T>(get: () => Per<T>): Per<T> {
  return (r) => get()(r);
}

/** The result of decoding one PDU: the value, or where and why it stopped. */
export type PerResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: PerFailure; readonly field: string };

/** Decodes a whole PDU. Never throws for bad input: failures come back as data. */
export function decodePer<T>(per: Per<T>, data: Uint8Array): PerResult<T> {
  const r = new PerReader(data);
  try {
    return { ok: true, value: per(r) };
  } catch (error) {
    if (error instanceof PerDecodeError) return { ok: false, failure: error.failure, field: error.field };
    throw error;
  }
}
