import type { Analyzer, AnalyzerEvent, AnalyzerStep } from './analyzer';

export interface Sib6And7State {
  /** Highest LTE reselection priority seen since the last SIB1 (SIB3 serving, SIB5 inter-frequency). */
  readonly lte?: number;
  /** Highest UTRA (SIB6) or GERAN (SIB7) reselection priority seen since the last SIB1. */
  readonly legacy?: number;
}

const higher = (current: number | undefined, candidate: number | undefined): number | undefined =>
  candidate === undefined ? current : current === undefined || candidate > current ? candidate : current;

/** At each SIB1: did the cell's SIBs rank a 3G/2G frequency above every LTE one? */
export const lteSib6And7DowngradeAnalyzer: Analyzer<Sib6And7State> = {
  key: 'lte_sib6_and_7_downgrade',
  name: 'LTE SIB 6/7 Downgrade',
  description:
    'Compares the reselection priorities an LTE cell broadcasts for 3G (SIB6) and 2G (SIB7) frequencies with those of its LTE frequencies ' +
    '(SIB3, SIB5): a legacy frequency above LTE pushes idle phones down to 3G/2G.',
  version: 2,
  reads: { rrc: ['systemInformationBlockType1', 'systemInformation'], nas: [] },
  initial: () => ({}),
  analyze(state, ie): AnalyzerStep<Sib6And7State> {
    if (ie.kind !== 'lte-rrc') return { state };
    if (ie.rrc.message === 'systemInformationBlockType1') {
      let event: AnalyzerEvent | undefined;
      if (state.legacy !== undefined && (state.lte === undefined || state.legacy > state.lte)) {
        event =
          state.lte === undefined
            ? { event_type: 'Informational', message: 'The cell lists 3G/2G neighbour frequencies but no LTE ones' }
            : {
                event_type: 'High',
                message: `The cell ranks a 3G/2G frequency (priority ${state.legacy}) above its LTE frequencies (priority ${state.lte})`,
              };
      }
      return event === undefined ? { state: {} } : { state: {}, event };
    }
    if (ie.rrc.message !== 'systemInformation') return { state };
    let { lte, legacy } = state;
    for (const sib of ie.rrc.sibs) {
      switch (sib.type) {
        case 'sib3':
          lte = higher(lte, sib.value.cellReselectionServingFreqInfo.cellReselectionPriority);
          break;
        case 'sib5':
          for (const carrier of sib.value.interFreqCarrierFreqList) lte = higher(lte, carrier.cellReselectionPriority);
          break;
        case 'sib6':
          for (const carrier of sib.value['carrierFreqListUTRA-FDD'] ?? [])
            legacy = higher(legacy, carrier.cellReselectionPriority);
          for (const carrier of sib.value['carrierFreqListUTRA-TDD'] ?? [])
            legacy = higher(legacy, carrier.cellReselectionPriority);
          break;
        case 'sib7':
          for (const carrier of sib.value.carrierFreqsInfoList ?? [])
            legacy = higher(legacy, carrier.commonInfo.cellReselectionPriority);
          break;
        default:
          break;
      }
    }
    return { state: { ...(lte === undefined ? {} : { lte }), ...(legacy === undefined ? {} : { legacy }) } };
  },
};
