#!/usr/bin/env bash
# Install Debian's redis-server for the fact-cache tests and bench if it is missing. The tests start their
# own server on a loopback port: the package's service must not start, so a policy-rc.d that refuses
# service starts (exit 101, Debian's invoke-rc.d policy) is in place during the install, then removed if
# this script placed it.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
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
apt-get update -qq
apt-get install -y -qq --no-install-recommends redis-server >/dev/null
command -v redis-server
