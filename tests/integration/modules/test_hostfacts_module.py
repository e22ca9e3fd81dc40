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
    assert facts['gather_subset'] == ['processes', 'memory', 'filesystems']
    pids = [row['pid'] for row in facts['processes']['list']]
    assert 1 in pids
    assert 'cpu' not in facts['processes']


@pytest.mark.parametrize('args, words', [
    (dict(interval=-1), ['interval', '0 or more']),
    (dict(top=-1), ['top']),
    (dict(gather_subset=['memory', 'nonsense']), ['gather_subset', 'nonsense', 'valid subsets are']),
    (dict(du_paths=['relative/path']), ['du_paths', 'absolute']),
    (dict(top='many'), ['top']),
    (dict(interval='soon'), ['interval']),
    (dict(process_list='some'), ['process_list']),
    (dict(thresholds=dict(memory_available_pct=150)), ['thresholds.memory_available_pct']),
])
def test_bad_input_fails_cleanly_naming_the_option(args, words):
    result = run_module(**args)
    assert result['failed'] is True
    assert 'Traceback' not in result['msg']
    for word in words:
        assert word in result['msg']
