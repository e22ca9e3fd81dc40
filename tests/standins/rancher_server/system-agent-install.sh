# shellcheck shell=sh
# Stand-in for rancher/system-agent's install.sh, served by server.py after
# the variables Rancher prepends (CATTLE_AGENT_BINARY_BASE_URL, CATTLE_SERVER,
# CATTLE_CA_CHECKSUM, STRICT_VERIFY; pkg/capr/installer/installer.go).
#
# It keeps the real script's interface and the behaviours that make running
# it from a role unsafe or unbounded:
# - it needs curl and stops at once without it ("can not find curl for
#   downloading files", verify_downloader);
# - every request is a curl command, and the connection-info request puts
#   "Authorization: Bearer <token>" on curl's command line, where any user
#   can read it in /proc/<pid>/cmdline (retrieve_connection_info);
# - every request is retried RETRYCOUNT=4500 times, 5 s apart, whatever the
#   answer (a wrong token's 401 included): about six hours;
# - it writes config.yaml, cattle-id and the connection info with umask 0177
#   (0600), the directories 0700, the unit 0644, the proxy environment file
#   0600, then enables and restarts rancher-system-agent.
# CATTLE_SYSTEMD_DIR (default /etc/systemd/system) is the stand-in's only
# addition, so that tests can run it outside a real node.

RETRYCOUNT=4500
CACERTS_PATH=cacerts

info() { echo "[INFO] " "$@"; }
error() { echo "[ERROR] " "$@" >&2; }
fatal() { echo "[FATAL] " "$@" >&2; exit 1; }

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
        -e | --etcd) CATTLE_ROLE_ETCD=true; shift 1 ;;
        -p | --controlplane) CATTLE_ROLE_CONTROLPLANE=true; shift 1 ;;
        -w | --worker) CATTLE_ROLE_WORKER=true; shift 1 ;;
        -n | --node-name) CATTLE_NODE_NAME="$2"; shift 2 ;;
        --address) CATTLE_ADDRESS="$2"; shift 2 ;;
        -i | --internal-address) CATTLE_INTERNAL_ADDRESS="$2"; shift 2 ;;
        -l | --label) CATTLE_LABELS="${CATTLE_LABELS:+${CATTLE_LABELS},}$2"; shift 2 ;;
        --taint | --taints) CATTLE_TAINTS="${CATTLE_TAINTS:+${CATTLE_TAINTS},}$2"; shift 2 ;;
        -s | --server) CATTLE_SERVER="$2"; shift 2 ;;
        -t | --token) CATTLE_TOKEN="$2"; shift 2 ;;
        -c | --ca-checksum) CATTLE_CA_CHECKSUM="$2"; shift 2 ;;
        *) fatal "Unknown argument passed in ($1)" ;;
        esac
    done
}

setup_env() {
    CATTLE_ROLE_ETCD="${CATTLE_ROLE_ETCD:-false}"
    CATTLE_ROLE_CONTROLPLANE="${CATTLE_ROLE_CONTROLPLANE:-false}"
    CATTLE_ROLE_WORKER="${CATTLE_ROLE_WORKER:-false}"
    [ -n "${CATTLE_TOKEN}" ] || fatal "\$CATTLE_TOKEN was not set."
    [ -n "${CATTLE_SERVER}" ] || fatal "\$CATTLE_SERVER was not set"
    if [ "${CATTLE_ROLE_CONTROLPLANE}" = false ] && [ "${CATTLE_ROLE_ETCD}" = false ] && [ "${CATTLE_ROLE_WORKER}" = false ]; then
        fatal "You must select at least one role."
    fi
    CATTLE_AGENT_CONFIG_DIR="${CATTLE_AGENT_CONFIG_DIR:-/etc/rancher/agent}"
    CATTLE_AGENT_VAR_DIR="${CATTLE_AGENT_VAR_DIR:-/var/lib/rancher/agent}"
    CATTLE_AGENT_BIN_PREFIX="${CATTLE_AGENT_BIN_PREFIX:-/usr/local}"
    CATTLE_SYSTEMD_DIR="${CATTLE_SYSTEMD_DIR:-/etc/systemd/system}"
    case "$(uname -m)" in
    x86_64 | amd64) ARCH=amd64 ;;
    aarch64 | arm64) ARCH=arm64 ;;
    *) fatal "unsupported architecture $(uname -m)" ;;
    esac
    CATTLE_AGENT_BINARY_URL="${CATTLE_AGENT_BINARY_URL:-${CATTLE_AGENT_BINARY_BASE_URL}/rancher-system-agent-${ARCH}}"
}

