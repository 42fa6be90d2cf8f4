import { emmCauseName } from '../nas/lte-nas';
import { stateless, type Analyzer } from './analyzer';

// EMM causes after which a UE may fall back to sending its IMSI (the "Marlin" list).
const TAU_REJECT_CAUSES = new Set([3, 6, 7, 8, 12, 14, 35]);
const ATTACH_REJECT_CAUSES = new Set([3, 6, 7, 8, 11, 12, 13, 14, 15, 35]);
const SERVICE_REJECT_CAUSES = new Set([3, 6, 7, 9, 12, 14, 35]);
/** Downlink detach type 3: IMSI detach, which does not make the UE re-attach with its IMSI. */
const IMSI_DETACH = 3;

/** Messages that can lead a UE to expose its IMSI: informational context for the other findings. */
export const diagnosticAnalyzer: Analyzer<undefined> = {
  key: 'diagnostic_analyzer',
  name: 'Diagnostic detector for messages which might lead to IMSI exposure',
  description:
    'Notes identity requests, rejects with causes that make a phone re-register with its IMSI, and network-initiated detaches. ' +
    'Not an indicator by itself: it explains why another finding fired. The list of such messages follows the "Marlin" study of IMSI exposure.',
  version: 1,
  reads: {
    rrc: [],
    nas: ['identityRequest', 'trackingAreaUpdateReject', 'attachReject', 'serviceReject', 'detachRequest'],
  },
  initial: () => undefined,
  analyze(_state, ie) {
    if (ie.kind !== 'lte-nas') return stateless(undefined);
    const nas = ie.nas;
    let what: string | undefined;
    switch (nas.message) {
      case 'identityRequest':
        what = `identity request (${nas.identityType})`;
        break;
      case 'trackingAreaUpdateReject':
        if (TAU_REJECT_CAUSES.has(nas.emmCause)) what = `tracking area update reject (${emmCauseName(nas.emmCause)})`;
        break;
      case 'attachReject':
        if (ATTACH_REJECT_CAUSES.has(nas.emmCause)) what = `attach reject (${emmCauseName(nas.emmCause)})`;
        break;
      case 'serviceReject':
        if (SERVICE_REJECT_CAUSES.has(nas.emmCause)) what = `service reject (${emmCauseName(nas.emmCause)})`;
        break;
      case 'detachRequest':
        if (nas.direction === 'downlink' && nas.detachType !== IMSI_DETACH) {
          what = `network detach (type ${nas.detachType}${nas.emmCause === undefined ? '' : `, ${emmCauseName(nas.emmCause)}`})`;
        }
        break;
      default:
        break;
    }
    return stateless(what === undefined ? undefined : { event_type: 'Informational', message: `Diagnostic: ${what}` });
  },
};
