import { MemoryLevel } from 'memory-level';
import { AbstractLevelEventLog, type EventLogOptions } from './abstract-level-event-log';
import type { LevelDatabase } from './level-types';

/**
 * The event log in memory (memory-level): for tests and tools that build a
 * throw-away log. Same behaviour as `LevelEventLog` except durability and locking.
 *
 * @example
 * const log = await MemoryEventLog.open();
 * await log.append([event]);
 */
export class MemoryEventLog extends AbstractLevelEventLog {
  /** Opens a new, empty in-memory store. */
  static async open(options: EventLogOptions = {}): Promise<MemoryEventLog> {
    const db = new MemoryLevel<string, string>() as LevelDatabase;
    const { subs, state } = await AbstractLevelEventLog.prepare(db);
    return new MemoryEventLog(db, subs, state, options);
  }
}
