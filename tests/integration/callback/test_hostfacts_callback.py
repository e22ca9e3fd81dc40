# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts stdout callback: its tables on captured facts, and a real ansible run through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.hostops.fleet.plugins.callback import hostfacts as cb
from support import paths

FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')
CHECKOUT = paths.CHECKOUT


@pytest.fixture
def facts():
    with open(FIXTURE, encoding='utf-8') as stream:
        return json.load(stream)


def test_free_h_table(facts):
    lines = cb.render_memory(facts, 10)
    assert lines[0].split() == ['total', 'used', 'free', 'shared', 'buff/cache', 'available']
    mem = lines[1].split()
    assert mem[0] == 'Mem:' and mem[1] == cb.human_bytes(facts['memory']['total'])
    assert mem[6] == cb.human_bytes(facts['memory']['available'])
    assert lines[2].split()[0] == 'Swap:'


def test_df_h_table_has_every_mount_right_aligned(facts):
    lines = cb.render_filesystems(facts, 10)
    assert lines[0].split()[:3] == ['Filesystem', 'Type', 'Size']
    assert len(lines) == 1 + len(facts['filesystems']['mounts'])
    ends = set(len(line.split('  ' + line.split()[-1])[0]) for line in lines[1:])
    assert len(ends) == 1  # the numeric columns end at the same place on every line
    assert lines[1].split()[-1] == facts['filesystems']['mounts'][0]['mount_point']


def test_ps_aux_table_lists_top_cpu_in_order(facts):
    lines = cb.render_processes(facts, 3)
    header = lines[1].split()
    assert header == ['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']
    pids = [int(line.split()[1]) for line in lines[2:5]]
    assert pids == [p['pid'] for p in facts['processes']['top_cpu'][:3]]
    assert 'top memory' in lines[5]


def test_interval_zero_says_cpu_is_a_lifetime_average(facts):
    for row in facts['processes']['top_cpu']:
        row.pop('cpu_pct', None)
    assert 'ps lifetime average' in cb.render_processes(facts, 3)[0]


def test_lsns_table_lists_non_default_namespaces(facts):
    lines = cb.render_namespaces(facts, 50)
    non_default = [n for n in facts['namespaces']['namespaces'] if not n['default']]
    assert "%d not the host's" % len(non_default) in lines[0]
    assert lines[1].split()[:4] == ['NS', 'TYPE', 'NPROCS', 'PID']
    assert set(int(line.split()[0]) for line in lines[2:]) == set(n['inode'] for n in non_default)


def test_rows_option_bounds_tables(facts):
    lines = cb.render_namespaces(facts, 2)
    assert len(lines) == 1 + 1 + 2 + 1 and lines[-1].startswith('... and ')


def test_alerts_come_first_and_missing_subsets_are_left_out(facts):
    facts['alerts'] = [{'severity': 'critical', 'subset': 'memory', 'message': 'memory available 3 %'}]
    for subset in ('io', 'namespaces', 'containers'):
        del facts[subset]
    text = cb.render_hostfacts('web1', facts)
    assert text.splitlines()[0].startswith('== web1: hostfacts')
    assert text.splitlines()[1] == 'ALERTS'
    assert 'CRITICAL' in text.splitlines()[2] and 'memory available 3 %' in text
    assert 'iowait' not in text and 'namespaces:' not in text


def test_na_for_missing_values():
    assert cb.human_bytes(None) == 'n/a' and cb.fmt_num('x') == 'n/a'
    assert cb.render_memory({'memory': {'total': 1024}}, 10)[1].split()[2] == 'n/a'


def run_ansible(module, args, tmp_path):
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='hostops.fleet.hostfacts',
               ANSIBLE_NOCOLOR='1', ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=collections_path(tmp_path))
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    return subprocess.run([ansible, 'localhost', '-i', os.path.join(CHECKOUT, 'inventory', 'localhost.yml'),
                           '-m', module, '-a', args], env=env, capture_output=True, text=True, cwd=CHECKOUT,
                          timeout=300, check=False)


def collections_path(tmp_path):
    """A collections path where hostops.fleet is this checkout (what the test conftest does for imports)."""
    root = tmp_path / 'collections'
    (root / 'ansible_collections' / 'hostops').mkdir(parents=True)
    os.symlink(CHECKOUT, str(root / 'ansible_collections' / 'hostops' / 'fleet'))
    return str(root)


def test_real_ad_hoc_run_prints_tables(tmp_path):
    proc = run_ansible('hostops.fleet.hostfacts', 'gather_subset=memory,filesystems interval=0', tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '== localhost: hostfacts memory,filesystems' in proc.stdout
    assert 'Mem:' in proc.stdout and 'Mounted on' in proc.stdout
    assert '"ansible_facts"' not in proc.stdout


def test_the_short_name_prints_the_same_tables(tmp_path):
    proc = run_ansible('hostfacts', 'gather_subset=memory interval=0', tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '== localhost: hostfacts memory' in proc.stdout and 'Mem:' in proc.stdout


def test_other_modules_keep_the_default_output(tmp_path):
    proc = run_ansible('ansible.builtin.command', 'echo from-default-callback', tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'changed: [localhost]' in proc.stdout
    assert '== localhost' not in proc.stdout
