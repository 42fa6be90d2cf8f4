export * from './event-log.port';
export { AbstractLevelEventLog, PAGE_LIMIT } from './abstract-level-event-log';
export type { EventLogOptions, EventLogStats } from './abstract-level-event-log';
export { LevelEventLog } from './level-event-log';
export type { LevelEventLogOptions } from './level-event-log';
export { copyLevelDir, isLevelLocked } from './level-copy';
export { MemoryEventLog } from './memory-event-log';
export { UpcasterRegistry } from './upcasters';
export type { Upcaster } from './upcasters';
export { canonicalEncode, hashEvent } from './canonical';
export { encodeSequenceKey, decodeSequenceKey, SEQUENCE_KEY_LENGTH } from './sequence-key';
export {
  indexEntries,
  indexKey,
  normalizeTime,
  seqOfIndexKey,
  INDEX_SEPARATOR,
  META_KEYS,
  STORE_FORMAT_VERSION,
  SUBLEVELS,
} from './layout';
export type { IndexSublevel } from './layout';
export { EventLogErrorCode, EventRejectedError, EventRejectionCode } from './errors';
export { MAX_EVENT_BYTES } from './validation';
export { VerifyCode } from './verify';
export type { LevelDatabase } from './level-types';
