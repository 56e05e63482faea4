#!/usr/bin/env bash
# Installs the programs the tests drive for real, from Debian. One line per program: the command the tests run,
# the package it comes from.
set -euo pipefail
declare -A NEEDED=(
  [chromium]=chromium           # the console's and the join page's browser tests
  [redis-server]=redis-server   # several instances coordinating through one Redis
  [kamailio]=kamailio           # the SIP front spreading calls over the nodes
  [sipp]=sip-tester             # SIP callers and stand-in Asterisk nodes behind Kamailio
  [ip]=iproute2                 # network namespaces and netem for the WAN tests
  [/usr/lib/postgresql/15/bin/postgres]=postgresql  # the shared store: the tests start their own PostgreSQL
)
missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing programs the tests need: install Debian's ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} from Debian for the tests" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
