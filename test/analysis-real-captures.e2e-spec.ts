/**
 * The analyzers over the real captures (test/helpers/samples.ts), through the
 * message layer as the service and the CLI run them: the findings a user would
 * see, cross-checked against tshark where a finding is a plain field test
 * (a null cipher is a ciphering field of 0; every SIB1 is one test event).
 * Reports are checked to hold no identity (no long digit runs): cmcc carries
 * an IMSI in clear text, and nothing here prints or keeps it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AnalysisHarness, type AnalysisRow } from '@ledger/analysis';
import { createPcapngExport, readRadioMessages, type RadioReadStats } from '@ledger/radio';
import { samplesDir } from './helpers/samples';

let dir: string;
beforeAll(() => {
  execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'ensure-tshark.sh')], { stdio: 'ignore' });
  dir = mkdtempSync(path.join(tmpdir(), 'analysis-real-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Analysed {
  rows: AnalysisRow[];
  keys: readonly string[];
  /** The message layer's damaged stretches, and the index of the first message it could read. */
  damage: RadioReadStats['damage'];
  firstReadableIndex: number | undefined;
  /** tshark's count of frames matching a display filter, on the same capture's export. */
  tsharkCount(filter: string): number;
}

async function analyse(name: string): Promise<Analysed> {
  const qmdl = path.join(dir, `${name}.qmdl`);
  copyFileSync(path.join(samplesDir(), `${name}.qmdl`), qmdl);
  const pcap = path.join(dir, `${name}.pcapng`);
  await pipeline(
    createReadStream(qmdl),
    createPcapngExport({ hardware: 't', os: 't', application: 't' }).stream,
    createWriteStream(pcap),
  );
  const harness = new AnalysisHarness({ config: { test_analyzer: true } });
  const rows: AnalysisRow[] = [];
  let damage: RadioReadStats['damage'] = [];
  let firstReadableIndex: number | undefined;
  for await (const m of readRadioMessages(createReadStream(qmdl), {
    unreadable: true,
    onEnd: (stats) => (damage = stats.damage),
  })) {
    if (m.kind !== 'unreadable') firstReadableIndex ??= m.index;
    rows.push(...harness.analyze(m));
  }
  const tsharkCount = (filter: string): number =>
    execFileSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter((l) => l !== '').length;
  return { rows, keys: harness.analyzerKeys, damage, firstReadableIndex, tsharkCount };
}

function events(a: Analysed, key: string, severity?: string): string[] {
  const i = a.keys.indexOf(key);
  return a.rows.flatMap((r) => {
    const e = r.events[i];
    return e !== null && e !== undefined && (severity === undefined || e.event_type === severity) ? [e.message] : [];
  });
}

const NAS_LOG = 'gsmtap.type == 0x12';
const SMC_EEA0_NAS = `${NAS_LOG} && nas_eps.nas_msg_emm_type == 0x5d && nas_eps.emm.toc == 0`;
const RRC_SMC = 'lte-rrc.securityModeCommand_element';
const RRC_SMC_EEA0 = `${RRC_SMC} && lte-rrc.cipheringAlgorithm == 0`;
const RELEASE_TO_GERAN = 'lte-rrc.rrcConnectionRelease_element && lte-rrc.redirectedCarrierInfo == 1';
const SIB1 = 'lte-rrc.systemInformationBlockType1_element';

