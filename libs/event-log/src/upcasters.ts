import type { StoredEvent } from '@ledger/domain';
import { LedgerError } from '@ledger/domain';
import { EventLogErrorCode } from './errors';

/** Turns the `data` of one schema version of an event type into the next version's. */
export interface Upcaster {
  readonly type: string;
  /** The version this upcaster reads; it produces `fromVersion + 1`. */
  readonly fromVersion: number;
  readonly upcast: (data: unknown) => unknown;
}

/**
 * Upcasters applied on every read path of the log (get, read, page, subscribe),
 * so old event shapes are read as the current one while the stored bytes — and
 * the hash chain over them — stay untouched.
 *
 * @example
 * const upcasters = new UpcasterRegistry()
 *   .register({ type: 'RecordingStopped', fromVersion: 1, upcast: (d) => ({ ...(d as object), detail: '' }) })
 *   .register({ type: 'RecordingStopped', fromVersion: 2, upcast: (d) => d });
 * const log = await MemoryEventLog.open({ upcasters }); // v1 events are read as v3
 */
export class UpcasterRegistry {
  private readonly byType = new Map<string, Map<number, Upcaster['upcast']>>();

  /** Adds an upcaster; one per (type, fromVersion). Returns the registry for chaining. */
  register(upcaster: Upcaster): this {
    const { type, fromVersion, upcast } = upcaster;
    if (typeof type !== 'string' || type === '') throw new TypeError('upcaster type must be a non-empty string');
    if (!Number.isSafeInteger(fromVersion) || fromVersion < 1)
      throw new TypeError('upcaster fromVersion must be an integer >= 1');
    if (typeof upcast !== 'function') throw new TypeError('upcaster upcast must be a function');
    let versions = this.byType.get(type);
    if (versions === undefined) {
      versions = new Map();
      this.byType.set(type, versions);
    }
    if (versions.has(fromVersion)) throw new TypeError(`an upcaster for ${type} v${fromVersion} is already registered`);
    versions.set(fromVersion, upcast);
    return this;
  }

  /** True when no upcaster is registered (reads skip the upcast step). */
  get isEmpty(): boolean {
    return this.byType.size === 0;
  }

  /**
   * The event as its newest known version: applies `v → v+1` while an upcaster
   * for the current version exists. Returns `event` itself when none applies;
   * `seq`, `prev` and `hash` are those of the stored form.
   */
  upcast<E extends StoredEvent>(event: E): E {
    const versions = this.byType.get(event.type);
    if (versions === undefined) return event;
    let v = event.v;
    let data: unknown = event.data;
    for (let step = versions.get(v); step !== undefined; step = versions.get(v)) {
      try {
        data = step(data);
      } catch (error) {
        throw new LedgerError(
          EventLogErrorCode.UPCAST_FAILED,
          `upcasting ${event.type} v${v} (seq ${event.seq}) failed`,
          {
            cause: error,
            details: { seq: event.seq, type: event.type, fromVersion: v },
          },
        );
      }
      v += 1;
    }
    return v === event.v ? event : { ...event, v, data };
  }
}
