/**
 * The parts of TS 36.331's ASN.1 (EUTRA-RRC-Definitions) the analyzers read,
 * written as PER schemas. Names follow the ASN.1 so each line can be held
 * against the specification. Root components are complete wherever a later
 * field has to be reached; extension additions are skipped by their lengths;
 * `unreadTail` marks where we stop because nothing needed follows.
 */
import {
  bitString,
  bitsNumber,
  bool,
  choice,
  custom,
  enumerated,
  int,
  nul,
  octetString,
  opt,
  read,
  seq,
  seqOf,
  type Per,
  type PerValue,
} from '../per/per-schema';
import type { PerReader } from '../per/per-reader';

const maxFreq = 8;
const maxGNFG = 16;
const maxUtraFddCarrier = 16;
const maxUtraTddCarrier = 16;
const maxCdmaBandClass = 32;
const maxSIB = 32;
const maxSIMessage = 32;
const maxPLMN = 6;
const maxCellIntra = 16;
const maxCellInter = 16;
const maxCellBlack = 16;
const maxMBSFNAllocations = 8;
const maxDRB = 11;

const spares = (n: number): Record<string, Per<null>> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`spare${n - i}`, nul]));

// ---- common IEs ----
const ArfcnValueEutra = int(0, 65535);
const ArfcnValueUtra = int(0, 16383);
const ArfcnValueGeran = int(0, 1023);
const CellReselectionPriority = int(0, 7);
const ReselectionThreshold = int(0, 31);
const TReselection = int(0, 7);
const QRxLevMin = int(-70, -22);
const PMax = int(-30, 33);
const PhysCellId = int(0, 503);
const QOffsetRange = enumerated([
  'dB-24',
  'dB-22',
  'dB-20',
  'dB-18',
  'dB-16',
  'dB-14',
  'dB-12',
  'dB-10',
  'dB-8',
  'dB-6',
  'dB-5',
  'dB-4',
  'dB-3',
  'dB-2',
  'dB-1',
  'dB0',
  'dB1',
  'dB2',
  'dB3',
  'dB4',
  'dB5',
  'dB6',
  'dB8',
  'dB10',
  'dB12',
  'dB14',
  'dB16',
  'dB18',
  'dB20',
  'dB22',
  'dB24',
]);
const AllowedMeasBandwidth = enumerated(['mbw6', 'mbw15', 'mbw25', 'mbw50', 'mbw75', 'mbw100']);
const SpeedStateScaleFactors = seq({
  'sf-Medium': enumerated(['oDot25', 'oDot5', 'oDot75', 'lDot0']),
  'sf-High': enumerated(['oDot25', 'oDot5', 'oDot75', 'lDot0']),
});
const PhysCellIdRange = seq({
  start: PhysCellId,
  range: opt(
    enumerated([
      'n4',
      'n8',
      'n12',
      'n16',
      'n24',
      'n32',
      'n48',
      'n64',
      'n84',
      'n96',
      'n128',
      'n168',
      'n252',
      'n504',
      'spare2',
      'spare1',
    ]),
  ),
});
const MccMncDigit = int(0, 9);
const PlmnIdentity = seq({
  mcc: opt(seqOf(MccMncDigit, 3, 3)),
  mnc: seqOf(MccMncDigit, 2, 3),
});
const CarrierFreqsGeran = seq({
  startingARFCN: ArfcnValueGeran,
  bandIndicator: enumerated(['dcs1800', 'pcs1900']),
  followingARFCNs: choice({
    explicitListOfARFCNs: seqOf(ArfcnValueGeran, 0, 31),
    equallySpacedARFCNs: seq({ 'arfcn-Spacing': int(1, 8), numberOfFollowingARFCNs: int(0, 31) }),
    variableBitMapOfARFCNs: octetString({ lb: 1, ub: 16 }),
  }),
});
const BandclassCdma2000 = enumerated(
  [
    'bc0',
    'bc1',
    'bc2',
    'bc3',
    'bc4',
    'bc5',
    'bc6',
    'bc7',
    'bc8',
    'bc9',
    'bc10',
    'bc11',
    'bc12',
    'bc13',
    'bc14',
    'bc15',
    'bc16',
    'bc17',
    'bc18-v9a0',
    'bc19-v9a0',
    'bc20-v9a0',
    'bc21-v9a0',
    'spare10',
    'spare9',
    'spare8',
    'spare7',
    'spare6',
    'spare5',
    'spare4',
    'spare3',
    'spare2',
    'spare1',
  ],
  { extensible: true },
);
const CarrierFreqCdma2000 = seq({ bandClass: BandclassCdma2000, arfcn: int(0, 2047) });
const CipheringAlgorithmR12 = enumerated(
  ['eea0', 'eea1', 'eea2', 'eea3-v1130', 'spare4', 'spare3', 'spare2', 'spare1'],
  { extensible: true },
);
const SecurityAlgorithmConfig = seq({
  cipheringAlgorithm: CipheringAlgorithmR12,
  integrityProtAlgorithm: enumerated(
    ['eia0-v920', 'eia1', 'eia2', 'eia3-v1130', 'spare4', 'spare3', 'spare2', 'spare1'],
    { extensible: true },
  ),
});
const RrcTransactionIdentifier = int(0, 3);
const DedicatedInfoNas = octetString();
const DedicatedInfoCdma2000 = octetString();

// ---- DL-DCCH: RRCConnectionRelease ----
const FreqPriorityEutra = seq({ carrierFreq: ArfcnValueEutra, cellReselectionPriority: CellReselectionPriority });
const FreqsPriorityGeran = seq({ carrierFreqs: CarrierFreqsGeran, cellReselectionPriority: CellReselectionPriority });
const FreqPriorityUtra = seq({ carrierFreq: ArfcnValueUtra, cellReselectionPriority: CellReselectionPriority });
const BandClassPriority = seq({ bandClass: BandclassCdma2000, cellReselectionPriority: CellReselectionPriority });
const IdleModeMobilityControlInfo = seq(
  {
    freqPriorityListEUTRA: opt(seqOf(FreqPriorityEutra, 1, maxFreq)),
    freqPriorityListGERAN: opt(seqOf(FreqsPriorityGeran, 1, maxGNFG)),
    'freqPriorityListUTRA-FDD': opt(seqOf(FreqPriorityUtra, 1, maxUtraFddCarrier)),
    'freqPriorityListUTRA-TDD': opt(seqOf(FreqPriorityUtra, 1, maxUtraTddCarrier)),
    bandClassPriorityListHRPD: opt(seqOf(BandClassPriority, 1, maxCdmaBandClass)),
    bandClassPriorityList1XRTT: opt(seqOf(BandClassPriority, 1, maxCdmaBandClass)),
    t320: opt(enumerated(['min5', 'min10', 'min20', 'min30', 'min60', 'min120', 'min180', 'spare1'])),
  },
  { extensible: true },
);
const RedirectedCarrierInfo = choice(
  {
    eutra: ArfcnValueEutra,
    geran: CarrierFreqsGeran,
    'utra-FDD': ArfcnValueUtra,
    'utra-TDD': ArfcnValueUtra,
    'cdma2000-HRPD': CarrierFreqCdma2000,
    'cdma2000-1xRTT': CarrierFreqCdma2000,
  },
  { extensible: true, extensionNames: ['utra-TDD-r10', 'nr-r15'] },
);
const RrcConnectionReleaseR8Ies = seq(
  {
    releaseCause: enumerated([
      'loadBalancingTAUrequired',
      'other',
      'cs-FallbackHighPriority-v1020',
      'rrc-Suspend-v1320',
    ]),
    redirectedCarrierInfo: opt(RedirectedCarrierInfo),
    idleModeMobilityControlInfo: opt(IdleModeMobilityControlInfo),
  },
  { unreadTail: { optionals: 1 } },
);
const RrcConnectionRelease = seq({
  'rrc-TransactionIdentifier': RrcTransactionIdentifier,
  criticalExtensions: choice({
    c1: choice({ 'rrcConnectionRelease-r8': RrcConnectionReleaseR8Ies, ...spares(3) }),
    criticalExtensionsFuture: seq({}),
  }),
});

// ---- DL-DCCH: SecurityModeCommand ----
const SecurityModeCommand = seq({
  'rrc-TransactionIdentifier': RrcTransactionIdentifier,
  criticalExtensions: choice({
    c1: choice({
      'securityModeCommand-r8': seq(
        {
          securityConfigSMC: seq({ securityAlgorithmConfig: SecurityAlgorithmConfig }, { extensible: true }),
        },
        { unreadTail: { optionals: 1 } },
      ),
      ...spares(3),
    }),
    criticalExtensionsFuture: seq({}),
  }),
});

// ---- DL-DCCH: RRCConnectionReconfiguration (up to securityConfigHO-v1530) ----
/**
 * The r8 IEs' preamble says which of measConfig, mobilityControlInfo,
 * dedicatedInfoNASList, radioResourceConfigDedicated and securityConfigHO are
 * present. Every one of them is decoded in order (their Release 8 roots in full,
 * later additions stepped over by their open-type lengths: see the end of this
 * file), so securityConfigHO is reached in any reconfiguration, and after it the
 * non-critical extensions as far as v1530 (`reconfigurationExtensions`). A PDU
 * that cannot be read that far (truncated, a value out of range) fails as a
 * whole: its handover configuration is never guessed at.
 */
export interface ReconfigurationSecurity {
  readonly present: {
    readonly measConfig: boolean;
    readonly mobilityControlInfo: boolean;
    readonly dedicatedInfoNASList: boolean;
    readonly radioResourceConfigDedicated: boolean;
    readonly securityConfigHO: boolean;
  };
  /** The NAS PDUs it carries. */
  readonly dedicatedInfoNASList?: readonly Uint8Array[];
  /** securityConfigHO's handover type and algorithms, when it is present. */
  readonly securityConfigHO?: {
    readonly handoverType: 'intraLTE' | 'interRAT' | '...';
    readonly securityAlgorithmConfig?: { readonly cipheringAlgorithm: string; readonly integrityProtAlgorithm: string };
  };
  /** The non-critical extensions (v890 onwards), when present: the SCG and v1530 handover security among them. */
  readonly extensions?: ReconfigurationExtensions;
}
const SecurityConfigHo = seq(
  {
    handoverType: choice({
      intraLTE: seq({
        securityAlgorithmConfig: opt(SecurityAlgorithmConfig),
        keyChangeIndicator: bool,
        nextHopChainingCount: int(0, 7),
      }),
      interRAT: seq({
        securityAlgorithmConfig: SecurityAlgorithmConfig,
        'nas-SecurityParamToEUTRA': octetString({ lb: 6, ub: 6 }),
      }),
    }),
  },
  { extensible: true },
);
/** Decodes `per` as the field `name`, so a failure inside it says where. */
function field<T>(r: PerReader, name: string, per: Per<T>): T {
  r.path.push(name);
  const value = read(r, per);
  r.path.pop();
  return value;
}
const DedicatedInfoNasList = seqOf(DedicatedInfoNas, 1, maxDRB);
/** The chain of nonCriticalExtensions (hand-written, below; a function declaration, so usable here). */
const ReconfigurationExtensions = custom(reconfigurationExtensions);
function rrcConnectionReconfigurationR8(r: PerReader): ReconfigurationSecurity {
  const measConfig = r.bit();
  const mobilityControlInfo = r.bit();
  const dedicatedInfoNASList = r.bit();
  const radioResourceConfigDedicated = r.bit();
  const securityConfigHO = r.bit();
  const nonCriticalExtension = r.bit();
  const present = {
    measConfig,
    mobilityControlInfo,
    dedicatedInfoNASList,
    radioResourceConfigDedicated,
    securityConfigHO,
  };
  if (measConfig) field(r, 'measConfig', MeasConfig);
  if (mobilityControlInfo) field(r, 'mobilityControlInfo', MobilityControlInfo);
  const nas = dedicatedInfoNASList ? field(r, 'dedicatedInfoNASList', DedicatedInfoNasList) : undefined;
  // Decoded even when nothing follows, so a reconfiguration we cannot read is a counted failure,
  // not a silent partial (reconfigurations are a few per connection: the cost is theirs alone).
  if (radioResourceConfigDedicated) field(r, 'radioResourceConfigDedicated', RadioResourceConfigDedicated);
  const ho = securityConfigHO ? field(r, 'securityConfigHO', SecurityConfigHo).handoverType : undefined;
  const extensions = nonCriticalExtension ? field(r, 'nonCriticalExtension', ReconfigurationExtensions) : undefined;
  r.loseTrack();
  const algorithms = ho === undefined || ho.type === '...' ? undefined : ho.value.securityAlgorithmConfig;
  return {
    present,
    ...(nas === undefined ? {} : { dedicatedInfoNASList: nas }),
    ...(ho === undefined
      ? {}
      : {
          securityConfigHO:
            ho.type === '...' || algorithms === undefined
              ? { handoverType: ho.type }
              : { handoverType: ho.type, securityAlgorithmConfig: algorithms },
        }),
    ...(extensions === undefined ? {} : { extensions }),
  };
}
const RrcConnectionReconfiguration = seq({
  'rrc-TransactionIdentifier': RrcTransactionIdentifier,
  criticalExtensions: choice({
    c1: choice({ 'rrcConnectionReconfiguration-r8': custom(rrcConnectionReconfigurationR8), ...spares(7) }),
    criticalExtensionsFuture: seq({}),
  }),
});

