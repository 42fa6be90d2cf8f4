#!/usr/bin/env node
// Builds everything `npm start`, the CLI and the benchmarks run: the TypeScript
// sources into dist/ (path aliases rewritten to relative requires, so node needs
// no loader at run time) and the admin viewer's static assets into dist/admin.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('tsc-alias'), ['-p', 'tsconfig.build.json']);
if (existsSync(path.join(root, 'apps/admin/vite.config.mjs'))) {
  run(bin('vite'), ['build', '--config', 'apps/admin/vite.config.mjs', '--logLevel', 'warn']);
}
