# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who owns a process: container ids in cgroup paths, supervisors in the parent chain, sandboxes, units."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.owners import (
    OwnerResolver, owner_from_cgroup_path, owner_from_supervisor)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.trees import write_file

ID1 = 'a' * 64
ID2 = '0123456789abcdef' * 4


@pytest.mark.parametrize('path, expected', [
    ('/docker/' + ID1, ('docker', ID1)),
    ('/docker/%s/system.slice/ssh.service' % ID1, ('docker', ID1)),
    ('/system.slice/docker-%s.scope' % ID1, ('docker', ID1)),
    ('/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-%s.scope' % ID1,
     ('containerd', ID1)),
    ('/kubepods/besteffort/pod7c1e/%s' % ID1, ('containerd', ID1)),
    ('/kubepods.slice/kubepods-pod2.slice/crio-%s.scope' % ID1, ('crio', ID1)),
    ('/machine.slice/libpod-%s.scope/container' % ID1, ('podman', ID1)),
    ('/user.slice/user-1000.slice/user@1000.service/app.slice/libpod-conmon-%s.scope' % ID1, ('podman', ID1)),
    ('/docker/%s/docker/%s' % (ID1, ID2), ('docker', ID2)),  # docker in docker: the innermost wins
    # LXC names, as lxc-ls lists them (issue 25, class 6): LXC 4+ and LXD, LXC 3, Proxmox and its guest's cgroups.
    ('/lxc.payload.web1', ('lxc', 'web1')),
    ('/lxc.payload.default_web1/system.slice/ssh.service', ('lxc', 'default_web1')),
    ('/lxc/web1', ('lxc', 'web1')),
    ('/lxc/101/ns/init.scope', ('lxc', '101')),
    ('/lxc.payload.web1/docker/' + ID1, ('docker', ID1)),  # docker in an LXC guest: the innermost wins
    ('/lxc.monitor.web1', None),  # the monitor is the host's
    ('/system.slice/lxc.service', None),
    ('/system.slice/lxc-net.service', None),
    ('/system.slice/ssh.service', None),
    ('/docker/not-an-id', None),
    ('/', None),
])
def test_owner_from_cgroup_path(path, expected):
    assert owner_from_cgroup_path(path) == expected


@pytest.mark.parametrize('argv, expected', [
    (['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-id', ID1, '-address', '/run/c.sock'],
     ('docker', ID1)),
    (['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', ID1], ('containerd', ID1)),
    (['/usr/bin/conmon', '--api-version', '1', '-c', ID1, '-u', ID1, '-r', '/usr/bin/crun',
      '--exit-command', '/usr/bin/podman'], ('podman', ID1)),
    (['/usr/bin/conmon', '-b', '/run/bundle', '-c', ID1, '--runtime', '/usr/bin/runc'], ('crio', ID1)),
    (['/usr/bin/conmon', '--cid=' + ID1], ('crio', ID1)),
    (['/usr/sbin/sshd', '-D'], None),
    ([], None),
])
def test_owner_from_supervisor(argv, expected):
    assert owner_from_supervisor(argv) == expected


def test_owner_resolver_follows_the_parent_chain_and_knows_sandboxes(tmp_path):
    root = str(tmp_path / 'chain')
    stat = '%d (%s) S %d 1 1 0 -1 %d 0 0 0 0 1 1 0 0 20 0 1 0 100 1000 10 ' + ' '.join(['0'] * 30) + '\n'
    procs = (
        (10, 'containerd-shim', 1, 0x400100, ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-id', ID1]),
        (11, 'nginx', 10, 0x400100, ['nginx: master process']),
        (20, 'chrome', 1, 0x400100, ['/opt/google/chrome/chrome']),
        (21, 'chrome', 20, 0x400100, ['/opt/google/chrome/chrome', '--type=zygote']),
        (30, 'kworker/0:1', 2, 0x04208060, []),
        (40, 'httpd', 1, 0x400100, ['/usr/sbin/httpd']),
    )
    for pid, comm, ppid, flags, argv in procs:
        write_file(root, 'proc/%d/stat' % pid, stat % (pid, comm, ppid, flags))
        write_file(root, 'proc/%d/cmdline' % pid, '\0'.join(argv) + ('\0' if argv else ''))
        write_file(root, 'proc/%d/cgroup' % pid, '0::/\n' if pid != 40 else '0::/system.slice/httpd.service\n')
    resolver = OwnerResolver(ProcFS(root))
    assert resolver.owner(11) == {'kind': 'docker', 'id': ID1, 'name': None}
    assert resolver.owner(21) == {'kind': 'sandbox', 'id': None, 'name': 'chrome'}
    assert resolver.owner(30) == {'kind': 'kernel', 'id': None, 'name': 'kworker/0:1'}
    assert resolver.owner(40) == {'kind': 'systemd', 'id': None, 'name': 'httpd.service'}