// ---- DL/UL information transfer ----
const DedicatedInfoType = choice({
  dedicatedInfoNAS: DedicatedInfoNas,
  'dedicatedInfoCDMA2000-1XRTT': DedicatedInfoCdma2000,
  'dedicatedInfoCDMA2000-HRPD': DedicatedInfoCdma2000,
});
const DlInformationTransfer = seq({
  'rrc-TransactionIdentifier': RrcTransactionIdentifier,
  criticalExtensions: choice({
    c1: choice({
      'dlInformationTransfer-r8': seq({ dedicatedInfoType: DedicatedInfoType }, { unreadTail: { optionals: 1 } }),
      'dlInformationTransfer-r15': seq(
        { 'dedicatedInfoType-r15': opt(DedicatedInfoType) },
        { unreadTail: { optionals: 2 } },
      ),
      ...spares(2),
    }),
    criticalExtensionsFuture: seq({}),
  }),
});
const UlInformationTransfer = seq({
  criticalExtensions: choice({
    c1: choice({
      'ulInformationTransfer-r8': seq({ dedicatedInfoType: DedicatedInfoType }, { unreadTail: { optionals: 1 } }),
      ...spares(3),
    }),
    criticalExtensionsFuture: seq({}),
  }),
});

// ---- UL-DCCH: RRCConnectionSetupComplete (the NAS message it carries: attach, service or TAU request) ----
const RegisteredMme = seq({
  'plmn-Identity': opt(PlmnIdentity),
  mmegi: bitsNumber(16),
  mmec: bitsNumber(8),
});
const RrcConnectionSetupComplete = seq({
  'rrc-TransactionIdentifier': RrcTransactionIdentifier,
  criticalExtensions: choice({
    c1: choice({
      'rrcConnectionSetupComplete-r8': seq(
        {
          'selectedPLMN-Identity': int(1, maxPLMN),
          registeredMME: opt(RegisteredMme),
          dedicatedInfoNAS: DedicatedInfoNas,
        },
        { unreadTail: { optionals: 1 } }, // nonCriticalExtension
      ),
      ...spares(3),
    }),
    criticalExtensionsFuture: seq({}),
  }),
});

/** A message of a channel's c1 we do not decode: only its name is known. */
const undecoded: Per<undefined> = custom((r) => {
  r.loseTrack();
  return undefined;
});

export const DlDcchMessage = seq({
  message: choice({
    c1: choice({
      csfbParametersResponseCDMA2000: undecoded,
      dlInformationTransfer: DlInformationTransfer,
      handoverFromEUTRAPreparationRequest: undecoded,
      mobilityFromEUTRACommand: undecoded,
      rrcConnectionReconfiguration: RrcConnectionReconfiguration,
      rrcConnectionRelease: RrcConnectionRelease,
      securityModeCommand: SecurityModeCommand,
      ueCapabilityEnquiry: undecoded,
      counterCheck: undecoded,
      'ueInformationRequest-r9': undecoded,
      'loggedMeasurementConfiguration-r10': undecoded,
      'rnReconfiguration-r10': undecoded,
      'rrcConnectionResume-r13': undecoded,
      ...spares(3),
    }),
    messageClassExtension: undecoded,
  }),
});

export const UlDcchMessage = seq({
  message: choice({
    c1: choice({
      csfbParametersRequestCDMA2000: undecoded,
      measurementReport: undecoded,
      rrcConnectionReconfigurationComplete: undecoded,
      rrcConnectionReestablishmentComplete: undecoded,
      rrcConnectionSetupComplete: RrcConnectionSetupComplete,
      securityModeComplete: undecoded,
      securityModeFailure: undecoded,
      ueCapabilityInformation: undecoded,
      ulHandoverPreparationTransfer: undecoded,
      ulInformationTransfer: UlInformationTransfer,
      counterCheckResponse: undecoded,
      'ueInformationResponse-r9': undecoded,
      'proximityIndication-r9': undecoded,
      'rnReconfigurationComplete-r10': undecoded,
      'mbmsCountingResponse-r10': undecoded,
      'interFreqRSTDMeasurementIndication-r10': undecoded,
    }),
    messageClassExtension: undecoded,
  }),
});

// ---- UL-CCCH ----
const RrcConnectionRequest = seq({
  criticalExtensions: choice({
    'rrcConnectionRequest-r8': seq({
      // The identity itself is read past, never kept: it is the UE's (temporary) identity.
      'ue-Identity': choice({
        's-TMSI': custom((r) => r.skipBits(40)),
        randomValue: custom((r) => r.skipBits(40)),
      }),
      establishmentCause: enumerated([
        'emergency',
        'highPriorityAccess',
        'mt-Access',
        'mo-Signalling',
        'mo-Data',
        'delayTolerantAccess-v1020',
        'mo-VoiceCall-v1280',
        'spare1',
      ]),
      spare: bitsNumber(1),
    }),
    criticalExtensionsFuture: seq({}),
  }),
});
const RrcConnectionReestablishmentRequest = seq({
  criticalExtensions: choice({
    'rrcConnectionReestablishmentRequest-r8': seq({
      'ue-Identity': custom((r) => r.skipBits(16 + 9 + 16)), // c-RNTI, physCellId, shortMAC-I
      reestablishmentCause: enumerated(['reconfigurationFailure', 'handoverFailure', 'otherFailure', 'spare1']),
      spare: bitsNumber(2),
    }),
    criticalExtensionsFuture: seq({}),
  }),
});
export const UlCcchMessage = seq({
  message: choice({
    c1: choice({
      rrcConnectionReestablishmentRequest: RrcConnectionReestablishmentRequest,
      rrcConnectionRequest: RrcConnectionRequest,
    }),
    messageClassExtension: undecoded,
  }),
});

// ---- BCCH-DL-SCH: SystemInformationBlockType1 ----
const SchedulingInfo = seq({
  'si-Periodicity': enumerated(['rf8', 'rf16', 'rf32', 'rf64', 'rf128', 'rf256', 'rf512']),
  'sib-MappingInfo': seqOf(
    enumerated(
      [
        'sibType3',
        'sibType4',
        'sibType5',
        'sibType6',
        'sibType7',
        'sibType8',
        'sibType9',
        'sibType10',
        'sibType11',
        'sibType12-v920',
        'sibType13-v920',
        'sibType14-v1130',
        'sibType15-v1130',
        'sibType16-v1130',
        'sibType17-v1250',
        'sibType18-v1250',
      ],
      { extensible: true },
    ),
    0,
    maxSIB - 1,
  ),
});
const SystemInformationBlockType1 = seq(
  {
    cellAccessRelatedInfo: seq({
      'plmn-IdentityList': seqOf(
        seq({
          'plmn-Identity': PlmnIdentity,
          cellReservedForOperatorUse: enumerated(['reserved', 'notReserved']),
        }),
        1,
        maxPLMN,
      ),
      trackingAreaCode: bitsNumber(16),
      cellIdentity: bitsNumber(28),
      cellBarred: enumerated(['barred', 'notBarred']),
      intraFreqReselection: enumerated(['allowed', 'notAllowed']),
      'csg-Indication': bool,
      'csg-Identity': opt(bitsNumber(27)),
    }),
    cellSelectionInfo: seq({ 'q-RxLevMin': QRxLevMin, 'q-RxLevMinOffset': opt(int(1, 8)) }),
    'p-Max': opt(PMax),
    freqBandIndicator: int(1, 64),
    schedulingInfoList: seqOf(SchedulingInfo, 1, maxSIMessage),
  },
  { unreadTail: { optionals: 2 } },
); // tdd-Config, nonCriticalExtension

