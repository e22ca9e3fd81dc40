#!/usr/bin/env bash
# Install the Debian packages the integration tests and make bench-fleet need, each only if its command is
# missing: ensure-packages.sh redis-server jq sysstat:iostat (PACKAGE, or PACKAGE:COMMAND when the command
# is named otherwise). The tests start their own redis-server on a loopback port: no package's service may start,
# so a policy-rc.d that refuses service starts (exit 101, Debian's invoke-rc.d policy) is in place during
# the install, then removed if this script placed it.
set -euo pipefail
# shellcheck source=tests/support/apt.sh
. "$(dirname "$0")/apt.sh"
missing=()
for spec in "$@"; do
    package=${spec%%:*}
    command=${spec#*:}
    command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
placed=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    placed=1
fi
trap '[ -z "$placed" ] || rm -f /usr/sbin/policy-rc.d' EXIT
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
