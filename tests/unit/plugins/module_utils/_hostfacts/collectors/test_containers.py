# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Container cgroups (v1, v2, hybrid) and the owner of a process.

The hybrid tree is a real capture (see support/hybrid_host_fixtures.py); the v1 tree is that capture with the
empty cgroup2 mount taken out of mountinfo; the v2 tree is written by the test in the kernel's
documented file formats (cgroup-v2.rst for the cgroup files, proc(5) for /proc/PID/cgroup and stat),
since no cgroup v2 host was at hand. Containers are found from the processes' /proc/PID/cgroup; the
capture's cgroup.procs files are the independent record of which process is in which container.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.containers import (
    ContainersCollector, containers_above, mount_relative)
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
        listed = []
        for directory, _subdirs, files in os.walk(base):  # the kernel's own list, nested cgroups included
            if 'cgroup.procs' in files:
                listed.extend(int(pid) for pid in read(directory, 'cgroup.procs').split())
        assert container['pids'] == sorted(set(listed)) and container['nprocs'] == len(set(listed))
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
    for pid, state, threads, cgroup in (
            (1, 'S', 1, '/init.scope'),
            (4242, 'S', 1, '/system.slice/docker-%s.scope' % ID1),
            (4250, 'S', 4, '/system.slice/docker-%s.scope' % ID1),
            (4251, 'Z', 1, '/system.slice/docker-%s.scope' % ID1),  # exited, not reaped: not in cgroup.procs
            (4252, 'Z', 3, '/system.slice/docker-%s.scope' % ID1),  # its leader exited, threads run: listed
            (5000, 'S', 1, '/machine.slice/libpod-%s.scope/container' % ID2),
            (5001, 'S', 1, '/machine.slice/libpod-%s.scope/container (deleted)' % ID2)):
        write_file(root, 'proc/%d/cgroup' % pid, '0::%s\n' % cgroup)
        write_file(root, 'proc/%d/stat' % pid, _stat_line(pid, state, threads))
    return root


def _stat_line(pid, state, threads):
    """A /proc/PID/stat line (proc(5)): state is field 3, num_threads field 20."""
    fields = ['0'] * 49
    fields[0], fields[1], fields[2], fields[19] = str(pid), '(sleep)', state, str(threads)
    return ' '.join(fields) + '\n'


def test_v2_host_counters_and_nested_pids(v2_tree):
    containers, _unused = collect(v2_tree)
    by_id = dict((c['id'], c) for c in containers)
    assert sorted(by_id) == sorted([ID1, ID2])  # the container without a visible pid is left out
    docker = by_id[ID1]
    assert (docker['runtime'], docker['cgroup_layout'], docker['pids']) == ('docker', 'v2', [4242, 4250, 4252])
    assert (docker['memory_usage_bytes'], docker['memory_limit_bytes']) == (10485760, 268435456)
    assert (docker['memory_events_max'], docker['memory_events_oom_kill']) == (7, 1)
    assert docker['cpu_usage_seconds'] == pytest.approx(2.5)
    assert (docker['pids_current'], docker['nprocs']) == (3, 3)
    assert docker['namespaces'] == {'net': 4026532300}
    podman = by_id[ID2]
    assert (podman['runtime'], podman['pids'], podman['memory_limit_bytes']) == ('podman', [5000], None)


def test_no_cgroup_filesystem_gives_a_warning(tmp_path):
    root = str(tmp_path / 'none')
    write_file(root, 'proc/self/mountinfo', '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n')
    containers, report = collect(root)
    assert containers == [] and 'no cgroup filesystem' in report.warnings[0]


def test_a_mount_of_a_subtree_shows_paths_below_its_root(v2_tree):
    """A cgroup mount whose root is a container's cgroup (a container without its own cgroup namespace, given
    its cgroup only) shows that container's nested cgroups, not the container itself, as a walk of it would."""
    mountinfo = os.path.join(v2_tree, 'proc', 'self', 'mountinfo')
    with open(mountinfo, 'w') as handle:
        handle.write('25 1 0:22 /machine.slice /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n')
    containers, _unused = collect(v2_tree)
    assert [(c['id'], c['cgroup_path']) for c in containers] == [(ID2, '/libpod-%s.scope' % ID2)]


@pytest.mark.parametrize('path, root, expected', [
    ('/docker/abc', '/', '/docker/abc'),
    ('/docker/abc/init.scope', '/docker/abc', '/init.scope'),
    ('/docker/abc', '/docker/abc', ''),
    ('/docker/abcd', '/docker/abc', None),
    ('/user.slice', '/docker/abc', None),
])
def test_mount_relative(path, root, expected):
    assert mount_relative(path, root) == expected


@pytest.mark.parametrize('rel_path, expected', [
    ('/system.slice/docker-%s.scope/system.slice/cron.service' % ID1, [('/system.slice/docker-%s.scope' % ID1, 'docker', ID1)]),
    ('/docker/%s/docker/%s' % (ID1, ID2), [('/docker/%s' % ID1, 'docker', ID1), ('/docker/%s/docker/%s' % (ID1, ID2), 'docker', ID2)]),
    ('/kubepods/burstable/pod1/%s' % ID2, [('/kubepods/burstable/pod1/%s' % ID2, 'containerd', ID2)]),
    ('/lxc.payload.web1/system.slice/cron.service', [('/lxc.payload.web1', 'lxc', 'web1')]),
    ('/lxc/101/ns/init.scope', [('/lxc/101', 'lxc', '101')]),
    ('/lxc.monitor.web1', []),
    ('/system.slice/cron.service', []),
    ('', []),
    # found down to the 8th level, holding processes down to 7 levels below it (the depth a walk would reach)
    ('/a/b/c/d/e/f/g/docker-%s.scope' % ID1, [('/a/b/c/d/e/f/g/docker-%s.scope' % ID1, 'docker', ID1)]),
    ('/a/b/c/d/e/f/g/h/docker-%s.scope' % ID1, []),
    ('/docker/%s/1/2/3/4/5/6/7' % ID1, [('/docker/%s' % ID1, 'docker', ID1)]),
    ('/docker/%s/1/2/3/4/5/6/7/8' % ID1, []),
])
def test_containers_above(rel_path, expected):
    assert containers_above(rel_path) == expected
