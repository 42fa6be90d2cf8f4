#!/usr/bin/env bash
# The whole test suite, as the README's `npm ci && npm test` runs it: system
# packages the tests need (chromium, tshark, PostgreSQL), the build the
# end-to-end tests spawn, type check, lint, the formatter check, then every jest project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
bash scripts/ensure-tshark.sh
bash scripts/ensure-postgres.sh >/dev/null
node scripts/build.js
npx tsc -p tsconfig.json --noEmit
npx eslint --max-warnings=0 .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "formatting differs from prettier (run: npm run format)" >&2; exit 1; }
npx jest --ci "$@"
