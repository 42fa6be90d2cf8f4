import type { ReconfigurationSecurity } from '../rrc/lte-rrc.schema';
import { stateless, type Analyzer } from './analyzer';

const EEA0 = 'eea0';

const EVENT = { event_type: 'High', message: 'The cell chose the null cipher (EEA0) for RRC' } as const;

/**
 * The places the original looks for a null cipher, and only those: a security mode command, and in a
 * reconfiguration the handover's securityConfigHO (r8), the SCG change's cipheringAlgorithmSCG-r12
 * (v1250 scg-Configuration-r12 → scg-ConfigPartSCG-r12 → mobilityControlInfoSCG-r12) and the 5GC
 * handover's securityConfigHO-v1530.
 */
function reconfigurationSelectsEea0(security: ReconfigurationSecurity): boolean {
  if (security.securityConfigHO?.securityAlgorithmConfig?.cipheringAlgorithm === EEA0) return true;
  const extensions = security.extensions;
  if (extensions === undefined) return false;
  const scg = extensions.scgConfiguration;
  if (scg?.type === 'setup' && scg.cipheringAlgorithmSCG === EEA0) return true;
  return extensions.v1530?.securityConfigHO?.securityAlgorithmConfig?.cipheringAlgorithm === EEA0;
}

/** RRC security mode command, or a reconfiguration's handover or SCG security, selecting EEA0. */
export const nullCipherAnalyzer: Analyzer<undefined> = {
  key: 'null_cipher',
  name: 'Null Cipher',
  description:
    'Flags an RRC security mode command, or a handover or secondary cell group security configuration, that selects EEA0, i.e. no encryption of the radio link.',
  version: 1,
  reads: { rrc: ['securityModeCommand', 'rrcConnectionReconfiguration'], nas: [] },
  initial: () => undefined,
  analyze(_state, ie) {
    if (ie.kind !== 'lte-rrc' || ie.channel !== 'DL-DCCH') return stateless(undefined);
    const rrc = ie.rrc;
    if (rrc.message === 'securityModeCommand' && rrc.cipheringAlgorithm === EEA0) return stateless(EVENT);
    if (
      rrc.message === 'rrcConnectionReconfiguration' &&
      rrc.security !== undefined &&
      reconfigurationSelectsEea0(rrc.security)
    )
      return stateless(EVENT);
    return stateless(undefined);
  },
};
