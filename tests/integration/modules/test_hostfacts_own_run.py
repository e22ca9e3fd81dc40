# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module leaves its own run out of the process lists, in real `ansible` runs on localhost.

On localhost the chain is: the controller's worker (`ansible localhost ...`), the `/bin/sh -c '... && sleep 0'` it
started, and the module's Python (which runs the module in its own process). The worker is the host's process
like any other (it was there before the run) and stays listed; nothing below it may be.
"""

from __future__ import annotations

import pytest

from support.adhoc import run_adhoc

ARGS = 'gather_subset=processes,io process_list=full top=1000 interval=0.5'


def controller_pids(rows):
    return set(row['pid'] for row in rows if 'bin/ansible localhost' in row['args'])


@pytest.mark.parametrize('pipelining', ['true', 'false'])
def test_neither_the_module_nor_its_launcher_is_listed_and_the_controller_is(pipelining):
    result, proc = run_adhoc('hostops.fleet.hostfacts', ARGS, '-e', 'ansible_python_interpreter=/usr/bin/python3',
                             ANSIBLE_PIPELINING=pipelining)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = result['ansible_facts']['hostfacts']
    rows = facts['processes']['list']
    controllers = controller_pids(rows)
    assert controllers, 'the controller processes of this run are the host\'s and stay listed'
    # The worker's only child is the launcher shell; the shell's only child is the module.
    assert [row for row in rows if row['ppid'] in controllers and 'bin/ansible' not in row['args']] == []
    assert [row['args'] for row in rows if 'AnsiballZ_' in row['args'] or row['args'].endswith('&& sleep 0')] == []
    for key in ('top_cpu', 'top_memory'):
        assert set(row['pid'] for row in facts['processes'][key]) <= set(row['pid'] for row in rows)
    io = facts['io']['top_readers'] + facts['io']['top_writers']
    assert [p['command'] for p in io if 'AnsiballZ_' in p['command'] or p['command'].endswith('&& sleep 0')] == []
    # The run still counts in the host's task counts, as top's Tasks line counts top.
    assert facts['processes']['tasks']['total'] >= len(rows) + 2
