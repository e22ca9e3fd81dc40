# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts stdout callback in real ansible runs: tables, changed results, query answers, hostile hosts.

The tables themselves are tested on captured facts in tests/unit/plugins/plugin_utils/test_hostfacts_tables.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import paths
from support.hostile import (
    ARGV0, COMM, SHOWN, check_environment, escaped, hostile_processes, lines_forged_by, terminal_controls,
)

CHECKOUT = paths.CHECKOUT


def run_ansible(module, args, tmp_path, **env):
    environ = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='hostops.fleet.hostfacts',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=collections_path(tmp_path))
    environ.update(env)
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    return subprocess.run([ansible, 'localhost', '-i', os.path.join(CHECKOUT, 'inventory', 'localhost.yml'),
                           '-m', module, '-a', args], env=environ, capture_output=True, cwd=CHECKOUT,
                          timeout=300, check=False)


def collections_path(tmp_path):
    """A collections path where hostops.fleet is this checkout (what the test conftest does for imports)."""
    root = tmp_path / 'collections'
    if not root.exists():
        (root / 'ansible_collections' / 'hostops').mkdir(parents=True)
        os.symlink(CHECKOUT, str(root / 'ansible_collections' / 'hostops' / 'fleet'))
    return str(root)


def out(proc):
    return proc.stdout.decode('utf-8', 'surrogateescape')


def test_real_ad_hoc_run_prints_tables(tmp_path):
    proc = run_ansible('hostops.fleet.hostfacts', 'gather_subset=memory,filesystems interval=0', tmp_path)
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    assert 'ok: [localhost]\n== localhost: hostfacts memory,filesystems' in out(proc)
    assert 'Mem:' in out(proc) and 'Mounted on' in out(proc)
    assert '"ansible_facts"' not in out(proc)


def test_the_short_name_prints_the_same_tables(tmp_path):
    proc = run_ansible('hostfacts', 'gather_subset=memory interval=0', tmp_path)
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    assert '== localhost: hostfacts memory' in out(proc) and 'Mem:' in out(proc)


def test_a_changed_result_shows_as_changed(tmp_path):
    prom = tmp_path / 'hostfacts.prom'
    proc = run_ansible('hostops.fleet.hostfacts', 'gather_subset=memory interval=0 output=prometheus '
                       'prometheus_path=%s' % prom, tmp_path)
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    assert prom.is_file()
    assert 'changed: [localhost]\n== localhost: hostfacts memory' in out(proc)
    assert 'ok: [localhost]' not in out(proc)
    assert 'changed=1' in out(proc)


def test_a_query_answer_is_printed(tmp_path):
    proc = run_ansible('hostops.fleet.hostfacts', "gather_subset=memory interval=0 "
                       "query='{total: memory.total, status: memory.status}'", tmp_path)
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    with open('/proc/meminfo') as meminfo:
        total = int(meminfo.readline().split()[1]) * 1024
    expected = ['ok: [localhost]', '== localhost: query {total: memory.total, status: memory.status}', '{',
                '  "status": "ok",', '  "total": %d' % total, '}']
    lines = out(proc).splitlines()
    start = lines.index('ok: [localhost]')
    if lines[start + 4] != expected[4]:  # memory.status may be warning or critical on a busy machine
        expected[3] = lines[start + 3]
    assert lines[start:start + 6] == expected


def test_a_query_of_a_subset_not_gathered_warns(tmp_path):
    proc = run_ansible('hostops.fleet.hostfacts', 'gather_subset=memory interval=0 query=processes.top_cpu[0].pid',
                       tmp_path)
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    assert '== localhost: query processes.top_cpu[0].pid\nnull' in out(proc)
    warning = ' '.join(proc.stderr.decode().split())
    assert '[WARNING]: query reads processes, not in the facts of this host (gather_subset: memory)' in warning


def test_other_modules_keep_the_default_output(tmp_path):
    proc = run_ansible('ansible.builtin.command', 'echo from-default-callback', tmp_path)
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    assert 'changed: [localhost]' in out(proc)
    assert '== localhost' not in out(proc)


@pytest.mark.skipif(check_environment() is not None, reason=str(check_environment()))
def test_hostile_processes_cannot_write_to_the_terminal(tmp_path):
    """argv with newlines and ESC sequences (exec -a), comm with ESC and a newline (prctl), through a real run."""
    with hostile_processes() as (named, spinning):
        proc = run_ansible('hostops.fleet.hostfacts', 'gather_subset=processes,namespaces interval=1', tmp_path,
                           HOSTOPS_HOSTFACTS_ROWS='1000')
    assert proc.returncode == 0, out(proc) + proc.stderr.decode()
    assert terminal_controls(proc.stdout) == []
    text = out(proc)
    lines = text.splitlines()
    assert lines_forged_by(text) == [] and sum(line.startswith('ALERTS') for line in lines) == 1
    # Each process is on one row of its table, every control character shown as an escape.
    lsns_rows = [line for line in lines if line.split()[3:4] == [str(named)]]
    assert len(lsns_rows) == 1 and escaped(ARGV0)[:SHOWN] in lsns_rows[0], lsns_rows
    ps_rows = [line for line in lines if line.split()[1:2] == [str(spinning)]]
    assert ps_rows and all(row.endswith('[%s]' % escaped(COMM.decode())) for row in ps_rows), ps_rows
