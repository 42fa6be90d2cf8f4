/**
 * Hand-made LTE RRC and NAS PDUs, one or more per heuristic rule, positive and
 * negative. Each is checked against tshark's dissection in
 * test/analysis-crafted.e2e-spec.ts (the `tshark` fields below), and the
 * analyzer specs feed them to the analyzers. Identities in them are made up.
 */
import type { NasDirection } from '../nas/lte-nas';
import type { LteRrcChannelName } from '../rrc/lte-rrc';
import { PerWriter } from './per-writer';

export interface CraftedRrc {
  readonly kind: 'lte-rrc';
  readonly channel: LteRrcChannelName;
  readonly payload: Uint8Array;
  /** tshark fields (`-T fields -E occurrence=a`) this PDU must show. */
  readonly tshark: Readonly<Record<string, string>>;
}
export interface CraftedNas {
  readonly kind: 'lte-nas';
  readonly direction: NasDirection;
  readonly payload: Uint8Array;
  readonly tshark: Readonly<Record<string, string>>;
}
export type CraftedMessage = CraftedRrc | CraftedNas;

const hex = (s: string): Uint8Array =>
  Uint8Array.from((s.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16)));

/** DL-DCCH c1 indices (36.331 order). */
const DL_DCCH = {
  dlInformationTransfer: 1,
  rrcConnectionReconfiguration: 4,
  rrcConnectionRelease: 5,
  securityModeCommand: 6,
};

function dlDcch(index: number): PerWriter {
  return new PerWriter().bit(0).int(index, 0, 15);
}

function carrierFreqsGeran(w: PerWriter, startingArfcn: number): PerWriter {
  return w
    .int(startingArfcn, 0, 1023)
    .bit(0) /* dcs1800 */
    .int(0, 0, 2) /* explicitListOfARFCNs */
    .int(0, 0, 31);
}

type Redirect =
  | { type: 'geran'; arfcn: number }
  | { type: 'eutra'; arfcn: number }
  | { type: 'utra-FDD'; arfcn: number }
  | { type: 'none' };
function rrcConnectionRelease(redirect: Redirect): Uint8Array {
  const w = dlDcch(DL_DCCH.rrcConnectionRelease).int(0, 0, 3).bit(0).int(0, 0, 3);
  w.bit(redirect.type !== 'none')
    .bit(0)
    .bit(0); // redirectedCarrierInfo, idleModeMobilityControlInfo, nonCriticalExtension
  w.int(1, 0, 3); // releaseCause: other
  if (redirect.type === 'geran') carrierFreqsGeran(w.bit(0).int(1, 0, 5), redirect.arfcn);
  if (redirect.type === 'eutra') w.bit(0).int(0, 0, 5).int(redirect.arfcn, 0, 65535);
  if (redirect.type === 'utra-FDD') w.bit(0).int(2, 0, 5).int(redirect.arfcn, 0, 16383);
  return w.toBytes();
}

function algorithms(w: PerWriter, eea: number, eia: number): PerWriter {
  return w.bit(0).int(eea, 0, 7).bit(0).int(eia, 0, 7);
}

function securityModeCommand(eea: number, eia: number): Uint8Array {
  const w = dlDcch(DL_DCCH.securityModeCommand).int(0, 0, 3).bit(0).int(0, 0, 3).bit(0 /* nonCriticalExtension */);
  return algorithms(w.bit(0 /* securityConfigSMC ext */), eea, eia).toBytes();
}

function reconfigurationWithHandoverSecurity(options: { eea: number; realistic: boolean }): Uint8Array {
  const w = dlDcch(DL_DCCH.rrcConnectionReconfiguration).int(1, 0, 3).bit(0).int(0, 0, 7);
  const on = options.realistic;
  // measConfig, mobilityControlInfo, dedicatedInfoNASList, radioResourceConfigDedicated, securityConfigHO, nonCriticalExtension
  w.bit(on).bit(on).bit(0).bit(on).bit(1).bit(0);
  if (on) {
    measConfig(w);
    mobilityControlInfo(w);
    radioResourceConfigDedicated(w);
  }
  w.bit(0 /* SecurityConfigHO ext */).int(0, 0, 1 /* intraLTE */).bit(1 /* securityAlgorithmConfig */);
  return algorithms(w, options.eea, 2).bit(1 /* keyChangeIndicator */).int(3, 0, 7).toBytes();
}

