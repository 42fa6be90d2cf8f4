#!/usr/bin/env node
'use strict';
// The CLI runs from the build (`npm run build`); classic-level's native binding
// is loaded from node_modules, never bundled.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'apps', 'qmdl-ledger', 'src', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('qmdl-ledger: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(entry).buildProgram().parseAsync(process.argv).catch((error) => {
  const code = error && typeof error.code === 'string' ? ` (${error.code})` : '';
  process.stderr.write(`qmdl-ledger: ${error && error.message ? error.message : String(error)}${code}\n`);
  process.exitCode = process.exitCode || 1;
});
