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


def run_as_the_readme_says(module, tmp_path, *args):
    """`ansible localhost -m module [-a args]` with nothing but the repository's ansible.cfg: no callback variables."""
    environ = dict((key, value) for key, value in os.environ.items()
                   if key not in ('ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_LOAD_CALLBACK_PLUGINS', 'ANSIBLE_CALLBACKS_ENABLED'))
    environ.update(ANSIBLE_NOCOLOR='1', ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=collections_path(tmp_path))
    ansible = os.path.join(os.path.dirname(sys.executable), 'ansible')
    return subprocess.run([ansible, 'localhost', '-m', module] + list(args) + ['-e', 'ansible_python_interpreter=/usr/bin/python3'],
                          env=environ, capture_output=True, cwd=CHECKOUT, timeout=300, check=False)


def test_the_readmes_first_command_prints_filled_cpu_and_io_tables(tmp_path):
    """`ansible localhost -m hostops.fleet.hostfacts` with the defaults: the tables, not YAML, with the rates of
    top and iostat -x 1 (the default interval samples), not n/a."""
    proc = run_as_the_readme_says('hostops.fleet.hostfacts', tmp_path)
    text = out(proc)
    assert proc.returncode == 0, text + proc.stderr.decode()
    assert 'ok: [localhost]\n== localhost: hostfacts system,processes,memory,filesystems,namespaces,io,containers, ' \
        'interval 1.0 s' in text
    assert 'ansible_facts' not in text
    cpu = [line for line in text.splitlines() if line.startswith('%Cpu(s): ')]
    assert len(cpu) == 1 and 'n/a' not in cpu[0]
    assert 'top CPU, by %CPU over the 1.0 s interval, as top:' in text
    assert 'top memory, by RSS; %CPU over the 1.0 s interval, as top:' in text
    lines = text.splitlines()
    iowait = [line for line in lines if line.startswith('iowait ')]
    assert iowait and 'n/a' not in iowait[0]
    header = lines.index([line for line in lines if line.startswith('Device ')][0])
    assert lines[header].split()[-1] == '%util'
    disks = []
    for line in lines[header + 1:]:
        if not line or not line[0].isalnum() or line.startswith('top I/O'):
            break
        disks.append(line.split())
    assert disks and all('n/a' not in row for row in disks), disks


def test_the_short_name_is_not_a_second_way_to_call_the_module(tmp_path):
    """The repository's ansible.cfg has no library or action_plugins: the module is called by its full name."""
    proc = run_as_the_readme_says('hostfacts', tmp_path)
    assert proc.returncode != 0
    assert "couldn't resolve module/action 'hostfacts'" in out(proc) + proc.stderr.decode() or \
        "Cannot resolve 'hostfacts' to an action or module" in out(proc) + proc.stderr.decode()


def test_other_modules_ad_hoc_show_their_result_whole(tmp_path):
    """Ad hoc, the default callback alone would print `changed: [localhost]` and hide the output asked for."""
    proc = run_as_the_readme_says('ansible.builtin.command', tmp_path, '-a', 'echo from-the-repository-config')
    text = out(proc)
    assert proc.returncode == 0, text + proc.stderr.decode()
    assert 'changed: [localhost] => ' in text
    assert "stdout: from-the-repository-config" in text


def test_playbook_runs_with_the_repository_config_print_as_the_default_callback(tmp_path):
    """ansible-playbook reads the same ansible.cfg: a play of other modules prints what the default callback
    prints (no result data without -v, except debug's), and a hostfacts task in it prints its tables."""
    playbook = tmp_path / 'play.yml'
    playbook.write_text(
        '- hosts: localhost\n  gather_facts: false\n  tasks:\n'
        '    - ansible.builtin.command: echo hidden-without-v\n'
        '    - ansible.builtin.debug:\n        msg: shown-by-debug\n'
        '    - hostops.fleet.hostfacts:\n        gather_subset: memory\n')
    environ = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=collections_path(tmp_path))
    for key in ('ANSIBLE_STDOUT_CALLBACK', 'ANSIBLE_LOAD_CALLBACK_PLUGINS'):
        environ.pop(key, None)
    playbook_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    proc = subprocess.run([playbook_bin, str(playbook), '-e', 'ansible_python_interpreter=/usr/bin/python3'],
                          env=environ, capture_output=True, cwd=CHECKOUT, timeout=300, check=False)
    text = out(proc)
    assert proc.returncode == 0, text + proc.stderr.decode()
    assert 'changed: [localhost]\n' in text and 'hidden-without-v' not in text
    assert 'ok: [localhost] => \n    msg: shown-by-debug' in text
    assert 'ok: [localhost]\n== localhost: hostfacts memory, interval 0.0 s' in text and 'Mem:' in text
    assert 'localhost                  : ok=3    changed=1' in text


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
