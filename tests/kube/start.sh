#!/usr/bin/env bash
# Start a Kubernetes control plane on loopback from the binaries build.sh cached, and wait until it serves:
#   start.sh STATE_DIR [OWNER_PID]
# etcd and kube-apiserver with TLS (a CA and certificates made here with openssl), RBAC and the Node authorizer,
# admission on (NodeRestriction and the webhooks among them), a service-account signing key, then
# kube-controller-manager and kube-scheduler each with a client certificate of its own identity, and kwok run as
# kwokctl's binary runtime runs it, managing $KUBE_FAKE_NODES fake nodes (default 2). Ports are picked free.
# STATE_DIR receives the certificates, etcd's data, one log per process, admin.kubeconfig and env (ports and paths
# as shell assignments). Every process runs in one process group whose id is in STATE_DIR/pgid: stop.sh ends the
# group. When OWNER_PID is given, a watchdog in the group runs stop.sh once OWNER_PID is gone, so a test run that
# is killed before its teardown leaves nothing running.
set -euo pipefail

# Lead a process group of our own, so that every process started below, and nothing else, is in it.
if [ "$(ps -o pgid= -p $$ | tr -d ' ')" != "$$" ]; then
    exec setsid "$0" "$@"
fi

# shellcheck source=tests/kube/lib.sh
. "$(dirname "$0")/lib.sh"

die() {
    echo "start.sh: $*" >&2
    exit 1
}

[ $# -ge 1 ] || die "usage: start.sh STATE_DIR [OWNER_PID]"
state=$1
owner=${2:-}
nodes=${KUBE_FAKE_NODES:-2}
timeout=${KUBE_START_TIMEOUT:-300}

for component in kubernetes etcd kwok; do
    [ -d "$(kube_bin_dir "$component")" ] || die "$component is not built: run make kube (tests/kube/build.sh)"
done
command -v openssl >/dev/null 2>&1 || die "openssl not found: it makes the control plane's certificates"
kube_bin=$(kube_bin_dir kubernetes)
etcd_bin=$(kube_bin_dir etcd)
kwok_bin=$(kube_bin_dir kwok)

# A leftover of an earlier run in the same directory is ended first.
if [ -e "$state/pgid" ]; then
    bash "$KUBE_DIR/stop.sh" "$state"
fi
rm -rf "$state/etcd"
mkdir -p "$state/pki" "$state/logs"
state=$(cd "$state" && pwd)
echo $$ >"$state/pgid"
# A start that fails half-way leaves nothing running.
stop_on_failure() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        echo "start.sh: failed; logs in $state/logs" >&2
        trap '' TERM
        kill -TERM -- -$$ 2>/dev/null
    fi
}
trap stop_on_failure EXIT

free_ports() {
    python3 -c '
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
' "$1"
}
read -r etcd_port etcd_peer_port apiserver_port kcm_port scheduler_port kwok_port <<<"$(free_ports 6)"

