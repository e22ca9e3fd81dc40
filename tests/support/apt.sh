# shellcheck shell=bash
# Sourced by the scripts that install Debian packages for make test (ensure-packages.sh, ../testfleet.sh,
# ../browser/ensure-chromium.sh): apt_get ARGS... runs apt-get, waiting up to APT_LOCK_WAIT seconds (600) for
# another apt or dpkg to finish instead of failing at once. A fresh cloud VM runs unattended-upgrades in its
# first minutes, and another job on the machine may be installing too.
#
# DPkg::Lock::Timeout makes install wait for the dpkg locks. `apt-get update` (apt 2.6, Debian 12) does not
# wait for the lists lock under it (docs/testing.md), so update is retried while its error is a held lock.
APT_LOCK_WAIT=${APT_LOCK_WAIT:-600}

apt_get() {
    local deadline=$((SECONDS + APT_LOCK_WAIT)) errors status
    errors=$(mktemp)
    while :; do
        status=0
        apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@" 2>"$errors" || status=$?
        if [ "$status" -eq 0 ] || ! grep -q 'Could not get lock' "$errors" || [ "$SECONDS" -ge "$deadline" ]; then
            cat "$errors" >&2
            rm -f "$errors"
            return "$status"
        fi
        sleep 2
    done
}