// ---- BCCH-DL-SCH: SystemInformation and the SIBs up to SIB7 ----
const AcBarringConfig = seq({
  'ac-BarringFactor': enumerated([
    'p00',
    'p05',
    'p10',
    'p15',
    'p20',
    'p25',
    'p30',
    'p40',
    'p50',
    'p60',
    'p70',
    'p75',
    'p80',
    'p85',
    'p90',
    'p95',
  ]),
  'ac-BarringTime': enumerated(['s4', 's8', 's16', 's32', 's64', 's128', 's256', 's512']),
  'ac-BarringForSpecialAC': bitsNumber(5),
});
const RachConfigCommon = seq(
  {
    preambleInfo: seq({
      numberOfRAPreambles: enumerated([
        'n4',
        'n8',
        'n12',
        'n16',
        'n20',
        'n24',
        'n28',
        'n32',
        'n36',
        'n40',
        'n44',
        'n48',
        'n52',
        'n56',
        'n60',
        'n64',
      ]),
      preamblesGroupAConfig: opt(
        seq(
          {
            sizeOfRAPreamblesGroupA: enumerated([
              'n4',
              'n8',
              'n12',
              'n16',
              'n20',
              'n24',
              'n28',
              'n32',
              'n36',
              'n40',
              'n44',
              'n48',
              'n52',
              'n56',
              'n60',
            ]),
            messageSizeGroupA: enumerated(['b56', 'b144', 'b208', 'b256']),
            messagePowerOffsetGroupB: enumerated([
              'minusinfinity',
              'dB0',
              'dB5',
              'dB8',
              'dB10',
              'dB12',
              'dB15',
              'dB18',
            ]),
          },
          { extensible: true },
        ),
      ),
    }),
    powerRampingParameters: seq({
      powerRampingStep: enumerated(['dB0', 'dB2', 'dB4', 'dB6']),
      preambleInitialReceivedTargetPower: int(0, 15), // ENUMERATED dBm-120 … dBm-90 (16 values)
    }),
    'ra-SupervisionInfo': seq({
      preambleTransMax: int(0, 10), // ENUMERATED n3 … n200 (11 values)
      'ra-ResponseWindowSize': int(0, 7),
      'mac-ContentionResolutionTimer': int(0, 7),
    }),
    'maxHARQ-Msg3Tx': int(1, 8),
  },
  { extensible: true },
);
const PrachConfigInfo = seq({
  'prach-ConfigIndex': int(0, 63),
  highSpeedFlag: bool,
  zeroCorrelationZoneConfig: int(0, 15),
  'prach-FreqOffset': int(0, 94),
});
const PdschConfigCommon = seq({ referenceSignalPower: int(-60, 50), 'p-b': int(0, 3) });
const PuschConfigCommon = seq({
  'pusch-ConfigBasic': seq({
    'n-SB': int(1, 4),
    hoppingMode: int(0, 1),
    'pusch-HoppingOffset': int(0, 98),
    enable64QAM: bool,
  }),
  'ul-ReferenceSignalsPUSCH': seq({
    groupHoppingEnabled: bool,
    groupAssignmentPUSCH: int(0, 29),
    sequenceHoppingEnabled: bool,
    cyclicShift: int(0, 7),
  }),
});
const PucchConfigCommon = seq({
  'deltaPUCCH-Shift': int(0, 2),
  'nRB-CQI': int(0, 98),
  'nCS-AN': int(0, 7),
  'n1PUCCH-AN': int(0, 2047),
});
const SoundingRsUlConfigCommon = choice({
  release: nul,
  setup: seq({
    'srs-BandwidthConfig': int(0, 7),
    'srs-SubframeConfig': int(0, 15),
    'ackNackSRS-SimultaneousTransmission': bool,
    'srs-MaxUpPts': opt(enumerated(['true'])),
  }),
});
const PreRegistrationInfoHrpd = seq({
  preRegistrationAllowed: bool,
  preRegistrationZoneId: opt(int(0, 255)),
  secondaryPreRegistrationZoneIdList: opt(seqOf(int(0, 255), 1, 2)),
});
const DeltaFListPucch = seq({ f1: int(0, 2), f1b: int(0, 2), f2: int(0, 3), f2a: int(0, 2), f2b: int(0, 2) });
const MbsfnSubframeConfigList = seqOf(
  seq({
    radioframeAllocationPeriod: int(0, 5),
    radioframeAllocationOffset: int(0, 7),
    subframeAllocation: choice({ oneFrame: bitsNumber(6), fourFrames: bitsNumber(24) }),
  }),
  1,
  maxMBSFNAllocations,
);
const UplinkPowerControlCommon = seq({
  'p0-NominalPUSCH': int(-126, 24),
  alpha: int(0, 7),
  'p0-NominalPUCCH': int(-127, -96),
  'deltaFList-PUCCH': DeltaFListPucch,
  deltaPreambleMsg3: int(-1, 6),
});
const RadioResourceConfigCommonSib = seq(
  {
    'rach-ConfigCommon': RachConfigCommon,
    'bcch-Config': seq({ modificationPeriodCoeff: int(0, 3) }),
    'pcch-Config': seq({ defaultPagingCycle: int(0, 3), nB: int(0, 7) }),
    'prach-Config': seq({ rootSequenceIndex: int(0, 837), 'prach-ConfigInfo': PrachConfigInfo }),
    'pdsch-ConfigCommon': PdschConfigCommon,
    'pusch-ConfigCommon': PuschConfigCommon,
    'pucch-ConfigCommon': PucchConfigCommon,
    'soundingRS-UL-ConfigCommon': SoundingRsUlConfigCommon,
    uplinkPowerControlCommon: UplinkPowerControlCommon,
    'ul-CyclicPrefixLength': int(0, 1),
  },
  { extensible: true },
);
const Sib2 = seq(
  {
    'ac-BarringInfo': opt(
      seq({
        'ac-BarringForEmergency': bool,
        'ac-BarringForMO-Signalling': opt(AcBarringConfig),
        'ac-BarringForMO-Data': opt(AcBarringConfig),
      }),
    ),
    radioResourceConfigCommon: RadioResourceConfigCommonSib,
    'ue-TimersAndConstants': seq(
      { t300: int(0, 7), t301: int(0, 7), t310: int(0, 6), n310: int(0, 7), t311: int(0, 6), n311: int(0, 7) },
      { extensible: true },
    ),
    freqInfo: seq({
      'ul-CarrierFreq': opt(ArfcnValueEutra),
      'ul-Bandwidth': opt(int(0, 5)),
      additionalSpectrumEmission: int(1, 32),
    }),
    'mbsfn-SubframeConfigList': opt(MbsfnSubframeConfigList),
    timeAlignmentTimerCommon: int(0, 7),
  },
  { extensible: true },
);
const Sib3 = seq(
  {
    cellReselectionInfoCommon: seq({
      'q-Hyst': int(0, 15),
      speedStateReselectionPars: opt(
        seq({
          mobilityStateParameters: seq({
            't-Evaluation': int(0, 7),
            't-HystNormal': int(0, 7),
            'n-CellChangeMedium': int(1, 16),
            'n-CellChangeHigh': int(1, 16),
          }),
          'q-HystSF': seq({ 'sf-Medium': int(0, 3), 'sf-High': int(0, 3) }),
        }),
      ),
    }),
    cellReselectionServingFreqInfo: seq({
      's-NonIntraSearch': opt(ReselectionThreshold),
      threshServingLow: ReselectionThreshold,
      cellReselectionPriority: CellReselectionPriority,
    }),
    intraFreqCellReselectionInfo: seq({
      'q-RxLevMin': QRxLevMin,
      'p-Max': opt(PMax),
      's-IntraSearch': opt(ReselectionThreshold),
      allowedMeasBandwidth: opt(AllowedMeasBandwidth),
      presenceAntennaPort1: bool,
      neighCellConfig: bitsNumber(2),
      't-ReselectionEUTRA': TReselection,
      't-ReselectionEUTRA-SF': opt(SpeedStateScaleFactors),
    }),
  },
  { extensible: true },
);
const Sib4 = seq(
  {
    intraFreqNeighCellList: opt(
      seqOf(seq({ physCellId: PhysCellId, 'q-OffsetCell': QOffsetRange }, { extensible: true }), 1, maxCellIntra),
    ),
    intraFreqBlackCellList: opt(seqOf(PhysCellIdRange, 1, maxCellBlack)),
    'csg-PhysCellIdRange': opt(PhysCellIdRange),
  },
  { extensible: true },
);
const InterFreqCarrierFreqInfo = seq(
  {
    'dl-CarrierFreq': ArfcnValueEutra,
    'q-RxLevMin': QRxLevMin,
    'p-Max': opt(PMax),
    't-ReselectionEUTRA': TReselection,
    't-ReselectionEUTRA-SF': opt(SpeedStateScaleFactors),
    'threshX-High': ReselectionThreshold,
    'threshX-Low': ReselectionThreshold,
    allowedMeasBandwidth: AllowedMeasBandwidth,
    presenceAntennaPort1: bool,
    cellReselectionPriority: opt(CellReselectionPriority),
    neighCellConfig: bitsNumber(2),
    'q-OffsetFreq': opt(QOffsetRange), // DEFAULT dB0
    interFreqNeighCellList: opt(seqOf(seq({ physCellId: PhysCellId, 'q-OffsetCell': QOffsetRange }), 1, maxCellInter)),
    interFreqBlackCellList: opt(seqOf(PhysCellIdRange, 1, maxCellBlack)),
  },
  { extensible: true },
);
const Sib5 = seq({ interFreqCarrierFreqList: seqOf(InterFreqCarrierFreqInfo, 1, maxFreq) }, { extensible: true });
const CarrierFreqUtraFdd = seq(
  {
    carrierFreq: ArfcnValueUtra,
    cellReselectionPriority: opt(CellReselectionPriority),
    'threshX-High': ReselectionThreshold,
    'threshX-Low': ReselectionThreshold,
    'q-RxLevMin': int(-60, -13),
    'p-MaxUTRA': int(-50, 33),
    'q-QualMin': int(-24, 0),
  },
  { extensible: true },
);
const CarrierFreqUtraTdd = seq(
  {
    carrierFreq: ArfcnValueUtra,
    cellReselectionPriority: opt(CellReselectionPriority),
    'threshX-High': ReselectionThreshold,
    'threshX-Low': ReselectionThreshold,
    'q-RxLevMin': int(-60, -13),
    'p-MaxUTRA': int(-50, 33),
  },
  { extensible: true },
);
const Sib6 = seq(
  {
    'carrierFreqListUTRA-FDD': opt(seqOf(CarrierFreqUtraFdd, 1, maxUtraFddCarrier)),
    'carrierFreqListUTRA-TDD': opt(seqOf(CarrierFreqUtraTdd, 1, maxUtraTddCarrier)),
    't-ReselectionUTRA': TReselection,
    't-ReselectionUTRA-SF': opt(SpeedStateScaleFactors),
  },
  { extensible: true },
);
const Sib7 = seq(
  {
    't-ReselectionGERAN': TReselection,
    't-ReselectionGERAN-SF': opt(SpeedStateScaleFactors),
    carrierFreqsInfoList: opt(
      seqOf(
        seq(
          {
            carrierFreqs: CarrierFreqsGeran,
            commonInfo: seq({
              cellReselectionPriority: opt(CellReselectionPriority),
              'ncc-Permitted': bitsNumber(8),
              'q-RxLevMin': int(0, 45),
              'p-MaxGERAN': opt(int(0, 39)),
              'threshX-High': ReselectionThreshold,
              'threshX-Low': ReselectionThreshold,
            }),
          },
          { extensible: true },
        ),
        1,
        maxGNFG,
      ),
    ),
  },
  { extensible: true },
);

export type Sib3Value = PerValue<typeof Sib3>;
export type Sib5Value = PerValue<typeof Sib5>;
export type Sib6Value = PerValue<typeof Sib6>;
export type Sib7Value = PerValue<typeof Sib7>;
export type Sib8Value = PerValue<typeof Sib8>;

/** One element of sib-TypeAndInfo: a SIB we decode, one we stepped over by its length, or where we stopped. */
export type SibEntry =
  | { readonly type: 'sib2' }
  | { readonly type: 'sib3'; readonly value: Sib3Value }
  | { readonly type: 'sib4' }
  | { readonly type: 'sib5'; readonly value: Sib5Value }
  | { readonly type: 'sib6'; readonly value: Sib6Value }
  | { readonly type: 'sib7'; readonly value: Sib7Value }
  | { readonly type: 'sib8'; readonly value: Sib8Value }
  | { readonly type: 'sib9' | 'sib10' | 'sib11' }
  | { readonly type: 'extension'; readonly index: number };

export interface SystemInformationValue {
  readonly sibs: readonly SibEntry[];
  readonly criticalExtensionsFuture?: true;
}
const SIB_ALTERNATIVES = ['sib2', 'sib3', 'sib4', 'sib5', 'sib6', 'sib7', 'sib8', 'sib9', 'sib10', 'sib11'] as const;
function systemInformationR8(r: PerReader): SystemInformationValue {
  r.bit(); // nonCriticalExtension present: it comes after the list, which is all we read
  const count = r.constrainedLength(1, maxSIB);
  const sibs: SibEntry[] = [];
  for (let i = 0; i < count; i++) {
    r.path.push(`sib-TypeAndInfo.${i}`);
    if (r.bit()) {
      // an extension alternative (sib12-v920 and later): an open type we can step over
      const index = r.normallySmallNumber();
      r.skipOpenType();
      sibs.push({ type: 'extension', index });
      r.path.pop();
      continue;
    }
    const alternative = SIB_ALTERNATIVES[
      r.constrainedWholeNumber(0, SIB_ALTERNATIVES.length - 1)
    ] as (typeof SIB_ALTERNATIVES)[number];
    r.path.push(alternative);
    switch (alternative) {
      case 'sib2':
        read(r, Sib2);
        sibs.push({ type: 'sib2' });
        break;
      case 'sib3':
        sibs.push({ type: 'sib3', value: read(r, Sib3) });
        break;
      case 'sib4':
        read(r, Sib4);
        sibs.push({ type: 'sib4' });
        break;
      case 'sib5':
        sibs.push({ type: 'sib5', value: read(r, Sib5) });
        break;
      case 'sib6':
        sibs.push({ type: 'sib6', value: read(r, Sib6) });
        break;
      case 'sib7':
        sibs.push({ type: 'sib7', value: read(r, Sib7) });
        break;
      case 'sib8':
        sibs.push({ type: 'sib8', value: read(r, Sib8) });
        break;
      case 'sib9':
        read(r, Sib9);
        sibs.push({ type: 'sib9' });
        break;
      case 'sib10':
        read(r, Sib10);
        sibs.push({ type: 'sib10' });
        break;
      case 'sib11':
        read(r, Sib11);
        sibs.push({ type: 'sib11' });
        break;
      default: {
        const unknown: never = alternative;
        throw new TypeError(`no schema for ${String(unknown)}`);
      }
    }
    r.path.pop();
    r.path.pop();
  }
  r.loseTrack();
  return { sibs };
}
const SystemInformation = custom((r): SystemInformationValue => {
  if (r.bit()) {
    r.loseTrack();
    return { sibs: [], criticalExtensionsFuture: true };
  }
  return systemInformationR8(r);
});

export const BcchDlSchMessage = seq({
  message: choice({
    c1: choice({ systemInformation: SystemInformation, systemInformationBlockType1: SystemInformationBlockType1 }),
    messageClassExtension: undecoded,
  }),
});

// ---- DL-DCCH: the parts of RRCConnectionReconfiguration-r8-IEs that precede securityConfigHO ----
// MeasConfig, MobilityControlInfo and RadioResourceConfigDedicated, their Release 8 roots in full:
// PER gives them no length, so reaching securityConfigHO means reading every bit before it.
// Every later-release field sits behind a `...` marker (an open type, stepped over by its length)
// or in a nonCriticalExtension after securityConfigHO. Only positions matter here: an ENUMERATED
// whose names nobody reads is its index (`en`), a long BIT STRING is stepped over (`skipped`).

/** ENUMERATED with `count` root values and no extension marker, as its index. */
const en = (count: number): Per<number> => int(0, count - 1);
/** A BIT STRING (SIZE (n)) nobody reads (n may exceed 32). */
const skipped = (size: number): Per<null> =>
  custom((r) => {
    r.skipBits(size);
    return null;
  });
/** `CHOICE { release NULL, setup … }`, the 36.331 pattern for a field that can be switched off. */
const setupRelease = <T>(setup: Per<T>) => choice({ release: nul, setup });

const maxObjectId = 32;
const maxReportConfigId = 32;
const maxMeasId = 32;
const maxCellMeas = 32;
const maxCellReport = 8;
const maxPNOffset = 511;

const CRnti = bitsNumber(16);
const RsrpRange = int(0, 97);
const RsrqRange = int(0, 34);
const QOffsetRangeInterRat = int(-15, 15);
const FilterCoefficient = enumerated(
  [
    'fc0',
    'fc1',
    'fc2',
    'fc3',
    'fc4',
    'fc5',
    'fc6',
    'fc7',
    'fc8',
    'fc9',
    'fc11',
    'fc13',
    'fc15',
    'fc17',
    'fc19',
    'spare1',
  ],
  { extensible: true },
);
const TimeToTrigger = en(16);
const ReportInterval = en(16);
const Hysteresis = int(0, 30);
const MeasObjectId = int(1, maxObjectId);
const ReportConfigId = int(1, maxReportConfigId);
const MeasId = int(1, maxMeasId);
const CellIndex = int(1, maxCellMeas);
const CellIndexList = seqOf(CellIndex, 1, maxCellMeas);
const MobilityStateParameters = seq({
  't-Evaluation': en(8),
  't-HystNormal': en(8),
  'n-CellChangeMedium': int(1, 16),
  'n-CellChangeHigh': int(1, 16),
});

