import { readFileSync } from 'node:fs';
import path from 'node:path';

function readVersion(): string {
  // dist/apps/qmdl-ledger/src → repo root is four levels up; src/ is three.
  for (const up of ['../../..', '../../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'qmdl-ledger' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const APP_VERSION = readVersion();
