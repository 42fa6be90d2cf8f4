/**
 * The analysis decoders against a real dissector: each real capture
 * (test/helpers/samples.ts) is exported to GSMTAP pcapng by @ledger/radio, Debian's
 * tshark decodes the export, and every field the analyzers read must equal
 * tshark's, message by message (frame N of the export is the Nth radio message).
 *
 * Only non-identifying fields are requested from tshark and compared (message
 * types, algorithms, causes, cell PLMN/TAC/cell id, priorities): cmcc carries a
 * subscriber identity in clear text, and nothing here decodes, prints or keeps it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  EmmMessageType,
  decodeLteNas,
  decodeLteRrc,
  type LteRrcFacts,
  type NasFacts,
  type SibEntry,
} from '@ledger/analysis';
import { createPcapngExport, readRadioMessages, type RadioMessage } from '@ledger/radio';
import { samplesDir } from './helpers/samples';

const FIELDS = [
  'frame.number',
  'gsmtap.type',
  'gsmtap.rrc_sub_type',
  'lte-rrc.c1',
  'lte-rrc.MCC_MNC_Digit',
  'lte-rrc.trackingAreaCode',
  'lte-rrc.cellIdentity',
  'lte-rrc.schedulingInfoList',
  'lte-rrc.cellReselectionPriority',
  'lte-rrc.cipheringAlgorithm',
  'lte-rrc.integrityProtAlgorithm',
  'lte-rrc.releaseCause',
  'lte-rrc.redirectedCarrierInfo',
  'lte-rrc.establishmentCause',
  'lte-rrc.measConfig_element',
  'lte-rrc.mobilityControlInfo_element',
  'lte-rrc.radioResourceConfigDedicated_element',
  'lte-rrc.securityConfigHO_element',
  'lte-rrc.sCellIndex_r10',
  'lte-rrc.scg_Configuration_r12',
  'lte-rrc.cipheringAlgorithmSCG_r12',
  'lte-rrc.nr_Config_r15',
  'lte-rrc.sk_Counter_r15',
  'lte-rrc.p_MaxUE_FR1_r15',
  'nas_eps.security_header_type',
  'nas_eps.nas_msg_emm_type',
  'nas_eps.nas_msg_esm_type',
  'nas_eps.emm.toc',
  'nas_eps.emm.toi',
  'nas_eps.emm.cause',
  'nas_eps.emm.id_type2',
  'nas_eps.emm.detach_type_ul',
  'nas_eps.emm.detach_type_dl',
  'nas_eps.emm.service_type',
  'nas_eps.emm.eps_att_type',
  'e212.tai.mcc',
  'e212.tai.mnc',
  'nas_eps.emm.tai_tac',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string[]>;

/** c1 alternatives in 36.331 order, per channel: tshark's `lte-rrc.c1` is the index. */
const C1: Record<string, readonly string[]> = {
  'BCCH-DL-SCH': ['systemInformation', 'systemInformationBlockType1'],
  'DL-DCCH': [
    'csfbParametersResponseCDMA2000',
    'dlInformationTransfer',
    'handoverFromEUTRAPreparationRequest',
    'mobilityFromEUTRACommand',
    'rrcConnectionReconfiguration',
    'rrcConnectionRelease',
    'securityModeCommand',
    'ueCapabilityEnquiry',
    'counterCheck',
    'ueInformationRequest-r9',
    'loggedMeasurementConfiguration-r10',
    'rnReconfiguration-r10',
    'rrcConnectionResume-r13',
  ],
  'UL-DCCH': [
    'csfbParametersRequestCDMA2000',
    'measurementReport',
    'rrcConnectionReconfigurationComplete',
    'rrcConnectionReestablishmentComplete',
    'rrcConnectionSetupComplete',
    'securityModeComplete',
    'securityModeFailure',
    'ueCapabilityInformation',
    'ulHandoverPreparationTransfer',
    'ulInformationTransfer',
    'counterCheckResponse',
    'ueInformationResponse-r9',
    'proximityIndication-r9',
    'rnReconfigurationComplete-r10',
    'mbmsCountingResponse-r10',
    'interFreqRSTDMeasurementIndication-r10',
  ],
  'UL-CCCH': ['rrcConnectionReestablishmentRequest', 'rrcConnectionRequest'],
};
const CIPHERING = ['eea0', 'eea1', 'eea2', 'eea3-v1130'];
const INTEGRITY = ['eia0-v920', 'eia1', 'eia2', 'eia3-v1130'];
const RELEASE_CAUSES = ['loadBalancingTAUrequired', 'other', 'cs-FallbackHighPriority-v1020', 'rrc-Suspend-v1320'];
const REDIRECTS = ['eutra', 'geran', 'utra-FDD', 'utra-TDD', 'cdma2000-HRPD', 'cdma2000-1xRTT'];
const CAUSES = [
  'emergency',
  'highPriorityAccess',
  'mt-Access',
  'mo-Signalling',
  'mo-Data',
  'delayTolerantAccess-v1020',
  'mo-VoiceCall-v1280',
];

