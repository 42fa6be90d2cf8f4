import { describeEventLogContract } from './testing/event-log.contract';
import { MemoryEventLog } from './memory-event-log';

describeEventLogContract('MemoryEventLog', () => ({
  open: (options) => MemoryEventLog.open(options),
  dispose: async () => undefined,
}));
