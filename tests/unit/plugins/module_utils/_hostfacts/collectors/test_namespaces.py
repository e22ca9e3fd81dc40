# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The namespaces collector on trees captured from a real host (see support/hybrid_host_fixtures.py)."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors import namespaces as namespaces_module
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.namespaces import (
    NamespacesCollector, host_defaults, ns_link_target)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hybrid_host_fixtures import PINNED_NETNS, HYBRID_A, capture_pids, copy_tree, options, read


def collect(root):
    report = Report()
    procfs = ProcFS(root)
    return NamespacesCollector(procfs, options(), report).finish(None), report, procfs


def ns_links(root, pid):
    base = os.path.join(root, 'proc', str(pid), 'ns')
    if not os.path.isdir(base):
        return {}
    return dict(ns_link_target(read(base, name).strip()) for name in os.listdir(base)
                if not name.endswith('_for_children'))


def by_key(facts):
    return dict(((entry['type'], entry['inode']), entry) for entry in facts['namespaces'])


@pytest.fixture(scope='module')
def hybrid():
    return collect(HYBRID_A)


def test_every_namespace_of_every_process_is_listed_with_its_process_count(hybrid):
    facts = hybrid[0]
    expected = {}
    lowest = {}
    for name in os.listdir(os.path.join(HYBRID_A, 'proc')):
        if name.isdigit():
            for kind, inode in ns_links(HYBRID_A, int(name)).items():
                expected[(kind, inode)] = expected.get((kind, inode), 0) + 1
                lowest[(kind, inode)] = min(lowest.get((kind, inode), int(name)), int(name))
    found = by_key(facts)
    for key, count in expected.items():
        assert found[key]['nprocs'] == count
        assert found[key]['pid'] == lowest[key]
    assert sum(facts['counts'].values()) == len(facts['namespaces'])


def test_pid1_unreadable_falls_back_to_kthreadd_with_a_warning(hybrid):
    facts, report, _unused = hybrid
    assert not os.path.exists(os.path.join(HYBRID_A, 'proc', '1', 'ns'))
    assert facts['default_source'] == 'kthreadd'
    assert facts['default'] == ns_links(HYBRID_A, 2)
    assert [w for w in report.warnings if 'kthreadd (PID 2)' in w]


def test_readable_pid1_gives_the_defaults_without_warning(tmp_path):
    root = copy_tree(HYBRID_A, tmp_path, 'pid1')
    os.makedirs(os.path.join(root, 'proc', '1', 'ns'))
    for kind, inode in ns_links(root, 2).items():
        with open(os.path.join(root, 'proc', '1', 'ns', kind), 'w') as handle:
            handle.write('%s:[%d]\n' % (kind, inode))
    facts, report, _unused = collect(root)
    assert facts['default_source'] == 'pid1'
    assert not report.warnings
    assert all(entry['default'] == (facts['default'][entry['type']] == entry['inode'])
               for entry in facts['namespaces'])


def clear_kthread_flag(root, pid):
    """PID's stat without PF_KTHREAD in its flags, as for PID 2 inside a container's pid namespace."""
    stat_path = os.path.join(root, 'proc', str(pid), 'stat')
    fields = read(stat_path).split(' ')
    fields[8] = '0'
    with open(stat_path, 'w') as handle:
        handle.write(' '.join(fields))


def test_without_pid1_and_kthreadd_the_module_own_namespaces_are_the_defaults(tmp_path):
    root = copy_tree(HYBRID_A, tmp_path, 'nokthread')
    clear_kthread_flag(root, 2)
    facts, report, _unused = collect(root)
    assert facts['default_source'] == 'self'
    assert facts['default'] == ns_links(root, 'self')
    assert [w for w in report.warnings if 'the module itself' in w]


def test_inside_a_pid_namespace_without_kthreadd_pid1_is_a_containers_init_and_a_warning_says_so(tmp_path):
    """Issue 25, class 8: under docker exec or nsenter, PID 1 is readable but it is the container's init; its
    namespaces are not the host's, so they are not owned by the host, and a warning says the host is not seen."""
    root = copy_tree(HYBRID_A, tmp_path, 'inside')
    os.makedirs(os.path.join(root, 'proc', '1', 'ns'))
    for kind, inode in ns_links(root, 'self').items():
        with open(os.path.join(root, 'proc', '1', 'ns', kind), 'w') as handle:
            handle.write('%s:[%d]\n' % (kind, inode))
    clear_kthread_flag(root, 2)
    facts, report, _unused = collect(root)
    assert facts['default_source'] == 'container'
    assert facts['default'] == ns_links(root, 'self')
    assert [w for w in report.warnings if "not the host's" in w and 'cannot be seen' in w]
    assert all(entry['owner']['kind'] != 'host' for entry in facts['namespaces'])


def test_netns_pinned_only_by_ip_netns_add_is_listed_with_its_name(hybrid):
    facts = hybrid[0]
    line = [l for l in read(HYBRID_A, 'proc', 'self', 'mountinfo').splitlines() if '/run/netns/' + PINNED_NETNS in l][0]
    inode = int(re.search(r'net:\[(\d+)\]', line).group(1))
    entry = by_key(facts)[('net', inode)]
    assert entry['nprocs'] == 0 and entry['pid'] is None and not entry['default']
    assert {'kind': 'netns_name', 'path': '/run/netns/' + PINNED_NETNS, 'name': PINNED_NETNS} in entry['pinned_by']
    assert [row for row in facts['non_default'] if 'ip netns ' + PINNED_NETNS in row and row.lstrip().startswith('--')]


