# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The processes collector on fixture trees captured from a Debian 12 host and a bookworm systemd container."""

from __future__ import annotations

import collections
import os
import shutil
import sys
import types

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors import processes as processes_module
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import psformat
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.pathtext import shown_path
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hostfacts_fixtures import TREES, fixture_procfs, load_json, options, ps_rows


def processes_of(tree, tmp_path, **overrides):
    procfs = fixture_procfs(tree, tmp_path)
    facts = gather(options(gather_subset=['processes'], **overrides), procfs=procfs)
    return facts['processes'], procfs


@pytest.mark.parametrize('tree', TREES)
def test_rows_match_ps_captured_at_the_same_moment(tree, tmp_path):
    facts, _unused = processes_of(tree, tmp_path)
    rows = dict((row['pid'], row) for row in facts['list'])
    ps, ps_args = ps_rows(tree)
    assert set(rows) == set(ps)
    # The capturing process was running while it read its own stat, and waiting for ps when ps ran.
    capturer = rows[load_json(tree, 'special.json')['odd']]['ppid']
    for pid, expected in ps.items():
        row = rows[pid]
        assert row['ppid'] == expected['ppid']
        # ps cuts user names at 8 characters with a '+'.
        assert row['user'].startswith(expected['user'].rstrip('+')), pid
        assert row['state'] == expected['stat'][0] or pid == capturer
        assert row['tty'] == expected['tty']
        assert row['args'] == ps_args[pid]
        # The files were copied a few milliseconds before ps ran: memory of a live process may move a little.
        assert abs(row['rss_kb'] - expected['rss']) <= max(256, expected['rss'] // 20), pid
        assert abs(row['vsz_kb'] - expected['vsz']) <= max(1024, expected['vsz'] // 20), pid


@pytest.mark.parametrize('tree', TREES)
def test_command_with_spaces_and_parentheses_is_parsed_whole(tree, tmp_path):
    special = load_json(tree, 'special.json')
    facts, _unused = processes_of(tree, tmp_path)
    row = [r for r in facts['list'] if r['pid'] == special['odd']][0]
    assert row['command'] == load_json(tree, 'tools.json')['odd_name']
    assert row['args'].endswith('odd (job) x 300')
    assert row['state'] == 'S'
    assert row['ppid'] > 0


@pytest.mark.parametrize('tree', TREES)
def test_zombie_is_counted_and_shown_defunct(tree, tmp_path):
    special = load_json(tree, 'special.json')
    facts, _unused = processes_of(tree, tmp_path)
    row = [r for r in facts['list'] if r['pid'] == special['zombie']][0]
    assert row['state'] == 'Z'
    assert row['args'].endswith('] <defunct>')
    assert row['rss_kb'] == 0
    assert facts['tasks']['zombie'] == 1
    states = [r['state'] for r in facts['list']]
    assert facts['tasks']['total'] == len(states)
    assert facts['tasks']['running'] == states.count('R')


def test_kernel_threads_show_bracketed_names(tmp_path):
    facts, _unused = processes_of('debian12-host', tmp_path)
    rows = dict((row['pid'], row) for row in facts['list'])
    assert rows[2]['command'] == '[kthreadd]'
    assert rows[2]['args'] == '[kthreadd]'
    assert rows[2]['user'] == 'root'
    assert rows[2]['ppid'] == 0
    kernel = [r for r in facts['list'] if r['ppid'] == 2]
    assert kernel and all(r['command'].startswith('[') and r['vsz_kb'] == 0 for r in kernel)
    assert facts['tasks']['idle'] == sum(1 for r in facts['list'] if r['state'] == 'I')


def test_container_pid_1_is_systemd(tmp_path):
    facts, _unused = processes_of('bookworm-container', tmp_path)
    rows = dict((row['pid'], row) for row in facts['list'])
    assert rows[1]['command'] == 'systemd'
    assert rows[1]['args'] == '/lib/systemd/systemd'
    assert rows[33]['user'] == 'messagebus'


def test_interval_zero_leaves_rates_out(tmp_path):
    facts, _unused = processes_of('bookworm-container', tmp_path, process_list='top')
    assert 'cpu' not in facts
    assert 'list' not in facts
    for row in facts['top_cpu'] + facts['top_memory']:
        assert 'cpu_pct' not in row
        assert row['cpu_pct_lifetime'] >= 0


def _rewrite_stat(root, pid, utime=None, starttime=None):
    """Change fields of a captured /proc/PID/stat (the comm may hold spaces: split after the last ')')."""
    path = os.path.join(root, 'proc', str(pid), 'stat')
    with open(path, 'rb') as handle:
        data = handle.read()
    close = data.rfind(b')')
    fields = data[close + 2:].split(b' ')
    if utime is not None:
        fields[11] = str(utime).encode()
    if starttime is not None:
        fields[19] = str(starttime).encode()
    with open(path, 'wb') as handle:
        handle.write(data[:close + 2] + b' '.join(fields))


def _stat_field(root, pid, index):
    with open(os.path.join(root, 'proc', str(pid), 'stat'), 'rb') as handle:
        data = handle.read()
    return int(data[data.rfind(b')') + 2:].split()[index])


def test_vanished_reused_and_busy_processes_over_an_interval(tmp_path):
    """Between the samples: one process exits, one pid is reused, one burns 0.5 s of CPU."""
    procfs = fixture_procfs('bookworm-container', tmp_path)
    root = procfs.root
    special = load_json('bookworm-container', 'special.json')
    hz = procfs.clock_ticks
    clock = [100.0]

    def fake_sleep(seconds):
        shutil.rmtree(os.path.join(root, 'proc', str(special['odd'])))
        _rewrite_stat(root, 23, starttime=_stat_field(root, 23, 19) + 5)
        _rewrite_stat(root, 34, utime=_stat_field(root, 34, 11) + hz // 2)
        clock[0] += 2.0

    facts = gather(options(gather_subset=['processes'], interval=2.0), procfs=procfs,
                   sleep=fake_sleep, monotonic=lambda: clock[0])['processes']
    rows = dict((row['pid'], row) for row in facts['list'])
    assert special['odd'] not in rows
    # The old pid 23 vanished too: a new process took its pid (new start time).
    assert facts['vanished'] == 2
    assert rows[34]['cpu_pct'] == 25.0
    assert rows[23]['cpu_pct'] == round(100.0 * rows[23]['cpu_time'] / 2.0, 1)
    assert rows[1]['cpu_pct'] == 0.0
    assert facts['top_cpu'][0]['pid'] == 34


def test_cpu_breakdown_over_the_interval(tmp_path):
    procfs = fixture_procfs('bookworm-container', tmp_path)
    path = os.path.join(procfs.root, 'proc', 'stat')
    with open(path) as handle:
        lines = handle.read().splitlines()
    first = [int(x) for x in lines[0].split()[1:]]

    def fake_sleep(seconds):
        # 60 ticks user, 20 system, 100 idle, 20 iowait: us 30 %, sy 10 %, id 50 %, wa 10 %.
        later = list(first)
        for index, delta in ((0, 60), (2, 20), (3, 100), (4, 20)):
            later[index] += delta
        with open(path, 'w') as handle:
            handle.write('\n'.join(['cpu  ' + ' '.join(str(x) for x in later)] + lines[1:]) + '\n')

    facts = gather(options(gather_subset=['processes'], interval=1.0, process_list='top'), procfs=procfs,
                   sleep=fake_sleep)['processes']
    assert facts['cpu'] == {'us': 30.0, 'sy': 10.0, 'ni': 0.0, 'id': 50.0, 'wa': 10.0,
                            'hi': 0.0, 'si': 0.0, 'st': 0.0}


def test_top_lists_are_ranked_and_bounded(tmp_path):
    facts, _unused = processes_of('debian12-host', tmp_path, top=3, process_list='top')
    assert len(facts['top_memory']) == 3
    rss = [row['rss_kb'] for row in facts['top_memory']]
    assert rss == sorted(rss, reverse=True)
    lifetime = [row['cpu_pct_lifetime'] for row in facts['top_cpu']]
    assert lifetime == sorted(lifetime, reverse=True)
    all_rows, _unused = processes_of('debian12-host', tmp_path / 'again')
    assert rss == sorted((r['rss_kb'] for r in all_rows['list']), reverse=True)[:3]


def test_cmdline_is_truncated_to_cmdline_length(tmp_path):
    facts, _unused = processes_of('bookworm-container', tmp_path, cmdline_length=12)
    rows = dict((row['pid'], row) for row in facts['list'])
    assert rows[33]['args'] == '/usr/bin/dbu'
    assert rows[33]['command'] == 'dbus-daemon'


def test_system_fields(tmp_path):
    facts, procfs = processes_of('debian12-host', tmp_path)
    assert facts['cpu_count'] == len(procfs.system_stat().per_cpu) > 0
    assert facts['threads'] >= facts['tasks']['total']
    assert set(facts['load']) == {'load1', 'load5', 'load15'}
    assert facts['uptime_seconds'] == round(procfs.uptime(), 2)
    assert facts['boot_time'] == psformat.iso_time(procfs.system_stat().btime)


class FakePsutil(object):
    """The psutil calls the no-/proc fallback makes, answered from fixed data: where there is no /proc the real
    psutil would describe the live machine (and on Linux, psutil read /etc/mtab and crashed on another job's
    mount with a non-UTF-8 name). Mount points are directories under the test's tmp_path, one of them with a
    name that is not UTF-8, decoded as psutil decodes file names (surrogateescape)."""

    CpuTimes = collections.namedtuple('CpuTimes', 'user nice system idle iowait irq softirq steal')
    Memory = collections.namedtuple('Memory', 'total available free buffers cached shared')
    Swap = collections.namedtuple('Swap', 'total free')
    Partition = collections.namedtuple('Partition', 'device mountpoint fstype opts')
    Times = collections.namedtuple('Times', 'user system')
    MemoryInfo = collections.namedtuple('MemoryInfo', 'rss vms')
    Uids = collections.namedtuple('Uids', 'real effective saved')
    BOOT = 1700000000.0
    LAUNCHER = 4299

    def __init__(self, mount_points):
        self.processes = [
            {'pid': 1, 'ppid': 0, 'name': 'init', 'cmdline': ['/sbin/init'], 'status': 'sleeping',
             'uids': self.Uids(0, 0, 0), 'username': 'root', 'cpu_times': self.Times(1.5, 0.5),
             'memory_info': self.MemoryInfo(8 << 20, 64 << 20), 'create_time': self.BOOT + 1, 'num_threads': 1,
             'terminal': None},
            {'pid': 4242, 'ppid': 1, 'name': 'odd (job) x', 'cmdline': ['odd (job) x', '--flag'], 'status': 'disk-sleep',
             'uids': self.Uids(1000, 1000, 1000), 'username': 'alice', 'cpu_times': self.Times(30.0, 10.0),
             'memory_info': self.MemoryInfo(512 << 20, 1 << 30), 'create_time': self.BOOT + 60, 'num_threads': 4,
             'terminal': 'pts/0'},
        ]
        self.partitions = [self.Partition('/dev/fake%d' % number, path, 'ext4', 'rw')
                           for number, path in enumerate(mount_points)]
        # This run: the module's own process under the shell Ansible starts to run it, both counted, not listed.
        own = {'pid': os.getpid(), 'ppid': self.LAUNCHER, 'name': 'python3',
               'cmdline': ['/usr/bin/python3', '/root/.ansible/tmp/ansible-tmp-1/AnsiballZ_hostfacts.py']}
        launcher = {'pid': self.LAUNCHER, 'ppid': 1, 'name': 'sh',
                    'cmdline': ['/bin/sh', '-c', '/usr/bin/python3 /root/.ansible/tmp/ansible-tmp-1/'
                                'AnsiballZ_hostfacts.py && sleep 0']}
        for info in (own, launcher):
            info.update(status='sleeping', uids=self.Uids(0, 0, 0), username='root', cpu_times=self.Times(0.1, 0.0),
                        memory_info=self.MemoryInfo(20 << 20, 40 << 20), create_time=self.BOOT + 90, num_threads=1,
                        terminal=None)
            self.processes.append(info)

    class Error(Exception):
        pass

    def Process(self, pid=None):  # pylint: disable=invalid-name
        info = next(info for info in self.processes if info['pid'] == (os.getpid() if pid is None else pid))
        return types.SimpleNamespace(ppid=lambda: info['ppid'], cmdline=lambda: list(info['cmdline']))

    def process_iter(self, attrs):
        for info in self.processes:
            yield types.SimpleNamespace(info=dict((name, info[name]) for name in attrs))

    def cpu_times(self):
        return self.CpuTimes(100.0, 0.0, 50.0, 1000.0, 5.0, 0.0, 1.0, 0.0)

    def virtual_memory(self):
        return self.Memory(8 << 30, 6 << 30, 4 << 30, 100 << 20, 1 << 30, 50 << 20)

    def swap_memory(self):
        return self.Swap(2 << 30, 2 << 30)

    def disk_partitions(self, all=False):
        return list(self.partitions)

    def boot_time(self):
        return self.BOOT

    def getloadavg(self):
        return (0.5, 0.25, 0.125)

    def cpu_count(self):
        return 4


def test_no_proc_uses_psutil(tmp_path, monkeypatch):
    # The host's root is a directory of tmp_path, with no proc/ in it; the mounts are below it.
    host = os.fsencode(str(tmp_path / 'host'))
    mounts = ['/', os.fsdecode(b'/mnt/caf\xe9')]
    os.makedirs(host + b'/mnt/caf\xe9')
    monkeypatch.setitem(sys.modules, 'psutil', FakePsutil(mounts))
    facts = gather(options(gather_subset=['processes', 'memory', 'filesystems'], process_list='full'),
                   procfs=ProcFS(os.fsdecode(host)))
    rows = dict((row['pid'], row) for row in facts['processes']['list'])
    # The module's own run is counted, not listed, as over /proc.
    assert sorted(rows) == [1, 4242]
    assert facts['processes']['tasks']['total'] == 4 and facts['processes']['tasks']['uninterruptible'] == 1
    assert (rows[4242]['state'], rows[4242]['user'], rows[4242]['args'], rows[4242]['cpu_time']) == (
        'D', 'alice', 'odd (job) x --flag', 40.0)
    assert facts['processes']['cpu_count'] == 4 and facts['processes']['threads'] == 7
    assert facts['memory']['total'] == 8 << 30
    listed = dict((mount['mount_point'], mount) for mount in facts['filesystems']['mounts'])
    # The name that is not UTF-8 is listed as findmnt shows it (caf\xe9), as when it comes from /proc.
    assert sorted(listed) == ['/', '/mnt/caf\\xe9'] == sorted(shown_path(path) for path in mounts)
    for path in mounts:
        # statvfs of the same directory, right after: a directory of tmp_path, whose filesystem's size is fixed.
        vfs = os.statvfs(host + os.fsencode(path))
        assert listed[shown_path(path)]['size'] == vfs.f_blocks * vfs.f_frsize


def test_no_proc_and_no_psutil_fails_naming_psutil(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'psutil', None)
    with pytest.raises(FleetError, match='psutil'):
        gather(options(gather_subset=['processes']), procfs=ProcFS(str(tmp_path)))


# ---------------------------------------------------------------- rss: statm, what ps shows


def _write_statm(root, pid, resident_pages):
    with open(os.path.join(root, 'proc', str(pid), 'statm'), 'w') as handle:
        handle.write('9000 %d 300 10 0 400 0\n' % resident_pages)


def test_rss_comes_from_statm_where_there_is_one(tmp_path):
    """The captured trees hold no statm (stat's rss stands in, as for a process whose statm vanished)."""
    procfs = fixture_procfs('bookworm-container', tmp_path)
    _write_statm(procfs.root, 33, 1234)
    rows = dict((row['pid'], row) for row in gather(options(gather_subset=['processes']), procfs=procfs)
                ['processes']['list'])
    assert rows[33]['rss_kb'] == 1234 * procfs.page_size // 1024
    assert rows[1]['rss_kb'] == _stat_field(procfs.root, 1, 21) * procfs.page_size // 1024


def test_the_memory_ranking_follows_statm_not_stat(tmp_path):
    """stat's rss says pid 1 is the largest; the exact size says pid 33 (within the error stat can have)."""
    procfs = fixture_procfs('bookworm-container', tmp_path)
    listed = gather(options(gather_subset=['processes']), procfs=procfs)['processes']['list']
    by_stat = sorted(listed, key=lambda row: -row['rss_kb'])
    largest, second = by_stat[0], by_stat[1]
    page_kb = procfs.page_size // 1024
    _write_statm(procfs.root, second['pid'], largest['rss_kb'] // page_kb + 8)
    top = gather(options(gather_subset=['processes'], process_list='top', top=1), procfs=procfs)['processes']
    assert [row['pid'] for row in top['top_memory']] == [second['pid']]
    assert top['top_memory'][0]['rss_kb'] == (largest['rss_kb'] // page_kb + 8) * page_kb


class _Stat(object):
    def __init__(self, pid, rss_pages):
        self.pid = pid
        self.rss_pages = rss_pages


class _Sample(object):
    def __init__(self, pid, rss_pages):
        self.stat = _Stat(pid, rss_pages)


def test_memory_candidates_keep_whatever_the_error_cannot_rule_out():
    samples = [_Sample(pid, rss) for pid, rss in enumerate([5000, 4000, 3000, 2900, 2700, 100, 2601])]
    # 2nd largest is 4000: with an error of 700 pages, anything from 2600 up could overtake it.
    kept = [s.stat.pid for s in processes_module.memory_candidates(samples, 2, 700)]
    assert kept == [0, 1, 2, 3, 4, 6]
    assert processes_module.memory_candidates(samples, 0, 700) == []
    assert len(processes_module.memory_candidates(samples[:1], 3, 700)) == 1


@pytest.mark.parametrize('cpus, pages', [(1, 96), (2, 192), (16, 1536), (64, 24576)])
def test_stat_rss_error_follows_the_percpu_counter_batch(cpus, pages):
    """3 counters x CPUs x max(32, 2 x CPUs) pages (lib/percpu_counter.c compute_batch_value)."""
    assert processes_module.stat_rss_error_pages(cpus) == pages


@pytest.mark.parametrize('tree', TREES)
def test_the_module_and_the_shell_ansible_ran_it_in_are_left_out_of_every_list(tree, tmp_path):
    """The tree's /proc/self made one of its processes, and that process's parent the `sh -c '... && sleep 0'`
    Ansible runs a module with: both leave the listing and the ranked lists, everything else stays, and the
    task counts are still the host's (top counts itself too)."""
    before, _unused = processes_of(tree, tmp_path / 'before', top=1000)
    procfs = fixture_procfs(tree, tmp_path / 'after')
    rows = dict((row['pid'], row) for row in before['list'])
    module = load_json(tree, 'special.json')['odd']
    shell = rows[module]['ppid']
    above = rows[shell]['ppid']
    shutil.copy(os.path.join(procfs.root, 'proc', str(module), 'stat'), os.path.join(procfs.root, 'proc', 'self', 'stat'))
    with open(os.path.join(procfs.root, 'proc', str(shell), 'cmdline'), 'wb') as handle:
        handle.write(b'/bin/sh\0-c\0/usr/bin/python3 /root/.ansible/tmp/ansible-tmp-1-2-3/AnsiballZ_hostfacts.py && '
                     b'sleep 0\0')
    after = gather(options(gather_subset=['processes'], top=1000), procfs=procfs)['processes']
    listed = set(row['pid'] for row in after['list'])
    assert listed == set(rows) - {module, shell}
    # The process that was there before the run stays (in the container the shell's parent is outside: pid 0).
    assert above in listed or above not in rows
    for key in ('top_cpu', 'top_memory'):
        ranked = [row['pid'] for row in after[key]]
        assert module not in ranked and shell not in ranked
        assert ranked == [row['pid'] for row in before[key] if row['pid'] not in (module, shell)]
    assert after['tasks'] == before['tasks']
