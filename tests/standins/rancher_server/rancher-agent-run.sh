#!/bin/sh
# Stand-in for package/run.sh, the entrypoint of the rancher/rancher-agent
# image (rancher/rancher v2.5.17), for the docker_agent path of
# molecule/rancher_node. The image is built inside the test host's Docker
# from Debian's busybox-static (no registry).
#
# Like run.sh it takes --server, --token, --ca-checksum, the role flags,
# --node-name, --address, --internal-address, --label and --taints, reads
# CATTLE_TOKEN from its environment when --token is not given (run.sh
# exports CATTLE_TOKEN and only overwrites it for --token), and stops with
# "--token is a required option" when there is none. It does not contact
# the server: it records what the container sees of the host through the
# mounts and the network the role gave it (host name, network interfaces,
# effective capabilities, the Docker socket under /var/run, the number of
# arguments, where the token came from and its sha256, never the token) in
# /etc/kubernetes, then waits as the agent does.
set -eu
token_from='env'
argc=$#
while [ $# -gt 0 ]; do
  case "$1" in
    -t | --token) token_from=argv; CATTLE_TOKEN="$2"; shift 2 ;;
    -s | --server | -c | --ca-checksum | -n | --node-name | -a | --address | -i | --internal-address | -l | --label | --taints)
      shift 2 ;;
    *) shift ;;
  esac
done
if [ -z "${CATTLE_TOKEN:-}" ]; then
  echo "ERROR: -- --token is a required option" >&2
  exit 1
fi
out=/etc/kubernetes/.molecule-standin-agent
{
  echo "hostname=$(hostname)"
  echo "interfaces=$(sed -n 's/^ *\([^:|]*\):.*/\1/p' /proc/net/dev | sort | tr '\n' ' ')"
  echo "capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)"
  if [ -S /var/run/docker.sock ]; then echo "docker_sock=yes"; else echo "docker_sock=no"; fi
  echo "argc=$argc"
  echo "token_from=$token_from"
  echo "token_sha256=$(printf '%s' "$CATTLE_TOKEN" | sha256sum | cut -d' ' -f1)"
  echo "https_proxy=${HTTPS_PROXY:-}"
  echo "no_proxy=${NO_PROXY:-}"
} > "$out.tmp"
mv "$out.tmp" "$out"
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait $!
done