let dir: string;
beforeAll(() => {
  execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'ensure-tshark.sh')], { stdio: 'ignore' });
  dir = mkdtempSync(path.join(tmpdir(), 'analysis-decoders-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function exportAndDissect(name: string): Promise<{ messages: RadioMessage[]; rows: Row[] }> {
  const qmdl = path.join(dir, `${name}.qmdl`);
  copyFileSync(path.join(samplesDir(), `${name}.qmdl`), qmdl);
  const pcap = path.join(dir, `${name}.pcapng`);
  const exp = createPcapngExport({ hardware: 'test', os: 'test', application: 'analysis-decoders' });
  await pipeline(createReadStream(qmdl), exp.stream, createWriteStream(pcap));
  const messages: RadioMessage[] = [];
  for await (const m of readRadioMessages(createReadStream(qmdl))) messages.push(m);
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])],
    {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const rows = out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cells = line.split('\t');
      return Object.fromEntries(
        FIELDS.map((f, i) => [f, (cells[i] ?? '') === '' ? [] : (cells[i] as string).split(',')]),
      ) as Row;
    });
  return { messages, rows };
}

const num = (values: readonly string[]): number[] => values.map((v) => Number(v));

/** The reselection priorities of an SI message in tshark's (document) order. */
function priorities(sibs: readonly SibEntry[]): number[] {
  const out: number[] = [];
  for (const sib of sibs) {
    if (sib.type === 'sib3') out.push(sib.value.cellReselectionServingFreqInfo.cellReselectionPriority);
    if (sib.type === 'sib5')
      for (const c of sib.value.interFreqCarrierFreqList)
        if (c.cellReselectionPriority !== undefined) out.push(c.cellReselectionPriority);
    if (sib.type === 'sib6') {
      for (const c of sib.value['carrierFreqListUTRA-FDD'] ?? [])
        if (c.cellReselectionPriority !== undefined) out.push(c.cellReselectionPriority);
      for (const c of sib.value['carrierFreqListUTRA-TDD'] ?? [])
        if (c.cellReselectionPriority !== undefined) out.push(c.cellReselectionPriority);
    }
    if (sib.type === 'sib7')
      for (const c of sib.value.carrierFreqsInfoList ?? [])
        if (c.commonInfo.cellReselectionPriority !== undefined) out.push(c.commonInfo.cellReselectionPriority);
    if (sib.type === 'sib8')
      for (const params of [
        sib.value.parametersHRPD?.cellReselectionParametersHRPD,
        sib.value.parameters1XRTT?.cellReselectionParameters1XRTT,
      ])
        for (const b of params?.bandClassList ?? [])
          if (b.cellReselectionPriority !== undefined) out.push(b.cellReselectionPriority);
  }
  return out;
}