/** A handover's MeasConfig: one EUTRA object (with an r11 extension group), an A3 report, one measId, filters. */
function measConfig(w: PerWriter): void {
  w.bit(0).bits(0b01010110000, 11); // no ext; objects, report configs, measIds and quantityConfig present
  w.int(1, 1, 32).int(1, 1, 32).bit(0).int(0, 0, 3); // one MeasObjectToAddMod: id 1, measObjectEUTRA
  w.bit(1).bits(0, 6).int(1300, 0, 65535).int(5, 0, 5).bit(1).bits(0b01, 2); // ext set, no optionals, 1300, mbw100
  w.bit(0).bits(1, 6).bits(0b01, 2).length(1).octets([0b11000000]); // additions: group 2 only (widebandRSRQ-Meas-r11 true)
  w.int(1, 1, 32).int(1, 1, 32).bit(0); // one ReportConfigToAddMod: id 1, reportConfigEUTRA
  w.bit(0).bit(0).bit(0).int(2, 0, 4).int(6, -30, 30).bit(0).int(2, 0, 30).int(10, 0, 15); // event A3, offset 6, hys 2, ms640
  w.bit(0).bit(1).int(4, 1, 8).int(1, 0, 15).int(7, 0, 7); // rsrp, both, 4 cells, ms240, infinity
  w.int(1, 1, 32).int(1, 1, 32).int(1, 1, 32).int(1, 1, 32); // one MeasIdToAddMod: 1 → object 1, report 1
  w.bit(0).bits(0b1000, 4).bits(0b01, 2).bit(0).int(6, 0, 15); // quantityConfigEUTRA: filterCoefficientRSRQ fc6
}

/** A handover's MobilityControlInfo: target 123 on EARFCN 1300, common radio config, dedicated preamble. */
function mobilityControlInfo(w: PerWriter): void {
  w.bit(1).bits(0b1111, 4).int(123, 0, 503); // ext set; carrierFreq, bandwidth, emission, rach-ConfigDedicated
  w.bit(0).int(1300, 0, 65535).bit(0).int(5, 0, 15).int(1, 1, 32).int(3, 0, 7).bits(0x1234, 16); // n100, ms200
  w.bit(0).bits(0b010100100, 9); // RadioResourceConfigCommon: pdsch, pucch, antennaInfoCommon present
  w.bit(0).int(22, 0, 837); // prach-Config, no prach-ConfigInfo
  w.int(18, -60, 50).int(1, 0, 3); // pdsch-ConfigCommon
  w.int(1, 1, 4).bit(0).int(4, 0, 98).bit(0).bit(0).int(0, 0, 29).bit(0).int(0, 0, 7); // pusch-ConfigCommon
  w.int(1, 0, 2).int(2, 0, 98).int(0, 0, 7).int(36, 0, 2047); // pucch-ConfigCommon
  w.int(1, 0, 3).int(0, 0, 1); // an2, len1
  w.int(52, 0, 63).int(0, 0, 15); // rach-ConfigDedicated
  w.bit(0).bits(1, 6).bits(0b01, 2).length(1).octets([0x80]); // additions: group 2 only (drb-ContinueROHC-r11 true)
}

/** A handover's RadioResourceConfigDedicated: SRB2, explicit MAC config, physical config with CQI, antenna, SR. */
function radioResourceConfigDedicated(w: PerWriter): void {
  w.bit(0).bits(0b100101, 6); // srb-ToAddModList, mac-MainConfig, physicalConfigDedicated
  w.int(1, 1, 2).bit(0).bits(0b11, 2).int(2, 1, 2).bit(1); // one SRB-ToAddMod: srb 2, rlc default
  w.bit(0).bit(0).bit(1).bit(1).int(3, 1, 16).int(7, 0, 15).int(0, 0, 7).int(0, 0, 3); // explicit logicalChannelConfig
  w.bit(0).bit(0).bits(0b101, 3).bits(0b11, 2).int(4, 0, 15).int(7, 0, 15).int(1, 0, 7).bit(0); // mac: ul-SCH
  w.int(7, 0, 7).bit(1).int(3, 0, 7).int(2, 0, 7).int(1, 0, 3); // timeAlignment infinity, phr setup
  w.bit(0).bits(0b1010001011, 10); // physicalConfigDedicated: pdsch, pusch, cqi, antennaInfo, SR
  w.int(2, 0, 7).int(9, 0, 15).int(6, 0, 15).int(10, 0, 15); // p-a dB-3, beta offsets
  w.bits(0b11, 2).int(3, 0, 7).int(0, -1, 6).bit(1).bit(1).int(100, 0, 1185).int(38, 0, 1023).bit(0).int(483, 0, 1023);
  w.bit(0); // simultaneousAckNackAndCQI
  w.bit(0).bit(1).int(2, 0, 7).int(0, 0, 7).bits(0b11, 2).bit(0); // antennaInfo explicit: tm3, n2TxAntenna-tm3, release
  w.bit(1).int(5, 0, 2047).int(26, 0, 157).int(3, 0, 7); // schedulingRequestConfig setup
}

/** RadioResourceConfigCommonSCell-r10: 20 MHz DL, two antenna ports, and an UL configuration. */
function radioResourceConfigCommonSCell(w: PerWriter): void {
  w.bit(0).bit(1); // no ext; ul-Configuration-r10 present
  w.bits(0b00, 2).int(5, 0, 5).int(1, 0, 3); // nonUL: no mbsfn, no tdd; n100, an2
  w.int(0, 0, 1).int(1, 0, 3).int(15, -60, 50).int(1, 0, 3); // phich normal/half; pdsch-ConfigCommon
  w.bits(0b00, 2).bits(0b00, 2).int(1, 1, 32); // ul: no p-Max, no prach; ul-FreqInfo: emission 1 only
  w.int(-80, -126, 24).int(7, 0, 7); // uplinkPowerControlCommonSCell-r10: p0 -80, al1
  w.int(0, 0, 1).int(0, 0, 1); // soundingRS-UL-ConfigCommon release, len1
  w.int(1, 1, 4).int(0, 0, 1).int(4, 0, 98).bit(0).bit(0).int(0, 0, 29).bit(0).int(0, 0, 7); // pusch-ConfigCommon
}

