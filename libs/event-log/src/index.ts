// What other projects use, and nothing else: the key layout, the sublevels and
// the database stay inside this lib (README "Key layout").
export type * from './event-log.port';
export { LevelEventLog } from './level-event-log';
export { MemoryEventLog } from './memory-event-log';
export { PAGE_LIMIT } from './abstract-level-event-log';
export { copyLevelDir, isLevelLocked } from './level-copy';
export { UpcasterRegistry } from './upcasters';
export type { Upcaster } from './upcasters';
export { canonicalEncode, hashEvent } from './canonical';
export { EventLogErrorCode, EventRejectedError, EventRejectionCode } from './errors';
export { ChainCode } from './verify';
export { MAX_EVENT_BYTES } from './validation';
export { rawEventAccess } from './raw-event-access';
export type { RawEventAccess } from './raw-event-access';
