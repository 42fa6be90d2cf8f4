import type { AbstractLevel, AbstractSublevel } from 'abstract-level';

/** Any abstract-level database with string keys and values (classic-level, memory-level, ...). */
export type LevelDatabase = AbstractLevel<string | Buffer | Uint8Array, string, string>;

export type LevelSublevel = AbstractSublevel<LevelDatabase, string | Buffer | Uint8Array, string, string>;
