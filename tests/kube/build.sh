#!/usr/bin/env bash
# Build the real Kubernetes control plane for tests/integration/kube from upstream's Go modules, once per
# version: kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes), etcd
# (go.etcd.io/etcd/server/v3), kwok (sigs.k8s.io/kwok) and helm (helm.sh/helm/v4), each into
# ${HOSTOPS_BIN_CACHE:-/var/cache/hostops-fleet/bin}/<component>-<version>/ (docs/testing.md).
#   build.sh [COMPONENT...]          build what the cache lacks; print each component's directory
#   build.sh --check [COMPONENT...]  build nothing; exit 0 when each is cached, 3 (naming what is not) otherwise
# COMPONENT: kubernetes, etcd, kwok, helm (default: all).
# A component's directory appears only when its build has finished (built aside, then renamed), so a killed
# build leaves nothing that looks complete.
set -euo pipefail
# shellcheck source=tests/kube/lib.sh
. "$(dirname "$0")/lib.sh"

die() {
    echo "build.sh: $*" >&2
    exit 1
}

check=
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
wanted=("$@")
selected() {
    [ "${#wanted[@]}" -eq 0 ] || [[ " ${wanted[*]} " == *" $1 "* ]]
}
for name in "${wanted[@]}"; do
    kube_bin_dir "$name" >/dev/null || exit 1
done

missing=()
for entry in "${KUBE_COMPONENTS[@]}"; do
    read -r name _ <<<"$entry"
    selected "$name" || continue
    [ -d "$(kube_bin_dir "$name")" ] || missing+=("$(basename "$(kube_bin_dir "$name")")")
done

if [ -n "$check" ]; then
    if [ "${#missing[@]}" -ne 0 ]; then
        echo "${missing[*]} not in $KUBE_BIN_CACHE (make kube builds them)"
        exit 3
    fi
    exit 0
fi

if [ "${#missing[@]}" -ne 0 ]; then
    command -v go >/dev/null 2>&1 || die "go not found on PATH: the control plane is built from Go modules (Go >= 1.26, tests/kube/*/go.mod)"
    # Never fetch a toolchain behind the user's back: an old go says so below instead.
    export GOTOOLCHAIN=local GOFLAGS="-trimpath -mod=readonly"
    mkdir -p "$KUBE_BIN_CACHE" || die "cannot create the binary cache $KUBE_BIN_CACHE (set HOSTOPS_BIN_CACHE)"
fi

# The version stamps that each upstream's own release build links in (kubernetes: hack/lib/version.sh; helm:
# its Makefile; kwok: hack/releases.sh). Without them kube-apiserver reports v0.0.0-master, which fails every
# chart's kubeVersion constraint in helm. etcd's version is a constant in its source.
version_ldflags() {
    local name=$1 version=$2 minor package
    case $name in
        kubernetes)
            minor=${version#v1.}
            minor=${minor%%.*}
            for package in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
                printf ' -X %s.%s' "$package" "gitVersion=$version" "$package" "gitMajor=1" \
                    "$package" "gitMinor=$minor" "$package" "gitTreeState=clean"
            done
            ;;
        helm) printf ' -X helm.sh/helm/v4/internal/version.version=%s' "$version" ;;
        kwok) printf ' -X sigs.k8s.io/kwok/pkg/consts.Version=%s' "$version" ;;
    esac
}

for entry in "${KUBE_COMPONENTS[@]}"; do
    read -r name module targets <<<"$entry"
    selected "$name" || continue
    dir=$(kube_bin_dir "$name")
    if [ -d "$dir" ]; then
        echo "$dir"
        continue
    fi
    cd "$KUBE_DIR/$name"
    # Download first, so that an unreachable module proxy is told as such and not as a compile error.
    if ! log=$(go mod download 2>&1); then
        die "cannot download the Go modules of tests/kube/$name (GOPROXY=$(go env GOPROXY)): $(grep -v '^go: downloading' <<<"$log" | tail -n 1)"
    fi
    partial="$dir.partial.$$"
    rm -rf "$partial"
    mkdir -p "$partial"
    trap 'rm -rf "$partial"' EXIT
    started=$SECONDS
    version=$(kube_module_version "$name" "$module")
    ldflags="-s -w$(version_ldflags "$name" "$version")"
    for target in $targets; do
        package=${target%%:*}
        binary=${target#*:}
        echo "building $binary ($module $version)" >&2
        if ! nice -n 19 go build -ldflags="$ldflags" -o "$partial/$binary" "$package" >"$dir.failed.log" 2>&1; then
            die "go build $package failed: $(tail -n 1 "$dir.failed.log") (whole log: $dir.failed.log)"
        fi
    done
    if [ "$name" = kwok ]; then
        # kwokctl's binary runtime hands kwok the default stages (node-initialize, node-heartbeat-with-lease,
        # pod-ready, pod-complete, pod-delete) in its config file; keep them beside the binary they belong to.
        source_dir=$(go list -m -f '{{.Dir}}' "$module")
        cp "$source_dir/kustomize/stage/node/fast/node-initialize.yaml" \
            "$source_dir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
            "$source_dir"/kustomize/stage/pod/fast/pod-*.yaml "$partial/"
        chmod 0644 "$partial"/*.yaml
    fi
    { go version; echo "built in $((SECONDS - started)) s"; } >"$partial/build.log"
    rm -f "$dir.failed.log"
    mv -T "$partial" "$dir"
    trap - EXIT
    echo "$dir"
done
