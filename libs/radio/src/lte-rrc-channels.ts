import type { LteRrcChannel } from './radio-message';

/**
 * The LTE RRC OTA log numbers its PDUs differently by ext header version. These
 * are the mappings the Rayhunter daemon knows (its GSMTAP parser), one table per
 * group of versions; a version outside every group has no known mapping.
 */
type PduTable = ReadonlyMap<number, LteRrcChannel>;

const LTE_ORDER: readonly LteRrcChannel[] = [
  'BCCH-BCH',
  'BCCH-DL-SCH',
  'MCCH',
  'PCCH',
  'DL-CCCH',
  'DL-DCCH',
  'UL-CCCH',
  'UL-DCCH',
];

function table(entries: ReadonlyArray<readonly [number, LteRrcChannel]>): PduTable {
  return new Map(entries);
}

/** 1 BCCH-BCH … 8 UL-DCCH, in LTE_ORDER from `first`. */
function consecutive(first: number): Array<[number, LteRrcChannel]> {
  return LTE_ORDER.map((channel, i) => [first + i, channel]);
}

/** BCCH-BCH, BCCH-DL-SCH at 1, 2, then MCCH … UL-DCCH from 4 (3 unused). */
const GAP_AT_3 = table([
  [1, 'BCCH-BCH'],
  [2, 'BCCH-DL-SCH'],
  [4, 'MCCH'],
  [5, 'PCCH'],
  [6, 'DL-CCCH'],
  [7, 'DL-DCCH'],
  [8, 'UL-CCCH'],
  [9, 'UL-DCCH'],
]);

const NB_FROM_54: Array<[number, LteRrcChannel]> = [
  [54, 'BCCH-BCH-NB'],
  [55, 'BCCH-DL-SCH-NB'],
  [56, 'PCCH-NB'],
  [57, 'DL-CCCH-NB'],
  [58, 'DL-DCCH-NB'],
  [59, 'UL-CCCH-NB'],
  [61, 'UL-DCCH-NB'],
];
const NB_FROM_45: Array<[number, LteRrcChannel]> = [
  [45, 'BCCH-BCH-NB'],
  [46, 'BCCH-DL-SCH-NB'],
  [47, 'PCCH-NB'],
  [48, 'DL-CCCH-NB'],
  [49, 'DL-DCCH-NB'],
  [50, 'UL-CCCH-NB'],
  [52, 'UL-DCCH-NB'],
];

const FROM_1 = table(consecutive(1));
const FROM_8 = table(consecutive(8));
const GAP_AT_3_NB = table([...GAP_AT_3, ...NB_FROM_54]);
const WIDE_NB = table([
  [1, 'BCCH-BCH'],
  [3, 'BCCH-DL-SCH'],
  [6, 'MCCH'],
  [7, 'PCCH'],
  [8, 'DL-CCCH'],
  [9, 'DL-DCCH'],
  [10, 'UL-CCCH'],
  [11, 'UL-DCCH'],
  ...NB_FROM_45,
]);

const BY_VERSION: ReadonlyMap<number, PduTable> = new Map<number, PduTable>([
  ...[2, 3, 4, 6, 7, 8, 13, 22].map((v) => [v, FROM_1] as const),
  ...[9, 12].map((v) => [v, FROM_8] as const),
  ...[14, 15, 16].map((v) => [v, GAP_AT_3] as const),
  ...[20, 24, 25].map((v) => [v, GAP_AT_3_NB] as const),
  ...[19, 26, 27].map((v) => [v, WIDE_NB] as const),
]);

/** The ext header versions that have a PDU-number-to-channel mapping, ascending. */
export const LTE_RRC_KNOWN_VERSIONS: readonly number[] = [...BY_VERSION.keys()].sort((a, b) => a - b);

/**
 * The channel an LTE RRC OTA PDU number names under `extHeaderVersion`:
 * `'unknown-version'` when the version has no mapping, `'unknown-pdu'` when its
 * mapping does not name the number.
 *
 * @example
 * lteRrcChannelOf(24, 5); // 'PCCH'
 * lteRrcChannelOf(19, 50); // 'UL-CCCH-NB'
 */
export function lteRrcChannelOf(
  extHeaderVersion: number,
  pduNum: number,
): LteRrcChannel | 'unknown-version' | 'unknown-pdu' {
  const pdus = BY_VERSION.get(extHeaderVersion);
  if (pdus === undefined) return 'unknown-version';
  return pdus.get(pduNum) ?? 'unknown-pdu';
}

/** Uplink for the UL channels, downlink for every other. */
export function lteRrcDirectionOf(channel: LteRrcChannel): 'uplink' | 'downlink' {
  return channel.startsWith('UL-') ? 'uplink' : 'downlink';
}
