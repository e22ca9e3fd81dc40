# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Container cgroups (v1, v2, hybrid) and the owner of a process.

The hybrid tree is a real capture (see part2_fixtures); the v1 tree is that capture with the
empty cgroup2 mount taken out of mountinfo; the v2 tree is written by the test in the kernel's
documented file formats (cgroup-v2.rst), since no cgroup v2 host was at hand.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._containers import (
    ContainersCollector, OwnerResolver, owner_from_cgroup_path, owner_from_supervisor)
from ansible_collections.hostops.fleet.plugins.module_utils._procfs import ProcFS

from support.part2_fixtures import HYBRID_A, copy_tree, options, read

ID1 = 'a' * 64
ID2 = '0123456789abcdef' * 4


def collect(root):
    report = Report()
    return ContainersCollector(ProcFS(root), options(), report).finish(None), report


def test_hybrid_host_docker_containers_with_v1_counters():
    containers, report = collect(HYBRID_A)
    memory = os.path.join(HYBRID_A, 'sys', 'fs', 'cgroup', 'memory', 'docker')
    expected = sorted(name for name in os.listdir(memory) if len(name) == 64)
    assert sorted(c['id'] for c in containers) == expected
    for container in containers:
        base = os.path.join(memory, container['id'])
        assert (container['runtime'], container['cgroup_layout']) == ('docker', 'hybrid')
        assert container['memory_usage_bytes'] == int(read(base, 'memory.usage_in_bytes'))
        assert container['memory_failcnt'] == int(read(base, 'memory.failcnt'))
        assert container['memory_limit_bytes'] is None  # no --memory given: the page-rounded LONG_MAX
        usage = int(read(HYBRID_A, 'sys', 'fs', 'cgroup', 'cpuacct', 'docker', container['id'], 'cpuacct.usage'))
        assert container['cpu_usage_seconds'] == pytest.approx(usage / 1e9)
        assert container['pids_current'] == int(read(HYBRID_A, 'sys', 'fs', 'cgroup', 'pids', 'docker',
                                                     container['id'], 'pids.current'))
        lowest = container['pids'][0]
        assert '/docker/' + container['id'] in read(HYBRID_A, 'proc', str(lowest), 'cgroup')
        ns = read(HYBRID_A, 'proc', str(lowest), 'ns', 'net').strip()
        assert ns == 'net:[%d]' % container['namespaces']['net']
        assert 'pid_for_children' not in container['namespaces']
    assert not report.warnings


def test_v1_only_host(tmp_path):
    root = copy_tree(HYBRID_A, tmp_path, 'v1')
    path = os.path.join(root, 'proc', 'self', 'mountinfo')
    lines = [line for line in read(path).splitlines() if ' - cgroup2 ' not in line]
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')
    containers, _unused = collect(root)
    assert containers and all(c['cgroup_layout'] == 'v1' for c in containers)


def write(root, rel, content):
    path = os.path.join(root, rel)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, 'w') as handle:
        handle.write(content)


@pytest.fixture
def v2_tree(tmp_path):
    root = str(tmp_path / 'v2')
    write(root, 'proc/self/mountinfo',
          '25 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n')
    write(root, 'sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma misc\n')
    scope = 'sys/fs/cgroup/system.slice/docker-%s.scope/' % ID1
    write(root, scope + 'cgroup.procs', '4242\n4250\n')
    write(root, scope + 'memory.current', '10485760\n')
    write(root, scope + 'memory.max', '268435456\n')
    write(root, scope + 'memory.events', 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n')
    write(root, scope + 'cpu.stat', 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n')
    write(root, scope + 'pids.current', '3\n')
    pod = 'sys/fs/cgroup/machine.slice/libpod-%s.scope/container/' % ID2
    write(root, pod + 'cgroup.procs', '5000\n')
    write(root, 'sys/fs/cgroup/machine.slice/libpod-%s.scope/memory.max' % ID2, 'max\n')
    write(root, 'sys/fs/cgroup/machine.slice/libpod-%s.scope/cgroup.procs' % ID2, '')
    write(root, 'sys/fs/cgroup/system.slice/docker-%s.scope/cgroup.procs' % ('b' * 64), '')  # no visible pid
    for pid, net in ((4242, 4026532300), (5000, 4026532400)):
        write(root, 'proc/%d/ns/net' % pid, 'net:[%d]\n' % net)
        write(root, 'proc/%d/ns/pid_for_children' % pid, 'pid:[%d]\n' % (net + 1))
    return root


def test_v2_host_counters_and_nested_pids(v2_tree):
    containers, _unused = collect(v2_tree)
    by_id = dict((c['id'], c) for c in containers)
    assert sorted(by_id) == sorted([ID1, ID2])  # the container without a visible pid is left out
    docker = by_id[ID1]
    assert (docker['runtime'], docker['cgroup_layout'], docker['pids']) == ('docker', 'v2', [4242, 4250])
    assert (docker['memory_usage_bytes'], docker['memory_limit_bytes']) == (10485760, 268435456)
    assert (docker['memory_events_max'], docker['memory_events_oom_kill']) == (7, 1)
    assert docker['cpu_usage_seconds'] == pytest.approx(2.5)
    assert docker['pids_current'] == 3
    assert docker['namespaces'] == {'net': 4026532300}
    podman = by_id[ID2]
    assert (podman['runtime'], podman['pids'], podman['memory_limit_bytes']) == ('podman', [5000], None)


def test_no_cgroup_filesystem_gives_a_warning(tmp_path):
    root = str(tmp_path / 'none')
    write(root, 'proc/self/mountinfo', '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n')
    containers, report = collect(root)
    assert containers == [] and 'no cgroup filesystem' in report.warnings[0]


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
        write(root, 'proc/%d/stat' % pid, stat % (pid, comm, ppid, flags))
        write(root, 'proc/%d/cmdline' % pid, '\0'.join(argv) + ('\0' if argv else ''))
        write(root, 'proc/%d/cgroup' % pid, '0::/\n' if pid != 40 else '0::/system.slice/httpd.service\n')
    resolver = OwnerResolver(ProcFS(root))
    assert resolver.owner(11) == {'kind': 'docker', 'id': ID1, 'name': None}
    assert resolver.owner(21) == {'kind': 'sandbox', 'id': None, 'name': 'chrome'}
    assert resolver.owner(30) == {'kind': 'kernel', 'id': None, 'name': 'kworker/0:1'}
    assert resolver.owner(40) == {'kind': 'systemd', 'id': None, 'name': 'httpd.service'}
