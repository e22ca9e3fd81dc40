# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JMESPath queries over hostfacts: on facts from the fixture trees, and end to end through real `ansible`.

The end-to-end tests run the action plugin by the full name (the one way to call the module: the
repository's ansible.cfg has no library or action_plugins), the module alone (a library path and no
action plugin), a target Python
that has no jmespath (/usr/bin/python3 of Debian 12 without python3-jmespath), and a controller
Python that cannot import it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS
from ansible_collections.hostops.fleet.plugins.plugin_utils._query import compile_query, search

from support.adhoc import CHECKOUT, run_adhoc
from support.hostfacts_fixtures import fixture_procfs, options
from support.hybrid_host_fixtures import HYBRID_A, capture_pids, read

BARE_PYTHON = '/usr/bin/python3'


def meminfo_kb(root, field):
    for line in read(root, 'proc', 'meminfo').splitlines():
        if line.startswith(field + ':'):
            return int(line.split()[1])
    raise AssertionError('%s not in meminfo' % field)


# ---------------------------------------------------------------- real facts from the fixture trees


def test_query_on_debian12_fixture_facts(tmp_path):
    procfs = fixture_procfs('debian12-host', tmp_path)
    facts = gather(options(), procfs=procfs)
    root = procfs.root
    assert search(compile_query('memory.total'), facts) == meminfo_kb(root, 'MemTotal') * 1024
    # Zombies, read independently from the stat files of the tree.
    zombies = sorted(int(pid) for pid in os.listdir(os.path.join(root, 'proc')) if pid.isdigit()
                     and read(root, 'proc', pid, 'stat').rsplit(')', 1)[1].split()[0] == 'Z')
    assert zombies
    assert sorted(search(compile_query("processes.list[?state == 'Z'].pid"), facts)) == zombies
    projected = search(compile_query('processes.list[?pid == `1`].{pid: pid, cmd: command}'), facts)
    assert projected == [{'pid': 1, 'cmd': read(root, 'proc', '1', 'comm').strip()}]


def test_query_finds_the_fd_held_netns_of_the_hybrid_host_tree():
    facts = gather(options(gather_subset=['namespaces']), procfs=ProcFS(HYBRID_A))
    holder = capture_pids()['HOLDER']
    held = read(HYBRID_A, 'proc', str(holder), 'fd', '3').strip()
    assert held.startswith('net:[')
    inode = int(held[5:-1])
    expression = "namespaces.namespaces[?type == 'net' && nprocs == `0` && pinned_by[?kind == 'fd']].inode"
    assert search(compile_query(expression), facts) == [inode]


# ---------------------------------------------------------------- live host, end to end


def test_fqcn_query_is_evaluated_on_the_controller_and_returns_only_the_answer():
    result, proc = run_adhoc(
        'hostops.fleet.hostfacts',
        "gather_subset=memory,processes interval=0 query='{total: memory.total, pids: processes.top_memory[].pid}'")
    assert proc.returncode == 0, proc.stderr
    assert list(result['ansible_facts']) == ['hostfacts_query']
    answer = result['ansible_facts']['hostfacts_query']
    assert answer['total'] == meminfo_kb('/', 'MemTotal') * 1024
    assert answer['pids'] and all(isinstance(pid, int) for pid in answer['pids'])
    # The module itself was not asked to evaluate anything: the plugin took query out.
    assert result['invocation']['module_args']['query'] is None


def test_fqcn_invalid_query_fails_before_the_module_runs():
    result, proc = run_adhoc('hostops.fleet.hostfacts', "query='memory.[available_pct'", '-vvv')
    assert result['failed']
    assert 'invalid JMESPath expression at position 21' in result['msg']
    assert 'Incomplete expression' in result['msg']
    # With -vvv, every module execution shows its AnsiballZ payload; none may appear.
    assert 'AnsiballZ_hostfacts' not in proc.stdout + proc.stderr
    assert 'invocation' not in result


def test_a_query_that_reaches_the_module_without_the_action_plugin_is_refused(tmp_path):
    # The module file on a library path and no action plugin: the short name resolves to the module alone.
    result, proc = run_adhoc('hostfacts', 'gather_subset=memory interval=0 query=memory.total',
                             ANSIBLE_LIBRARY=os.path.join(CHECKOUT, 'plugins', 'modules'),
                             ANSIBLE_ACTION_PLUGINS=str(tmp_path))
    assert result['failed'], proc.stdout
    assert 'evaluated on the controller' in result['msg']
    assert 'hostfacts_query' not in result.get('ansible_facts', {})
    assert 'Traceback' not in result.get('module_stderr', '') + result['msg']


def test_without_jmespath_on_the_controller_the_error_names_the_controller_python(tmp_path):
    # A jmespath module that cannot be imported, first on the controller's path.
    (tmp_path / 'jmespath.py').write_text('raise ImportError("jmespath is not installed here")\n')
    result, proc = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=memory interval=0 query=memory.total',
                             PYTHONPATH=str(tmp_path))
    assert result['failed'], proc.stdout
    assert 'the jmespath Python library is not installed in the Python that runs Ansible' in result['msg']
    assert '-m pip install jmespath' in result['msg']
    # The Python named is the one that runs ansible: the interpreter of this virtualenv.
    named = result['msg'].split('(', 1)[1].split(')', 1)[0]
    assert os.path.dirname(named) == os.path.dirname(sys.executable)
    assert 'full name' not in result['msg']


def _bare_python_lacks_jmespath():
    if not os.access(BARE_PYTHON, os.X_OK):
        return False
    return subprocess.call([BARE_PYTHON, '-c', 'import jmespath'], stderr=subprocess.DEVNULL) != 0


needs_bare_python = pytest.mark.skipif(not _bare_python_lacks_jmespath(),
                                       reason='needs a %s without jmespath' % BARE_PYTHON)


@needs_bare_python
def test_fqcn_query_works_when_the_target_has_no_jmespath():
    result, proc = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=memory interval=0 query=memory.total',
                             '-e', 'ansible_python_interpreter=%s' % BARE_PYTHON)
    assert proc.returncode == 0, proc.stdout
    assert result['ansible_facts'] == {'hostfacts_query': meminfo_kb('/', 'MemTotal') * 1024}


def test_fqcn_without_query_returns_the_full_facts():
    result, proc = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=memory interval=0')
    assert proc.returncode == 0, proc.stderr
    assert list(result['ansible_facts']) == ['hostfacts']
    assert result['ansible_facts']['hostfacts']['memory']['total'] == meminfo_kb('/', 'MemTotal') * 1024