// MeasConfig
const MeasObjectEutra = seq(
  {
    carrierFreq: ArfcnValueEutra,
    allowedMeasBandwidth: AllowedMeasBandwidth,
    presenceAntennaPort1: bool,
    neighCellConfig: bitsNumber(2),
    offsetFreq: opt(QOffsetRange), // DEFAULT dB0
    cellsToRemoveList: opt(CellIndexList),
    cellsToAddModList: opt(
      seqOf(seq({ cellIndex: CellIndex, physCellId: PhysCellId, cellIndividualOffset: QOffsetRange }), 1, maxCellMeas),
    ),
    blackCellsToRemoveList: opt(CellIndexList),
    blackCellsToAddModList: opt(seqOf(seq({ cellIndex: CellIndex, physCellIdRange: PhysCellIdRange }), 1, maxCellMeas)),
    cellForWhichToReportCGI: opt(PhysCellId),
  },
  { extensible: true },
);
const MeasObjectUtra = seq(
  {
    carrierFreq: ArfcnValueUtra,
    offsetFreq: opt(QOffsetRangeInterRat), // DEFAULT 0
    cellsToRemoveList: opt(CellIndexList),
    cellsToAddModList: opt(
      choice({
        cellsToAddModListUTRA_FDD: seqOf(seq({ cellIndex: CellIndex, physCellId: int(0, 511) }), 1, maxCellMeas),
        cellsToAddModListUTRA_TDD: seqOf(seq({ cellIndex: CellIndex, physCellId: int(0, 127) }), 1, maxCellMeas),
      }),
    ),
    cellForWhichToReportCGI: opt(choice({ 'utra-FDD': int(0, 511), 'utra-TDD': int(0, 127) })),
  },
  { extensible: true },
);
const MeasObjectGeran = seq(
  {
    carrierFreqs: CarrierFreqsGeran,
    offsetFreq: opt(QOffsetRangeInterRat), // DEFAULT 0
    'ncc-Permitted': opt(bitsNumber(8)), // DEFAULT '11111111'B
    cellForWhichToReportCGI: opt(seq({ networkColourCode: bitsNumber(3), baseStationColourCode: bitsNumber(3) })),
  },
  { extensible: true },
);
const MeasObjectCdma2000 = seq(
  {
    'cdma2000-Type': en(2),
    carrierFreq: CarrierFreqCdma2000,
    searchWindowSize: opt(int(0, 15)),
    offsetFreq: opt(QOffsetRangeInterRat), // DEFAULT 0
    cellsToRemoveList: opt(CellIndexList),
    cellsToAddModList: opt(seqOf(seq({ cellIndex: CellIndex, physCellId: int(0, maxPNOffset) }), 1, maxCellMeas)),
    cellForWhichToReportCGI: opt(int(0, maxPNOffset)),
  },
  { extensible: true },
);
const MeasObjectToAddMod = seq({
  measObjectId: MeasObjectId,
  measObject: choice(
    {
      measObjectEUTRA: MeasObjectEutra,
      measObjectUTRA: MeasObjectUtra,
      measObjectGERAN: MeasObjectGeran,
      measObjectCDMA2000: MeasObjectCdma2000,
    },
    { extensible: true, extensionNames: ['measObjectWLAN-r13', 'measObjectNR-r15'] },
  ),
});
const ThresholdEutra = choice({ 'threshold-RSRP': RsrpRange, 'threshold-RSRQ': RsrqRange });
const ThresholdUtra = choice({ 'utra-RSCP': int(-5, 91), 'utra-EcN0': int(0, 49) });
const ThresholdInterRat = choice({ utra: ThresholdUtra, geran: int(0, 63), cdma2000: int(0, 63) });
/** The triggerType both report configs share: an event (extensible CHOICE) with hysteresis and time to trigger, or periodical. */
const triggerType = <E extends Record<string, Per<unknown>>>(events: E, purposes: number) =>
  choice({
    event: seq({
      eventId: choice(events, { extensible: true }),
      hysteresis: Hysteresis,
      timeToTrigger: TimeToTrigger,
    }),
    periodical: seq({ purpose: en(purposes) }),
  });
const ReportConfigEutra = seq(
  {
    triggerType: triggerType(
      {
        eventA1: seq({ 'a1-Threshold': ThresholdEutra }),
        eventA2: seq({ 'a2-Threshold': ThresholdEutra }),
        eventA3: seq({ 'a3-Offset': int(-30, 30), reportOnLeave: bool }),
        eventA4: seq({ 'a4-Threshold': ThresholdEutra }),
        eventA5: seq({ 'a5-Threshold1': ThresholdEutra, 'a5-Threshold2': ThresholdEutra }),
      },
      2,
    ),
    triggerQuantity: en(2),
    reportQuantity: en(2),
    maxReportCells: int(1, maxCellReport),
    reportInterval: ReportInterval,
    reportAmount: en(8),
  },
  { extensible: true },
);
const ReportConfigInterRat = seq(
  {
    triggerType: triggerType(
      {
        eventB1: seq({ 'b1-Threshold': ThresholdInterRat }),
        eventB2: seq({ 'b2-Threshold1': ThresholdEutra, 'b2-Threshold2': ThresholdInterRat }),
      },
      3,
    ),
    maxReportCells: int(1, maxCellReport),
    reportInterval: ReportInterval,
    reportAmount: en(8),
  },
  { extensible: true },
);
const ReportConfigToAddMod = seq({
  reportConfigId: ReportConfigId,
  reportConfig: choice({ reportConfigEUTRA: ReportConfigEutra, reportConfigInterRAT: ReportConfigInterRat }),
});
const QuantityConfig = seq(
  {
    quantityConfigEUTRA: opt(
      seq({ filterCoefficientRSRP: opt(FilterCoefficient), filterCoefficientRSRQ: opt(FilterCoefficient) }),
    ),
    quantityConfigUTRA: opt(
      seq({ 'measQuantityUTRA-FDD': en(2), 'measQuantityUTRA-TDD': en(1), filterCoefficient: opt(FilterCoefficient) }),
    ),
    quantityConfigGERAN: opt(seq({ measQuantityGERAN: en(1), filterCoefficient: opt(FilterCoefficient) })),
    quantityConfigCDMA2000: opt(seq({ measQuantityCDMA2000: en(2) })),
  },
  { extensible: true },
);
const MeasConfig = seq(
  {
    measObjectToRemoveList: opt(seqOf(MeasObjectId, 1, maxObjectId)),
    measObjectToAddModList: opt(seqOf(MeasObjectToAddMod, 1, maxObjectId)),
    reportConfigToRemoveList: opt(seqOf(ReportConfigId, 1, maxReportConfigId)),
    reportConfigToAddModList: opt(seqOf(ReportConfigToAddMod, 1, maxReportConfigId)),
    measIdToRemoveList: opt(seqOf(MeasId, 1, maxMeasId)),
    measIdToAddModList: opt(
      seqOf(seq({ measId: MeasId, measObjectId: MeasObjectId, reportConfigId: ReportConfigId }), 1, maxMeasId),
    ),
    quantityConfig: opt(QuantityConfig),
    measGapConfig: opt(
      setupRelease(seq({ gapOffset: choice({ gp0: int(0, 39), gp1: int(0, 79) }, { extensible: true }) })),
    ),
    's-Measure': opt(RsrpRange),
    preRegistrationInfoHRPD: opt(PreRegistrationInfoHrpd),
    speedStatePars: opt(
      setupRelease(
        seq({ mobilityStateParameters: MobilityStateParameters, 'timeToTrigger-SF': SpeedStateScaleFactors }),
      ),
    ),
  },
  { extensible: true },
);

// MobilityControlInfo
const PhichConfig = seq({ 'phich-Duration': en(2), 'phich-Resource': en(4) });
const AntennaInfoCommon = seq({ antennaPortsCount: en(4) });
const TddConfig = seq({ subframeAssignment: en(7), specialSubframePatterns: en(9) });
const RachConfigDedicated = seq({ 'ra-PreambleIndex': int(0, 63), 'ra-PRACH-MaskIndex': int(0, 15) });
const RadioResourceConfigCommon = seq(
  {
    'rach-ConfigCommon': opt(RachConfigCommon),
    'prach-Config': seq({ rootSequenceIndex: int(0, 837), 'prach-ConfigInfo': opt(PrachConfigInfo) }),
    'pdsch-ConfigCommon': opt(PdschConfigCommon),
    'pusch-ConfigCommon': PuschConfigCommon,
    'phich-Config': opt(PhichConfig),
    'pucch-ConfigCommon': opt(PucchConfigCommon),
    'soundingRS-UL-ConfigCommon': opt(SoundingRsUlConfigCommon),
    uplinkPowerControlCommon: opt(UplinkPowerControlCommon),
    antennaInfoCommon: opt(AntennaInfoCommon),
    'p-Max': opt(PMax),
    'tdd-Config': opt(TddConfig),
    'ul-CyclicPrefixLength': en(2),
  },
  { extensible: true },
);
const MobilityControlInfo = seq(
  {
    targetPhysCellId: PhysCellId,
    carrierFreq: opt(seq({ 'dl-CarrierFreq': ArfcnValueEutra, 'ul-CarrierFreq': opt(ArfcnValueEutra) })),
    carrierBandwidth: opt(seq({ 'dl-Bandwidth': en(16), 'ul-Bandwidth': opt(en(16)) })),
    additionalSpectrumEmission: opt(int(1, 32)),
    t304: en(8),
    'newUE-Identity': CRnti,
    radioResourceConfigCommon: RadioResourceConfigCommon,
    'rach-ConfigDedicated': opt(RachConfigDedicated),
  },
  { extensible: true },
);