/** Our decode of one NAS PDU, as the tshark fields it must equal (only those the analyzers read). */
function nasFields(nas: NasFacts, shtOuter: number): Partial<Record<Field, number[]>> {
  if (nas.message === 'esm') return { 'nas_eps.nas_msg_esm_type': [nas.messageType] };
  if (nas.message === 'serviceRequest') return { 'nas_eps.security_header_type': [shtOuter] };
  const type =
    nas.message === 'emm'
      ? nas.name.startsWith('0x')
        ? Number(nas.name)
        : EmmMessageType[nas.name as keyof typeof EmmMessageType]
      : EmmMessageType[nas.message];
  const f: Partial<Record<Field, number[]>> = { 'nas_eps.nas_msg_emm_type': [type] };
  switch (nas.message) {
    case 'securityModeCommand':
      f['nas_eps.emm.toc'] = [nas.cipheringAlgorithm];
      f['nas_eps.emm.toi'] = [nas.integrityAlgorithm];
      break;
    case 'attachReject':
    case 'serviceReject':
    case 'trackingAreaUpdateReject':
      f['nas_eps.emm.cause'] = [nas.emmCause];
      break;
    case 'identityRequest':
      f['nas_eps.emm.id_type2'] = [['none', 'IMSI', 'IMEI', 'IMEISV', 'TMSI'].indexOf(nas.identityType)];
      break;
    case 'detachRequest':
      f[nas.direction === 'uplink' ? 'nas_eps.emm.detach_type_ul' : 'nas_eps.emm.detach_type_dl'] = [nas.detachType];
      break;
    case 'extendedServiceRequest':
      f['nas_eps.emm.service_type'] = [nas.serviceType];
      break;
    case 'attachRequest':
      f['nas_eps.emm.eps_att_type'] = [nas.attachType];
      if (nas.oldTaiPlmn !== undefined && nas.oldTaiTac !== undefined) {
        f['e212.tai.mcc'] = [Number(nas.oldTaiPlmn.mcc)];
        f['e212.tai.mnc'] = [Number(nas.oldTaiPlmn.mnc)];
        f['nas_eps.emm.tai_tac'] = [nas.oldTaiTac];
      }
      break;
    default:
      break;
  }
  return f;
}

/** Our decode of one RRC PDU, as tshark fields. */
function rrcFields(channel: string, rrc: LteRrcFacts): Partial<Record<Field, number[]>> {
  const name = rrc.message === 'other' ? rrc.name : rrc.message;
  const index = C1[channel]?.indexOf(name) ?? -1;
  const f: Partial<Record<Field, number[]>> = index >= 0 ? { 'lte-rrc.c1': [index] } : {};
  switch (rrc.message) {
    case 'systemInformationBlockType1':
      f['lte-rrc.MCC_MNC_Digit'] = rrc.sib1.plmns.flatMap((p) => [...(p.mcc ?? ''), ...p.mnc].map(Number));
      f['lte-rrc.trackingAreaCode'] = [rrc.sib1.trackingAreaCode];
      f['lte-rrc.cellIdentity'] = [rrc.sib1.cellIdentity];
      f['lte-rrc.schedulingInfoList'] = [rrc.sib1.schedulingInfo.length];
      break;
    case 'systemInformation':
      f['lte-rrc.cellReselectionPriority'] = priorities(rrc.sibs);
      break;
    case 'securityModeCommand':
      f['lte-rrc.cipheringAlgorithm'] = [CIPHERING.indexOf(rrc.cipheringAlgorithm ?? '')];
      f['lte-rrc.integrityProtAlgorithm'] = [INTEGRITY.indexOf(rrc.integrityProtAlgorithm ?? '')];
      break;
    case 'rrcConnectionRelease':
      f['lte-rrc.releaseCause'] = [RELEASE_CAUSES.indexOf(rrc.releaseCause ?? '')];
      if (rrc.redirectedCarrierInfo !== undefined)
        f['lte-rrc.redirectedCarrierInfo'] = [REDIRECTS.indexOf(rrc.redirectedCarrierInfo.type)];
      break;
    case 'rrcConnectionRequest':
      f['lte-rrc.establishmentCause'] = [CAUSES.indexOf(rrc.establishmentCause ?? '')];
      break;
    case 'rrcConnectionReconfiguration': {
      // presence as tshark shows it: one (empty) value per element present, none when absent
      const present = rrc.security?.present;
      if (present === undefined) break;
      for (const part of [
        'measConfig',
        'mobilityControlInfo',
        'radioResourceConfigDedicated',
        'securityConfigHO',
      ] as const)
        f[`lte-rrc.${part}_element`] = present[part] ? [1] : [];
      // the non-critical extensions, where tshark shows them: SCells added (v1020), the SCG (v1250), EN-DC and
      // sk-Counter (v1510), and v1530's p-MaxUE-FR1-r15 (a component after securityConfigHO-v1530)
      const ext = rrc.security?.extensions;
      f['lte-rrc.sCellIndex_r10'] = [...(ext?.sCellsAdded ?? [])];
      const scg = ext?.scgConfiguration;
      f['lte-rrc.scg_Configuration_r12'] = scg === undefined ? [] : [scg.type === 'release' ? 0 : 1];
      f['lte-rrc.cipheringAlgorithmSCG_r12'] =
        scg?.type === 'setup' && scg.cipheringAlgorithmSCG !== undefined
          ? [CIPHERING.indexOf(scg.cipheringAlgorithmSCG)]
          : [];
      f['lte-rrc.nr_Config_r15'] = ext?.nrConfig === undefined ? [] : [ext.nrConfig === 'release' ? 0 : 1];
      f['lte-rrc.sk_Counter_r15'] = ext?.skCounter === undefined ? [] : [ext.skCounter];
      f['lte-rrc.p_MaxUE_FR1_r15'] = ext?.v1530?.present.includes('p-MaxUE-FR1-r15') === true ? [1] : [];
      // tshark lists the r8 handover's algorithm, then securityConfigHO-v1530's
      const algorithms = [
        rrc.security?.securityConfigHO?.securityAlgorithmConfig?.cipheringAlgorithm,
        ext?.v1530?.securityConfigHO?.securityAlgorithmConfig?.cipheringAlgorithm,
      ].filter((a) => a !== undefined);
      if (algorithms.length > 0) f['lte-rrc.cipheringAlgorithm'] = algorithms.map((a) => CIPHERING.indexOf(a));
      break;
    }
    default:
      break;
  }
  return f;
}