ensure_directories() {
    mkdir -p "${CATTLE_AGENT_VAR_DIR}/interlock" "${CATTLE_AGENT_CONFIG_DIR}" "${CATTLE_AGENT_BIN_PREFIX}/bin"
    chmod 700 "${CATTLE_AGENT_VAR_DIR}" "${CATTLE_AGENT_VAR_DIR}/interlock" "${CATTLE_AGENT_CONFIG_DIR}"
}

# curl_until_200 <what> <curl arguments...>: upstream's retry loop.
curl_until_200() {
    what="$1"
    shift
    i=1
    while [ "${i}" -ne "${RETRYCOUNT}" ]; do
        RESPONSE=$(curl --connect-timeout 60 --max-time 60 --write-out "%{http_code}\n" -sS "$@")
        if [ "${RESPONSE}" = 200 ]; then
            info "Successfully downloaded ${what}"
            return 0
        fi
        i=$((i + 1))
        error "${RESPONSE} received while downloading ${what}. Sleeping for 5 seconds and trying again"
        sleep 5
    done
    return 1
}

validate_ca_checksum() {
    [ -n "${CATTLE_CA_CHECKSUM}" ] || return 0
    CACERT=$(mktemp)
    curl_until_200 "the CA certificate" --insecure -fL "${CATTLE_SERVER}/${CACERTS_PATH}" -o "${CACERT}"
    CATTLE_SERVER_CHECKSUM=$(sha256sum "${CACERT}" | awk '{print $1}')
    if [ "${CATTLE_SERVER_CHECKSUM}" != "${CATTLE_CA_CHECKSUM}" ]; then
        rm -f "${CACERT}"
        fatal "Configured cacerts checksum (${CATTLE_SERVER_CHECKSUM}) does not match given --ca-checksum (${CATTLE_CA_CHECKSUM})"
    fi
    CURL_CAFLAG="--cacert ${CACERT}"
}

download_agent() {
    # shellcheck disable=SC2086 # CURL_CAFLAG is two words, as upstream passes it
    curl_until_200 "the rancher-system-agent binary" ${CURL_CAFLAG} -fL "${CATTLE_AGENT_BINARY_URL}" \
        -o "${CATTLE_AGENT_BIN_PREFIX}/bin/rancher-system-agent"
    chmod +x "${CATTLE_AGENT_BIN_PREFIX}/bin/rancher-system-agent"
}

generate_config() {
    umask 0177
    printf '%s\n' "workDirectory: ${CATTLE_AGENT_VAR_DIR}/work" "appliedPlanDirectory: ${CATTLE_AGENT_VAR_DIR}/applied" \
        "remoteEnabled: true" "localEnabled: false" "localPlanDirectory: ${CATTLE_AGENT_VAR_DIR}/plans" \
        "interlockDirectory: ${CATTLE_AGENT_VAR_DIR}/interlock" "preserveWorkDirectory: false" \
        "connectionInfoFile: ${CATTLE_AGENT_VAR_DIR}/rancher2_connection_info.json" > "${CATTLE_AGENT_CONFIG_DIR}/config.yaml"
    if [ -s "${CATTLE_AGENT_CONFIG_DIR}/cattle-id" ]; then
        CATTLE_ID=$(cat "${CATTLE_AGENT_CONFIG_DIR}/cattle-id")
    else
        CATTLE_ID=$(dd if=/dev/urandom count=1 bs=512 2>/dev/null | sha256sum | awk '{print $1}' | head -c 63)
        echo "${CATTLE_ID}" > "${CATTLE_AGENT_CONFIG_DIR}/cattle-id"
    fi
    umask 022
}

