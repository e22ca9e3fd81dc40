#!/usr/bin/env bash
# Install Debian's chromium for the browser test if it is missing (no browser download from anywhere else).
set -euo pipefail
# shellcheck source=tests/support/apt.sh
. "$(dirname "$0")/../support/apt.sh"
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get update -qq
apt_get install -y -qq --no-install-recommends chromium
command -v chromium
