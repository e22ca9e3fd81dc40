#!/bin/sh
# Stand-in for system-agent-uninstall.sh (rancher/system-agent), served under
# /assets: stops and removes what an installation wrote.
set -e
systemctl disable --now rancher-system-agent 2>/dev/null || true
rm -f /etc/systemd/system/rancher-system-agent.service /etc/systemd/system/rancher-system-agent.env
rm -rf /etc/rancher/agent /var/lib/rancher/agent
rm -f /usr/local/bin/rancher-system-agent /usr/local/bin/rancher-system-agent-uninstall.sh
systemctl daemon-reload
