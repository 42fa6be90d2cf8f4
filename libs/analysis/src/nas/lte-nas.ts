/**
 * LTE NAS for EPS (TS 24.301): the plain EMM messages the analyzers read, from
 * their octets (type, length, value; no ASN.1). Identities are never decoded:
 * only their type is kept, so nothing here can leak an IMSI or IMEI.
 */

export type NasDirection = 'uplink' | 'downlink';

/** 24.301 9.3.1: security header types. */
const PLAIN = 0;
const INTEGRITY_PROTECTED = 1;
const INTEGRITY_PROTECTED_CIPHERED = 2;
const INTEGRITY_PROTECTED_NEW_CONTEXT = 3;
const INTEGRITY_PROTECTED_CIPHERED_NEW_CONTEXT = 4;
const SERVICE_REQUEST_HEADER = 12;

const PD_EMM = 0x7;
const PD_ESM = 0x2;

/** EMM message types (24.301 9.8). */
export const EmmMessageType = {
  attachRequest: 0x41,
  attachAccept: 0x42,
  attachComplete: 0x43,
  attachReject: 0x44,
  detachRequest: 0x45,
  detachAccept: 0x46,
  trackingAreaUpdateRequest: 0x48,
  trackingAreaUpdateAccept: 0x49,
  trackingAreaUpdateComplete: 0x4a,
  trackingAreaUpdateReject: 0x4b,
  extendedServiceRequest: 0x4c,
  serviceReject: 0x4e,
  gutiReallocationCommand: 0x50,
  gutiReallocationComplete: 0x51,
  authenticationRequest: 0x52,
  authenticationResponse: 0x53,
  authenticationReject: 0x54,
  identityRequest: 0x55,
  identityResponse: 0x56,
  authenticationFailure: 0x5c,
  securityModeCommand: 0x5d,
  securityModeComplete: 0x5e,
  securityModeReject: 0x5f,
  emmStatus: 0x60,
  emmInformation: 0x61,
  downlinkNasTransport: 0x62,
  uplinkNasTransport: 0x63,
} as const;
export type EmmMessageName = keyof typeof EmmMessageType;
const EMM_NAMES = new Map<number, EmmMessageName>(
  Object.entries(EmmMessageType).map(([k, v]) => [v, k as EmmMessageName]),
);

/** Mobile identity types (24.008 10.5.1.4, 24.301 9.9.3.12). */
export type IdentityType = 'IMSI' | 'IMEI' | 'IMEISV' | 'TMSI' | 'GUTI' | 'none' | `reserved(${number})`;
function identityTypeName(code: number): IdentityType {
  switch (code) {
    case 0:
      return 'none';
    case 1:
      return 'IMSI';
    case 2:
      return 'IMEI';
    case 3:
      return 'IMEISV';
    case 4:
      return 'TMSI';
    case 6:
      return 'GUTI';
    default:
      return `reserved(${code})`;
  }
}

/** PLMN digits of a TAI or GUTI (24.008 10.5.1.13): "mcc-mnc" with 2- or 3-digit MNC. */
export interface NasPlmn {
  readonly mcc: string;
  readonly mnc: string;
}

export type NasFacts =
  | { readonly message: 'identityRequest'; readonly identityType: IdentityType }
  | { readonly message: 'identityResponse'; readonly identityType: IdentityType }
  | {
      readonly message: 'attachRequest';
      readonly attachType: number;
      readonly identityType: IdentityType;
      /** The PLMN of the old GUTI, when the UE identified itself with one. */
      readonly oldGutiPlmn?: NasPlmn;
      /** The PLMN of the last visited registered TAI, when present. */
      readonly oldTaiPlmn?: NasPlmn;
      readonly oldTaiTac?: number;
    }
  | { readonly message: 'attachAccept'; readonly attachResult: number; readonly emmCause?: number }
  | { readonly message: 'attachReject'; readonly emmCause: number }
  | { readonly message: 'authenticationRequest'; readonly nasKeySetIdentifier: number }
  | { readonly message: 'authenticationResponse' }
  | {
      readonly message: 'securityModeCommand';
      readonly cipheringAlgorithm: number;
      readonly integrityAlgorithm: number;
    }
  | { readonly message: 'serviceReject'; readonly emmCause: number }
  | { readonly message: 'trackingAreaUpdateReject'; readonly emmCause: number }
  | {
      readonly message: 'detachRequest';
      readonly direction: NasDirection;
      /** Type of detach, 3 bits (uplink: 1 EPS, 2 IMSI, 3 combined; downlink: 1 re-attach required, 2 not required, 3 IMSI detach). */
      readonly detachType: number;
      readonly switchOff?: boolean;
      readonly emmCause?: number;
    }
  | { readonly message: 'extendedServiceRequest'; readonly serviceType: number }
  | { readonly message: 'serviceRequest' }
  /** Any other EMM message: its name (or type code) only. */
  | { readonly message: 'emm'; readonly name: EmmMessageName | `0x${string}` }
  | { readonly message: 'esm'; readonly messageType: number };

