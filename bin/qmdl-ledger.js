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
// main.js parses the arguments and reports a failure (as when run directly).
require(entry).runCli(process.argv);
