import { plmnString } from '../rrc/lte-rrc';
import type { Analyzer, AnalyzerEvent, AnalyzerStep, InformationElement } from './analyzer';

/** Elements in IdentityRequest without a follow-up after which the request is reported as unanswered. */
export const IDENTITY_REQUEST_TIMEOUT = 50;

type Phase = 'Unattached' | 'AttachRequest' | 'IdentityRequest' | 'AuthAccept' | 'Disconnect';
type Next = Phase | 'LikelyValidAttachReject';

export interface ImsiRequestedState {
  readonly phase: Phase;
  readonly sinceIdentityRequest: number;
  /** PLMNs of the last SIB1 (the cell we are probably camped on). */
  readonly cellPlmns: readonly string[];
  /** The UE's PLMN, from the last visited TAI of its last attach request. */
  readonly uePlmn?: string;
}

/** EMM cause #8, "EPS services and non-EPS services not allowed": what a SIM without a plan gets. */
const ATTACH_REJECT_LIKELY_VALID = 8;

function nextPhase(ie: InformationElement): Next | undefined {
  if (ie.kind === 'lte-rrc') {
    return ie.rrc.message === 'rrcConnectionRequest' || ie.rrc.message === 'rrcConnectionReestablishmentRequest'
      ? 'AttachRequest'
      : undefined;
  }
  const nas = ie.nas;
  switch (nas.message) {
    case 'attachRequest':
    case 'extendedServiceRequest':
      return 'AttachRequest';
    case 'identityRequest':
      return 'IdentityRequest';
    case 'authenticationResponse':
      return 'AuthAccept';
    case 'emm':
      return nas.name === 'attachComplete' ? 'AuthAccept' : undefined;
    case 'serviceReject':
    case 'detachRequest':
    case 'trackingAreaUpdateReject':
      return 'Disconnect';
    case 'attachReject':
      return nas.emmCause === ATTACH_REJECT_LIKELY_VALID ? 'LikelyValidAttachReject' : 'Disconnect';
    default:
      return undefined;
  }
}

function transition(s: ImsiRequestedState, next: Next): { state: ImsiRequestedState; event?: AnalyzerEvent } {
  const phase: Phase = next === 'LikelyValidAttachReject' ? 'Disconnect' : next;
  const moved = { ...s, phase };
  if (next === 'AuthAccept') return { state: { ...moved, sinceIdentityRequest: 0 } };
  if (s.phase === 'AuthAccept' && next === 'IdentityRequest') {
    return {
      state: moved,
      event: {
        event_type: 'High',
        message: 'The network asked for an identity after the UE had already authenticated',
      },
    };
  }
  if (s.phase === 'Disconnect' && next === 'IdentityRequest') {
    return {
      state: moved,
      event: { event_type: 'High', message: 'The network asked for an identity with no attach in progress' },
    };
  }
  if (s.phase === 'IdentityRequest' && next === 'LikelyValidAttachReject') {
    return {
      state: moved,
      event: {
        event_type: 'Low',
        message:
          'An identity request without authentication ended in an attach reject: expected for a SIM without an active plan, suspicious otherwise',
      },
    };
  }
  if (s.phase === 'IdentityRequest' && next === 'Disconnect') {
    if (s.uePlmn !== undefined && s.cellPlmns.includes(s.uePlmn)) {
      return {
        state: moved,
        event: {
          event_type: 'High',
          message: 'Disconnected after an identity request without authentication, on the home network',
        },
      };
    }
    const cell = s.cellPlmns.length === 0 ? 'Unknown' : s.cellPlmns.join(', ');
    return {
      state: moved,
      event: {
        event_type: 'Low',
        message: `Disconnected after an identity request without authentication; possibly a roaming artefact - cell PLMN: ${cell}, UE PLMN: ${s.uePlmn ?? 'Unknown'}`,
      },
    };
  }
  if (next === 'IdentityRequest') return { state: { ...moved, sinceIdentityRequest: 0 } };
  return { state: moved };
}

/**
 * An identity request (IMSI/IMEI) that no attach explains, or that comes after
 * authentication, or that is followed by a disconnect without authentication.
 */
export const imsiRequestedAnalyzer: Analyzer<ImsiRequestedState> = {
  key: 'imsi_requested',
  name: 'Identity (IMSI or IMEI) requested in suspicious manner',
  description:
    'Follows attach, authentication, identity request and disconnect messages, and flags an identity request that neither an attach ' +
    'nor the authentication flow explains: an IMSI catcher asks for the permanent identity and then lets the phone go.',
  version: 4,
  initial: () => ({ phase: 'Unattached', sinceIdentityRequest: 0, cellPlmns: [] }),
  analyze(state, ie): AnalyzerStep<ImsiRequestedState> {
    if (ie.kind === 'lte-rrc' && ie.rrc.message === 'systemInformationBlockType1') {
      return { state: { ...state, cellPlmns: ie.rrc.sib1.plmns.map(plmnString) } };
    }
    let s = state;
    let event: AnalyzerEvent | undefined;
    if (ie.kind === 'lte-nas' && ie.nas.message === 'attachRequest' && ie.nas.oldTaiPlmn !== undefined) {
      s = { ...s, uePlmn: `${ie.nas.oldTaiPlmn.mcc}-${ie.nas.oldTaiPlmn.mnc}` };
    }
    const next = nextPhase(ie);
    if (next !== undefined) ({ state: s, event } = transition(s, next));
    if (s.phase === 'IdentityRequest') {
      const count = s.sinceIdentityRequest + 1;
      if (count >= IDENTITY_REQUEST_TIMEOUT) {
        s = { ...s, sinceIdentityRequest: 0 };
        event = { event_type: 'Informational', message: 'An identity request had no authentication after it' };
      } else {
        s = { ...s, sinceIdentityRequest: count };
      }
    }
    return event === undefined ? { state: s } : { state: s, event };
  },
};
