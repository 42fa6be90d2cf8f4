import { stateless, type Analyzer } from './analyzer';

/** Every SIB1, as a Low event: shows the analysis runs. Off by default. */
export const testAnalyzer: Analyzer<undefined> = {
  key: 'test_analyzer',
  name: 'Test Analyzer',
  description:
    'Raises a Low event for every SIB1 (cell broadcast) it sees, to show that analysis is running. Very noisy: leave it off when hunting.',
  version: 1,
  reads: { rrc: ['systemInformationBlockType1'], nas: [] },
  initial: () => undefined,
  analyze(_state, ie) {
    if (ie.kind !== 'lte-rrc' || ie.rrc.message !== 'systemInformationBlockType1') return stateless(undefined);
    const { cellIdentity, trackingAreaCode, plmns } = ie.rrc.sib1;
    const plmn = plmns[0];
    const shown = plmn === undefined ? 'none' : `${plmn.mcc ?? 'nomcc'}-${plmn.mnc}`;
    return stateless({
      event_type: 'Low',
      message: `SIB1 seen: cell id ${cellIdentity}, TAC ${trackingAreaCode}, PLMN ${shown}`,
    });
  },
};