/** sCellToAddModList-r10 with one SCell (index 1, PCI 200 on EARFCN 3000): common config, TM3 antenna, CQI mode. */
function sCellToAddModList(w: PerWriter): void {
  w.int(1, 1, 4); // one SCellToAddMod-r10
  w.bit(0).bits(0b111, 3).int(1, 1, 7).int(200, 0, 503).int(3000, 0, 65535); // no ext; all three optionals
  radioResourceConfigCommonSCell(w);
  w.bit(0).bit(1); // RadioResourceConfigDedicatedSCell-r10: physicalConfigDedicatedSCell-r10
  w.bit(0).bits(0b11, 2); // PhysicalConfigDedicatedSCell-r10: nonUL and ul
  w.bits(0b1001, 4).bit(1).int(2, 0, 15).length(2).bits(0b11, 2).int(0, 0, 1); // antennaInfo-r10: tm3, codebook '11'B
  w.int(2, 0, 7); // pdsch-ConfigDedicated-r10: dB-3
  w.bits(0b0001000, 7).bits(0b100, 3).int(3, 0, 7).int(0, -1, 6); // ul: cqi-ReportConfigSCell-r10 rm30, offset 0
}

/** The r8 IEs with only a nonCriticalExtension, then v890 and v920 empty and v1020 adding one SCell, into v1130. */
function reconfigurationThroughV1130(): PerWriter {
  const w = dlDcch(DL_DCCH.rrcConnectionReconfiguration).int(2, 0, 3).bit(0).int(0, 0, 7);
  w.bits(0b000001, 6); // r8: nonCriticalExtension only
  w.bits(0b01, 2).bits(0b001, 3); // v890, v920: next only
  w.bits(0b011, 3); // v1020: sCellToAddModList-r10, next
  sCellToAddModList(w);
  return w.bits(0b01, 2); // v1130: next
}

/** A dual-connectivity SCG addition (v1250): a PSCell with its common config, and the SCG's mobility control info. */
function scgAddition(options: { eea: number }): Uint8Array {
  const w = reconfigurationThroughV1130();
  w.bits(0b010000, 6); // v1250: scg-Configuration-r12 only
  w.int(1, 0, 1).bits(0b11, 2); // setup; scg-ConfigPartMCG-r12, scg-ConfigPartSCG-r12
  w.bit(0).bits(0b10, 2).int(7, 0, 65535); // MCG part: scg-Counter-r12 7
  w.bit(0).bits(0b00101, 5); // SCG part: pSCellToAddMod-r12, mobilityControlInfoSCG-r12
  w.bit(0).bits(0b110, 3).int(2, 1, 7).int(300, 0, 503).int(1850, 0, 262143); // PSCell 2, PCI 300, EARFCN 1850
  w.bit(0); // RadioResourceConfigCommonPSCell-r12, no ext
  radioResourceConfigCommonSCell(w);
  w.int(1, 0, 2).int(2, 0, 98).int(0, 0, 7).int(36, 0, 2047); // pucch-ConfigCommon-r12
  w.bit(0).bit(0).int(15, 0, 15).int(2, 0, 3).int(8, 0, 15).int(6, 0, 10).int(7, 0, 7).int(7, 0, 7).int(4, 1, 8); // rach
  w.int(1, 0, 7).int(0, 0, 3).int(-105, -127, -96).int(1, 0, 2).int(1, 0, 2).int(1, 0, 3).int(1, 0, 2).int(1, 0, 2);
  w.bit(0).bits(0b111, 3).int(3, 0, 7).bits(0x5678, 16).int(10, 0, 63).int(0, 0, 15); // MobilityControlInfoSCG-r12
  return w.bit(0).int(options.eea, 0, 7).toBytes(); // cipheringAlgorithmSCG-r12
}

/** A handover with 5GC security (v1530), reached through v1250, v1310 and v1430 (empty) and v1510 (EN-DC). */
function handoverV1530(options: { eea: number; handoverType: 'intra5GC' | 'fivegc-ToEPC' }): Uint8Array {
  const w = reconfigurationThroughV1130();
  w.bits(0b000001, 6).bits(0b000001, 6).bits(0b00001, 5); // v1250, v1310, v1430: next only
  w.bits(0b110001, 6); // v1510: nr-Config-r15, sk-Counter-r15, next
  w.int(1, 0, 1).bits(0b00, 2).bit(0).int(3, 0, 65535); // nr-Config setup, endc-ReleaseAndAdd false; sk-Counter 3
  w.bits(0b1000000, 7).bit(0); // v1530: securityConfigHO-v1530 only; no ext
  if (options.handoverType === 'intra5GC') {
    w.int(0, 0, 2).bits(0b10, 2);
    return algorithms(w, options.eea, 2).bit(1).int(2, 0, 7).toBytes(); // keyChangeIndicator, nextHopChainingCount
  }
  w.int(1, 0, 2);
  return algorithms(w, options.eea, 2).int(2, 0, 7).toBytes();
}

