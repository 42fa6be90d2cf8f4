import { stateless, type Analyzer } from './analyzer';

/** The EEA0 code of the NAS security algorithms IE (24.301 9.9.3.23). */
const EEA0 = 0;

/** An EMM security mode command selecting EEA0. */
export const nasNullCipherAnalyzer: Analyzer<undefined> = {
  key: 'nas_null_cipher',
  name: 'NAS Null Cipher Requested',
  description:
    'Flags a NAS security mode command in which the core network selects EEA0, leaving NAS signalling unencrypted.',
  version: 1,
  reads: { rrc: [], nas: ['securityModeCommand'] },
  initial: () => undefined,
  analyze(_state, ie) {
    if (ie.kind === 'lte-nas' && ie.nas.message === 'securityModeCommand' && ie.nas.cipheringAlgorithm === EEA0) {
      return stateless({
        event_type: 'High',
        message: 'The NAS security mode command selected the null cipher (EEA0)',
      });
    }
    return stateless(undefined);
  },
};
