import type { StoredEventText } from './event-log.port';
import { eventsSublevelOf, type AbstractLevelEventLog } from './abstract-level-event-log';
import { chunksOf, READ_CHUNK } from './reader';
import { encodeSequenceKey, isSequence } from './sequence-key';

/**
 * Forensic and test-fixture access to a log's stored event values, beneath the
 * chain. Reading sees every stored value, also past the head and across gaps,
 * as a damaged store holds them. Writing changes one stored value and nothing
 * else — not its index entries, not the head, not the chain — which is exactly
 * the damage `verify` exists to find: fixtures of altered and removed events
 * are made this way. Never for application code: a log's only writers are
 * `append` and `importSealed`.
 *
 * @example
 * const raw = rawEventAccess(log);
 * await raw.overwrite(7, text.replace('"qmdlSizeBytes":5', '"qmdlSizeBytes":1')); // verify → BAD_HASH at 7
 */
export interface RawEventAccess {
  /** The sequence of every stored event value, in key order (keys only: cheap). */
  seqs(): AsyncIterable<number>;
  /** Every stored event value as written, with its key's sequence, in key order. */
  entries(): AsyncIterable<StoredEventText>;
  /** Replaces the stored value of `seq` (or writes one where there was none). */
  overwrite(seq: number, text: string): Promise<void>;
  /** Removes the stored value of `seq`, leaving a gap. */
  remove(seq: number): Promise<void>;
}

/** Raw access to the stored events of `log` (see {@link RawEventAccess}); the log must be open. */
export function rawEventAccess(log: AbstractLevelEventLog): RawEventAccess {
  const events = eventsSublevelOf(log);
  const key = (seq: number): string => {
    if (!isSequence(seq) || seq < 1) throw new TypeError('seq must be an integer >= 1');
    return encodeSequenceKey(seq);
  };
  return {
    async *seqs() {
      for await (const keys of chunksOf(events.keys(), READ_CHUNK))
        for (const k of keys as string[]) yield Number.parseInt(k, 16);
    },
    async *entries() {
      for await (const entries of chunksOf(events.iterator(), READ_CHUNK))
        for (const [k, text] of entries as Array<[string, string]>) yield { seq: Number.parseInt(k, 16), text };
    },
    overwrite: (seq, text) => {
      if (typeof text !== 'string') throw new TypeError('text must be a string');
      return events.put(key(seq), text);
    },
    remove: (seq) => events.del(key(seq)),
  };
}