// RadioResourceConfigDedicated
const UlAmRlc = seq({ 't-PollRetransmit': en(64), pollPDU: en(8), pollByte: en(16), maxRetxThreshold: en(8) });
const DlAmRlc = seq({ 't-Reordering': en(32), 't-StatusProhibit': en(64) });
const UlUmRlc = seq({ 'sn-FieldLength': en(2) });
const DlUmRlc = seq({ 'sn-FieldLength': en(2), 't-Reordering': en(32) });
const RlcConfig = choice(
  {
    am: seq({ 'ul-AM-RLC': UlAmRlc, 'dl-AM-RLC': DlAmRlc }),
    'um-Bi-Directional': seq({ 'ul-UM-RLC': UlUmRlc, 'dl-UM-RLC': DlUmRlc }),
    'um-Uni-Directional-UL': seq({ 'ul-UM-RLC': UlUmRlc }),
    'um-Uni-Directional-DL': seq({ 'dl-UM-RLC': DlUmRlc }),
  },
  { extensible: true },
);
const LogicalChannelConfig = seq(
  {
    'ul-SpecificParameters': opt(
      seq({
        priority: int(1, 16),
        prioritisedBitRate: en(16),
        bucketSizeDuration: en(8),
        logicalChannelGroup: opt(int(0, 3)),
      }),
    ),
  },
  { extensible: true },
);
const SrbToAddMod = seq(
  {
    'srb-Identity': int(1, 2),
    'rlc-Config': opt(choice({ explicitValue: RlcConfig, defaultValue: nul })),
    logicalChannelConfig: opt(choice({ explicitValue: LogicalChannelConfig, defaultValue: nul })),
  },
  { extensible: true },
);
const PdcpConfig = seq(
  {
    discardTimer: opt(en(8)),
    'rlc-AM': opt(seq({ statusReportRequired: bool })),
    'rlc-UM': opt(seq({ 'pdcp-SN-Size': en(2) })),
    headerCompression: choice({
      notUsed: nul,
      rohc: seq(
        { maxCID: opt(int(1, 16383)), profiles: bitsNumber(9) }, // maxCID DEFAULT 15; profiles: nine BOOLEANs
        { extensible: true },
      ),
    }),
  },
  { extensible: true },
);
const DrbToAddMod = seq(
  {
    'eps-BearerIdentity': opt(int(0, 15)),
    'drb-Identity': int(1, 32),
    'pdcp-Config': opt(PdcpConfig),
    'rlc-Config': opt(RlcConfig),
    logicalChannelIdentity: opt(int(3, 10)),
    logicalChannelConfig: opt(LogicalChannelConfig),
  },
  { extensible: true },
);
const LONG_DRX_CYCLES = [10, 20, 32, 40, 64, 80, 128, 160, 256, 320, 512, 640, 1024, 1280, 2048, 2560] as const;
const DrxConfig = setupRelease(
  seq({
    onDurationTimer: en(16),
    'drx-InactivityTimer': en(32),
    'drx-RetransmissionTimer': en(8),
    'longDRX-CycleStartOffset': choice(Object.fromEntries(LONG_DRX_CYCLES.map((sf) => [`sf${sf}`, int(0, sf - 1)]))),
    shortDRX: opt(seq({ 'shortDRX-Cycle': en(16), drxShortCycleTimer: int(1, 16) })),
  }),
);
const MacMainConfig = seq(
  {
    'ul-SCH-Config': opt(
      seq({ 'maxHARQ-Tx': opt(en(16)), 'periodicBSR-Timer': opt(en(16)), 'retxBSR-Timer': en(8), ttiBundling: bool }),
    ),
    'drx-Config': opt(DrxConfig),
    timeAlignmentTimerDedicated: en(8),
    'phr-Config': opt(
      setupRelease(seq({ 'periodicPHR-Timer': en(8), 'prohibitPHR-Timer': en(8), 'dl-PathlossChange': en(4) })),
    ),
  },
  { extensible: true },
);
const SpsConfig = seq({
  'semiPersistSchedC-RNTI': opt(CRnti),
  'sps-ConfigDL': opt(
    setupRelease(
      seq(
        {
          semiPersistSchedIntervalDL: en(16),
          'numberOfConfSPS-Processes': int(1, 8),
          'n1PUCCH-AN-PersistentList': seqOf(int(0, 2047), 1, 4),
        },
        { extensible: true },
      ),
    ),
  ),
  'sps-ConfigUL': opt(
    setupRelease(
      seq(
        {
          semiPersistSchedIntervalUL: en(16),
          implicitReleaseAfter: en(4),
          'p0-Persistent': opt(
            seq({ 'p0-NominalPUSCH-Persistent': int(-126, 24), 'p0-UE-PUSCH-Persistent': int(-8, 7) }),
          ),
          twoIntervalsConfig: opt(en(1)),
        },
        { extensible: true },
      ),
    ),
  ),
});
const TpcPdcchConfig = setupRelease(
  seq({
    'tpc-RNTI': bitsNumber(16),
    'tpc-Index': choice({ indexOfFormat3: int(1, 15), indexOfFormat3A: int(1, 31) }),
  }),
);
const CqiReportConfig = seq({
  cqiReportModeAperiodic: opt(en(8)),
  'nomPDSCH-RS-EPRE-Offset': int(-1, 6),
  'cqi-ReportPeriodic': opt(
    setupRelease(
      seq({
        'cqi-PUCCH-ResourceIndex': int(0, 1185),
        'cqi-pmi-ConfigIndex': int(0, 1023),
        'cqi-FormatIndicatorPeriodic': choice({ widebandCQI: nul, subbandCQI: seq({ k: int(1, 4) }) }),
        'ri-ConfigIndex': opt(int(0, 1023)),
        simultaneousAckNackAndCQI: bool,
      }),
    ),
  ),
});
const SoundingRsUlConfigDedicated = setupRelease(
  seq({
    'srs-Bandwidth': en(4),
    'srs-HoppingBandwidth': en(4),
    freqDomainPosition: int(0, 23),
    duration: bool,
    'srs-ConfigIndex': int(0, 1023),
    transmissionComb: int(0, 1),
    cyclicShift: en(8),
  }),
);
const AntennaInfoDedicated = seq({
  transmissionMode: en(8),
  codebookSubsetRestriction: opt(
    choice({
      'n2TxAntenna-tm3': skipped(2),
      'n4TxAntenna-tm3': skipped(4),
      'n2TxAntenna-tm4': skipped(6),
      'n4TxAntenna-tm4': skipped(64),
      'n2TxAntenna-tm5': skipped(4),
      'n4TxAntenna-tm5': skipped(16),
      'n2TxAntenna-tm6': skipped(4),
      'n4TxAntenna-tm6': skipped(16),
    }),
  ),
  'ue-TransmitAntennaSelection': setupRelease(en(2)),
});
const PhysicalConfigDedicated = seq(
  {
    'pdsch-ConfigDedicated': opt(seq({ 'p-a': en(8) })),
    'pucch-ConfigDedicated': opt(
      seq({
        ackNackRepetition: setupRelease(seq({ repetitionFactor: en(4), 'n1PUCCH-AN-Rep': int(0, 2047) })),
        'tdd-AckNackFeedbackMode': opt(en(2)),
      }),
    ),
    'pusch-ConfigDedicated': opt(
      seq({
        'betaOffset-ACK-Index': int(0, 15),
        'betaOffset-RI-Index': int(0, 15),
        'betaOffset-CQI-Index': int(0, 15),
      }),
    ),
    uplinkPowerControlDedicated: opt(
      seq({
        'p0-UE-PUSCH': int(-8, 7),
        'deltaMCS-Enabled': en(2),
        accumulationEnabled: bool,
        'p0-UE-PUCCH': int(-8, 7),
        'pSRS-Offset': int(0, 15),
        filterCoefficient: opt(FilterCoefficient), // DEFAULT fc4
      }),
    ),
    'tpc-PDCCH-ConfigPUCCH': opt(TpcPdcchConfig),
    'tpc-PDCCH-ConfigPUSCH': opt(TpcPdcchConfig),
    'cqi-ReportConfig': opt(CqiReportConfig),
    'soundingRS-UL-ConfigDedicated': opt(SoundingRsUlConfigDedicated),
    antennaInfo: opt(choice({ explicitValue: AntennaInfoDedicated, defaultValue: nul })),
    schedulingRequestConfig: opt(
      setupRelease(
        seq({ 'sr-PUCCH-ResourceIndex': int(0, 2047), 'sr-ConfigIndex': int(0, 157), 'dsr-TransMax': en(8) }),
      ),
    ),
  },
  { extensible: true },
);
const RadioResourceConfigDedicated = seq(
  {
    'srb-ToAddModList': opt(seqOf(SrbToAddMod, 1, 2)),
    'drb-ToAddModList': opt(seqOf(DrbToAddMod, 1, maxDRB)),
    'drb-ToReleaseList': opt(seqOf(int(1, 32), 1, maxDRB)),
    'mac-MainConfig': opt(choice({ explicitValue: MacMainConfig, defaultValue: nul })),
    'sps-Config': opt(SpsConfig),
    physicalConfigDedicated: opt(PhysicalConfigDedicated),
  },
  { extensible: true },
);

// ---- DL-DCCH: RRCConnectionReconfiguration's non-critical extensions, v890 to v1530 ----
// Each release's IEs follow the previous one's as `nonCriticalExtension`, again without lengths, so reaching
// the SCG ciphering algorithm (v1250) or securityConfigHO-v1530 means decoding every component before it:
// the SCell, SCG, WLAN and sidelink configurations in full (their roots; additions by their open-type lengths).

const maxSCellR10 = 4;
const maxSCellR13 = 31;
const maxNeighCellR12 = 8;
const maxWlanIdR12 = 16;
const maxWlanIdR13 = 32;
const SCellIndexR10 = int(1, 7);
const SCellIndexR13 = int(1, 31);
const ArfcnValueEutraR9 = int(0, 262143);
const Pa = en(8);
/** BIT STRING without a SIZE constraint: a length determinant, then that many bits (nobody reads them). */
const skippedBitString: Per<null> = custom((r) => {
  r.skipBits(r.lengthDeterminant());
  return null;
});

// SCellToAddMod-r10
const RadioResourceConfigCommonSCellR10 = seq(
  {
    'nonUL-Configuration-r10': seq({
      'dl-Bandwidth-r10': en(6),
      'antennaInfoCommon-r10': AntennaInfoCommon,
      'mbsfn-SubframeConfigList-r10': opt(MbsfnSubframeConfigList),
      'phich-Config-r10': PhichConfig,
      'pdsch-ConfigCommon-r10': PdschConfigCommon,
      'tdd-Config-r10': opt(TddConfig),
    }),
    'ul-Configuration-r10': opt(
      seq({
        'ul-FreqInfo-r10': seq({
          'ul-CarrierFreq-r10': opt(ArfcnValueEutra),
          'ul-Bandwidth-r10': opt(en(6)),
          'additionalSpectrumEmissionSCell-r10': int(1, 32),
        }),
        'p-Max-r10': opt(PMax),
        'uplinkPowerControlCommonSCell-r10': seq({ 'p0-NominalPUSCH-r10': int(-126, 24), 'alpha-r10': en(8) }),
        'soundingRS-UL-ConfigCommon-r10': SoundingRsUlConfigCommon,
        'ul-CyclicPrefixLength-r10': en(2),
        'prach-ConfigSCell-r10': opt(seq({ 'prach-ConfigIndex-r10': int(0, 63) })),
        'pusch-ConfigCommon-r10': PuschConfigCommon,
      }),
    ),
  },
  { extensible: true },
);
const CqiReportPeriodicR10 = setupRelease(
  seq({
    'cqi-PUCCH-ResourceIndex-r10': int(0, 1184),
    'cqi-PUCCH-ResourceIndexP1-r10': opt(int(0, 1184)),
    'cqi-pmi-ConfigIndex': int(0, 1023),
    'cqi-FormatIndicatorPeriodic-r10': choice({
      'widebandCQI-r10': seq({ 'csi-ReportMode-r10': opt(en(2)) }),
      'subbandCQI-r10': seq({ k: int(1, 4), 'periodicityFactor-r10': en(2) }),
    }),
    'ri-ConfigIndex': opt(int(0, 1023)),
    simultaneousAckNackAndCQI: bool,
    'cqi-Mask-r9': opt(en(1)),
    'csi-ConfigIndex-r10': opt(
      setupRelease(seq({ 'cqi-pmi-ConfigIndex2-r10': int(0, 1023), 'ri-ConfigIndex2-r10': opt(int(0, 1023)) })),
    ),
  }),
);
const SrsConfigApR10 = seq({
  'srs-AntennaPortAp-r10': en(4),
  'srs-BandwidthAp-r10': en(4),
  'freqDomainPositionAp-r10': int(0, 23),
  'transmissionCombAp-r10': int(0, 1),
  'cyclicShiftAp-r10': en(8),
});
const PhysicalConfigDedicatedSCellR10 = seq(
  {
    'nonUL-Configuration-r10': opt(
      seq({
        'antennaInfo-r10': opt(
          seq({
            'transmissionMode-r10': en(16),
            'codebookSubsetRestriction-r10': opt(skippedBitString),
            'ue-TransmitAntennaSelection': setupRelease(en(2)),
          }),
        ),
        'crossCarrierSchedulingConfig-r10': opt(
          seq({
            'schedulingCellInfo-r10': choice({
              'own-r10': seq({ 'cif-Presence-r10': bool }),
              'other-r10': seq({ 'schedulingCellId-r10': int(0, 7), 'pdsch-Start-r10': int(1, 4) }),
            }),
          }),
        ),
        'csi-RS-Config-r10': opt(
          seq({
            'csi-RS-r10': opt(
              setupRelease(
                seq({
                  'antennaPortsCount-r10': en(4),
                  'resourceConfig-r10': int(0, 31),
                  'subframeConfig-r10': int(0, 154),
                  'p-C-r10': int(-8, 15),
                }),
              ),
            ),
            'zeroTxPowerCSI-RS-r10': opt(
              setupRelease(
                seq({
                  'zeroTxPowerResourceConfigList-r12': bitsNumber(16),
                  'zeroTxPowerSubframeConfig-r12': int(0, 154),
                }),
              ),
            ),
          }),
        ),
        'pdsch-ConfigDedicated-r10': opt(seq({ 'p-a': Pa })),
      }),
    ),
    'ul-Configuration-r10': opt(
      seq({
        'antennaInfoUL-r10': opt(
          seq({ 'transmissionModeUL-r10': opt(en(8)), 'fourAntennaPortActivated-r10': opt(en(1)) }),
        ),
        'pusch-ConfigDedicatedSCell-r10': opt(
          seq({ 'groupHoppingDisabled-r10': opt(en(1)), 'dmrs-WithOCC-Activated-r10': opt(en(1)) }),
        ),
        'uplinkPowerControlDedicatedSCell-r10': opt(
          seq({
            'p0-UE-PUSCH-r10': int(-8, 7),
            'deltaMCS-Enabled-r10': en(2),
            'accumulationEnabled-r10': bool,
            'pSRS-Offset-r10': int(0, 15),
            'pSRS-OffsetAp-r10': opt(int(0, 15)),
            'filterCoefficient-r10': opt(FilterCoefficient), // DEFAULT fc4
            'pathlossReferenceLinking-r10': en(2),
          }),
        ),
        'cqi-ReportConfigSCell-r10': opt(
          seq({
            'cqi-ReportModeAperiodic-r10': opt(en(8)),
            'nomPDSCH-RS-EPRE-Offset-r10': int(-1, 6),
            'cqi-ReportPeriodicSCell-r10': opt(CqiReportPeriodicR10),
            'pmi-RI-Report-r10': opt(en(1)),
          }),
        ),
        'soundingRS-UL-ConfigDedicated-r10': opt(SoundingRsUlConfigDedicated),
        'soundingRS-UL-ConfigDedicated-v1020': opt(seq({ 'srs-AntennaPort-r10': en(4) })),
        'soundingRS-UL-ConfigDedicatedAperiodic-r10': opt(
          setupRelease(
            seq({
              'srs-ConfigIndexAp-r10': int(0, 31),
              'srs-ConfigApDCI-Format4-r10': opt(seqOf(SrsConfigApR10, 1, 3)),
              'srs-ActivateAp-r10': opt(
                setupRelease(
                  seq(
                    {
                      'srs-ConfigApDCI-Format0-r10': SrsConfigApR10,
                      'srs-ConfigApDCI-Format1a2b2c-r10': SrsConfigApR10,
                    },
                    { extensible: true },
                  ),
                ),
              ),
            }),
          ),
        ),
      }),
    ),
  },
  { extensible: true },
);
const RadioResourceConfigDedicatedSCellR10 = seq(
  { 'physicalConfigDedicatedSCell-r10': opt(PhysicalConfigDedicatedSCellR10) },
  { extensible: true },
);
const SCellToAddModR10 = seq(
  {
    'sCellIndex-r10': SCellIndexR10,
    'cellIdentification-r10': opt(seq({ 'physCellId-r10': PhysCellId, 'dl-CarrierFreq-r10': ArfcnValueEutra })),
    'radioResourceConfigCommonSCell-r10': opt(RadioResourceConfigCommonSCellR10),
    'radioResourceConfigDedicatedSCell-r10': opt(RadioResourceConfigDedicatedSCellR10),
  },
  { extensible: true },
);
const SCellToReleaseListR10 = seqOf(SCellIndexR10, 1, maxSCellR10);
const SCellToAddModListR10 = seqOf(SCellToAddModR10, 1, maxSCellR10);