/** tshark's value of a field, in the units we compare (hex bytes → numbers, first c1 only). */
function theirs(row: Row, field: Field, ours: number[]): number[] {
  const values = row[field];
  if (field === 'lte-rrc.c1') return num(values.slice(0, 1));
  if (field === 'lte-rrc.trackingAreaCode') return values.map((v) => parseInt(v.replace(/:/g, ''), 16));
  if (field === 'lte-rrc.cellIdentity') return values.map((v) => parseInt(v.replace(/:/g, ''), 16) >>> 4);
  if (
    field === 'nas_eps.nas_msg_emm_type' ||
    field === 'nas_eps.nas_msg_esm_type' ||
    field === 'nas_eps.security_header_type'
  )
    return num(values.slice(0, ours.length));
  if (field === 'nas_eps.emm.tai_tac') return values.slice(0, 1).map((v) => Number(v));
  if (field === 'e212.tai.mcc' || field === 'e212.tai.mnc') return num(values.slice(0, 1));
  if (field.endsWith('_element') || field === 'lte-rrc.p_MaxUE_FR1_r15') return values.length === 0 ? [] : [1];
  // CHOICE fields show the alternative's index first, then any nested choice's
  if (field === 'lte-rrc.scg_Configuration_r12' || field === 'lte-rrc.nr_Config_r15') return num(values.slice(0, 1));
  return num(values);
}

