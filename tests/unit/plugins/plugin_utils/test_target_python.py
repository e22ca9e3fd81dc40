# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Recognising a target Python too old for the modules, from the failures ansible-core really returns.

The module_stderr values below were captured from `ansible localhost -m hostops.fleet.hostfacts` with
ansible_python_interpreter set to pyenv's 2.7.18, 3.6.15 and 3.7.16 (ansible-core 2.16.19 and 2.19.14);
the live runs are in tests/integration/action/test_hostfacts_target_python.py and tests/compat.
"""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _target_python as tp

PY36_ON_216 = (
    'Traceback (most recent call last):\n'
    '  File "/root/.pyenv/versions/3.6.15/lib/python3.6/runpy.py", line 128, in _get_module_details\n'
    '  File "/tmp/ansible_hostops.fleet.hostfacts_payload_x/ansible_hostops.fleet.hostfacts_payload.zip/'
    'ansible_collections/hostops/fleet/plugins/modules/hostfacts.py", line 7\n'
    'SyntaxError: future feature annotations is not defined\n')
PY27_ON_219 = ('  File "/root/.ansible/tmp/ansible-tmp-1/AnsiballZ_hostfacts.py", line 40\n'
               '    zip_data: str,\n            ^\nSyntaxError: invalid syntax\n')


@pytest.mark.parametrize('result, expected', [
    ({'failed': True, 'module_stderr': PY36_ON_216, 'msg': 'MODULE FAILURE'},
     'SyntaxError: future feature annotations is not defined'),
    ({'failed': True, 'module_stderr': PY27_ON_219, 'module_stdout': '',
      'msg': 'Module result deserialization failed: No start of json char found'}, 'SyntaxError: invalid syntax'),
    ({'failed': True, 'module_stderr': 'Traceback ...\nKeyError: 1\n', 'msg': 'MODULE FAILURE'}, None),
    ({'failed': True, 'msg': 'gather_subset: unknown subset SyntaxError: x'}, None),
    ({'changed': False, 'module_stderr': PY36_ON_216}, None),
])
def test_could_not_compile_only_for_an_unparsed_syntax_error(result, expected):
    assert tp.could_not_compile(result) == expected


@pytest.mark.parametrize('text, version', [
    ('Python 3.6.15', (3, 6)), ('Python 2.7.18', (2, 7)), (PY36_ON_216, (3, 6)), (PY27_ON_219, None), ('', None),
])
def test_version_from_the_probe_or_a_traceback(text, version):
    assert tp.version_in(text) == version


def test_message_names_the_minimum_and_the_host_python():
    message = tp.too_old_message('hostops.fleet.hostfacts', 'SyntaxError: future feature annotations is not defined',
                                 (3, 6), '2.16.19')
    assert message.startswith('hostops.fleet.hostfacts needs Python 3.7 or later on the managed host; '
                              'the host ran it with Python 3.6')
    assert 'ansible_python_interpreter' in message and 'No start of json' not in message


def test_a_python_new_enough_for_us_but_not_for_ansible_core_is_told_apart():
    message = tp.too_old_message('hostops.fleet.hostfacts', 'SyntaxError: invalid syntax', (3, 7), '2.21.5')
    assert 'could not be compiled by Python 3.7' in message and 'ansible-core 2.21.5 may need a newer one' in message


def test_hostile_stderr_is_escaped_and_cut():
    message = tp.too_old_message('m', 'SyntaxError: \x1b[2J' + 'x' * 500, None, '2.19.14')
    assert '\x1b' not in message and '\\x1b[2J' in message and len(message) < 500