// SCG-Configuration-r12 (dual connectivity)
const MobilityControlInfoScgR12 = seq(
  {
    't307-r12': en(8),
    'ue-IdentitySCG-r12': opt(CRnti),
    'rach-ConfigDedicated-r12': opt(RachConfigDedicated),
    'cipheringAlgorithmSCG-r12': opt(CipheringAlgorithmR12),
  },
  { extensible: true },
);
const DrbToAddModScgR12 = seq(
  {
    'drb-Identity-r12': int(1, 32),
    'drb-Type-r12': opt(
      choice({
        'split-r12': nul,
        'scg-r12': seq({ 'eps-BearerIdentity-r12': opt(int(0, 15)), 'pdcp-Config-r12': opt(PdcpConfig) }),
      }),
    ),
    'rlc-ConfigSCG-r12': opt(RlcConfig),
    'rlc-Config-v1250': opt(seq({ 'ul-extended-RLC-LI-Field-r12': bool, 'dl-extended-RLC-LI-Field-r12': bool })),
    'logicalChannelIdentitySCG-r12': opt(int(3, 10)),
    'logicalChannelConfigSCG-r12': opt(LogicalChannelConfig),
  },
  { extensible: true },
);
const RadioResourceConfigDedicatedScgR12 = seq(
  {
    'drb-ToAddModListSCG-r12': opt(seqOf(DrbToAddModScgR12, 1, maxDRB)),
    'mac-MainConfigSCG-r12': opt(MacMainConfig),
    'rlf-TimersAndConstantsSCG-r12': opt(
      setupRelease(seq({ 't313-r12': en(7), 'n313-r12': en(8), 'n314-r12': en(8) }, { extensible: true })),
    ),
  },
  { extensible: true },
);
const NaicsAssistanceInfoR12 = setupRelease(
  seq({
    'neighCellsToReleaseList-r12': opt(seqOf(PhysCellId, 1, maxNeighCellR12)),
    'neighCellsToAddModList-r12': opt(
      seqOf(
        seq(
          {
            'physCellId-r12': PhysCellId,
            'p-b-r12': int(0, 3),
            'crs-PortsCount-r12': en(4),
            'mbsfn-SubframeConfig-r12': opt(MbsfnSubframeConfigList),
            'p-aList-r12': seqOf(Pa, 1, 3),
            'transmissionModeList-r12': bitsNumber(8),
            'resAllocGranularity-r12': int(1, 4),
          },
          { extensible: true },
        ),
        1,
        maxNeighCellR12,
      ),
    ),
    'servCellp-a-r12': opt(Pa),
  }),
);
const PSCellToAddModR12 = seq(
  {
    'sCellIndex-r12': SCellIndexR10,
    'cellIdentification-r12': opt(seq({ 'physCellId-r12': PhysCellId, 'dl-CarrierFreq-r12': ArfcnValueEutraR9 })),
    'radioResourceConfigCommonPSCell-r12': opt(
      seq(
        {
          'basicFields-r12': RadioResourceConfigCommonSCellR10,
          'pucch-ConfigCommon-r12': PucchConfigCommon,
          'rach-ConfigCommon-r12': RachConfigCommon,
          'uplinkPowerControlCommonPSCell-r12': seq({
            'deltaF-PUCCH-Format3-r12': en(8),
            'deltaF-PUCCH-Format1bCS-r12': en(4),
            'p0-NominalPUCCH-r12': int(-127, -96),
            'deltaFList-PUCCH-r12': DeltaFListPucch,
          }),
        },
        { extensible: true },
      ),
    ),
    'radioResourceConfigDedicatedPSCell-r12': opt(
      seq(
        {
          'physicalConfigDedicatedPSCell-r12': opt(PhysicalConfigDedicated),
          'sps-Config-r12': opt(SpsConfig),
          'naics-Info-r12': opt(NaicsAssistanceInfoR12),
        },
        { extensible: true },
      ),
    ),
  },
  { extensible: true },
);
const ScgConfigurationR12 = setupRelease(
  seq({
    'scg-ConfigPartMCG-r12': opt(
      seq(
        {
          'scg-Counter-r12': opt(int(0, 65535)),
          'powerCoordinationInfo-r12': opt(
            seq({ 'p-MeNB-r12': int(1, 16), 'p-SeNB-r12': int(1, 16), 'powerControlMode-r12': int(1, 2) }),
          ),
        },
        { extensible: true },
      ),
    ),
    'scg-ConfigPartSCG-r12': opt(
      seq(
        {
          'radioResourceConfigDedicatedSCG-r12': opt(RadioResourceConfigDedicatedScgR12),
          'sCellToReleaseListSCG-r12': opt(SCellToReleaseListR10),
          'pSCellToAddMod-r12': opt(PSCellToAddModR12),
          'sCellToAddModListSCG-r12': opt(SCellToAddModListR10),
          'mobilityControlInfoSCG-r12': opt(MobilityControlInfoScgR12),
        },
        { extensible: true },
      ),
    ),
  }),
);

// WLAN offload and aggregation (v1250, v1310)
const rsrqPair = (low: string, high: string) => seq({ [low]: RsrqRange, [high]: RsrqRange });
const WlanOffloadConfigR12 = seq(
  {
    'thresholdRSRP-r12': opt(seq({ 'thresholdRSRP-Low-r12': RsrpRange, 'thresholdRSRP-High-r12': RsrpRange })),
    'thresholdRSRQ-r12': opt(rsrqPair('thresholdRSRQ-Low-r12', 'thresholdRSRQ-High-r12')),
    'thresholdRSRQ-OnAllSymbolsWithWB-r12': opt(
      rsrqPair('thresholdRSRQ-OnAllSymbolsWithWB-Low-r12', 'thresholdRSRQ-OnAllSymbolsWithWB-High-r12'),
    ),
    'thresholdRSRQ-OnAllSymbols-r12': opt(
      rsrqPair('thresholdRSRQ-OnAllSymbolsLow-r12', 'thresholdRSRQ-OnAllSymbolsHigh-r12'),
    ),
    'thresholdRSRQ-WB-r12': opt(rsrqPair('thresholdRSRQ-WB-Low-r12', 'thresholdRSRQ-WB-High-r12')),
    'thresholdChannelUtilization-r12': opt(
      seq({ 'thresholdChannelUtilizationLow-r12': int(0, 255), 'thresholdChannelUtilizationHigh-r12': int(0, 255) }),
    ),
    'thresholdBackhaul-Bandwidth-r12': opt(
      seq({
        'thresholdBackhaulDL-BandwidthLow-r12': en(32), // WLAN-backhaulRate-r12: r0 … r4294967296
        'thresholdBackhaulDL-BandwidthHigh-r12': en(32),
        'thresholdBackhaulUL-BandwidthLow-r12': en(32),
        'thresholdBackhaulUL-BandwidthHigh-r12': en(32),
      }),
    ),
    'thresholdWLAN-RSSI-r12': opt(
      seq({ 'thresholdWLAN-RSSI-Low-r12': int(0, 255), 'thresholdWLAN-RSSI-High-r12': int(0, 255) }),
    ),
    'offloadPreferenceIndicator-r12': opt(bitsNumber(16)),
    't-SteeringWLAN-r12': opt(TReselection),
  },
  { extensible: true },
);
const WlanIdentifiersR12 = seq(
  {
    'ssid-r12': opt(octetString({ lb: 1, ub: 32 })),
    'bssid-r12': opt(octetString({ lb: 6, ub: 6 })),
    'hessid-r12': opt(octetString({ lb: 6, ub: 6 })),
  },
  { extensible: true },
);
const WlanIdListR13 = seqOf(WlanIdentifiersR12, 1, maxWlanIdR13);
const WlanMobilityConfigR13 = seq(
  {
    'wlan-ToReleaseList-r13': opt(WlanIdListR13),
    'wlan-ToAddList-r13': opt(WlanIdListR13),
    'associationTimer-r13': opt(en(5)),
    'successReportRequested-r13': opt(en(1)),
  },
  { extensible: true },
);
const LwaConfigurationR13 = setupRelease(
  seq({
    'lwa-Config-r13': seq(
      { 'lwa-MobilityConfig-r13': opt(WlanMobilityConfigR13), 'lwa-WT-Counter-r13': opt(int(0, 65535)) },
      { extensible: true },
    ),
  }),
);
const LwipConfigurationR13 = setupRelease(
  seq({
    'lwip-Config-r13': seq(
      {
        'lwip-MobilityConfig-r13': opt(WlanMobilityConfigR13),
        'tunnelConfigLWIP-r13': opt(
          seq(
            {
              'ip-Address-r13': choice({ 'ipv4-r13': skipped(32), 'ipv6-r13': skipped(128) }),
              'ike-Identity-r13': seq({ 'idI-r13': octetString() }),
            },
            { extensible: true },
          ),
        ),
      },
      { extensible: true },
    ),
  }),
);
const RclwiConfigurationR13 = setupRelease(
  seq({
    'rclwi-Config-r13': seq(
      {
        command: choice({
          'steerToWLAN-r13': seq({ 'mobilityConfig-r13': seqOf(WlanIdentifiersR12, 1, maxWlanIdR12) }),
          'steerToLTE-r13': nul,
        }),
      },
      { extensible: true },
    ),
  }),
);
const SCellToAddModExtR13 = seq({
  'sCellIndex-r13': SCellIndexR13,
  'cellIdentification-r13': opt(seq({ 'physCellId-r13': PhysCellId, 'dl-CarrierFreq-r13': ArfcnValueEutraR9 })),
  'radioResourceConfigCommonSCell-r13': opt(RadioResourceConfigCommonSCellR10),
  'radioResourceConfigDedicatedSCell-r13': opt(RadioResourceConfigDedicatedSCellR10),
  'antennaInfoDedicatedSCell-r13': opt(seq({ 'maxLayersMIMO-r10': opt(en(3)) })),
});