/** SL-TF-ResourceConfig-r12: PRBs 10 from 0 to 49, offset 0, a 4-subframe bitmap. */
function sidelinkTfResourceConfig(w: PerWriter): void {
  w.int(10, 1, 100).int(0, 0, 99).int(49, 0, 99).int(0, 0, 1).int(0, 0, 319).int(0, 0, 6).bits(0b1111, 4);
}

/**
 * An EPC-to-5GC handover (v1530) behind every sidelink configuration of the chain: v1250's sl-SyncTxControl-r12,
 * sl-DiscConfig-r12 (a UE-selected pool) and sl-CommConfig-r12 (scheduled), and v1430's sl-V2X-ConfigDedicated-r14.
 */
function handoverV1530BehindSidelink(options: { eea: number }): Uint8Array {
  const w = reconfigurationThroughV1130();
  w.bits(0b001111, 6).bit(1).int(0, 0, 1); // v1250: sync, disc, comm, next; networkControlledSyncTx on
  w.bit(0).bit(1).int(1, 0, 1).int(1, 0, 1).bit(1).bits(0b01, 2); // disc: setup, ue-Selected, dedicated pools to add
  w.int(1, 1, 4).int(1, 1, 4).bit(0).bits(0b10, 2).int(0, 0, 1).int(0, 0, 7).int(0, 0, 3).int(4, 1, 50); // pool 1
  sidelinkTfResourceConfig(w);
  w.bit(1).int(7, 0, 7).int(-100, -126, 31).int(1, 0, 1).int(3, 0, 3); // txParameters: al1, p0 -100; random, p100
  w.bit(0).bit(1).int(1, 0, 1).int(0, 0, 1).bit(1).bits(0x1111, 16).bit(0).int(0, 0, 7); // comm: scheduled, mcs
  w.bit(0).bits(0b001, 3).int(0, 0, 1).int(0, 0, 15); // SL-CommResourcePool-r12: txParameters only; sf40
  sidelinkTfResourceConfig(w);
  w.int(0, 0, 1).int(0, 0, 504).int(0, 0, 2).int(0, 0, 110); // data CP, hopping
  w.int(7, 0, 7).int(-100, -126, 31).int(7, 0, 7).int(-100, -126, 31).int(10, 0, 28); // tx parameters x2; mcs-r12 10
  w.bits(0b000001, 6).bits(0b10001, 5); // v1310: next only; v1430: sl-V2X-ConfigDedicated-r14, next
  w.bit(0).bits(0b10010, 5).int(1, 0, 1).int(0, 0, 1).bits(0b10, 2).bits(0x2222, 16).bit(0).int(1, 0, 7); // scheduled
  w.bit(0).bits(0b00001000000, 11).int(0, 0, 7).bits(0x3ff, 10).bit(1).int(0, 0, 31).int(2, 0, 7).int(0, 0, 99);
  w.int(3, 0, 7); // the V2X scheduling pool's zoneID-r14
  w.int(1, 1, 4).int(1, 1, 8).int(1, 1, 8).int(1, 0, 2); // logicalChGroupInfoList-r14 [[1]]; typeTxSync-r14 enb
  w.bits(0b000001, 6).bits(0b1000000, 7).bit(0).int(2, 0, 2); // v1510: next; v1530: securityConfigHO-v1530, epc-To5GC
  return algorithms(w, options.eea, 2).length(8).octets([0x11, 0x22, 0x33, 0x44, 0x22, 0x00, 0x00, 0x00]).toBytes(); // nas-Container-r15 (24.501 9.11.2.9)
}

function dlInformationTransfer(nas: Uint8Array): Uint8Array {
  return dlDcch(DL_DCCH.dlInformationTransfer)
    .int(0, 0, 3)
    .bit(0)
    .int(0, 0, 3)
    .bit(0)
    .int(0, 0, 2)
    .length(nas.length)
    .octets(nas)
    .toBytes();
}

interface Plmn {
  mcc: string;
  mnc: string;
}
function sib1(options: {
  plmn: Plmn;
  tac: number;
  cellIdentity: number;
  schedulingInfo: readonly (readonly number[])[];
}): Uint8Array {
  const w = new PerWriter().bit(0).int(1, 0, 1); // c1, systemInformationBlockType1
  w.bit(0).bit(0).bit(0); // p-Max, tdd-Config, nonCriticalExtension
  w.bit(0 /* csg-Identity */).int(1, 1, 6);
  w.bit(1);
  for (const d of options.plmn.mcc) w.int(Number(d), 0, 9);
  w.int(options.plmn.mnc.length, 2, 3);
  for (const d of options.plmn.mnc) w.int(Number(d), 0, 9);
  w.bit(1 /* notReserved */).bits(options.tac, 16).bits(options.cellIdentity, 28).bit(1).bit(0).bit(0);
  w.bit(0).int(-64, -70, -22); // cellSelectionInfo
  w.int(4, 1, 64); // freqBandIndicator
  w.int(options.schedulingInfo.length, 1, 32);
  for (const sibs of options.schedulingInfo) {
    w.int(1, 0, 6 /* rf16 */).int(sibs.length, 0, 31);
    for (const sib of sibs) w.bit(0).int(sib - 3, 0, 15);
  }
  return w.int(3, 0, 6 /* ms10 */).int(7, 0, 31).toBytes();
}

