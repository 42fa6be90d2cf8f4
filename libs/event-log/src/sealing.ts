import type { StoredEvent } from '@ledger/domain';
import { sha256Hex } from './canonical';
import type { PreparedEvent } from './validation';

/** A sealed event and the bytes stored for it. */
export interface SealedEvent {
  readonly event: StoredEvent;
  /** The stored value: the canonical encoding with `"hash"` appended as the last member. */
  readonly value: string;
}

/**
 * Gives a prepared event its place in the chain. The covered string is
 * `canonicalEncode` of the event without `hash`, assembled from the parts
 * encoded at append time: the envelope's keys in sorted order are data,
 * metadata, prev, recording, seq, systemTime, time, type, v. (The contract
 * suite checks `hashEvent(stored) === stored.hash` for every append.)
 */
export function sealEvent(prepared: PreparedEvent, seq: number, prev: string): SealedEvent {
  // `prev` is a hash this log computed (64 hex digits): it needs no escaping.
  const { event, dataJson, metadataJson } = prepared;
  const recording = event.recording === undefined ? '' : `,"recording":${JSON.stringify(event.recording)}`;
  const covered =
    `{"data":${dataJson},"metadata":${metadataJson},"prev":"${prev}"${recording},"seq":${seq}` +
    `,"systemTime":${JSON.stringify(event.systemTime)},"time":${JSON.stringify(event.time)},"type":${JSON.stringify(event.type)},"v":${event.v}}`;
  const hash = sha256Hex(covered);
  const stored: StoredEvent = {
    seq,
    type: event.type,
    v: event.v,
    time: event.time,
    systemTime: event.systemTime,
    ...(event.recording === undefined ? {} : { recording: event.recording }),
    data: event.data,
    metadata: event.metadata,
    prev,
    hash,
  };
  return { event: stored, value: `${covered.slice(0, -1)},"hash":"${hash}"}` };
}