describe('cmcc-2015-lte-gsm (China Mobile, LTE and GSM)', () => {
  let a: Analysed;
  beforeAll(async () => {
    a = await analyse('cmcc-2015-lte-gsm');
  }, 120_000);

  test('the identity request answered by a reject on a China Telecom cell is the Low, roaming variant, naming both networks', () => {
    expect(events(a, 'imsi_requested')).toEqual([
      expect.stringMatching(
        /^Disconnected after an identity request without authentication; .*cell PLMN: 460-11, UE PLMN: 460-00 \(packet \d+\)$/,
      ),
    ]);
    expect(events(a, 'imsi_requested', 'High')).toEqual([]);
  });

  test('each NAS security mode command selecting EEA0 is one High finding, as many as tshark shows', () => {
    expect(events(a, 'nas_null_cipher', 'High')).toHaveLength(a.tsharkCount(SMC_EEA0_NAS));
    expect(a.tsharkCount(SMC_EEA0_NAS)).toBe(3);
  });

  test('no RRC null cipher and no 2G redirect, agreeing with tshark', () => {
    expect(events(a, 'null_cipher')).toHaveLength(a.tsharkCount(RRC_SMC_EEA0));
    expect(events(a, 'connection_redirect_2g_downgrade', 'High')).toHaveLength(a.tsharkCount(RELEASE_TO_GERAN));
  });

  test('the test analyzer raises one Low event per SIB1', () => {
    expect(events(a, 'test_analyzer', 'Low')).toHaveLength(a.tsharkCount(SIB1));
  });

  test('its first frame (45 bytes, bad CRC) is the first row: skipped as the original words it, no time; packet 1 is that frame', () => {
    expect(a.damage).toEqual([{ offset: 0, length: 45, reason: 'HDLC_BAD_CRC' }]);
    expect(a.rows[0]).toEqual({
      packet_timestamp: null,
      skipped_message_reason: 'HdlcDecapsulationError(InvalidChecksum)',
      events: [],
    });
    expect(a.rows.filter((r) => r.skipped_message_reason !== null)).toHaveLength(1);
    // Packet numbers count the damaged frame: the first readable message is packet 2.
    expect(a.firstReadableIndex).toBe(2);
  });

  test('no report row holds anything that looks like an IMSI or IMEI', () => {
    expect(JSON.stringify(a.rows)).not.toMatch(/\d{14,}/);
  });
});

describe('attach-2020-lte (US carriers, many attaches)', () => {
  let a: Analysed;
  beforeAll(async () => {
    a = await analyse('attach-2020-lte');
  }, 120_000);

  test('cells ranking UTRA/GERAN (priority 6) above LTE (priority 4) are High at each following SIB1', () => {
    const high = events(a, 'lte_sib6_and_7_downgrade', 'High');
    expect(high.length).toBeGreaterThan(0);
    expect(new Set(high.map((m) => m.replace(/ \(packet \d+\)$/, '')))).toEqual(
      new Set(['The cell ranks a 3G/2G frequency (priority 6) above its LTE frequencies (priority 4)']),
    );
  });

  test('attaches with authentication raise no identity finding, and no null cipher either way', () => {
    expect(events(a, 'imsi_requested')).toEqual([]);
    expect(a.tsharkCount(RRC_SMC)).toBe(58); // the filter does match the capture's security mode commands
    expect(events(a, 'null_cipher')).toHaveLength(a.tsharkCount(RRC_SMC_EEA0));
    expect(events(a, 'nas_null_cipher')).toHaveLength(a.tsharkCount(SMC_EEA0_NAS));
  });

  test('the test analyzer raises one Low event per SIB1', () => {
    expect(events(a, 'test_analyzer', 'Low')).toHaveLength(a.tsharkCount(SIB1));
  });
});

describe('mi10-2020-lte-nr-0x98 (multi-radio wrapper, LTE + NR)', () => {
  let a: Analysed;
  beforeAll(async () => {
    a = await analyse('mi10-2020-lte-nr-0x98');
  }, 120_000);

  test('messages inside the 0x98 wrapper are analysed: NAS EEA0 security mode commands agree with tshark', () => {
    expect(a.tsharkCount(SMC_EEA0_NAS)).toBeGreaterThan(0);
    expect(events(a, 'nas_null_cipher', 'High')).toHaveLength(a.tsharkCount(SMC_EEA0_NAS));
    expect(events(a, 'test_analyzer', 'Low')).toHaveLength(a.tsharkCount(SIB1));
  });

  test("every RRC and NAS message decodes: the only skipped row is the capture's one bad-CRC frame", () => {
    expect(a.rows.filter((r) => r.skipped_message_reason !== null)).toEqual([
      { packet_timestamp: null, skipped_message_reason: 'HdlcDecapsulationError(InvalidChecksum)', events: [] },
    ]);
  });
});
