/**
 * The envelope every stored event has. Plain readonly data:
 * a JSON value read back from LevelDB has no constructor.
 */

/** Who caused an event. */
export type Actor =
  | { readonly kind: 'http'; readonly remoteAddress: string; readonly userAgent?: string }
  | { readonly kind: 'recorder' }
  | { readonly kind: 'system' }
  | { readonly kind: 'cli'; readonly command?: string };

export type ActorKind = Actor['kind'];

export interface EventMetadata {
  readonly actor: Actor;
  /** One per request/command; shared by every event it produced. */
  readonly correlationId: string;
  /** The event or command id that caused this one, where there is one. */
  readonly causationId?: string;
  readonly bootId: string;
  readonly appVersion: string;
}

/** An event as handed to the log for appending (no seq, no hash yet). */
export interface NewEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  /** Schema version of `data`'s shape; starts at 1. */
  readonly v: number;
  /** Adjusted wall clock (system time + recorded clock offset), ISO 8601 UTC. */
  readonly time: string;
  /** Raw system time, ISO 8601 UTC. */
  readonly systemTime: string;
  /** The recording this event names, where it has one. */
  readonly recording?: string;
  readonly data: TData;
  readonly metadata: EventMetadata;
}

/** An event as stored: gapless `seq` from 1, and the SHA-256 chain. */
export interface StoredEvent<TType extends string = string, TData = unknown> extends NewEvent<TType, TData> {
  readonly seq: number;
  /** Hex SHA-256 of the previous event (64 zeros for seq 1). */
  readonly prev: string;
  /** Hex SHA-256 over the canonical encoding of this event with `prev`. */
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The events of a slice's data map as `decide` produces them: type, data and the recording each names. */
export type DecidedEventOf<TMap> = {
  [K in keyof TMap & string]: { readonly type: K; readonly data: TMap[K]; readonly recording?: string };
}[keyof TMap & string];

/** The stored events of a slice's data map, discriminated on `type`. */
export type StoredEventOf<TMap> = {
  [K in keyof TMap & string]: StoredEvent<K, TMap[K]>;
}[keyof TMap & string];
