# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts module end to end: a real module process, arguments on stdin as Ansible sends them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import ansible_collections.hostops.fleet.plugins as collection_plugins

# The sys.path entry that holds ansible_collections/hostops/fleet (tests/conftest.py sets it up).
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(list(collection_plugins.__path__)[0]))))


def run_module(**args):
    """Run the module the way AnsiballZ does in the end: JSON arguments on stdin, JSON result on stdout."""
    env = dict(os.environ, PYTHONPATH=COLLECTION_ROOT)
    result = subprocess.run(
        [sys.executable, '-m', 'ansible_collections.hostops.fleet.plugins.modules.hostfacts'],
        input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, env=env, cwd='/', check=False)
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_default_subsets_on_this_host():
    result = run_module(gather_subset=['processes', 'memory', 'filesystems'], interval=0.2, top=3)
    assert result['changed'] is False
    facts = result['ansible_facts']['hostfacts']
    assert facts['gather_subset'] == ['processes', 'memory', 'filesystems']
    processes = facts['processes']
    assert len(processes['top_cpu']) == 3 and len(processes['top_memory']) == 3
    assert 'list' not in processes
    assert set(processes['cpu']) == {'us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st'}
    assert 99.0 <= sum(processes['cpu'].values()) <= 101.0
    assert all('cpu_pct' in row for row in processes['top_cpu'])
    with open('/proc/meminfo') as handle:
        total = int(handle.readline().split()[1]) * 1024
    assert facts['memory']['total'] == total
    assert any(m['mount_point'] == '/' and m['size'] > 0 for m in facts['filesystems']['mounts'])


def test_min_in_check_mode_with_full_list():
    result = run_module(gather_subset=['min', 'processes'], interval=0, process_list='full', _ansible_check_mode=True)
    facts = result['ansible_facts']['hostfacts']
    assert facts['gather_subset'] == ['system', 'processes', 'memory', 'filesystems']
    assert facts['system']['hostname'] and facts['system']['kernel']['release']
    pids = [row['pid'] for row in facts['processes']['list']]
    assert 1 in pids
    assert 'cpu' not in facts['processes']


@pytest.mark.parametrize('args, words', [
    (dict(interval=-1), ['interval must be a number from 0 to 60 seconds']),
    (dict(top=-1), ['top']),
    (dict(gather_subset=['memory', 'nonsense']), ['gather_subset', 'nonsense', 'valid subsets are']),
    (dict(du_paths=['relative/path']), ['du_paths', 'absolute']),
    (dict(top='many'), ['top']),
    (dict(interval='soon'), ['interval']),
    (dict(process_list='some'), ['process_list']),
    (dict(thresholds=dict(memory_available_pct=150)), ['thresholds.memory_available_pct']),
    # Non-finite and huge numbers, as Ansible hands them over from YAML or key=value strings.
    (dict(interval='inf'), ['interval must be a number from 0 to 60 seconds, got inf']),
    (dict(interval='nan'), ['interval must be a number from 0 to 60 seconds, got nan']),
    (dict(interval=3600), ['interval must be a number from 0 to 60 seconds, got 3600']),
    (dict(samples=10 ** 6), ['samples must be an integer from 1 to 20']),
    (dict(timeout='1e300'), ['timeout must be a number more than 0 and at most 600 seconds, got 1e+300']),
    (dict(timeout='inf', du_paths=['/tmp']), ['timeout must be a number more than 0']),
    (dict(timeout='nan'), ['timeout must be a number more than 0']),
    (dict(timeout=-1), ['timeout must be a number more than 0 and at most 600 seconds, got -1']),
    (dict(top=10 ** 30), ['top must be an integer from 0 to 1000']),
    (dict(cmdline_length=2 ** 63), ['cmdline_length must be an integer from 0 to 131072']),
    (dict(query='memory.available_pct'), ['query: the query is evaluated on the controller',
                                          'hostops.fleet.hostfacts action plugin']),
])
def test_bad_input_fails_cleanly_naming_the_option(args, words):
    result = run_module(**args)
    assert result['failed'] is True
    assert 'Traceback' not in result['msg'] and 'OverflowError' not in result['msg']
    for word in words:
        assert word in result['msg']


def test_not_all_keeps_min_as_setup_does():
    facts = run_module(gather_subset=['!all'], interval=0)['ansible_facts']['hostfacts']
    assert facts['gather_subset'] == ['system', 'memory', 'filesystems']
    assert facts['memory']['total'] > 0


def test_the_defaults_sample_every_subset_for_one_second_with_the_rates_of_top_and_iostat():
    """interval 1 by default: who is busy now, not since boot (docs/hostfacts.md, the defaults)."""
    facts = run_module()['ansible_facts']['hostfacts']
    assert facts['gather_subset'] == ['system', 'processes', 'memory', 'filesystems', 'namespaces', 'io',
                                      'containers']
    assert facts['interval'] == 1.0
    cpu = facts['processes']['cpu']
    assert abs(sum(cpu[key] for key in ('us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st')) - 100) < 1
    assert facts['io']['iowait_pct'] >= 0 and 0.9 <= facts['io']['seconds'] <= 1.5
    assert facts['processes']['top_cpu'] and all('cpu_pct' in row for row in facts['processes']['top_cpu'])
    assert all('util_pct' in disk for disk in facts['io']['disks'] if disk['kind'] == 'disk')
    assert all('write_bytes_s' in p and 'read_bytes_s' in p for p in facts['io']['top_writers'] + facts['io']['top_readers'])


def test_interval_zero_takes_one_snapshot_without_faked_rates():
    facts = run_module(interval=0)['ansible_facts']['hostfacts']
    assert facts['interval'] == 0.0
    assert 'cpu' not in facts['processes'] and 'iowait_pct' not in facts['io']
    assert all('cpu_pct' not in row for row in facts['processes']['top_cpu'])


@pytest.mark.parametrize('interval', [0, 0.3])
def test_the_module_process_is_not_in_its_own_lists(interval):
    """Run as `python -m ...modules.hostfacts`: that process is the run, the test's Python above it is not."""
    facts = run_module(gather_subset=['processes', 'io'], interval=interval, process_list='full',
                       top=1000)['ansible_facts']['hostfacts']
    rows = facts['processes']['list']
    # Only this test's own child: another job on the machine may run the module at the same moment, and that
    # run is not this one (its own list leaves it out, this one lists it).
    assert [row['pid'] for row in rows if row['ppid'] == os.getpid() and 'plugins.modules.hostfacts' in row['args']] == []
    assert os.getpid() in [row['pid'] for row in rows]
    others = set(row['pid'] for row in rows if 'plugins.modules.hostfacts' in row['args'])
    for key in ('top_cpu', 'top_memory'):
        assert all(row['pid'] in others for row in facts['processes'][key] if 'plugins.modules.hostfacts' in row['args'])
    io = facts['io']['top_readers'] + facts['io']['top_writers']
    assert all(p['pid'] in others for p in io if 'plugins.modules.hostfacts' in (p['command'] or ''))


def test_top_zero_empties_every_ranked_list_on_this_host():
    facts = run_module(gather_subset=['processes', 'io'], interval=0.2, top=0)['ansible_facts']['hostfacts']
    assert facts['processes']['top_cpu'] == facts['processes']['top_memory'] == []
    assert facts['io']['top_readers'] == facts['io']['top_writers'] == []