export type NasDecodeResult =
  | { readonly ok: true; readonly facts: NasFacts; readonly securityHeaderType: number }
  | { readonly ok: false; readonly reason: NasFailure };

/**
 * Why a NAS PDU was not decoded. `EncryptedNASMessage` is what the original
 * reports for a ciphered message (its skip reason reads `NASDecodingError(EncryptedNASMessage)`).
 */
export type NasFailure = 'EncryptedNASMessage' | 'Truncated' | 'UnknownProtocolDiscriminator' | 'MalformedIE';

class NasTruncated extends Error {}

class Octets {
  constructor(
    private readonly data: Uint8Array,
    public pos: number,
    private readonly end: number = data.length,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    if (this.pos >= this.end) throw new NasTruncated();
    return this.data[this.pos++] as number;
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.end) throw new NasTruncated();
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  lv(): Uint8Array {
    return this.take(this.u8());
  }
  lve(): Uint8Array {
    const hi = this.u8();
    return this.take(hi * 256 + this.u8());
  }
}

function plmnOf(b: Uint8Array): NasPlmn {
  const d = (x: number): string => (x <= 9 ? String(x) : '');
  const b0 = b[0] as number;
  const b1 = b[1] as number;
  const b2 = b[2] as number;
  const mcc = d(b0 & 0xf) + d(b0 >> 4) + d(b1 & 0xf);
  const mnc3 = b1 >> 4;
  const mnc = d(b2 & 0xf) + d(b2 >> 4) + (mnc3 === 0xf ? '' : d(mnc3));
  return { mcc, mnc };
}

/** The identity type of an (EPS) mobile identity value; its digits are never read. */
function identityOf(value: Uint8Array): IdentityType {
  return value.length === 0 ? 'none' : identityTypeName((value[0] as number) & 0x7);
}

/**
 * Walks the optional IEs after a message's mandatory part (24.007 11.2.4):
 * IEIs of 0x80 and up are one octet (type 1 and 2), 0x7X are TLV-E, the IEIs in
 * `tv` have that fixed total length, everything else is TLV.
 */
function optionalIes(o: Octets, tv: Readonly<Record<number, number>>): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  while (o.left > 0) {
    const iei = o.u8();
    if (iei >= 0x80) {
      const key = iei & 0xf0;
      if (!out.has(key)) out.set(key, Uint8Array.of(iei & 0x0f));
      continue;
    }
    const fixed = tv[iei];
    const value = fixed !== undefined ? o.take(fixed - 1) : (iei & 0xf0) === 0x70 ? o.lve() : o.lv();
    if (!out.has(iei)) out.set(iei, value);
  }
  return out;
}

const ATTACH_REQUEST_TV = { 0x19: 4, 0x52: 6, 0x5c: 3, 0x13: 6, 0x17: 2 };
const ATTACH_ACCEPT_TV = { 0x13: 6, 0x53: 2, 0x17: 2, 0x59: 2 };
const DETACH_REQUEST_DL_TV = { 0x53: 2 };

