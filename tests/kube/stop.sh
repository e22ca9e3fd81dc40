#!/usr/bin/env bash
# Stop the control plane that start.sh STATE_DIR started: TERM to its clients of etcd first (kwok, the scheduler,
# the controller-manager, kube-apiserver), then to the rest of its process group (etcd, the watchdog), each step
# waiting up to ${KUBE_STOP_GRACE:-15} s before KILL. etcd goes last because kube-apiserver, with etcd gone under
# it, keeps retrying instead of exiting. The state directory (logs, certificates, etcd's data) is left for the
# caller. Safe to run twice, on a half-started plane, or on a directory whose processes are already gone.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: stop.sh STATE_DIR" >&2; exit 1; }
state=$(cd "$1" 2>/dev/null && pwd) || exit 0
[ -e "$state/pgid" ] || exit 0
pgid=$(cat "$state/pgid")
grace=${KUBE_STOP_GRACE:-15}

# The group's processes (or those of them named): after a reboot the id may belong to someone else, so only
# processes of the group that run on this state directory are ours.
members() {
    local pid
    for pid in $(ps -eo pid=,pgid= | awk -v g="$pgid" '$2 == g { print $1 }'); do
        if [ $# -gt 0 ] && [[ " $* " != *" $pid "* ]]; then
            continue
        fi
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$state"; then
            echo "$pid"
        fi
    done
}
# end PID...: TERM, then KILL what is left after the grace period.
end() {
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for _ in $(seq "$((grace * 5))"); do
        [ -n "$(members "$@")" ] || return 0
        sleep 0.2
    done
    kill -KILL "$@" 2>/dev/null || true
}

clients=()
for name in kwok kube-scheduler kube-controller-manager kube-apiserver; do
    if [ -e "$state/$name.pid" ]; then
        clients+=("$(cat "$state/$name.pid")")
    fi
done
if [ "${#clients[@]}" -gt 0 ]; then
    # shellcheck disable=SC2046 # one pid a word
    end $(members "${clients[@]}")
fi
# shellcheck disable=SC2046
end $(members)
rm -f "$state/pgid" "$state"/*.pid