# Certificates: one CA signs every serving and client certificate; the apiserver trusts it for clients.
pki=$state/pki
openssl_quiet() {
    openssl "$@" 2>>"$state/logs/openssl.log" || die "openssl $1 failed (see $state/logs/openssl.log)"
}
new_key() {
    openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key"
}
# sign NAME SUBJECT EXTENSIONS: a certificate for NAME.key signed by the CA.
sign() {
    new_key "$1"
    openssl_quiet req -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
    openssl_quiet x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -out "$pki/$1.crt" -extfile <(printf '%b' "$3")
    rm -f "$pki/$1.csr"
}
new_key ca
openssl_quiet req -x509 -new -key "$pki/ca.key" -subj "/CN=hostops-fleet test CA" -days 2 -out "$pki/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
server_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n'
client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'
sign etcd-server "/CN=etcd" "${server_ext}subjectAltName=IP:127.0.0.1,DNS:localhost"
sign apiserver-etcd-client "/CN=kube-apiserver-etcd-client" "$client_ext"
# 10.96.0.1 is the first address of --service-cluster-ip-range: the "kubernetes" Service that pods would use.
apiserver_names=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
sign apiserver "/CN=kube-apiserver" "${server_ext}subjectAltName=$apiserver_names,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=kubernetes-admin" "$client_ext"
sign controller-manager "/CN=system:kube-controller-manager" "$client_ext"
sign scheduler "/CN=system:kube-scheduler" "$client_ext"
# The client and serving certificate of kwok's own server (logs, exec, metrics), as kwokctl gives it.
sign kwok "/CN=kwok-controller" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1"
openssl_quiet genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/service-account.key"
openssl_quiet pkey -in "$pki/service-account.key" -pubout -out "$pki/service-account.pub"
chmod 0600 "$pki"/*.key

server=https://127.0.0.1:$apiserver_port
# kubeconfig NAME CERT: a kubeconfig that authenticates with CERT.crt/CERT.key.
kubeconfig() {
    cat >"$state/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hostops-fleet-test
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: $2@hostops-fleet-test
  context:
    cluster: hostops-fleet-test
    user: $2
current-context: $2@hostops-fleet-test
EOF
}
kubeconfig admin admin
kubeconfig controller-manager controller-manager
kubeconfig scheduler scheduler
# kwokctl gives kwok the admin identity; a fake node's status is written by it, as a kubelet would.
cp "$state/admin.kubeconfig" "$state/kwok.kubeconfig"

cat >"$state/env" <<EOF
KUBECONFIG=$state/admin.kubeconfig
KUBE_SERVER=$server
KUBE_CA=$pki/ca.crt
KUBE_BIN=$kube_bin
HELM=$(kube_bin_dir helm)/helm
KUBE_NODES=$nodes
ETCD_PORT=$etcd_port
APISERVER_PORT=$apiserver_port
CONTROLLER_MANAGER_PORT=$kcm_port
SCHEDULER_PORT=$scheduler_port
KWOK_PORT=$kwok_port
EOF

# run NAME COMMAND...: in the background, in this process group, logging to logs/NAME.log.
run() {
    local name=$1
    shift
    "$@" </dev/null >"$state/logs/$name.log" 2>&1 &
    echo $! >"$state/$name.pid"
}

# wait_for WHAT COMMAND...: retry COMMAND until it succeeds, or give up after $timeout seconds in all.
started=$SECONDS
wait_for() {
    local what=$1
    shift
    until "$@" >/dev/null 2>&1; do
        if [ $((SECONDS - started)) -ge "$timeout" ]; then
            die "$what not ready after ${timeout} s (logs in $state/logs)"
        fi
        for pidfile in "$state"/*.pid; do
            kill -0 "$(cat "$pidfile")" 2>/dev/null ||
                die "$(basename "$pidfile" .pid) exited: $(tail -n 3 "$state/logs/$(basename "$pidfile" .pid).log" | tr '\n' ' ')"
        done
        sleep 1
    done
}
kubectl() {
    "$kube_bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"
}

if [ -n "$owner" ]; then
    # The watchdog: once the test process that asked for this control plane is gone, stop it as stop.sh does,
    # from a session of its own so that it outlives the group it ends.
    (
        trap - EXIT
        while kill -0 "$owner" 2>/dev/null; do sleep 2; done
        exec setsid bash "$KUBE_DIR/stop.sh" "$state"
    ) </dev/null >/dev/null 2>&1 &
fi

# --unsafe-no-fsync: the data lives only as long as the test; fsync on a shared, loaded disk only slows it.
run etcd "$etcd_bin/etcd" --name=node0 --data-dir="$state/etcd" --log-level=warn --unsafe-no-fsync \
    --listen-client-urls="https://127.0.0.1:$etcd_port" --advertise-client-urls="https://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="node0=http://127.0.0.1:$etcd_peer_port" \
    --cert-file="$pki/etcd-server.crt" --key-file="$pki/etcd-server.key" \
    --trusted-ca-file="$pki/ca.crt" --client-cert-auth

run kube-apiserver "$kube_bin/kube-apiserver" --bind-address=127.0.0.1 --secure-port="$apiserver_port" \
    --etcd-servers="https://127.0.0.1:$etcd_port" --etcd-cafile="$pki/ca.crt" \
    --etcd-certfile="$pki/apiserver-etcd-client.crt" --etcd-keyfile="$pki/apiserver-etcd-client.key" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/service-account.pub" --service-account-signing-key-file="$pki/service-account.key" \
    --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true --profiling=false
wait_for "kube-apiserver" kubectl get --raw /readyz

run kube-controller-manager "$kube_bin/kube-controller-manager" --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$kcm_port" --leader-elect=false --use-service-account-credentials \
    --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/service-account.key" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range=10.96.0.0/16 --profiling=false
run kube-scheduler "$kube_bin/kube-scheduler" --kubeconfig="$state/scheduler.kubeconfig" \
    --authentication-kubeconfig="$state/scheduler.kubeconfig" --authorization-kubeconfig="$state/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$scheduler_port" --leader-elect=false --profiling=false

# kwok's config: the options of its own deployment (kustomize/kwok/kwok.yaml), then the default node and pod
# stages, as kwokctl's binary runtime adds them.
{
    cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.0.0.0/16
  nodeLeaseDurationSeconds: 40
  nodeLeaseParallelism: 4
  nodePlayStageParallelism: 4
  podPlayStageParallelism: 4
  enablePodsOnNodeSyncStreamWatch: true
EOF
    for stage in "$kwok_bin"/*.yaml; do
        printf -- '---\n'
        cat "$stage"
    done
} >"$state/kwok.yaml"
run kwok "$kwok_bin/kwok" --kubeconfig="$state/kwok.kubeconfig" --config="$state/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --tls-cert-file="$pki/kwok.crt" --tls-private-key-file="$pki/kwok.key" \
    --node-ip=127.0.0.1 --node-name=kwok-controller --node-port="$kwok_port" \
    --server-address="127.0.0.1:$kwok_port" --node-lease-duration-seconds=40

# The fake nodes, as kwok's documentation creates them (without its NoSchedule taint: every node here is fake).
for i in $(seq 0 $((nodes - 1))); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
EOF
done >"$state/nodes.yaml"
kubectl apply -f "$state/nodes.yaml" >/dev/null
wait_for "the fake nodes" kubectl wait --for=condition=Ready node --selector=type=kwok --timeout=5s
# A pod can be created once the namespace's service account exists (the controller-manager makes it).
wait_for "the default service account" kubectl get serviceaccount default --namespace=default
curl_ok() {
    python3 -c '
import ssl, sys, urllib.request
urllib.request.urlopen(sys.argv[1], context=ssl._create_unverified_context(), timeout=5)
' "$1"
}
wait_for "kube-controller-manager" curl_ok "https://127.0.0.1:$kcm_port/healthz"
wait_for "kube-scheduler" curl_ok "https://127.0.0.1:$scheduler_port/healthz"
echo "start.sh: control plane up in $((SECONDS - started)) s; KUBECONFIG=$state/admin.kubeconfig" >&2
