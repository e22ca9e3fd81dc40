# shellcheck shell=bash
# Shared by build.sh and start.sh (sourced, not run).
# Each component is built from a small Go module of its own under tests/kube/<component>/: its go.mod is the
# one place its version is written, and the binary cache is keyed by that version, so a changed pin builds
# anew and an unchanged one is never rebuilt.
KUBE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_BIN_CACHE=${HOSTOPS_BIN_CACHE:-/var/cache/hostops-fleet/bin}

# COMPONENT MODULE PACKAGE:BINARY... — the module whose version keys the cache, and the packages built.
KUBE_COMPONENTS=(
    "kubernetes k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-apiserver:kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager:kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler:kube-scheduler k8s.io/kubernetes/cmd/kubectl:kubectl"
    "etcd go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3:etcd"
    "kwok sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok:kwok"
    "helm helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm:helm"
)

# The version of MODULE that COMPONENT's go.mod requires.
kube_module_version() {
    local component=$1 module=$2
    awk -v m="$module" '$1 == "require" && $2 == m { print $3; exit } $1 == m { print $2; exit }' \
        "$KUBE_DIR/$component/go.mod"
}

# The cache directory of COMPONENT (kubernetes, etcd, kwok, helm) at the version its go.mod pins.
kube_bin_dir() {
    local entry name module
    for entry in "${KUBE_COMPONENTS[@]}"; do
        read -r name module _ <<<"$entry"
        if [ "$name" = "$1" ]; then
            echo "$KUBE_BIN_CACHE/$name-$(kube_module_version "$name" "$module")"
            return 0
        fi
    done
    echo "lib.sh: unknown component $1" >&2
    return 1
}