type SibSpec =
  | { type: 'sib3'; priority: number }
  | { type: 'sib7'; priority: number; arfcn: number }
  | { type: 'sib6'; priority: number; uarfcn: number }
  | { type: 'sib8'; hrpdPriority: number }
  | { type: 'sib9'; hnbName: string };
function systemInformation(sibs: readonly SibSpec[]): Uint8Array {
  const w = new PerWriter()
    .bit(0)
    .int(0, 0, 1)
    .bit(0 /* r8 */)
    .bit(0 /* nonCriticalExtension */)
    .int(sibs.length, 1, 32);
  for (const sib of sibs) {
    if (sib.type === 'sib3') {
      w.bit(0).int(1, 0, 9).bit(0);
      w.bit(0).int(4, 0, 15); // cellReselectionInfoCommon: q-Hyst dB4
      w.bit(0).int(10, 0, 31).int(sib.priority, 0, 7); // cellReselectionServingFreqInfo
      w.bits(0, 4).int(-64, -70, -22).bit(1).bits(1, 2).int(1, 0, 7); // intraFreqCellReselectionInfo
    } else if (sib.type === 'sib6') {
      w.bit(0).int(4, 0, 9).bit(0);
      w.bit(1).bit(0).bit(0).int(1, 1, 16); // FDD list of one carrier
      w.bit(0 /* ext */)
        .bit(1)
        .int(sib.uarfcn, 0, 16383)
        .int(sib.priority, 0, 7)
        .int(4, 0, 31)
        .int(2, 0, 31)
        .int(-50, -60, -13)
        .int(21, -50, 33)
        .int(-18, -24, 0);
      w.int(2, 0, 7); // t-ReselectionUTRA
    } else if (sib.type === 'sib8') {
      w.bit(0).int(6, 0, 9).bit(0).bits(0b0010, 4); // parametersHRPD only
      w.bit(1).bits(0b00, 2).bit(0).bit(0); // its reselection parameters; no pre-registration; no speed factors
      w.int(1, 1, 32).bit(0).bit(1).bit(0).int(0, 0, 31).int(sib.hrpdPriority, 0, 7).int(10, 0, 63).int(5, 0, 63);
      w.int(1, 1, 16).bit(0).int(0, 0, 31).int(1, 1, 16).int(100, 0, 2047).int(1, 1, 16).int(50, 0, 511); // neighbours
      w.int(2, 0, 7); // t-ReselectionCDMA2000
    } else if (sib.type === 'sib9') {
      const name = [...sib.hnbName].map((c) => c.charCodeAt(0));
      w.bit(0).int(7, 0, 9).bit(0).bit(1).int(name.length, 1, 48).octets(name);
    } else {
      w.bit(0).int(5, 0, 9).bit(0);
      w.bit(0).bit(1).int(2, 0, 7).int(1, 1, 16); // t-ReselectionGERAN, one carrier group
      carrierFreqsGeran(w.bit(0), sib.arfcn);
      w.bit(1).bit(0).int(sib.priority, 0, 7).bits(0xff, 8).int(5, 0, 45).int(4, 0, 31).int(2, 0, 31);
    }
  }
  return w.toBytes();
}

/** SIB3, then SIB8 (CDMA2000, priority 6: not a 2G/3G priority for the downgrade rule) and SIB9, then SIB7. */
function siBehindSib8AndSib9(priorities: { lte: number; geran: number }): Uint8Array {
  return systemInformation([
    { type: 'sib3', priority: priorities.lte },
    { type: 'sib8', hrpdPriority: 6 },
    { type: 'sib9', hnbName: 'hnb' },
    { type: 'sib7', priority: priorities.geran, arfcn: 20 },
  ]);
}

function rrcConnectionRequest(): Uint8Array {
  return new PerWriter()
    .bit(0)
    .int(1, 0, 1)
    .bit(0)
    .bit(1)
    .bits(0x12345678, 32)
    .bits(0x9a, 8)
    .int(3, 0, 7 /* mo-Signalling */)
    .bit(0)
    .toBytes();
}

