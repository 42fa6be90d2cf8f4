import { decodePer, type Per, type PerValue } from '../per/per-schema';
import type { PerFailure } from '../per/per-reader';
import {
  BcchDlSchMessage,
  DlDcchMessage,
  UlCcchMessage,
  UlDcchMessage,
  type ReconfigurationSecurity,
  type SibEntry,
} from './lte-rrc.schema';

/** The LTE RRC logical channels of an LTE RRC OTA log (the message layer's names). */
export type LteRrcChannelName =
  | 'BCCH-BCH'
  | 'BCCH-DL-SCH'
  | 'MCCH'
  | 'PCCH'
  | 'DL-CCCH'
  | 'DL-DCCH'
  | 'UL-CCCH'
  | 'UL-DCCH'
  | 'BCCH-BCH-NB'
  | 'BCCH-DL-SCH-NB'
  | 'PCCH-NB'
  | 'DL-CCCH-NB'
  | 'DL-DCCH-NB'
  | 'UL-CCCH-NB'
  | 'UL-DCCH-NB';

/** A PLMN as SIB1 gives it: MCC digits (absent when the list's previous MCC applies) and 2 or 3 MNC digits. */
export interface RrcPlmn {
  readonly mcc?: string;
  readonly mnc: string;
}

export interface Sib1Facts {
  readonly plmns: readonly RrcPlmn[];
  readonly trackingAreaCode: number;
  readonly cellIdentity: number;
  /** schedulingInfoList: one entry per SI message, with the SIB types it maps. */
  readonly schedulingInfo: readonly { readonly periodicity: string; readonly sibs: readonly string[] }[];
}

export type RedirectTarget =
  | 'eutra'
  | 'geran'
  | 'utra-FDD'
  | 'utra-TDD'
  | 'cdma2000-HRPD'
  | 'cdma2000-1xRTT'
  | 'utra-TDD-r10'
  | 'nr-r15'
  | 'unknown-extension';

/** What the analyzers read from one LTE RRC message, by message. */
export type LteRrcFacts =
  | { readonly message: 'systemInformationBlockType1'; readonly sib1: Sib1Facts }
  | { readonly message: 'systemInformation'; readonly sibs: readonly SibEntry[] }
  | {
      readonly message: 'rrcConnectionRelease';
      /** Absent for a criticalExtensionsFuture release. */
      readonly releaseCause?: string;
      readonly redirectedCarrierInfo?: { readonly type: RedirectTarget; readonly value?: unknown };
      readonly idleModeMobilityControlInfo?: unknown;
    }
  | {
      readonly message: 'securityModeCommand';
      readonly cipheringAlgorithm?: string;
      readonly integrityProtAlgorithm?: string;
    }
  | { readonly message: 'rrcConnectionReconfiguration'; readonly security?: ReconfigurationSecurity }
  | {
      readonly message: 'dlInformationTransfer' | 'ulInformationTransfer' | 'rrcConnectionSetupComplete';
      readonly nas?: Uint8Array;
    }
  | { readonly message: 'rrcConnectionRequest'; readonly establishmentCause?: string }
  | { readonly message: 'rrcConnectionReestablishmentRequest'; readonly reestablishmentCause?: string }
  /** A message of a path we do not read further than its name (MIB, paging, measurement report, …). */
  | { readonly message: 'other'; readonly name: string };

export type LteRrcDecodeResult =
  | { readonly ok: true; readonly channel: LteRrcChannelName; readonly facts: LteRrcFacts }
  | { readonly ok: false; readonly channel: LteRrcChannelName; readonly failure: PerFailure; readonly field: string };

/** The value inside a decoded CHOICE alternative, when it is the named one. */
function alt<V extends { readonly type: unknown }, K extends string>(
  value: V | undefined,
  type: K,
): (Extract<V, { readonly type: K }> extends { readonly value: infer T } ? T : never) | undefined {
  if (value === undefined || value.type !== type) return undefined;
  return (value as unknown as { value: never }).value;
}

