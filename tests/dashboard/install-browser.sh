#!/bin/sh
# The browser the dashboard tests drive: Debian's chromium, from the distribution's
# packages (Playwright's own browser downloads are not used). Needs root, as on CI.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium
