#!/usr/bin/env bash
# Pin tests/kube/kubernetes to another k8s.io/kubernetes release: pin-kubernetes.sh v1.X.Y
# Rewrites its go.mod from upstream's: the same go and godebug lines, k8s.io/kubernetes at v1.X.Y, and every module
# that upstream replaces with ./staging/src/... replaced by its published release v0.X.Y; then adds the four
# commands as tools, which fills go.sum. The binary cache is keyed by the version, so make kube then builds anew.
set -euo pipefail
if [ $# -ne 1 ] || ! [[ $1 =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
    echo "usage: pin-kubernetes.sh v1.X.Y" >&2
    exit 1
fi
version=$1
staging_version=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
cd "$(dirname "$0")/kubernetes"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
upstream=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
[ -n "$upstream" ] || { echo "pin-kubernetes.sh: k8s.io/kubernetes@$version not found through $(go env GOPROXY)" >&2; exit 1; }
{
    sed -n '1,/^module /p' go.mod | sed '$d'
    echo "module hostops.fleet/tests/kube/kubernetes"
    echo
    grep -E '^(go|godebug) ' "$upstream" | sed 's/^godebug/\ngodebug/'
    echo
    echo "require k8s.io/kubernetes $version"
    echo
    echo "replace ("
    awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { print "\t" $1 " => " $1 " " v }' "$upstream"
    echo ")"
} >go.mod.new
mv go.mod.new go.mod
rm -f go.sum
go get -tool k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
