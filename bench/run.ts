/**
 * `npm run bench`: runs every bench module, prints one table of ratios to
 * same-run baselines, and writes bench/results/<timestamp>.json.
 * `npm run bench -- --quick` runs smaller sizes; `--only <substring>` filters modules, `--row <substring>`
 * the rows of a module that names them (bench/README.md lists the keys).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BenchModule, BenchResult, makeTmpDir } from './harness';
import { repoRoot } from './support/processes';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIndex = args.indexOf('--only');
  const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
  const rowIndex = args.indexOf('--row');
  const row = rowIndex >= 0 ? args[rowIndex + 1] : undefined;
  if (rowIndex >= 0 && row === undefined) throw new Error('--row needs a row key (bench/README.md lists them)');
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => only === undefined || f.includes(only))
    .sort();
  const all: Array<BenchResult & { module: string }> = [];
  const runTmp = makeTmpDir('qmdl-ledger-bench-run-');
  try {
    for (const file of files) {
      const mod = (await import(path.join(__dirname, file))) as { default?: BenchModule } & Partial<BenchModule>;
      const bench: BenchModule | undefined = mod.default ?? (mod.run ? (mod as BenchModule) : undefined);
      if (!bench) continue;
      process.stderr.write(`\n== ${bench.title} (${file})\n`);
      const tmp = makeTmpDir('qmdl-ledger-bench-');
      try {
        const results = await bench.run({
          tmpDir: tmp.dir,
          runDir: runTmp.dir,
          quick,
          ...(row !== undefined ? { row } : {}),
          log: (m) => process.stderr.write(`   ${m}\n`),
        });
        for (const r of results) all.push({ ...r, module: file.replace(/\.bench\.js$/, '') });
      } finally {
        tmp.dispose();
      }
    }
  } finally {
    runTmp.dispose();
  }
  printTable(all);
  // Found from the working directory (or this build), so a build in another --outDir still writes here.
  const outDir = path.join(repoRoot(), 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = path.join(outDir, `${stamp}.json`);
  writeFileSync(
    out,
    JSON.stringify({ at: new Date().toISOString(), node: process.version, quick, results: all }, null, 2),
  );
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), out)}\n`);
  if (all.some((r) => r.target && r.ratio < r.target.min)) process.exitCode = 0; // a missed target is reported, not fatal
}

function fmt(n: number): string {
  if (n >= 1000) return n.toFixed(0);
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(3);
}

function printTable(rows: ReadonlyArray<BenchResult & { module: string }>): void {
  const header = ['benchmark', 'measured', 'baseline', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.name,
    `${fmt(r.measured.value)} ${r.measured.unit}`,
    `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.baseline.unit}`,
    `${r.ratio.toFixed(2)}x`,
    r.target ? `>= ${r.target.min}x` : '',
    r.target ? (r.ratio >= r.target.min ? 'yes' : 'NO') : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
  process.stdout.write('\n' + row(header) + '\n');
  process.stdout.write('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|\n');
  for (const l of lines) process.stdout.write(row(l) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