const GUTI_310_260 = '0bf6 130062 8001 01 01020304';
const NAS = {
  identityRequestImsi: hex('075501'),
  identityRequestImei: hex('075502'),
  attachRequestGuti: hex(`0741 71 ${GUTI_310_260} 02e0e0 0004 0201d011 52 130062 a4fb`),
  authenticationResponse: hex('075308 0102030405060708'),
  attachComplete: hex('0743 0003 5200c2'),
  securityModeCommandEea0: hex('075d 02 01 02e0e0'),
  securityModeCommandEea1: hex('075d 12 01 02e0e0'),
  attachRejectCause8: hex('074408'),
  attachRejectCause17: hex('074411'),
  tauRejectCause3: hex('074b03'),
  tauRejectCause22: hex('074b16'),
  serviceRejectCause9: hex('074e09'),
  serviceRejectCause22: hex('074e16'),
  detachRequestNetworkReattach: hex('074501'),
  detachRequestNetworkImsiDetach: hex('074503'),
  detachRequestUe: hex(`0745 71 ${GUTI_310_260}`),
  extendedServiceRequest: hex('074c 70 05f401020304'),
  ciphered: hex('27 11223344 05 0102030405'),
};

const rrc = (channel: LteRrcChannelName, payload: Uint8Array, tshark: Record<string, string>): CraftedRrc => ({
  kind: 'lte-rrc',
  channel,
  payload,
  tshark,
});
const nas = (direction: NasDirection, payload: Uint8Array, tshark: Record<string, string>): CraftedNas => ({
  kind: 'lte-nas',
  direction,
  payload,
  tshark,
});