retrieve_connection_info() {
    umask 0177
    TEMP_CONNECTION_INFO="${CATTLE_AGENT_VAR_DIR}/rancher2_connection_info.json.tmp"
    # shellcheck disable=SC2086 # CURL_CAFLAG is two words, as upstream passes it
    curl_until_200 "Rancher connection information" ${CURL_CAFLAG} -H "Authorization: Bearer ${CATTLE_TOKEN}" \
        -H "X-Cattle-Id: ${CATTLE_ID}" -H "X-Cattle-Role-Etcd: ${CATTLE_ROLE_ETCD}" \
        -H "X-Cattle-Role-Control-Plane: ${CATTLE_ROLE_CONTROLPLANE}" -H "X-Cattle-Role-Worker: ${CATTLE_ROLE_WORKER}" \
        -H "X-Cattle-Node-Name: ${CATTLE_NODE_NAME}" -H "X-Cattle-Address: ${CATTLE_ADDRESS}" \
        -H "X-Cattle-Internal-Address: ${CATTLE_INTERNAL_ADDRESS}" -H "X-Cattle-Labels: ${CATTLE_LABELS}" \
        -H "X-Cattle-Taints: ${CATTLE_TAINTS}" "${CATTLE_SERVER}/v3/connect/agent" -o "${TEMP_CONNECTION_INFO}" \
        || fatal "Aborting system-agent installation due to failure to retrieve Rancher connection information"
    "${CATTLE_AGENT_BIN_PREFIX}/bin/rancher-system-agent" validate-connection "${TEMP_CONNECTION_INFO}" \
        || fatal "Downloaded connection info failed validation"
    mv "${TEMP_CONNECTION_INFO}" "${CATTLE_AGENT_VAR_DIR}/rancher2_connection_info.json"
    umask 022
}

install_service() {
    printf '%s\n' '[Unit]' 'Description=Rancher System Agent' 'Wants=network-online.target' 'After=network-online.target' \
        '[Install]' 'WantedBy=multi-user.target' '[Service]' \
        'EnvironmentFile=-/etc/systemd/system/rancher-system-agent.env' 'Type=simple' 'Restart=always' 'RestartSec=5s' \
        "Environment=CATTLE_AGENT_CONFIG=${CATTLE_AGENT_CONFIG_DIR}/config.yaml" \
        "ExecStart=${CATTLE_AGENT_BIN_PREFIX}/bin/rancher-system-agent sentinel" \
        > "${CATTLE_SYSTEMD_DIR}/rancher-system-agent.service"
    install -m 0600 /dev/null "${CATTLE_SYSTEMD_DIR}/rancher-system-agent.env"
    env | grep -E -i '^(HTTP|HTTPS|NO)_PROXY=' >> "${CATTLE_SYSTEMD_DIR}/rancher-system-agent.env"
    systemctl daemon-reload >/dev/null
    systemctl enable rancher-system-agent
    systemctl restart rancher-system-agent
}

[ "$(id -u)" = 0 ] || fatal "This script must be run as root."
parse_args "$@"
setup_env
ensure_directories
command -v curl >/dev/null 2>&1 || fatal "can not find curl for downloading files"
validate_ca_checksum
# shellcheck disable=SC2086 # CURL_CAFLAG is two words, as upstream passes it
curl_until_200 "the Rancher health check" ${CURL_CAFLAG} -fL "${CATTLE_SERVER}/healthz" -o /dev/null
download_agent
generate_config
retrieve_connection_info
install_service
info "rancher-system-agent installed and started"
exit 0
