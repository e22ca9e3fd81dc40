# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Container cgroups (v1, v2, hybrid) and the owner of a process.

The hybrid tree is a real capture (see support/hybrid_host_fixtures.py); the v1 tree is that capture with the
empty cgroup2 mount taken out of mountinfo; the v2 tree is written by the test in the kernel's
documented file formats (cgroup-v2.rst), since no cgroup v2 host was at hand.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.containers import ContainersCollector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hybrid_host_fixtures import HYBRID_A, copy_tree, options, read
from support.trees import write_file

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


@pytest.fixture
def v2_tree(tmp_path):
    root = str(tmp_path / 'v2')
    write_file(root, 'proc/self/mountinfo',
               '25 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n')
    write_file(root, 'sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma misc\n')
    scope = 'sys/fs/cgroup/system.slice/docker-%s.scope/' % ID1
    write_file(root, scope + 'cgroup.procs', '4242\n4250\n')
    write_file(root, scope + 'memory.current', '10485760\n')
    write_file(root, scope + 'memory.max', '268435456\n')
    write_file(root, scope + 'memory.events', 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n')
    write_file(root, scope + 'cpu.stat', 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n')
    write_file(root, scope + 'pids.current', '3\n')
    pod = 'sys/fs/cgroup/machine.slice/libpod-%s.scope/container/' % ID2
    write_file(root, pod + 'cgroup.procs', '5000\n')
    write_file(root, 'sys/fs/cgroup/machine.slice/libpod-%s.scope/memory.max' % ID2, 'max\n')
    write_file(root, 'sys/fs/cgroup/machine.slice/libpod-%s.scope/cgroup.procs' % ID2, '')
    write_file(root, 'sys/fs/cgroup/system.slice/docker-%s.scope/cgroup.procs' % ('b' * 64), '')  # no visible pid
    for pid, net in ((4242, 4026532300), (5000, 4026532400)):
        write_file(root, 'proc/%d/ns/net' % pid, 'net:[%d]\n' % net)
        write_file(root, 'proc/%d/ns/pid_for_children' % pid, 'pid:[%d]\n' % (net + 1))
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
    write_file(root, 'proc/self/mountinfo', '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n')
    containers, report = collect(root)
    assert containers == [] and 'no cgroup filesystem' in report.warnings[0]