function decodeEmm(o: Octets, direction: NasDirection): NasFacts {
  const type = o.u8();
  const name = EMM_NAMES.get(type);
  switch (name) {
    case 'identityRequest':
      return { message: 'identityRequest', identityType: identityTypeName(o.u8() & 0x7) };
    case 'identityResponse':
      return { message: 'identityResponse', identityType: identityOf(o.lv()) };
    case 'attachRequest': {
      const attachType = o.u8() & 0x7;
      const identity = o.lv();
      o.lv(); // UE network capability
      o.lve(); // ESM message container
      const ies = optionalIes(o, ATTACH_REQUEST_TV);
      const identityType = identityOf(identity);
      const tai = ies.get(0x52);
      return {
        message: 'attachRequest',
        attachType,
        identityType,
        ...(identityType === 'GUTI' && identity.length >= 4 ? { oldGutiPlmn: plmnOf(identity.subarray(1, 4)) } : {}),
        ...(tai !== undefined && tai.length === 5
          ? { oldTaiPlmn: plmnOf(tai), oldTaiTac: ((tai[3] as number) << 8) | (tai[4] as number) }
          : {}),
      };
    }
    case 'attachAccept': {
      const attachResult = o.u8() & 0x7;
      o.u8(); // T3412
      o.lv(); // TAI list
      o.lve(); // ESM message container
      const cause = optionalIes(o, ATTACH_ACCEPT_TV).get(0x53);
      return cause === undefined || cause.length !== 1
        ? { message: 'attachAccept', attachResult }
        : { message: 'attachAccept', attachResult, emmCause: cause[0] as number };
    }
    case 'attachReject':
      return { message: 'attachReject', emmCause: o.u8() };
    case 'authenticationRequest':
      return { message: 'authenticationRequest', nasKeySetIdentifier: o.u8() & 0xf };
    case 'authenticationResponse':
      return { message: 'authenticationResponse' };
    case 'securityModeCommand': {
      const algorithms = o.u8();
      return {
        message: 'securityModeCommand',
        cipheringAlgorithm: (algorithms >> 4) & 0x7,
        integrityAlgorithm: algorithms & 0x7,
      };
    }
    case 'serviceReject':
      return { message: 'serviceReject', emmCause: o.u8() };
    case 'trackingAreaUpdateReject':
      return { message: 'trackingAreaUpdateReject', emmCause: o.u8() };
    case 'detachRequest': {
      const octet = o.u8();
      const detachType = octet & 0x7;
      if (direction === 'uplink')
        return { message: 'detachRequest', direction, detachType, switchOff: (octet & 0x8) !== 0 };
      const cause = optionalIes(o, DETACH_REQUEST_DL_TV).get(0x53);
      return cause === undefined || cause.length !== 1
        ? { message: 'detachRequest', direction, detachType }
        : { message: 'detachRequest', direction, detachType, emmCause: cause[0] as number };
    }
    case 'extendedServiceRequest':
      return { message: 'extendedServiceRequest', serviceType: o.u8() & 0xf };
    case undefined:
      return { message: 'emm', name: `0x${type.toString(16).padStart(2, '0')}` };
    default:
      return { message: 'emm', name };
  }
}

/**
 * Decodes one LTE NAS PDU. Integrity-protected messages (header types 1 and 3)
 * are read through their 6-octet security header; ciphered ones (2 and 4) are
 * refused as `EncryptedNASMessage`. Total: never throws.
 *
 * @example
 * const r = decodeLteNas(Buffer.from('075501', 'hex'), 'downlink');
 * // r.ok && r.facts → { message: 'identityRequest', identityType: 'IMSI' }
 */
export function decodeLteNas(pdu: Uint8Array, direction: NasDirection): NasDecodeResult {
  try {
    return decodeNasAt(new Octets(pdu, 0), direction, 0);
  } catch (error) {
    if (error instanceof NasTruncated) return { ok: false, reason: 'Truncated' };
    throw error;
  }
}

function decodeNasAt(o: Octets, direction: NasDirection, depth: number): NasDecodeResult {
  const first = o.u8();
  const pd = first & 0xf;
  const header = first >> 4;
  if (pd === PD_ESM) {
    o.u8(); // procedure transaction identity
    return { ok: true, securityHeaderType: PLAIN, facts: { message: 'esm', messageType: o.u8() } };
  }
  if (pd !== PD_EMM) return { ok: false, reason: 'UnknownProtocolDiscriminator' };
  switch (header) {
    case PLAIN:
      return { ok: true, securityHeaderType: PLAIN, facts: decodeEmm(o, direction) };
    case INTEGRITY_PROTECTED:
    case INTEGRITY_PROTECTED_NEW_CONTEXT: {
      if (depth > 0) return { ok: false, reason: 'MalformedIE' };
      o.take(5); // MAC and sequence number
      const inner = decodeNasAt(o, direction, depth + 1);
      return inner.ok ? { ...inner, securityHeaderType: header } : inner;
    }
    case INTEGRITY_PROTECTED_CIPHERED:
    case INTEGRITY_PROTECTED_CIPHERED_NEW_CONTEXT:
      return { ok: false, reason: 'EncryptedNASMessage' };
    case SERVICE_REQUEST_HEADER:
      return { ok: true, securityHeaderType: header, facts: { message: 'serviceRequest' } };
    default:
      return { ok: false, reason: 'MalformedIE' };
  }
}

/** EMM cause names (24.301 9.9.3.9) the analyzers and reports mention. */
export const EmmCause: Readonly<Record<number, string>> = {
  2: 'IMSI unknown in HSS',
  3: 'Illegal UE',
  5: 'IMEI not accepted',
  6: 'Illegal ME',
  7: 'EPS services not allowed',
  8: 'EPS services and non-EPS services not allowed',
  9: 'UE identity cannot be derived by the network',
  10: 'Implicitly detached',
  11: 'PLMN not allowed',
  12: 'Tracking area not allowed',
  13: 'Roaming not allowed in this tracking area',
  14: 'EPS services not allowed in this PLMN',
  15: 'No suitable cells in tracking area',
  17: 'Network failure',
  22: 'Congestion',
  35: 'Requested service option not authorized in this PLMN',
};

export function emmCauseName(cause: number): string {
  return EmmCause[cause] ?? `cause #${cause}`;
}
