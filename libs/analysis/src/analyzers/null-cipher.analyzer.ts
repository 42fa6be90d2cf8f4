import { stateless, type Analyzer } from './analyzer';

const EVENT = { event_type: 'High', message: 'The cell chose the null cipher (EEA0) for RRC' } as const;

/** RRC security mode command, or a handover's security config, selecting EEA0. */
export const nullCipherAnalyzer: Analyzer<undefined> = {
  key: 'null_cipher',
  name: 'Null Cipher',
  description:
    'Flags an RRC security mode command or handover security configuration that selects EEA0, i.e. no encryption of the radio link.',
  version: 1,
  initial: () => undefined,
  analyze(_state, ie) {
    if (ie.kind !== 'lte-rrc' || ie.channel !== 'DL-DCCH') return stateless(undefined);
    const rrc = ie.rrc;
    if (rrc.message === 'securityModeCommand' && rrc.cipheringAlgorithm === 'eea0') return stateless(EVENT);
    if (
      rrc.message === 'rrcConnectionReconfiguration' &&
      rrc.security?.securityConfigHO?.securityAlgorithmConfig?.cipheringAlgorithm === 'eea0'
    ) {
      return stateless(EVENT);
    }
    return stateless(undefined);
  },
};
