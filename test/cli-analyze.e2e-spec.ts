/**
 * `qmdl-ledger analyze` on real captures, as a user runs it (the built CLI in a
 * child process): text findings, the exact v2 report as NDJSON (the same rows
 * as analysing the same bytes in process), gzip input, analyzer switches, exit
 * statuses. No output may contain an identity (cmcc carries one in clear text).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { AnalysisHarness, type AnalysisRow } from '@ledger/analysis';
import { readRadioMessages } from '@ledger/radio';
import { assertBuilt, CLI, runCli } from './helpers/cli';
import { samplePath } from './helpers/samples';

let dir: string;
let cmcc: string;
let attach: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'cli-analyze-'));
  cmcc = path.join(dir, 'cmcc.qmdl');
  attach = path.join(dir, 'attach.qmdl');
  copyFileSync(samplePath('cmcc-2015-lte-gsm'), cmcc);
  copyFileSync(samplePath('attach-2020-lte'), attach);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function inProcessRows(file: string): Promise<AnalysisRow[]> {
  const harness = new AnalysisHarness();
  const rows: AnalysisRow[] = [];
  for await (const m of readRadioMessages(createReadStream(file), { unreadable: true }))
    rows.push(...harness.analyze(m));
  return rows;
}

test('text: one line per finding with time, severity and analyzer, a summary, and exit 1 when something was found', async () => {
  const r = await runCli(['analyze', cmcc]);
  expect(r.code).toBe(1);
  const lines = r.stdout.trim().split('\n');
  const findings = lines.slice(0, -1);
  expect(findings).toHaveLength(4);
  for (const line of findings)
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00 {2}(Low|Medium|High) +[^:]+: .+ \(packet \d+\)$/,
    );
  expect(findings.filter((l) => l.includes('NAS Null Cipher Requested:'))).toHaveLength(3);
  expect(findings.filter((l) => l.includes('Identity (IMSI or IMEI) requested in suspicious manner:'))).toHaveLength(1);
  // The capture's first frame has a bad CRC: the one skipped message.
  expect(lines.at(-1)).toMatch(
    /diag messages, \d+ analysed: 1 Low, 0 Medium, 3 High; skipped: 1 HdlcDecapsulationError\(InvalidChecksum\)$/,
  );
  expect(r.stdout + r.stderr).not.toMatch(/\d{14,}/);
});

test('ndjson: the metadata line and exactly the rows of the same bytes analysed in process', async () => {
  const r = await runCli(['analyze', cmcc, '--format', 'ndjson']);
  expect(r.code).toBe(1);
  const [first, ...rest] = r.stdout.trim().split('\n');
  const metadata = JSON.parse(first as string);
  expect(metadata.report_version).toBe(2);
  expect(metadata.analyzers.map((a: { name: string }) => a.name)).toEqual(
    new AnalysisHarness().metadata({ rayhunter_version: '', system_os: '', arch: '' }).analyzers.map((a) => a.name),
  );
  expect(metadata.rayhunter.rayhunter_version).toMatch(/^qmdl-ledger /);
  expect(rest.map((l) => JSON.parse(l))).toEqual(await inProcessRows(cmcc));
});

test('a gzip capture gives the same report as the plain one', async () => {
  const gz = path.join(dir, 'cmcc.qmdl.gz');
  writeFileSync(gz, zlib.gzipSync(readFileSync(cmcc)));
  const [plain, zipped] = await Promise.all([
    runCli(['analyze', cmcc, '--format', 'ndjson']),
    runCli(['analyze', gz, '--format', 'ndjson']),
  ]);
  expect(zipped.code).toBe(1);
  expect(zipped.stdout.split('\n').slice(1)).toEqual(plain.stdout.split('\n').slice(1));
});

test('--disable turns an analyzer off: without the SIB6/7 analyzer the attach capture has no finding and exits 0', async () => {
  const on = await runCli(['analyze', attach]);
  expect(on.code).toBe(1);
  expect(on.stdout).toContain('LTE SIB 6/7 Downgrade:');
  const off = await runCli(['analyze', attach, '--disable', 'lte_sib6_and_7_downgrade']);
  expect(off.code).toBe(0);
  expect(off.stdout.trim().split('\n')).toHaveLength(1);
});

test('--enable test_analyzer adds its Low event per SIB1 and its column to the report', async () => {
  const r = await runCli([
    'analyze',
    attach,
    '--format',
    'ndjson',
    '--enable',
    'test_analyzer',
    '--disable',
    'lte_sib6_and_7_downgrade',
  ]);
  const [first, ...rows] = r.stdout.trim().split('\n');
  expect(JSON.parse(first as string).analyzers.map((a: { name: string }) => a.name)).toContain('Test Analyzer');
  expect(rows.length).toBeGreaterThan(0);
  expect(
    rows.every((l) => (JSON.parse(l) as AnalysisRow).events.some((e) => e?.message.startsWith('SIB1 seen: '))),
  ).toBe(true);
});

test('usage errors exit 2, an unreadable file exits 1 with its code', async () => {
  expect((await runCli(['analyze', cmcc, '--format', 'xml'])).code).toBe(2);
  const unknown = await runCli(['analyze', cmcc, '--enable', 'no_such_analyzer']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('no_such_analyzer');
  const missing = await runCli(['analyze', path.join(dir, 'missing.qmdl')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('QMDL_READ_FAILED');
});

test('a progress bar on stderr when it is a terminal (the report on stdout untouched), none in a pipe', async () => {
  // `script` runs the CLI on a pseudo-terminal: stderr is the terminal, stdout goes to a file.
  const out = path.join(dir, 'tty.ndjson');
  const terminal = await new Promise<{ code: number; screen: string }>((resolve, reject) =>
    execFile(
      'script',
      ['-qec', `'${process.execPath}' '${CLI}' analyze '${cmcc}' --format ndjson > '${out}'`, '/dev/null'],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined) reject(error);
        else resolve({ code, screen: stdout });
      },
    ),
  );
  expect(terminal.code).toBe(1);
  const size = readFileSync(cmcc).length;
  expect(terminal.screen).toMatch(/\ranalyze \[[#.]{30}\] \d+\/\d+/);
  expect(terminal.screen).toContain(`/${size}`);
  expect(terminal.screen.endsWith('\r\u001b[2K')).toBe(true);
  const piped = await runCli(['analyze', cmcc, '--format', 'ndjson']);
  expect(readFileSync(out, 'utf8')).toBe(piped.stdout);
  expect(piped.stderr).not.toContain('analyze [');
});
