#!/usr/bin/env bash
# The admin viewer is tested in a real browser: Debian's chromium, driven by
# playwright-core. Install it when it is missing (needs root, as CI runs).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "chromium is missing: run 'sudo apt-get install -y chromium' (needed by the browser tests)" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