function digits(values: readonly number[]): string {
  return values.join('');
}

function sib1Facts(v: PerValue<typeof BcchDlSchMessage>): LteRrcFacts | undefined {
  const c1 = alt(v.message, 'c1');
  if (c1 === undefined) return undefined;
  if (c1.type === 'systemInformation') {
    return { message: 'systemInformation', sibs: c1.value.sibs };
  }
  if (c1.type === 'systemInformationBlockType1') {
    const info = c1.value.cellAccessRelatedInfo;
    return {
      message: 'systemInformationBlockType1',
      sib1: {
        plmns: info['plmn-IdentityList'].map(({ 'plmn-Identity': p }) =>
          p.mcc === undefined ? { mnc: digits(p.mnc) } : { mcc: digits(p.mcc), mnc: digits(p.mnc) },
        ),
        trackingAreaCode: info.trackingAreaCode,
        cellIdentity: info.cellIdentity,
        schedulingInfo: c1.value.schedulingInfoList.map((s) => ({
          periodicity: s['si-Periodicity'],
          sibs: s['sib-MappingInfo'],
        })),
      },
    };
  }
  return undefined;
}

function dlDcchFacts(v: PerValue<typeof DlDcchMessage>): LteRrcFacts {
  const c1 = alt(v.message, 'c1');
  if (c1 === undefined) return { message: 'other', name: 'messageClassExtension' };
  switch (c1.type) {
    case 'rrcConnectionRelease': {
      const r8 = alt(alt(c1.value.criticalExtensions, 'c1'), 'rrcConnectionRelease-r8');
      if (r8 === undefined) return { message: 'rrcConnectionRelease' };
      const redirect = r8.redirectedCarrierInfo;
      return {
        message: 'rrcConnectionRelease',
        releaseCause: r8.releaseCause,
        ...(redirect === undefined
          ? {}
          : {
              redirectedCarrierInfo:
                redirect.type === '...'
                  ? { type: (redirect.name ?? 'unknown-extension') as RedirectTarget }
                  : { type: redirect.type, value: redirect.value },
            }),
        ...(r8.idleModeMobilityControlInfo === undefined
          ? {}
          : { idleModeMobilityControlInfo: r8.idleModeMobilityControlInfo }),
      };
    }
    case 'securityModeCommand': {
      const r8 = alt(alt(c1.value.criticalExtensions, 'c1'), 'securityModeCommand-r8');
      if (r8 === undefined) return { message: 'securityModeCommand' };
      const algorithms = r8.securityConfigSMC.securityAlgorithmConfig;
      return {
        message: 'securityModeCommand',
        cipheringAlgorithm: algorithms.cipheringAlgorithm,
        integrityProtAlgorithm: algorithms.integrityProtAlgorithm,
      };
    }
    case 'rrcConnectionReconfiguration': {
      const r8 = alt(alt(c1.value.criticalExtensions, 'c1'), 'rrcConnectionReconfiguration-r8');
      return r8 === undefined
        ? { message: 'rrcConnectionReconfiguration' }
        : { message: 'rrcConnectionReconfiguration', security: r8 };
    }
    case 'dlInformationTransfer': {
      const c1x = alt(c1.value.criticalExtensions, 'c1');
      const type =
        alt(c1x, 'dlInformationTransfer-r8')?.dedicatedInfoType ??
        alt(c1x, 'dlInformationTransfer-r15')?.['dedicatedInfoType-r15'];
      const nas = alt(type, 'dedicatedInfoNAS');
      return nas === undefined ? { message: 'dlInformationTransfer' } : { message: 'dlInformationTransfer', nas };
    }
    default:
      return { message: 'other', name: c1.type };
  }
}

