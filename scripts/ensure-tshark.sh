#!/usr/bin/env bash
# The pcapng export is checked by a real Wireshark dissector: Debian's tshark.
# Install it when it is missing (needs root, as CI runs), without the
# wireshark-common "should non-superusers capture packets?" question: tests only
# read files, so the setuid dumpcap is preseeded off.
set -euo pipefail
if command -v tshark >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "tshark is missing: run 'sudo apt-get install -y tshark' (needed by the pcap export tests)" >&2
  exit 1
fi
echo "installing Debian's tshark for the pcap export tests..."
export DEBIAN_FRONTEND=noninteractive
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends tshark >/dev/null
tshark --version | head -1
