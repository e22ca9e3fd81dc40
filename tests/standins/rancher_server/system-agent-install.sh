#!/bin/sh
# Stand-in for Rancher's system-agent-install.sh, served by server.py.
# Same interface as the real script: flags --server, --label, --taints,
# --etcd, --controlplane, --worker, --node-name, --address,
# --internal-address, --ca-checksum; CATTLE_TOKEN, CATTLE_SERVER and
# CATTLE_CA_CHECKSUM from the environment. It registers the node with
# /v3/connect/agent, writes /etc/rancher/agent (cattle-id, 0600 connection
# info and config) and installs a rancher-system-agent unit that only sleeps.
set -eu

fatal() { echo "[ERROR] $*" >&2; exit 1; }

CATTLE_SERVER="${CATTLE_SERVER:-}"
CATTLE_CA_CHECKSUM="${CATTLE_CA_CHECKSUM:-}"
CATTLE_ROLE_ETCD=false
CATTLE_ROLE_CONTROLPLANE=false
CATTLE_ROLE_WORKER=false
CATTLE_LABELS=""
CATTLE_TAINTS=""
CATTLE_NODE_NAME=""
CATTLE_ADDRESS=""
CATTLE_INTERNAL_ADDRESS=""

while [ $# -gt 0 ]; do
  case "$1" in
    --server) CATTLE_SERVER="$2"; shift 2 ;;
    --ca-checksum) CATTLE_CA_CHECKSUM="$2"; shift 2 ;;
    --token) CATTLE_TOKEN="$2"; shift 2 ;;
    --label) CATTLE_LABELS="${CATTLE_LABELS:+$CATTLE_LABELS,}$2"; shift 2 ;;
    --taints) CATTLE_TAINTS="${CATTLE_TAINTS:+$CATTLE_TAINTS,}$2"; shift 2 ;;
    --etcd) CATTLE_ROLE_ETCD=true; shift ;;
    --controlplane) CATTLE_ROLE_CONTROLPLANE=true; shift ;;
    --worker) CATTLE_ROLE_WORKER=true; shift ;;
    --node-name) CATTLE_NODE_NAME="$2"; shift 2 ;;
    --address) CATTLE_ADDRESS="$2"; shift 2 ;;
    --internal-address) CATTLE_INTERNAL_ADDRESS="$2"; shift 2 ;;
    *) fatal "unknown argument: $1" ;;
  esac
done

[ -n "$CATTLE_SERVER" ] || fatal "--server or CATTLE_SERVER is required"
[ -n "${CATTLE_TOKEN:-}" ] || fatal "CATTLE_TOKEN is required"
[ "$(id -u)" -eq 0 ] || fatal "must run as root"

export CATTLE_SERVER CATTLE_TOKEN CATTLE_CA_CHECKSUM CATTLE_ROLE_ETCD CATTLE_ROLE_CONTROLPLANE \
  CATTLE_ROLE_WORKER CATTLE_LABELS CATTLE_TAINTS CATTLE_NODE_NAME CATTLE_ADDRESS CATTLE_INTERNAL_ADDRESS

umask 077
mkdir -p /etc/rancher/agent /var/lib/rancher/agent

python3 - <<'PY'
import hashlib, json, os, secrets, ssl, urllib.request

env = os.environ
server = env['CATTLE_SERVER'].rstrip('/')
insecure = ssl._create_unverified_context()
cacerts = urllib.request.urlopen(server + '/cacerts', context=insecure, timeout=10).read()
if env['CATTLE_CA_CHECKSUM']:
    actual = hashlib.sha256(cacerts).hexdigest()
    if actual != env['CATTLE_CA_CHECKSUM']:
        raise SystemExit('[ERROR] /cacerts checksum %s does not match %s' % (actual, env['CATTLE_CA_CHECKSUM']))
with open('/etc/rancher/agent/ca.pem', 'wb') as handle:
    handle.write(cacerts)
context = ssl.create_default_context(cafile='/etc/rancher/agent/ca.pem')

cattle_id = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
headers = {
    'Authorization': 'Bearer ' + env['CATTLE_TOKEN'],
    'X-Cattle-Id': cattle_id,
    'X-Cattle-Role-Etcd': env['CATTLE_ROLE_ETCD'],
    'X-Cattle-Role-Control-Plane': env['CATTLE_ROLE_CONTROLPLANE'],
    'X-Cattle-Role-Worker': env['CATTLE_ROLE_WORKER'],
    'X-Cattle-Node-Name': env['CATTLE_NODE_NAME'],
    'X-Cattle-Address': env['CATTLE_ADDRESS'],
    'X-Cattle-Internal-Address': env['CATTLE_INTERNAL_ADDRESS'],
    'X-Cattle-Labels': env['CATTLE_LABELS'],
    'X-Cattle-Taints': env['CATTLE_TAINTS'],
}
request = urllib.request.Request(server + '/v3/connect/agent', headers=headers)
info = json.load(urllib.request.urlopen(request, context=context, timeout=10))

with open('/etc/rancher/agent/rancher2_connection_info.json', 'w') as handle:
    json.dump(info, handle)
with open('/etc/rancher/agent/config.yaml', 'w') as handle:
    handle.write('workDirectory: /var/lib/rancher/agent/work\nlocalPlanDirectory: /var/lib/rancher/agent/plans\n'
                 'appliedPlanDirectory: /var/lib/rancher/agent/applied\nremoteEnabled: true\n'
                 'connectionInfoFile: /etc/rancher/agent/rancher2_connection_info.json\n')
with open('/etc/rancher/agent/cattle-id', 'w') as handle:
    handle.write(cattle_id + '\n')
PY

umask 022
cat >/usr/local/bin/rancher-system-agent <<'AGENT'
#!/bin/sh
# Stand-in rancher-system-agent: stays up like the real one, does nothing.
exec sleep infinity
AGENT
chmod 0755 /usr/local/bin/rancher-system-agent
cat >/etc/systemd/system/rancher-system-agent.service <<'UNIT'
[Unit]
Description=Rancher System Agent (stand-in)
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/bin/rancher-system-agent
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now rancher-system-agent
echo "[INFO] rancher-system-agent installed and started"
