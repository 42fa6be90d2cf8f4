import { stateless, type Analyzer } from './analyzer';

/** A SIB1 that schedules fewer than two SI messages. */
export const incompleteSibAnalyzer: Analyzer<undefined> = {
  key: 'incomplete_sib',
  name: 'Incomplete SIB',
  description:
    'Notes a SIB1 whose scheduling list has fewer than two entries: real cells schedule several SI messages, simple fake cells often do not.',
  version: 2,
  reads: { rrc: ['systemInformationBlockType1'], nas: [] },
  initial: () => undefined,
  analyze(_state, ie) {
    if (
      ie.kind === 'lte-rrc' &&
      ie.rrc.message === 'systemInformationBlockType1' &&
      ie.rrc.sib1.schedulingInfo.length < 2
    ) {
      return stateless({
        event_type: 'Informational',
        message: `SIB1 schedules only ${ie.rrc.sib1.schedulingInfo.length} SI message(s)`,
      });
    }
    return stateless(undefined);
  },
};
