#!/usr/bin/env node
'use strict';
// The CLI runs from the build; on a fresh checkout (`npm ci` only) it builds
// once first. classic-level's native binding is loaded from node_modules,
// never bundled.
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const root = path.join(__dirname, '..');
const entry = path.join(root, 'dist', 'apps', 'qmdl-ledger', 'src', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('qmdl-ledger: first run, building (npm run build)...\n');
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    process.stderr.write('qmdl-ledger: the build failed; run `npm run build` to see why\n');
    process.exit(1);
  }
}
require(entry)
  .buildProgram()
  .parseAsync(process.argv)
  .catch((error) => {
    const code = error && typeof error.code === 'string' ? ` (${error.code})` : '';
    process.stderr.write(`qmdl-ledger: ${error && error.message ? error.message : String(error)}${code}\n`);
    process.exitCode = process.exitCode || 1;
  });
