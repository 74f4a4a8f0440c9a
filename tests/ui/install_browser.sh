#!/usr/bin/env bash
# Headless Chromium for the UI tests, from Debian's packages (never a browser download).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (CI runs as root).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-noto-cjk: Chinese text in screenshots; fonts-dejavu-core: Vietnamese diacritics.
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
