#!/usr/bin/env bash
# Installs the programs the tests drive for real: Debian's Chromium for the console's browser test.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing: install Debian's chromium package (the browser test needs it)" >&2
  exit 1
fi
echo "installing chromium from Debian for the browser test" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
