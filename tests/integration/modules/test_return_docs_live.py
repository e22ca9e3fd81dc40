# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""This machine's facts and baseline results, through real `ansible`, against what RETURN documents.

Every key the module returns is documented, with the documented type, and every key documented as
returned ``always`` is there (tests/support/return_docs.py). Run as root, so that nothing is left out
for want of permission.
"""

from __future__ import annotations

import os

import pytest

from support.adhoc import run_adhoc
from support.return_docs import result_problems as module_result_problems


def result_problems(result, module):
    """The differences, without what the json callback adds to every task result (action, _ansible_*)."""
    return module_result_problems(dict((key, value) for key, value in result.items()
                                       if key != 'action' and not key.startswith('_ansible')), module)


def test_every_subset_of_this_machine_matches_return():
    result, proc = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=all interval=1 process_list=full du_paths=/etc')
    assert not result.get('failed'), proc.stdout + proc.stderr
    facts = result['ansible_facts']['hostfacts']
    assert set(facts['gather_subset']) == {'system', 'processes', 'memory', 'filesystems', 'namespaces', 'io',
                                           'containers'}
    assert result_problems(result, 'hostfacts') == []


@pytest.mark.skipif(os.geteuid() != 0, reason='the namespaces of other users need root')
def test_baseline_results_of_this_machine_match_return(tmp_path):
    path = tmp_path / 'baseline.json'
    for extra in ('', 'update=true', '--diff', 'state=absent'):
        args = 'path=%s min_process_age=0 %s' % (path, extra if extra.startswith(('update', 'state')) else '')
        result, proc = run_adhoc('hostops.fleet.hostfacts_baseline', args, *([extra] if extra.startswith('--') else []))
        assert not result.get('failed'), proc.stdout + proc.stderr
        assert result_problems(result, 'hostfacts_baseline') == [], extra