def test_netns_held_only_by_an_open_fd_is_listed_with_its_holder(hybrid):
    facts = hybrid[0]
    holder = capture_pids()['HOLDER']
    fd_dir = os.path.join(HYBRID_A, 'proc', str(holder), 'fd')
    held = [ns_link_target(read(fd_dir, fd).strip()) for fd in os.listdir(fd_dir) if 'net:[' in read(fd_dir, fd)]
    assert len(held) == 1
    entry = by_key(facts)[held[0]]
    assert entry['nprocs'] == 0
    assert [pin for pin in entry['pinned_by'] if pin['kind'] == 'fd' and pin['pid'] == holder]
    assert entry['command'] and 'python' in entry['command']


def test_unshared_process_owns_its_own_net_and_uts_namespaces(hybrid):
    facts = hybrid[0]
    pid = capture_pids()['UNS']
    links = ns_links(HYBRID_A, pid)
    for kind in ('net', 'uts'):
        entry = by_key(facts)[(kind, links[kind])]
        assert (entry['pid'], entry['nprocs'], entry['default']) == (pid, 1, False)
        assert entry['command'] == 'sleep 600'
        assert entry['owner']['kind'] == 'unknown'
    assert by_key(facts)[('mnt', links['mnt'])]['default']


def test_container_namespaces_are_linked_to_the_docker_id_in_the_cgroup_of_their_process(hybrid):
    facts = hybrid[0]
    docker = [e for e in facts['namespaces'] if e['owner']['kind'] == 'docker']
    assert len(docker) >= 4
    for entry in docker:
        assert not entry['default']
        holder = entry['pid'] if entry['pid'] is not None else entry['pinned_by'][0]['pid']
        assert '/docker/' + entry['owner']['id'] in read(HYBRID_A, 'proc', str(holder), 'cgroup')


def test_kernel_thread_namespace_is_shown_as_kernel(hybrid):
    entry = [e for e in hybrid[0]['namespaces'] if e['command'] == 'kdevtmpfs'][0]
    assert entry['type'] == 'mnt' and entry['owner'] == {'kind': 'kernel', 'id': None, 'name': 'kdevtmpfs'}


def test_a_process_gone_between_listing_and_reading_is_skipped(tmp_path):
    root = copy_tree(HYBRID_A, tmp_path, 'vanished')
    pid = capture_pids()['UNS']
    links = ns_links(root, pid)
    for name in os.listdir(os.path.join(root, 'proc', str(pid), 'ns')):
        os.remove(os.path.join(root, 'proc', str(pid), 'ns', name))
    facts, _unused, procfs = collect(root)
    assert ('uts', links['uts']) not in by_key(facts)
    assert procfs.gone >= 1


@pytest.mark.parametrize('target, expected', [
    ('net:[4026531833]', ('net', 4026531833)),
    ('pipe:[2934]', ('pipe', 2934)),
    ('/var/tmp/file', None),
    ('anon_inode:[eventfd]', None),
])
def test_ns_link_target(target, expected):
    assert ns_link_target(target) == expected


def test_a_namespace_held_by_a_high_descriptor_is_found(tmp_path):
    """Every descriptor is looked at: a netns held by descriptor 150 of the holder (a copy of its fd 3)."""
    root = copy_tree(HYBRID_A, tmp_path, 'highfd')
    holder = capture_pids()['HOLDER']
    fd_dir = os.path.join(root, 'proc', str(holder), 'fd')
    low = [fd for fd in os.listdir(fd_dir) if 'net:[' in read(fd_dir, fd)][0]
    os.rename(os.path.join(fd_dir, low), os.path.join(fd_dir, '150'))
    facts, report, _unused = collect(root)
    held = ns_link_target(read(fd_dir, '150').strip())
    assert [pin for pin in by_key(facts)[held]['pinned_by'] if pin['path'] == '/proc/%d/fd/150' % holder]
    assert not [w for w in report.warnings if 'descriptors' in w]


def test_the_descriptor_scan_stops_at_the_deadline_and_says_so(monkeypatch):
    monkeypatch.setattr(namespaces_module, 'SCAN_GRACE', 0.0)
    report = Report()
    procfs = ProcFS(HYBRID_A)
    procfs.deadline_runner(1.0).deadline = 0.0  # the run's deadline passed long ago
    NamespacesCollector(procfs, options(), report).finish(None)
    cut = [w for w in report.warnings if 'descriptors' in w]
    assert len(cut) == 1 and cut[0].startswith('namespaces: the scan of open descriptors stopped at the 5 s timeout '
                                               'after 0 of ')


class DeniedProcFS(ProcFS):
    """PID 1 and kthreadd refuse their ns links, as the kernel refuses them to an unprivileged user."""

    as_root = False

    @property
    def privileged(self):
        return self.as_root

    def pid_namespaces(self, pid, types=None):
        if pid in (1, 2):
            self.count_denied('ns')
            return None
        return super(DeniedProcFS, self).pid_namespaces(pid, types)


def test_refused_for_want_of_privileges_the_become_warning_is_the_only_one():
    procfs = DeniedProcFS(HYBRID_A)
    defaults, source, warning = host_defaults(procfs, procfs.namespace_types())
    assert (source, warning) == ('self', None)
    assert defaults == ns_links(HYBRID_A, 'self')
    assert procfs.denied['ns'] == 2  # they join the one warning to use become


def test_refused_to_root_the_warning_names_kthreadd_and_says_nothing_false():
    procfs = DeniedProcFS(HYBRID_A)
    procfs.as_root = True
    _defaults, source, warning = host_defaults(procfs, procfs.namespace_types())
    assert source == 'self'
    assert 'nor those of kthreadd (PID 2)' in warning and 'no kernel thread' not in warning
