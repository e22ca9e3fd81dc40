#!/usr/bin/env bash
# Stop the control plane that start.sh STATE_DIR started: TERM to its process group, KILL to what is left after
# ${KUBE_STOP_GRACE:-15} s. The state directory (logs, certificates, etcd's data) is left for the caller.
# Safe to run twice, on a half-started plane, or on a directory whose processes are already gone.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: stop.sh STATE_DIR" >&2; exit 1; }
state=$(cd "$1" 2>/dev/null && pwd) || exit 0
[ -e "$state/pgid" ] || exit 0
pgid=$(cat "$state/pgid")

# The group's processes; after a reboot the id may belong to someone else, so only a group whose processes
# run on this state directory is ours.
members() {
    local pid
    for pid in $(ps -eo pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }'); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$state"; then
            echo "$pid"
        fi
    done
}
if [ -n "$(members)" ]; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in $(seq "$((${KUBE_STOP_GRACE:-15} * 5))"); do
        [ -n "$(members)" ] || break
        sleep 0.2
    done
    [ -z "$(members)" ] || kill -KILL -- "-$pgid" 2>/dev/null || true
fi
rm -f "$state/pgid" "$state"/*.pid