function ulDcchFacts(v: PerValue<typeof UlDcchMessage>): LteRrcFacts {
  const c1 = alt(v.message, 'c1');
  if (c1 === undefined) return { message: 'other', name: 'messageClassExtension' };
  if (c1.type === 'ulInformationTransfer') {
    const r8 = alt(alt(c1.value.criticalExtensions, 'c1'), 'ulInformationTransfer-r8');
    const nas = alt(r8?.dedicatedInfoType, 'dedicatedInfoNAS');
    return nas === undefined ? { message: 'ulInformationTransfer' } : { message: 'ulInformationTransfer', nas };
  }
  if (c1.type === 'rrcConnectionSetupComplete') {
    const r8 = alt(alt(c1.value.criticalExtensions, 'c1'), 'rrcConnectionSetupComplete-r8');
    return r8 === undefined
      ? { message: 'rrcConnectionSetupComplete' }
      : { message: 'rrcConnectionSetupComplete', nas: r8.dedicatedInfoNAS };
  }
  return { message: 'other', name: c1.type };
}

function ulCcchFacts(v: PerValue<typeof UlCcchMessage>): LteRrcFacts {
  const c1 = alt(v.message, 'c1');
  if (c1 === undefined) return { message: 'other', name: 'messageClassExtension' };
  if (c1.type === 'rrcConnectionRequest') {
    const r8 = alt(c1.value.criticalExtensions, 'rrcConnectionRequest-r8');
    return r8 === undefined
      ? { message: 'rrcConnectionRequest' }
      : { message: 'rrcConnectionRequest', establishmentCause: r8.establishmentCause };
  }
  if (c1.type === 'rrcConnectionReestablishmentRequest') {
    const r8 = alt(c1.value.criticalExtensions, 'rrcConnectionReestablishmentRequest-r8');
    return r8 === undefined
      ? { message: 'rrcConnectionReestablishmentRequest' }
      : { message: 'rrcConnectionReestablishmentRequest', reestablishmentCause: r8.reestablishmentCause };
  }
  return { message: 'other', name: String((c1 as { type: string }).type) };
}

function decodeWith<T>(
  channel: LteRrcChannelName,
  per: Per<T>,
  payload: Uint8Array,
  facts: (value: T) => LteRrcFacts | undefined,
): LteRrcDecodeResult {
  const result = decodePer(per, payload);
  if (!result.ok) return { ok: false, channel, failure: result.failure, field: result.field };
  return { ok: true, channel, facts: facts(result.value) ?? { message: 'other', name: 'messageClassExtension' } };
}

/**
 * Decodes one LTE RRC PDU (unaligned PER) of a known channel into the facts the
 * analyzers read. Total: a malformed PDU on a path we read comes back as
 * `{ok: false, failure, field}`, never as an exception. Channels and messages
 * we do not read give `{message: 'other'}` (still a message the analyzers see).
 *
 * @example
 * const r = decodeLteRrc('DL-DCCH', pdu);
 * if (r.ok && r.facts.message === 'securityModeCommand') console.log(r.facts.cipheringAlgorithm);
 */
export function decodeLteRrc(channel: LteRrcChannelName, payload: Uint8Array): LteRrcDecodeResult {
  switch (channel) {
    case 'BCCH-DL-SCH':
      return decodeWith(channel, BcchDlSchMessage, payload, sib1Facts);
    case 'DL-DCCH':
      return decodeWith(channel, DlDcchMessage, payload, dlDcchFacts);
    case 'UL-DCCH':
      return decodeWith(channel, UlDcchMessage, payload, ulDcchFacts);
    case 'UL-CCCH':
      return decodeWith(channel, UlCcchMessage, payload, ulCcchFacts);
    default: {
      let result = UNDECODED.get(channel);
      if (result === undefined) {
        result = { ok: true, channel, facts: { message: 'other', name: channel } };
        UNDECODED.set(channel, result);
      }
      return result;
    }
  }
}

/** The result for a message of a channel we do not decode: the same for each of its messages, made once. */
const UNDECODED = new Map<LteRrcChannelName, LteRrcDecodeResult>();

/** "mcc-mnc" the way reports show a PLMN (an absent MCC is empty). */
export function plmnString(plmn: RrcPlmn): string {
  return `${plmn.mcc ?? ''}-${plmn.mnc}`;
}
