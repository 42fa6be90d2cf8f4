import type { DecidedEvent } from '../events';
import type { RecordingTotals, StopReason } from '../recordings.events';
import { formatRfc3339 } from '../rfc3339';

/**
 * Event builders for the domain's own specs (not exported from the index):
 * they keep given/then lists readable.
 */

/** 2024-06-01T10:00:00Z, i.e. 12:00 at +02:00. */
export const T0 = 1717236000000;
export const NAME0 = '1717236000';
export const ZERO: RecordingTotals = { qmdlSizeBytes: 0, uncompressedBytes: 0, containers: 0 };

/** A RecordingStarted; the start time defaults to the name's second at +00:00. */
export const started = (
  name: string,
  startTime = formatRfc3339(Number(name) * 1000, 0),
  compressed = true,
): DecidedEvent => ({
  type: 'RecordingStarted',
  recording: name,
  data: { name, startTime, compressed },
});

export const appended = (name: string, totals: RecordingTotals): DecidedEvent => ({
  type: 'RecordingDataAppended',
  recording: name,
  data: totals,
});

export const stopped = (
  name: string,
  reason: StopReason,
  totals: RecordingTotals = ZERO,
  detail?: string,
): DecidedEvent => ({
  type: 'RecordingStopped',
  recording: name,
  data: detail === undefined ? { reason, ...totals } : { reason, detail, ...totals },
});

export const deleted = (name: string, reason: 'requested' | 'all-deleted' = 'requested'): DecidedEvent => ({
  type: 'RecordingDeleted',
  recording: name,
  data: { reason },
});

export const imported = (name: string, startTime: string, qmdlSizeBytes = 100): DecidedEvent => ({
  type: 'RecordingImported',
  recording: name,
  data: { name, startTime, qmdlSizeBytes, compressed: true, recoveredFrom: 'manifest' },
});

export const serviceStarted = (bootId: string, previousShutdownClean: boolean): DecidedEvent => ({
  type: 'ServiceStarted',
  data: { bootId, version: '0.1.0', pid: 42, previousShutdownClean },
});

export const serviceStopped = (bootId: string): DecidedEvent => ({ type: 'ServiceStopped', data: { bootId } });