// Sidelink (ProSe) discovery and communication resources (v1250)
const maxSlTxPoolR12 = 4;
const maxSlTfIndexPairR12 = 64;
const SlTxPoolIdentityR12 = int(1, maxSlTxPoolR12);
const SlTxPoolToReleaseListR12 = seqOf(SlTxPoolIdentityR12, 1, maxSlTxPoolR12);
const SlCpLenR12 = en(2);
const SlTxParametersR12 = seq({ 'alpha-r12': en(8), 'p0-r12': int(-126, 31) });
const SlRxParametersR12 = seq({ 'tdd-Config-r12': opt(TddConfig), 'syncConfigIndex-r12': int(0, 15) });
const SlTfResourceConfigR12 = seq({
  'prb-Num-r12': int(1, 100),
  'prb-Start-r12': int(0, 99),
  'prb-End-r12': int(0, 99),
  'offsetIndicator-r12': choice({ 'small-r12': int(0, 319), 'large-r12': int(0, 10239) }),
  'subframeBitmap-r12': choice({
    'bs4-r12': skipped(4),
    'bs8-r12': skipped(8),
    'bs12-r12': skipped(12),
    'bs16-r12': skipped(16),
    'bs30-r12': skipped(30),
    'bs40-r12': skipped(40),
    'bs42-r12': skipped(42),
  }),
});
const SlDiscResourcePoolR12 = seq(
  {
    'cp-Len-r12': SlCpLenR12,
    'discPeriod-r12': en(8),
    'numRetx-r12': int(0, 3),
    'numRepetition-r12': int(1, 50),
    'tf-ResourceConfig-r12': SlTfResourceConfigR12,
    'txParameters-r12': opt(
      seq({
        'txParametersGeneral-r12': SlTxParametersR12,
        'ue-SelectedResourceConfig-r12': opt(
          seq({
            'poolSelection-r12': choice({
              'rsrpBased-r12': seq({ 'threshLow-r12': int(0, 7), 'threshHigh-r12': int(0, 7) }),
              'random-r12': nul,
            }),
            'txProbability-r12': en(4),
          }),
        ),
      }),
    ),
    'rxParameters-r12': opt(SlRxParametersR12),
  },
  { extensible: true },
);
const SlCommResourcePoolR12 = seq(
  {
    'sc-CP-Len-r12': SlCpLenR12,
    'sc-Period-r12': en(16),
    'sc-TF-ResourceConfig-r12': SlTfResourceConfigR12,
    'data-CP-Len-r12': SlCpLenR12,
    'dataHoppingConfig-r12': seq({
      'hoppingParameter-r12': int(0, 504),
      'numSubbands-r12': en(3),
      'rb-Offset-r12': int(0, 110),
    }),
    'ue-SelectedResourceConfig-r12': opt(
      seq({ 'data-TF-ResourceConfig-r12': SlTfResourceConfigR12, 'trpt-Subset-r12': opt(bitString(3, 5)) }),
    ),
    'rxParametersNCell-r12': opt(SlRxParametersR12),
    'txParameters-r12': opt(
      seq({ 'sc-TxParameters-r12': SlTxParametersR12, 'dataTxParameters-r12': SlTxParametersR12 }),
    ),
  },
  { extensible: true },
);
const SlDiscConfigR12 = seq(
  {
    'discTxResources-r12': opt(
      setupRelease(
        choice({
          'scheduled-r12': seq({
            'discTxConfig-r12': opt(SlDiscResourcePoolR12),
            'discTF-IndexList-r12': opt(
              seqOf(
                seq({ 'discSF-Index-r12': opt(int(1, 200)), 'discPRB-Index-r12': opt(int(1, 50)) }),
                1,
                maxSlTfIndexPairR12,
              ),
            ),
            'discHoppingConfig-r12': opt(seq({ 'a-r12': int(1, 200), 'b-r12': int(1, 10), 'c-r12': en(2) })),
          }),
          'ue-Selected-r12': seq({
            'discTxPoolDedicated-r12': opt(
              seq({
                'poolToReleaseList-r12': opt(SlTxPoolToReleaseListR12),
                'poolToAddModList-r12': opt(
                  seqOf(
                    seq({ 'poolIdentity-r12': SlTxPoolIdentityR12, 'pool-r12': SlDiscResourcePoolR12 }),
                    1,
                    maxSlTxPoolR12,
                  ),
                ),
              }),
            ),
          }),
        }),
      ),
    ),
  },
  { extensible: true },
);
const SlCommConfigR12 = seq(
  {
    'commTxResources-r12': opt(
      setupRelease(
        choice({
          'scheduled-r12': seq({
            'sl-RNTI-r12': CRnti,
            'mac-MainConfig-r12': seq({ 'periodic-BSR-TimerSL': opt(en(16)), 'retx-BSR-TimerSL': en(8) }),
            'sc-CommTxConfig-r12': SlCommResourcePoolR12,
            'mcs-r12': opt(int(0, 28)),
          }),
          'ue-Selected-r12': seq({
            'commTxPoolNormalDedicated-r12': seq({
              'poolToReleaseList-r12': opt(SlTxPoolToReleaseListR12),
              'poolToAddModList-r12': opt(
                seqOf(
                  seq({ 'poolIdentity-r12': SlTxPoolIdentityR12, 'pool-r12': SlCommResourcePoolR12 }),
                  1,
                  maxSlTxPoolR12,
                ),
              ),
            }),
          }),
        }),
      ),
    ),
  },
  { extensible: true },
);

// Sidelink V2X (v1430)
const maxSlV2xTxPoolR14 = 8;
const maxCbrLevelR14 = 16;
const SlPriorityR13 = int(1, 8);
const SlTypeTxSyncR14 = en(3);
const SlRxParametersNCellR14 = seq({ 'tdd-Config-r14': opt(TddConfig), 'syncConfigIndex-r14': int(0, 15) });
const SlRestrictResourceReservationPeriodListR14 = seqOf(en(16), 1, 16);
const SlCommResourcePoolV2xR14 = seq(
  {
    'sl-OffsetIndicator-r14': opt(choice({ 'small-r12': int(0, 319), 'large-r12': int(0, 10239) })),
    'sl-Subframe-r14': choice({
      'bs10-r14': skipped(10),
      'bs16-r14': skipped(16),
      'bs20-r14': skipped(20),
      'bs30-r14': skipped(30),
      'bs40-r14': skipped(40),
      'bs50-r14': skipped(50),
      'bs60-r14': skipped(60),
      'bs100-r14': skipped(100),
    }),
    'adjacencyPSCCH-PSSCH-r14': bool,
    'sizeSubchannel-r14': en(32),
    'numSubchannel-r14': en(8),
    'startRB-Subchannel-r14': int(0, 99),
    'startRB-PSCCH-Pool-r14': opt(int(0, 99)),
    'rxParametersNCell-r14': opt(SlRxParametersNCellR14),
    'dataTxParameters-r14': opt(SlTxParametersR12),
    'zoneID-r14': opt(int(0, 7)),
    'threshS-RSSI-CBR-r14': opt(int(0, 45)),
    'poolReportId-r14': opt(int(1, 72)),
    'cbr-pssch-TxConfigList-r14': opt(
      seqOf(
        seq({
          'priorityThreshold-r14': SlPriorityR13,
          'defaultTxConfigIndex-r14': int(0, maxCbrLevelR14 - 1),
          'cbr-ConfigIndex-r14': int(0, 3),
          'tx-ConfigIndexList-r14': seqOf(int(0, 63), 1, maxCbrLevelR14),
        }),
        1,
        8,
      ),
    ),
    'resourceSelectionConfigP2X-r14': opt(seq({ 'partialSensing-r14': opt(en(1)), 'randomSelection-r14': opt(en(1)) })),
    'syncAllowed-r14': opt(seq({ 'gnss-Sync-r14': opt(en(1)), 'enb-Sync-r14': opt(en(1)), 'ue-Sync-r14': opt(en(1)) })),
    'restrictResourceReservationPeriod-r14': opt(SlRestrictResourceReservationPeriodListR14),
  },
  { extensible: true },
);
const SlPsschTxParametersR14 = seq({
  'minMCS-PSSCH-r14': int(0, 31),
  'maxMCS-PSSCH-r14': int(0, 31),
  'minSubChannel-NumberPSSCH-r14': int(1, 20),
  'maxSubchannel-NumberPSSCH-r14': int(1, 20),
  'allowedRetxNumberPSSCH-r14': en(4),
  'maxTxPower-r14': opt(choice({ 'minusinfinity-r14': nul, 'txPower-r14': int(-41, 31) })),
});
const SlCommTxPoolSensingConfigR14 = seq({
  'pssch-TxConfigList-r14': seqOf(
    seq(
      {
        'typeTxSync-r14': opt(SlTypeTxSyncR14),
        'thresUE-Speed-r14': en(8),
        'parametersAboveThres-r14': SlPsschTxParametersR14,
        'parametersBelowThres-r14': SlPsschTxParametersR14,
      },
      { extensible: true },
    ),
    1,
    16,
  ),
  'thresPSSCH-RSRP-List-r14': seqOf(int(0, 66), 64, 64),
  'restrictResourceReservationPeriod-r14': opt(SlRestrictResourceReservationPeriodListR14),
  'probResourceKeep-r14': en(8),
  'p2x-SensingConfig-r14': opt(seq({ 'minNumCandidateSF-r14': int(1, 13), 'gapCandidateSensing-r14': skipped(10) })),
  'sl-ReselectAfter-r14': opt(en(16)),
});
const SlCommTxPoolListV2xR14 = seqOf(SlCommResourcePoolV2xR14, 1, maxSlV2xTxPoolR14);
const SlV2xInterFreqUeConfigR14 = seq(
  {
    'physCellIdList-r14': opt(seqOf(PhysCellId, 1, 16)),
    'typeTxSync-r14': opt(SlTypeTxSyncR14),
    'v2x-SyncConfig-r14': opt(
      seqOf(
        seq(
          {
            'asyncParameters-r13': opt(
              seq({ 'syncCP-Len-r13': SlCpLenR12, 'syncOffsetIndicator-r13': int(0, 39), 'slssid-r13': int(0, 167) }),
            ),
            'txParameters-r13': opt(
              seq({
                'syncTxParameters-r13': SlTxParametersR12,
                'syncTxThreshIC-r13': int(0, 13),
                'syncInfoReserved-r13': opt(skipped(19)),
                'syncTxPeriodic-r13': opt(en(1)),
              }),
            ),
            'rxParameters-r13': opt(seq({ 'discSyncWindow-r13': en(2) })),
          },
          { extensible: true },
        ),
        1,
        16,
      ),
    ),
    'v2x-CommRxPool-r14': opt(seqOf(SlCommResourcePoolV2xR14, 1, 16)),
    'v2x-CommTxPoolNormal-r14': opt(SlCommTxPoolListV2xR14),
    'p2x-CommTxPoolNormal-r14': opt(SlCommTxPoolListV2xR14),
    'v2x-CommTxPoolExceptional-r14': opt(SlCommResourcePoolV2xR14),
    'v2x-ResourceSelectionConfig-r14': opt(SlCommTxPoolSensingConfigR14),
    'zoneConfig-r14': opt(
      seq({
        'zoneLength-r14': en(8),
        'zoneWidth-r14': en(8),
        'zoneIdLongiMod-r14': int(1, 4),
        'zoneIdLatiMod-r14': int(1, 4),
      }),
    ),
    'offsetDFN-r14': opt(int(0, 1000)),
  },
  { extensible: true },
);
const SlV2xConfigDedicatedR14 = seq(
  {
    'commTxResources-r14': opt(
      setupRelease(
        choice({
          'scheduled-r14': seq({
            'sl-V-RNTI-r14': CRnti,
            'mac-MainConfig-r14': seq({ 'periodic-BSR-TimerSL': opt(en(16)), 'retx-BSR-TimerSL': en(8) }),
            'v2x-SchedulingPool-r14': opt(SlCommResourcePoolV2xR14),
            'mcs-r14': opt(int(0, 31)),
            'logicalChGroupInfoList-r14': seqOf(seqOf(SlPriorityR13, 1, 8), 1, 4),
          }),
          'ue-Selected-r14': seq({
            'v2x-CommTxPoolNormalDedicated-r14': seq({
              'poolToReleaseList-r14': opt(seqOf(int(1, maxSlV2xTxPoolR14), 1, maxSlV2xTxPoolR14)),
              'poolToAddModList-r14': opt(
                seqOf(
                  seq({ 'poolIdentity-r14': int(1, maxSlV2xTxPoolR14), 'pool-r14': SlCommResourcePoolV2xR14 }),
                  1,
                  maxSlV2xTxPoolR14,
                ),
              ),
              'v2x-CommTxPoolSensingConfig-r14': opt(SlCommTxPoolSensingConfigR14),
            }),
          }),
        }),
      ),
    ),
    'v2x-InterFreqInfoList-r14': opt(
      seqOf(
        seq(
          {
            'plmn-IdentityList-r14': opt(
              seqOf(seq({ 'plmn-Identity': PlmnIdentity, cellReservedForOperatorUse: en(2) }), 1, maxPLMN),
            ),
            'v2x-CommCarrierFreq-r14': ArfcnValueEutraR9,
            'sl-MaxTxPower-r14': opt(PMax),
            'sl-Bandwidth-r14': opt(en(6)),
            'v2x-SchedulingPool-r14': opt(SlCommResourcePoolV2xR14),
            'v2x-UE-ConfigList-r14': opt(seqOf(SlV2xInterFreqUeConfigR14, 1, maxCellIntra)),
          },
          { extensible: true },
        ),
        0,
        7,
      ),
    ),
    'thresSL-TxPrioritization-r14': opt(SlPriorityR13),
    'typeTxSync-r14': opt(SlTypeTxSyncR14),
    'cbr-DedicatedTxConfigList-r14': opt(
      seq({
        'cbr-RangeCommonConfigList-r14': seqOf(seqOf(int(0, 100), 1, maxCbrLevelR14), 1, 4),
        'sl-CBR-PSSCH-TxConfigList-r14': seqOf(
          seq({ 'cr-Limit-r14': int(0, 10000), 'tx-Parameters-r14': SlPsschTxParametersR14 }),
          1,
          64,
        ),
      }),
    ),
  },
  { extensible: true },
);

