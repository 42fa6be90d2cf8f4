#!/usr/bin/env bash
# The fleet tests run against a real PostgreSQL: a private cluster that the test
# helper (test/helpers/postgres.ts) initdb's in a temp dir and starts with pg_ctl.
# This only makes sure the server binaries are there, installing Debian's
# `postgresql` when they are missing (needs root, as CI runs). It never starts,
# enables or touches a system service (no systemd, no pg_ctlcluster), and is
# safe to run any number of times. Prints the binary directory it found.
set -euo pipefail

find_bin() {
  local dir
  # Newest major version first (Debian installs each under /usr/lib/postgresql/<major>/bin).
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

if bin="$(find_bin)"; then echo "$bin"; exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "PostgreSQL is missing: run 'sudo apt-get install -y postgresql' (needed by the fleet tests)" >&2
  exit 1
fi
echo "installing Debian's postgresql for the fleet tests..." >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's maintainer scripts would create and start a 'main' cluster; policy-rc.d
# (exit 101 = action forbidden) keeps any service from starting during the install,
# and create_main_cluster=false keeps the cluster from being created at all.
mkdir -p /etc/postgresql-common
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf; fi
restore_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; restore_policy=1; fi
trap 'if [ "$restore_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
bin="$(find_bin)" || { echo "postgresql installed but no initdb/pg_ctl found under /usr/lib/postgresql" >&2; exit 1; }
echo "$bin"
