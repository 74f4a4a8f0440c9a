#!/usr/bin/env bash
# Headless Chromium for the UI tests, and the CJK font the Chinese pages and PDF reports are set
# in, from Debian's packages (never a browser download). Idempotent: does nothing when both are
# there. Needs root (CI runs as root).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -d /usr/share/fonts/opentype/noto ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fonts-noto-cjk: Chinese text in screenshots; fonts-dejavu-core: Vietnamese diacritics.
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