const SecurityConfigHoV1530 = seq(
  {
    'handoverType-v1530': choice({
      intra5GC: seq({
        'securityAlgorithmConfig-r15': opt(SecurityAlgorithmConfig),
        'keyChangeIndicator-r15': bool,
        'nextHopChainingCount-r15': int(0, 7),
        'nas-Container-r15': opt(octetString()),
      }),
      'fivegc-ToEPC': seq({
        'securityAlgorithmConfig-r15': SecurityAlgorithmConfig,
        'nextHopChainingCount-r15': int(0, 7),
      }),
      'epc-To5GC': seq({ 'securityAlgorithmConfig-r15': SecurityAlgorithmConfig, 'nas-Container-r15': octetString() }),
    }),
  },
  { extensible: true },
);

const OtherConfigR9 = seq(
  {
    'reportProximityConfig-r9': opt(
      seq({ 'proximityIndicationEUTRA-r9': opt(en(1)), 'proximityIndicationUTRA-r9': opt(en(1)) }),
    ),
  },
  { extensible: true },
);

type SecurityAlgorithms = { readonly cipheringAlgorithm: string; readonly integrityProtAlgorithm: string };

/** What the analyzers and the tshark check read from the non-critical extensions of the r8 IEs. */
export interface ReconfigurationExtensions {
  /** The extension IEs present, in order from v890 (the last is where the chain ends; v1530 at most, as nothing after it is read). */
  readonly releases: readonly string[];
  /** sCellIndex-r10 of each SCell added by v1020's sCellToAddModList-r10. */
  readonly sCellsAdded?: readonly number[];
  /** v1250's scg-Configuration-r12: released, or set up, with the SCG change's ciphering algorithm when it names one. */
  readonly scgConfiguration?:
    { readonly type: 'release' } | { readonly type: 'setup'; readonly cipheringAlgorithmSCG?: string };
  /** v1510's nr-Config-r15 (EN-DC) and sk-Counter-r15. */
  readonly nrConfig?: 'release' | 'setup';
  readonly skCounter?: number;
  /** v1530: the names of the components present, and securityConfigHO-v1530 decoded when it is one of them. */
  readonly v1530?: {
    readonly present: readonly string[];
    readonly securityConfigHO?: {
      readonly handoverType: 'intra5GC' | 'fivegc-ToEPC' | 'epc-To5GC' | '...';
      readonly securityAlgorithmConfig?: SecurityAlgorithms;
    };
  };
}

/** Reads `count` presence bits (a SEQUENCE preamble without an extension bit). */
function preamble(r: PerReader, count: number): boolean[] {
  const bits: boolean[] = [];
  for (let i = 0; i < count; i++) bits.push(r.bit());
  return bits;
}

/**
 * RRCConnectionReconfiguration-v890-IEs and the chain after it, as far as v1530's securityConfigHO-v1530.
 * Every component before the last one needed is decoded (or, for the octet strings that contain other PDUs,
 * stepped over by its length); a decode failure inside fails the whole PDU, as it would in a full decoder.
 */
function reconfigurationExtensions(r: PerReader): ReconfigurationExtensions {
  const releases: string[] = [];
  const out: { -readonly [K in keyof ReconfigurationExtensions]: ReconfigurationExtensions[K] } = { releases };

  releases.push('v890');
  const [late890, next890] = preamble(r, 2);
  if (late890 === true) field(r, 'lateNonCriticalExtension', octetString());
  if (next890 !== true) return out;

  releases.push('v920');
  const [other920, full920, next920] = preamble(r, 3);
  if (other920 === true) field(r, 'otherConfig-r9', OtherConfigR9);
  if (full920 === true) field(r, 'fullConfig-r9', en(1));
  if (next920 !== true) return out;

  releases.push('v1020');
  const [release1020, addMod1020, next1020] = preamble(r, 3);
  if (release1020 === true) field(r, 'sCellToReleaseList-r10', SCellToReleaseListR10);
  if (addMod1020 === true)
    out.sCellsAdded = field(r, 'sCellToAddModList-r10', SCellToAddModListR10).map((s) => s['sCellIndex-r10']);
  if (next1020 !== true) return out;

  releases.push('v1130');
  const [sib1Dedicated1130, next1130] = preamble(r, 2);
  if (sib1Dedicated1130 === true) field(r, 'systemInformationBlockType1Dedicated-r11', octetString());
  if (next1130 !== true) return out;

  releases.push('v1250');
  const [wlan1250, scg1250, syncTx1250, disc1250, comm1250, next1250] = preamble(r, 6);
  if (wlan1250 === true)
    field(
      r,
      'wlan-OffloadInfo-r12',
      setupRelease(seq({ 'wlan-OffloadConfigDedicated-r12': WlanOffloadConfigR12, 't350-r12': opt(en(8)) })),
    );
  if (scg1250 === true) {
    const scg = field(r, 'scg-Configuration-r12', ScgConfigurationR12);
    if (scg.type === 'release') out.scgConfiguration = { type: 'release' };
    else if (scg.type === 'setup') {
      const algorithm =
        scg.value['scg-ConfigPartSCG-r12']?.['mobilityControlInfoSCG-r12']?.['cipheringAlgorithmSCG-r12'];
      out.scgConfiguration =
        algorithm === undefined ? { type: 'setup' } : { type: 'setup', cipheringAlgorithmSCG: algorithm };
    }
  }
  if (syncTx1250 === true) field(r, 'sl-SyncTxControl-r12', seq({ 'networkControlledSyncTx-r12': opt(en(2)) }));
  if (disc1250 === true) field(r, 'sl-DiscConfig-r12', SlDiscConfigR12);
  if (comm1250 === true) field(r, 'sl-CommConfig-r12', SlCommConfigR12);
  if (next1250 !== true) return out;

  releases.push('v1310');
  const [release1310, addMod1310, lwa1310, lwip1310, rclwi1310, next1310] = preamble(r, 6);
  if (release1310 === true) field(r, 'sCellToReleaseListExt-r13', seqOf(SCellIndexR13, 1, maxSCellR13));
  if (addMod1310 === true) field(r, 'sCellToAddModListExt-r13', seqOf(SCellToAddModExtR13, 1, maxSCellR13));
  if (lwa1310 === true) field(r, 'lwa-Configuration-r13', LwaConfigurationR13);
  if (lwip1310 === true) field(r, 'lwip-Configuration-r13', LwipConfigurationR13);
  if (rclwi1310 === true) field(r, 'rclwi-Configuration-r13', RclwiConfigurationR13);
  if (next1310 !== true) return out;

  releases.push('v1430');
  const [v2x1430, addMod1430, gap1430, sib2Dedicated1430, next1430] = preamble(r, 5);
  if (v2x1430 === true) field(r, 'sl-V2X-ConfigDedicated-r14', SlV2xConfigDedicatedR14);
  if (addMod1430 === true)
    field(
      r,
      'sCellToAddModListExt-v1430',
      seqOf(seq({ 'srs-SwitchFromServCellIndex-r14': opt(int(0, 31)) }, { extensible: true }), 1, maxSCellR13),
    );
  if (gap1430 === true) field(r, 'perCC-GapIndicationRequest-r14', en(1));
  if (sib2Dedicated1430 === true) field(r, 'systemInformationBlockType2Dedicated-r14', octetString());
  if (next1430 !== true) return out;

  releases.push('v1510');
  const [nr1510, sk1510, rb1Config1510, rb2Config1510, tdm1510, next1510] = preamble(r, 6);
  if (nr1510 === true) {
    const nr = field(
      r,
      'nr-Config-r15',
      setupRelease(
        seq({
          'endc-ReleaseAndAdd-r15': bool,
          'nr-SecondaryCellGroupConfig-r15': opt(octetString()),
          'p-MaxEUTRA-r15': opt(PMax),
        }),
      ),
    );
    if (nr.type !== '...') out.nrConfig = nr.type;
  }
  if (sk1510 === true) out.skCounter = field(r, 'sk-Counter-r15', int(0, 65535));
  if (rb1Config1510 === true) field(r, 'nr-RadioBearerConfig1-r15', octetString());
  if (rb2Config1510 === true) field(r, 'nr-RadioBearerConfig2-r15', octetString());
  if (tdm1510 === true)
    field(
      r,
      'tdm-PatternConfig-r15',
      setupRelease(seq({ 'subframeAssignment-r15': en(7), 'harq-Offset-r15': int(0, 9) })),
    );
  if (next1510 !== true) return out;

  releases.push('v1530');
  const V1530 = [
    'securityConfigHO-v1530',
    'sCellGroupToReleaseList-r15',
    'sCellGroupToAddModList-r15',
    'dedicatedInfoNASList-r15',
    'p-MaxUE-FR1-r15',
    'smtc-r15',
    'nonCriticalExtension',
  ] as const;
  const bits1530 = preamble(r, V1530.length);
  const present = V1530.filter((_, i) => bits1530[i] === true);
  if (bits1530[0] !== true) {
    r.loseTrack(); // nothing the analyzers read follows securityConfigHO-v1530
    out.v1530 = { present };
    return out;
  }
  const ho = field(r, 'securityConfigHO-v1530', SecurityConfigHoV1530)['handoverType-v1530'];
  r.loseTrack();
  if (ho.type === '...') out.v1530 = { present, securityConfigHO: { handoverType: '...' } };
  else {
    const algorithms = ho.value['securityAlgorithmConfig-r15'];
    out.v1530 = {
      present,
      securityConfigHO:
        algorithms === undefined
          ? { handoverType: ho.type }
          : { handoverType: ho.type, securityAlgorithmConfig: algorithms },
    };
  }
  return out;
}

// ---- BCCH-DL-SCH: SIB8 to SIB11 ----
// Decoded so that a SIB after them in the same SystemInformation (SIB6, SIB7: the downgrade analyzer's
// priorities) is reached; SIB8's CDMA2000 reselection priorities are kept (they are reselection priorities
// like the others, though no analyzer of the original reads them).
const CellReselectionParametersCdma2000 = seq({
  bandClassList: seqOf(
    seq(
      {
        bandClass: BandclassCdma2000,
        cellReselectionPriority: opt(CellReselectionPriority),
        'threshX-High': int(0, 63),
        'threshX-Low': int(0, 63),
      },
      { extensible: true },
    ),
    1,
    maxCdmaBandClass,
  ),
  neighCellList: seqOf(
    seq({
      bandClass: BandclassCdma2000,
      neighCellsPerFreqList: seqOf(
        seq({ arfcn: int(0, 2047), physCellIdList: seqOf(int(0, maxPNOffset), 1, 16) }),
        1,
        16,
      ),
    }),
    1,
    16,
  ),
  't-ReselectionCDMA2000': TReselection,
  't-ReselectionCDMA2000-SF': opt(SpeedStateScaleFactors),
});
const Sib8 = seq(
  {
    systemTimeInfo: opt(
      seq({
        'cdma-EUTRA-Synchronisation': bool,
        'cdma-SystemTime': choice({ synchronousSystemTime: skipped(39), asynchronousSystemTime: skipped(49) }),
      }),
    ),
    searchWindowSize: opt(int(0, 15)),
    parametersHRPD: opt(
      seq({
        preRegistrationInfoHRPD: PreRegistrationInfoHrpd,
        cellReselectionParametersHRPD: opt(CellReselectionParametersCdma2000),
      }),
    ),
    parameters1XRTT: opt(
      seq({
        // sid 15, nid 16, seven BOOLEANs, registrationPeriod 7, registrationZone 12, totalZone 3, zoneTimer 3
        'csfb-RegistrationParam1XRTT': opt(skipped(63)),
        longCodeState1XRTT: opt(skipped(42)),
        cellReselectionParameters1XRTT: opt(CellReselectionParametersCdma2000),
      }),
    ),
  },
  { extensible: true },
);
const Sib9 = seq({ 'hnb-Name': opt(octetString({ lb: 1, ub: 48 })) }, { extensible: true });
const Sib10 = seq(
  {
    messageIdentifier: skipped(16),
    serialNumber: skipped(16),
    warningType: octetString({ lb: 2, ub: 2 }),
    dummy: opt(octetString({ lb: 50, ub: 50 })),
  },
  { extensible: true },
);
const Sib11 = seq(
  {
    messageIdentifier: skipped(16),
    serialNumber: skipped(16),
    warningMessageSegmentType: en(2),
    warningMessageSegmentNumber: int(0, 63),
    warningMessageSegment: octetString(),
    dataCodingScheme: opt(octetString({ lb: 1, ub: 1 })),
  },
  { extensible: true },
);
