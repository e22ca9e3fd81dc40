#!/bin/sh
# Stand-in for run.sh, the entrypoint of the rancher/rancher-agent image
# (Rancher 2.0-2.5), for the docker_agent path of molecule/rancher_node. The
# image is built inside the test host's Docker from Debian's busybox-static
# (no registry). It does not contact the server: it records what the
# container sees of the host through the mounts and the network the role
# gave it (host name, network interfaces, effective capabilities, the Docker
# socket under /var/run, the number of arguments; never the arguments, which
# hold the token) in /etc/kubernetes, then waits as the agent does.
set -eu
out=/etc/kubernetes/.molecule-standin-agent
{
  echo "hostname=$(hostname)"
  echo "interfaces=$(sed -n 's/^ *\([^:|]*\):.*/\1/p' /proc/net/dev | sort | tr '\n' ' ')"
  echo "capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)"
  if [ -S /var/run/docker.sock ]; then echo "docker_sock=yes"; else echo "docker_sock=no"; fi
  echo "argc=$#"
} > "$out.tmp"
mv "$out.tmp" "$out"
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait $!
done