describe.each([['attach-2020-lte'], ['cmcc-2015-lte-gsm'], ['mi10-2020-lte-nr-0x98']])(
  "decoded fields of %s equal tshark's",
  (name) => {
    let compared: Record<string, number>;
    /** Comparisons where our decode has a value (not only an agreed absence). */
    let extended: Record<string, number>;
    let mismatches: string[];
    beforeAll(async () => {
      const { messages, rows } = await exportAndDissect(name);
      expect(rows).toHaveLength(messages.length);
      compared = {};
      extended = {};
      mismatches = [];
      messages.forEach((m, i) => {
        const row = rows[i] as Row;
        let ours: Partial<Record<Field, number[]>> = {};
        if (m.kind === 'lte-rrc' && C1[m.channel] !== undefined) {
          const r = decodeLteRrc(m.channel, m.payload);
          if (!r.ok) {
            mismatches.push(`frame ${i + 1}: ${m.channel} did not decode (${r.failure} at ${r.field})`);
            return;
          }
          ours = rrcFields(m.channel, r.facts);
          const carried =
            r.facts.message === 'dlInformationTransfer' ||
            r.facts.message === 'ulInformationTransfer' ||
            r.facts.message === 'rrcConnectionSetupComplete'
              ? r.facts.nas
              : undefined;
          if (carried !== undefined) {
            const nas = decodeLteNas(carried, m.channel === 'UL-DCCH' ? 'uplink' : 'downlink');
            // tshark cannot read ciphered NAS either; it still shows the outer header, which we do not compare
            if (nas.ok) ours = { ...ours, ...nasFields(nas.facts, nas.securityHeaderType) };
            if (nas.ok && r.facts.message === 'rrcConnectionSetupComplete')
              compared['NAS in rrcConnectionSetupComplete'] = (compared['NAS in rrcConnectionSetupComplete'] ?? 0) + 1;
          }
        } else if (m.kind === 'lte-nas') {
          const nas = decodeLteNas(m.payload, m.direction);
          if (!nas.ok) {
            mismatches.push(`frame ${i + 1}: NAS did not decode (${nas.reason})`);
            return;
          }
          ours = nasFields(nas.facts, nas.securityHeaderType);
        }
        for (const [field, value] of Object.entries(ours) as [Field, number[]][]) {
          const key = `${m.kind === 'lte-rrc' ? m.channel : 'NAS'} ${field}`;
          compared[key] = (compared[key] ?? 0) + 1;
          if (value.length > 0) extended[key] = (extended[key] ?? 0) + 1;
          const other = theirs(row, field, value);
          if (JSON.stringify(other) !== JSON.stringify(value))
            mismatches.push(`frame ${i + 1} ${key}: ours ${JSON.stringify(value)} tshark ${JSON.stringify(other)}`);
        }
      });
    }, 120_000);

    test("every field the analyzers read equals tshark's decode of the same message", () => {
      expect(mismatches).toEqual([]);
    });

    test('the comparison covered SIB1, SI reselection priorities, security mode commands and NAS message types', () => {
      expect(compared['BCCH-DL-SCH lte-rrc.MCC_MNC_Digit']).toBeGreaterThan(0);
      expect(compared['BCCH-DL-SCH lte-rrc.cellReselectionPriority']).toBeGreaterThan(0);
      expect(compared['UL-CCCH lte-rrc.establishmentCause']).toBeGreaterThan(0);
      expect(compared['BCCH-DL-SCH lte-rrc.cellIdentity']).toBeGreaterThan(0);
      expect(compared['DL-DCCH lte-rrc.cipheringAlgorithm']).toBeGreaterThan(0);
      expect(compared['DL-DCCH lte-rrc.measConfig_element']).toBeGreaterThan(0);
      expect(compared['NAS nas_eps.nas_msg_emm_type']).toBeGreaterThan(0);
      // NAS carried in RRC connection setup completes (attach, service and TAU requests) is compared too.
      expect(compared['NAS in rrcConnectionSetupComplete']).toBeGreaterThan(0);
    });

    test('the reconfigurations with non-critical extensions were compared through v1020 (SCells) or v1530', () => {
      const expected: Record<string, readonly string[]> = {
        'attach-2020-lte': ['DL-DCCH lte-rrc.sCellIndex_r10'],
        'cmcc-2015-lte-gsm': [],
        'mi10-2020-lte-nr-0x98': ['DL-DCCH lte-rrc.sk_Counter_r15', 'DL-DCCH lte-rrc.p_MaxUE_FR1_r15'],
      };
      for (const key of expected[name] ?? []) expect(extended[key]).toBeGreaterThan(0);
    });
  },
);
