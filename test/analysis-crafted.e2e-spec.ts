/**
 * The crafted PDUs the analyzer specs are built from are what we say they are:
 * each is written into a QMDL capture (LTE RRC OTA / EMM plain logs), exported
 * to pcapng by @ledger/radio, and tshark's dissection must show the fields the
 * vector declares. Our decoders then read the same messages back through the
 * message layer and must not fail on any of them. Then each heuristic gets a
 * capture made of them for it, and its negative twin: analysed from the QMDL file
 * through the message layer with that analyzer alone, the first raises its
 * finding and the twin nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ANALYZER_KEYS,
  AnalysisHarness,
  craftedMessages,
  decodeLteNas,
  decodeLteRrc,
  type AnalyzerKey,
  type CraftedMessage,
  type CraftedName,
} from '@ledger/analysis';
import { encodeHdlcFrame } from '@ledger/qmdl';
import { createPcapngExport, readRadioMessages } from '@ledger/radio';
import { craftedDiagMessage } from './helpers/crafted-capture';

const entries = Object.entries(craftedMessages) as [string, CraftedMessage][];
const fields = [...new Set(entries.flatMap(([, m]) => Object.keys(m.tshark)))];
let dissected: Record<string, string>[];
let dir: string;
let qmdl: string;

beforeAll(async () => {
  execFileSync('bash', [path.join(__dirname, '..', 'scripts', 'ensure-tshark.sh')], { stdio: 'ignore' });
  dir = mkdtempSync(path.join(tmpdir(), 'analysis-crafted-'));
  qmdl = path.join(dir, 'crafted.qmdl');
  writeFileSync(
    qmdl,
    Buffer.concat(entries.map(([, m], i) => encodeHdlcFrame(craftedDiagMessage(m, 1_700_000_000_000 + i * 1000)))),
  );
  const pcap = path.join(dir, 'crafted.pcapng');
  const exp = createPcapngExport({ hardware: 'test', os: 'test', application: 'analysis-crafted' });
  await pipeline(createReadStream(qmdl), exp.stream, createWriteStream(pcap));
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  dissected = out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [fields[i] as string, v])));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('tshark dissects every crafted message into the fields it declares', () => {
  expect(dissected).toHaveLength(entries.length);
  const wrong = entries.flatMap(([name, m], i) =>
    Object.entries(m.tshark)
      .filter(([field, value]) => {
        const got = dissected[i]?.[field] ?? '';
        // the first occurrence is the message's own (e.g. its c1 index), later ones are nested choices
        return field === 'lte-rrc.c1' ? got.split(',')[0] !== value : got !== value;
      })
      .map(
        ([field, value]) =>
          `${name}: ${field} = ${JSON.stringify(dissected[i]?.[field])}, declared ${JSON.stringify(value)}`,
      ),
  );
  expect(wrong).toEqual([]);
});

test('tshark reports no malformed packet among the crafted messages', () => {
  const pcap = path.join(dir, 'crafted.pcapng');
  const out = execFileSync(
    'tshark',
    ['-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity == error', '-T', 'fields', '-e', 'frame.number'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const bad = out
    .split('\n')
    .filter((l) => l !== '')
    .map((n) => entries[Number(n) - 1]?.[0]);
  expect(bad).toEqual([]);
});

test('the message layer delivers the crafted messages and our decoders read all but the ciphered one', async () => {
  const failures: string[] = [];
  let count = 0;
  for await (const m of readRadioMessages(createReadStream(qmdl))) {
    const [name] = entries[count++] as [string, CraftedMessage];
    if (m.kind === 'lte-rrc') {
      const r = decodeLteRrc(m.channel, m.payload);
      if (!r.ok) failures.push(`${name}: ${r.failure} at ${r.field}`);
    } else if (m.kind === 'lte-nas') {
      const r = decodeLteNas(m.payload, m.direction);
      if (!r.ok) failures.push(`${name}: ${r.reason}`);
    }
  }
  expect(count).toBe(entries.length);
  expect(failures).toEqual(['ciphered: EncryptedNASMessage']);
});

/** A capture for one heuristic and its negative twin, and what the heuristic must raise on the first. */
const HEURISTICS: ReadonlyArray<{
  key: AnalyzerKey;
  fires: readonly CraftedName[];
  twin: readonly CraftedName[];
  raises: 'Informational' | 'Low' | 'High';
}> = [
  {
    key: 'imsi_requested',
    fires: ['sib1TwoSiMessages', 'attachRequestGuti', 'identityRequestImsi', 'detachRequestNetworkReattach'],
    twin: [
      'sib1TwoSiMessages',
      'attachRequestGuti',
      'identityRequestImsi',
      'authenticationResponse',
      'detachRequestNetworkReattach',
    ],
    raises: 'High',
  },
  {
    key: 'connection_redirect_2g_downgrade',
    fires: ['releaseRedirectGeran'],
    twin: ['releaseNoRedirect'],
    raises: 'High',
  },
  {
    key: 'lte_sib6_and_7_downgrade',
    fires: ['siLte3Geran5', 'sib1TwoSiMessages'],
    twin: ['siLte5Geran2', 'sib1TwoSiMessages'],
    raises: 'High',
  },
  { key: 'null_cipher', fires: ['securityModeCommandEea0'], twin: ['securityModeCommandEea2'], raises: 'High' },
  {
    key: 'nas_null_cipher',
    fires: ['nasSecurityModeCommandEea0'],
    twin: ['nasSecurityModeCommandEea1'],
    raises: 'High',
  },
  { key: 'incomplete_sib', fires: ['sib1OneSiMessage'], twin: ['sib1TwoSiMessages'], raises: 'Informational' },
  { key: 'test_analyzer', fires: ['sib1TwoSiMessages'], twin: ['siLte3Geran5'], raises: 'Low' },
  {
    key: 'diagnostic_analyzer',
    fires: ['identityRequestImsi'],
    twin: ['detachRequestNetworkImsiDetach'],
    raises: 'Informational',
  },
];

/** The events by severity that `key` alone raises on a QMDL capture of `names`, read back through the message layer. */
async function raisedOn(key: AnalyzerKey, names: readonly CraftedName[]): Promise<Record<string, number>> {
  const file = path.join(dir, `${key}-${names.join('-')}.qmdl`);
  writeFileSync(
    file,
    Buffer.concat(
      names.map((name, i) => encodeHdlcFrame(craftedDiagMessage(craftedMessages[name], 1_700_000_000_000 + i * 1000))),
    ),
  );
  const harness = new AnalysisHarness({
    config: Object.fromEntries(ANALYZER_KEYS.map((k) => [k, k === key])) as Record<AnalyzerKey, boolean>,
  });
  expect(harness.analyzerKeys).toEqual([key]);
  for await (const m of readRadioMessages(createReadStream(file), { unreadable: true })) harness.analyze(m);
  expect(harness.stats().messages).toBe(names.length);
  return { ...harness.stats().events };
}

test('every analyzer has a crafted capture and a negative twin below', () => {
  expect(HEURISTICS.map((h) => h.key).sort()).toEqual([...ANALYZER_KEYS].sort());
});

test.each(HEURISTICS)('$key fires on a capture made for it and stays silent on its negative twin', async (h) => {
  const none = { Informational: 0, Low: 0, Medium: 0, High: 0 };
  expect(await raisedOn(h.key, h.fires)).toEqual({ ...none, [h.raises]: 1 });
  expect(await raisedOn(h.key, h.twin)).toEqual(none);
});
