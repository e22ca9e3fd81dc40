# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run real `ansible` / `ansible-playbook` against localhost with the checkout as hostops.fleet.

The collection path is the conftest's symlink root, so the code under test is this checkout,
not an installed copy; the working directory is the checkout, so ansible.cfg applies (modules are
called by their full names: it sets no library or action_plugins).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from support import paths

CHECKOUT = paths.CHECKOUT
BIN = os.path.dirname(sys.executable)


def _collection_root():
    """The sys.path entry (set up by tests/conftest.py) whose ansible_collections/hostops/fleet is CHECKOUT."""
    for entry in sys.path:
        if os.path.realpath(os.path.join(entry, 'ansible_collections', 'hostops', 'fleet')) == CHECKOUT:
            return entry
    raise AssertionError('tests/conftest.py did not put the checkout on sys.path')


def environment(**extra):
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=os.path.join(CHECKOUT, 'ansible.cfg'),
        ANSIBLE_COLLECTIONS_PATH=_collection_root(),
        ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
        ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
        ANSIBLE_NOCOLOR='1',
        PATH=BIN + os.pathsep + env.get('PATH', ''),
    )
    env.update(extra)
    return env


def json_report(stdout):
    """The ansible.posix.json callback's document: the line that is just '{' to its closing brace.

    Not the first '{' anywhere, nor everything after it: a warning or a host's output that reaches stdout
    before or after the document must not decide what is parsed.
    """
    lines = stdout.splitlines(True)
    start = sum(len(line) for line in lines[:lines.index('{\n')])
    return json.JSONDecoder().raw_decode(stdout, start)[0]


def run_adhoc(module, args, *extra, **env):
    """(host result dict, completed process) of `ansible localhost -m module -a args`."""
    command = [os.path.join(BIN, 'ansible'), 'localhost', '-m', module, '-a', args] + list(extra)
    proc = subprocess.run(command, cwd=CHECKOUT, env=environment(**env), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=300, check=False)
    try:
        report = json_report(proc.stdout)
    except ValueError:
        raise AssertionError('no JSON from ansible (rc %d):\n%s\n%s' % (proc.returncode, proc.stdout, proc.stderr))
    return report['plays'][0]['tasks'][0]['hosts']['localhost'], proc


def run_playbook(path, *extra, **env):
    """(json callback report, completed process) of `ansible-playbook path`."""
    command = [os.path.join(BIN, 'ansible-playbook'), path] + list(extra)
    proc = subprocess.run(command, cwd=CHECKOUT, env=environment(**env), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=300, check=False)
    try:
        report = json_report(proc.stdout)
    except ValueError:
        raise AssertionError('no JSON from ansible-playbook (rc %d):\n%s\n%s'
                             % (proc.returncode, proc.stdout, proc.stderr))
    return report, proc