/** The crafted messages by name. */
export const craftedMessages = {
  releaseRedirectGeran: rrc('DL-DCCH', rrcConnectionRelease({ type: 'geran', arfcn: 20 }), {
    'lte-rrc.c1': '5',
    'lte-rrc.releaseCause': '1',
    'lte-rrc.redirectedCarrierInfo': '1',
    'lte-rrc.startingARFCN': '20',
  }),
  releaseRedirectEutra: rrc('DL-DCCH', rrcConnectionRelease({ type: 'eutra', arfcn: 1300 }), {
    'lte-rrc.c1': '5',
    'lte-rrc.redirectedCarrierInfo': '0',
    'lte-rrc.eutra': '1300',
  }),
  releaseRedirectUtra: rrc('DL-DCCH', rrcConnectionRelease({ type: 'utra-FDD', arfcn: 10700 }), {
    'lte-rrc.c1': '5',
    'lte-rrc.redirectedCarrierInfo': '2',
    'lte-rrc.utra_FDD': '10700',
  }),
  releaseNoRedirect: rrc('DL-DCCH', rrcConnectionRelease({ type: 'none' }), {
    'lte-rrc.c1': '5',
    'lte-rrc.releaseCause': '1',
    'lte-rrc.redirectedCarrierInfo': '',
  }),
  securityModeCommandEea0: rrc('DL-DCCH', securityModeCommand(0, 2), {
    'lte-rrc.c1': '6',
    'lte-rrc.cipheringAlgorithm': '0',
    'lte-rrc.integrityProtAlgorithm': '2',
  }),
  securityModeCommandEea2: rrc('DL-DCCH', securityModeCommand(2, 2), {
    'lte-rrc.c1': '6',
    'lte-rrc.cipheringAlgorithm': '2',
    'lte-rrc.integrityProtAlgorithm': '2',
  }),
  handoverSecurityEea0: rrc('DL-DCCH', reconfigurationWithHandoverSecurity({ eea: 0, realistic: false }), {
    'lte-rrc.c1': '4',
    'lte-rrc.cipheringAlgorithm': '0',
    'lte-rrc.nextHopChainingCount': '3',
  }),
  handoverSecurityEea1: rrc('DL-DCCH', reconfigurationWithHandoverSecurity({ eea: 1, realistic: false }), {
    'lte-rrc.c1': '4',
    'lte-rrc.cipheringAlgorithm': '1',
  }),
  handoverEea0WithMeasMobilityAndRadioConfig: rrc(
    'DL-DCCH',
    reconfigurationWithHandoverSecurity({ eea: 0, realistic: true }),
    {
      'lte-rrc.c1': '4',
      'lte-rrc.targetPhysCellId': '123',
      'lte-rrc.widebandRSRQ_Meas_r11': '1',
      'lte-rrc.drb_ContinueROHC_r11': '0',
      'lte-rrc.ri_ConfigIndex': '483',
      'lte-rrc.sr_ConfigIndex': '26',
      'lte-rrc.cipheringAlgorithm': '0',
      'lte-rrc.nextHopChainingCount': '3',
    },
  ),
  handoverEea1WithMeasMobilityAndRadioConfig: rrc(
    'DL-DCCH',
    reconfigurationWithHandoverSecurity({ eea: 1, realistic: true }),
    { 'lte-rrc.c1': '4', 'lte-rrc.targetPhysCellId': '123', 'lte-rrc.cipheringAlgorithm': '1' },
  ),
  scgAdditionEea0: rrc('DL-DCCH', scgAddition({ eea: 0 }), {
    'lte-rrc.c1': '4',
    'lte-rrc.sCellIndex_r10': '1',
    'lte-rrc.scg_Counter_r12': '7',
    'lte-rrc.sCellIndex_r12': '2',
    'lte-rrc.t307_r12': '3',
    'lte-rrc.cipheringAlgorithmSCG_r12': '0',
  }),
  scgAdditionEea2: rrc('DL-DCCH', scgAddition({ eea: 2 }), {
    'lte-rrc.c1': '4',
    'lte-rrc.sCellIndex_r12': '2',
    'lte-rrc.cipheringAlgorithmSCG_r12': '2',
  }),
  handoverIntra5gcEea0: rrc('DL-DCCH', handoverV1530({ eea: 0, handoverType: 'intra5GC' }), {
    'lte-rrc.c1': '4',
    'lte-rrc.sCellIndex_r10': '1',
    'lte-rrc.sk_Counter_r15': '3',
    'lte-rrc.handoverType_v1530': '0',
    'lte-rrc.cipheringAlgorithm': '0',
    'lte-rrc.nextHopChainingCount_r15': '2',
  }),
  handoverIntra5gcEea2: rrc('DL-DCCH', handoverV1530({ eea: 2, handoverType: 'intra5GC' }), {
    'lte-rrc.c1': '4',
    'lte-rrc.handoverType_v1530': '0',
    'lte-rrc.cipheringAlgorithm': '2',
  }),
  handover5gcToEpcEea0: rrc('DL-DCCH', handoverV1530({ eea: 0, handoverType: 'fivegc-ToEPC' }), {
    'lte-rrc.c1': '4',
    'lte-rrc.handoverType_v1530': '1',
    'lte-rrc.cipheringAlgorithm': '0',
    'lte-rrc.nextHopChainingCount_r15': '2',
  }),
  handover5gcToEpcEea1: rrc('DL-DCCH', handoverV1530({ eea: 1, handoverType: 'fivegc-ToEPC' }), {
    'lte-rrc.c1': '4',
    'lte-rrc.handoverType_v1530': '1',
    'lte-rrc.cipheringAlgorithm': '1',
  }),
  handoverEpcTo5gcBehindSidelinkEea0: rrc('DL-DCCH', handoverV1530BehindSidelink({ eea: 0 }), {
    'lte-rrc.c1': '4',
    'lte-rrc.numRepetition_r12': '4',
    'lte-rrc.mcs_r12': '10',
    'lte-rrc.zoneID_r14': '3',
    'lte-rrc.typeTxSync_r14': '1',
    'lte-rrc.handoverType_v1530': '2',
    'lte-rrc.cipheringAlgorithm': '0',
  }),
  handoverEpcTo5gcBehindSidelinkEea2: rrc('DL-DCCH', handoverV1530BehindSidelink({ eea: 2 }), {
    'lte-rrc.c1': '4',
    'lte-rrc.handoverType_v1530': '2',
    'lte-rrc.cipheringAlgorithm': '2',
  }),
  dlInformationTransferIdentityRequest: rrc('DL-DCCH', dlInformationTransfer(NAS.identityRequestImsi), {
    'lte-rrc.c1': '1',
    'nas_eps.nas_msg_emm_type': '0x55',
    'nas_eps.emm.id_type2': '1',
  }),
  sib1TwoSiMessages: rrc(
    'BCCH-DL-SCH',
    sib1({ plmn: { mcc: '310', mnc: '260' }, tac: 0xa4fb, cellIdentity: 6508556, schedulingInfo: [[], [3]] }),
    {
      'lte-rrc.c1': '1',
      'lte-rrc.MCC_MNC_Digit': '3,1,0,2,6,0',
      'lte-rrc.trackingAreaCode': 'a4fb',
      'lte-rrc.schedulingInfoList': '2',
    },
  ),
  sib1OneSiMessage: rrc(
    'BCCH-DL-SCH',
    sib1({ plmn: { mcc: '001', mnc: '01' }, tac: 1, cellIdentity: 1, schedulingInfo: [[]] }),
    {
      'lte-rrc.c1': '1',
      'lte-rrc.MCC_MNC_Digit': '0,0,1,0,1',
      'lte-rrc.schedulingInfoList': '1',
    },
  ),
  sib1ThreeDigitMnc: rrc(
    'BCCH-DL-SCH',
    sib1({ plmn: { mcc: '311', mnc: '480' }, tac: 58891, cellIdentity: 58989057, schedulingInfo: [[], [3, 5]] }),
    {
      'lte-rrc.MCC_MNC_Digit': '3,1,1,4,8,0',
      'lte-rrc.schedulingInfoList': '2',
    },
  ),
  siLte3Geran5: rrc(
    'BCCH-DL-SCH',
    systemInformation([
      { type: 'sib3', priority: 3 },
      { type: 'sib7', priority: 5, arfcn: 20 },
    ]),
    {
      'lte-rrc.c1': '0',
      'lte-rrc.cellReselectionPriority': '3,5',
    },
  ),
  siLte5Geran2: rrc(
    'BCCH-DL-SCH',
    systemInformation([
      { type: 'sib3', priority: 5 },
      { type: 'sib7', priority: 2, arfcn: 20 },
    ]),
    {
      'lte-rrc.cellReselectionPriority': '5,2',
    },
  ),
  siLte2Utra6: rrc(
    'BCCH-DL-SCH',
    systemInformation([
      { type: 'sib3', priority: 2 },
      { type: 'sib6', priority: 6, uarfcn: 10700 },
    ]),
    {
      'lte-rrc.cellReselectionPriority': '2,6',
    },
  ),
  siLte3Cdma6Hnb9Geran5: rrc('BCCH-DL-SCH', siBehindSib8AndSib9({ lte: 3, geran: 5 }), {
    'lte-rrc.c1': '0',
    'lte-rrc.cellReselectionPriority': '3,6,5',
    'lte-rrc.hnb_Name': 'hnb',
  }),
  siLte5Cdma6Hnb9Geran2: rrc('BCCH-DL-SCH', siBehindSib8AndSib9({ lte: 5, geran: 2 }), {
    'lte-rrc.cellReselectionPriority': '5,6,2',
  }),
  siGeranOnly: rrc('BCCH-DL-SCH', systemInformation([{ type: 'sib7', priority: 1, arfcn: 30 }]), {
    'lte-rrc.cellReselectionPriority': '1',
  }),
  rrcConnectionRequest: rrc('UL-CCCH', rrcConnectionRequest(), {
    'lte-rrc.c1': '1',
    'lte-rrc.establishmentCause': '3',
  }),
  identityRequestImsi: nas('downlink', NAS.identityRequestImsi, {
    'nas_eps.nas_msg_emm_type': '0x55',
    'nas_eps.emm.id_type2': '1',
  }),
  identityRequestImei: nas('downlink', NAS.identityRequestImei, {
    'nas_eps.nas_msg_emm_type': '0x55',
    'nas_eps.emm.id_type2': '2',
  }),
  attachRequestGuti: nas('uplink', NAS.attachRequestGuti, {
    'nas_eps.nas_msg_emm_type': '0x41',
    'nas_eps.emm.eps_att_type': '1',
    'e212.tai.mcc': '310',
    'e212.tai.mnc': '260',
    'nas_eps.emm.tai_tac': '42235',
  }),
  authenticationResponse: nas('uplink', NAS.authenticationResponse, { 'nas_eps.nas_msg_emm_type': '0x53' }),
  attachComplete: nas('uplink', NAS.attachComplete, { 'nas_eps.nas_msg_emm_type': '0x43' }),
  nasSecurityModeCommandEea0: nas('downlink', NAS.securityModeCommandEea0, {
    'nas_eps.nas_msg_emm_type': '0x5d',
    'nas_eps.emm.toc': '0',
    'nas_eps.emm.toi': '2',
  }),
  nasSecurityModeCommandEea1: nas('downlink', NAS.securityModeCommandEea1, {
    'nas_eps.nas_msg_emm_type': '0x5d',
    'nas_eps.emm.toc': '1',
    'nas_eps.emm.toi': '2',
  }),
  attachRejectCause8: nas('downlink', NAS.attachRejectCause8, {
    'nas_eps.nas_msg_emm_type': '0x44',
    'nas_eps.emm.cause': '8',
  }),
  attachRejectCause17: nas('downlink', NAS.attachRejectCause17, {
    'nas_eps.nas_msg_emm_type': '0x44',
    'nas_eps.emm.cause': '17',
  }),
  tauRejectCause3: nas('downlink', NAS.tauRejectCause3, {
    'nas_eps.nas_msg_emm_type': '0x4b',
    'nas_eps.emm.cause': '3',
  }),
  tauRejectCause22: nas('downlink', NAS.tauRejectCause22, {
    'nas_eps.nas_msg_emm_type': '0x4b',
    'nas_eps.emm.cause': '22',
  }),
  serviceRejectCause9: nas('downlink', NAS.serviceRejectCause9, {
    'nas_eps.nas_msg_emm_type': '0x4e',
    'nas_eps.emm.cause': '9',
  }),
  serviceRejectCause22: nas('downlink', NAS.serviceRejectCause22, {
    'nas_eps.nas_msg_emm_type': '0x4e',
    'nas_eps.emm.cause': '22',
  }),
  detachRequestNetworkReattach: nas('downlink', NAS.detachRequestNetworkReattach, {
    'nas_eps.nas_msg_emm_type': '0x45',
    'nas_eps.emm.detach_type_dl': '1',
  }),
  detachRequestNetworkImsiDetach: nas('downlink', NAS.detachRequestNetworkImsiDetach, {
    'nas_eps.nas_msg_emm_type': '0x45',
    'nas_eps.emm.detach_type_dl': '3',
  }),
  detachRequestUe: nas('uplink', NAS.detachRequestUe, {
    'nas_eps.nas_msg_emm_type': '0x45',
    'nas_eps.emm.detach_type_ul': '1',
  }),
  extendedServiceRequest: nas('uplink', NAS.extendedServiceRequest, {
    'nas_eps.nas_msg_emm_type': '0x4c',
    'nas_eps.emm.service_type': '0',
  }),
  ciphered: nas('downlink', NAS.ciphered, { 'nas_eps.security_header_type': '2' }),
} satisfies Record<string, CraftedMessage>;

export type CraftedName = keyof typeof craftedMessages;
