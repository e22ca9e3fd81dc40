# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who owns a process: a container runtime, a sandbox, a systemd unit or the kernel. Private.

Shared by the containers subset (which cgroups are containers) and the namespaces subset
(who owns a namespace). A container is recognised the way ``runc events`` and
``systemd-cgls`` see it: a cgroup whose name carries a runtime's container id; failing
that, a supervising shim or conmon among the process's parents.
"""

from __future__ import annotations

import re

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.pids import PF_KTHREAD

# Container cgroup names, innermost match wins: cgroupfs drivers use /<runtime>/<id>, the
# systemd drivers <runtime>-<id>.scope; Kubernetes with containerd and cgroupfs uses the bare id.
# LXC names its containers, not ids: lxc.payload.<name> since LXC 4 (and LXD, <project>_<name>),
# /lxc/<name> before it and on Proxmox (/lxc/<vmid>, the guest's own cgroups in /lxc/<vmid>/ns);
# lxc.monitor.<name> holds the monitor, which is the host's.
_ID = r'([0-9a-f]{64})'
CGROUP_PATTERNS = (
    ('docker', re.compile(r'(?:^|/)docker[-/]' + _ID)),
    ('containerd', re.compile(r'cri-containerd-' + _ID)),
    ('crio', re.compile(r'crio-(?:conmon-)?' + _ID)),
    ('podman', re.compile(r'libpod-(?:conmon-)?' + _ID)),
    ('containerd', re.compile(r'/kubepods[^/]*(?:/[^/]+)*/' + _ID + r'$')),
    ('lxc', re.compile(r'(?:^|/)lxc\.payload\.([^/]+)')),
    ('lxc', re.compile(r'(?:^|/)lxc/([^/]+)')),
)
SYSTEMD_UNIT = re.compile(r'/([^/]+\.(?:service|scope))$')

# Parents that supervise one container each, and the flag that names it.
SHIM_PREFIX = 'containerd-shim'
CONMON = 'conmon'
# Programs that put their children in private namespaces to confine them.
SANDBOX_COMMANDS = ('chrome', 'chromium', 'chromium-browser', 'msedge', 'brave', 'electron',
                    'bwrap', 'firejail', 'nsjail', 'minijail0')

MAX_PARENT_DEPTH = 64
# Bytes of argv read per process: enough for a shim's or conmon's flags, which come early.
SUPERVISOR_ARGS_BYTES = 4096


def owner_from_cgroup_path(path):
    """(kind, container id) from a cgroup path, or None."""
    best = None
    for kind, pattern in CGROUP_PATTERNS:
        for match in pattern.finditer(path):
            if best is None or match.end() > best[2]:
                best = (kind, match.group(1), match.end())
    return None if best is None else best[:2]


def _flag_value(args, *flags):
    """The value following one of ``flags`` (``-id X`` or ``--cid=X``) in argv."""
    for i, arg in enumerate(args):
        for flag in flags:
            if arg == flag and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(flag + '='):
                return arg[len(flag) + 1:]
    return None


def owner_from_supervisor(args):
    """(kind, id) when argv is a containerd shim or conmon supervising one container, else None."""
    if not args:
        return None
    program = args[0].rsplit('/', 1)[-1]
    if program.startswith(SHIM_PREFIX):
        container_id = _flag_value(args, '-id', '--id')
        namespace = _flag_value(args, '-namespace', '--namespace')
        if container_id:
            return ('docker' if namespace == 'moby' else 'containerd', container_id)
    if program == CONMON:
        container_id = _flag_value(args, '-c', '--cid')
        if container_id:
            return ('podman' if any('podman' in arg for arg in args) else 'crio', container_id)
    return None


def _is_sandbox(args):
    if not args:
        return None
    program = args[0].rsplit('/', 1)[-1]
    if program in SANDBOX_COMMANDS:
        return program
    if any(arg.startswith('--type=') for arg in args[1:]) and 'chrom' in args[0]:
        return program
    return None


class OwnerResolver(object):
    """Which container, sandbox, unit or kernel owns a process: cgroup path first, then the parent chain.

    PidStat and argv are read at most once per pid (the chain of every container shares its shim).
    """

    def __init__(self, procfs, args_bytes=SUPERVISOR_ARGS_BYTES):
        self.procfs = procfs
        self.args_bytes = args_bytes
        self._stats = {}
        self._args = {}

    def stat(self, pid):
        if pid not in self._stats:
            self._stats[pid] = self.procfs.pid_stat(pid)
        return self._stats[pid]

    def args(self, pid):
        if pid not in self._args:
            self._args[pid] = self.procfs.pid_cmdline(pid, self.args_bytes) or []
        return self._args[pid]

    def owner(self, pid):
        """{kind, id, name} for a process; kind is docker, containerd, crio, podman, lxc (id: the container's
        name), sandbox, kernel, systemd or unknown."""
        stat = self.stat(pid)
        if stat is not None and stat.flags & PF_KTHREAD:
            return {'kind': 'kernel', 'id': None, 'name': stat.comm}
        cgroup_paths = [entry.path for entry in self.procfs.pid_cgroups(pid) or []]
        for path in cgroup_paths:
            found = owner_from_cgroup_path(path)
            if found:
                return {'kind': found[0], 'id': found[1], 'name': None}
        chain = self._ancestors(pid)
        for ancestor in chain:
            found = owner_from_supervisor(self.args(ancestor))
            if found:
                return {'kind': found[0], 'id': found[1], 'name': None}
        for ancestor in [pid] + chain:
            program = _is_sandbox(self.args(ancestor))
            if program:
                return {'kind': 'sandbox', 'id': None, 'name': program}
        for path in cgroup_paths:
            unit = SYSTEMD_UNIT.search(path)
            if unit:
                return {'kind': 'systemd', 'id': None, 'name': unit.group(1)}
        return {'kind': 'unknown', 'id': None, 'name': None}

    def _ancestors(self, pid):
        chain = []
        stat = self.stat(pid)
        while stat is not None and stat.ppid > 0 and len(chain) < MAX_PARENT_DEPTH:
            chain.append(stat.ppid)
            stat = self.stat(stat.ppid)
        return chain
