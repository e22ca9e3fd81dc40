# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Target Pythons: the oldest this ansible-core can drive works; older ones get a message naming the minimum.

pyenv's interpreters are the managed host's Python (ansible_python_interpreter). The compat line
(tests/compat) runs the same against ansible-core 2.16, the one release that still drives 3.7 and older.
"""

from __future__ import annotations

import os

import pytest

from ansible.module_utils import basic

from support.adhoc import run_adhoc

PYENV = os.path.join(os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv'), 'versions')


def pyenv_python(version):
    """The pyenv interpreter of a minor version (2.7 -> ~/.pyenv/versions/2.7.18/bin/python), or None."""
    names = sorted(name for name in os.listdir(PYENV) if name.startswith(version + '.')) if os.path.isdir(PYENV) else []
    return os.path.join(PYENV, names[-1], 'bin', 'python') if names else None


def interpreter(version):
    path = pyenv_python(version)
    if path is None:
        pytest.skip('no Python %s in %s' % (version, PYENV))
    return '-e', 'ansible_python_interpreter=%s' % path


def oldest_supported():
    """max(hostops.fleet's 3.7, this ansible-core's minimum for targets: a tuple from 2.17, a flag in 2.16)."""
    core = getattr(basic, '_PY_MIN', None)
    return max((3, 7), core if isinstance(core, tuple) else (3, 7))


def test_the_oldest_supported_target_python_gathers():
    version = '%d.%d' % oldest_supported()
    result, proc = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=all interval=0', *interpreter(version))
    assert proc.returncode == 0, proc.stdout
    assert result['ansible_facts']['hostfacts']['processes']['tasks']['total'] > 0


@pytest.mark.parametrize('version', ['2.7', '3.6'])
def test_an_older_target_python_gets_a_message_naming_the_minimum(version):
    result, proc = run_adhoc('hostops.fleet.hostfacts', 'gather_subset=memory interval=0', *interpreter(version))
    assert result['failed']
    assert result['msg'].startswith('hostops.fleet.hostfacts needs Python 3.7 or later on the managed host; '
                                    'the host ran it with Python %s (SyntaxError: ' % version), result['msg']
    assert 'No start of json char found' not in result['msg'] + proc.stderr
    assert 'MODULE FAILURE' not in result['msg']
