# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/guides/fleet-questions.md works as written: every ``sh`` block runs, in order, in one shell, against a
fleet of stand-in hosts, and prints what the ``text`` block under it shows.

The stand-ins answer every module with facts made from tests/fixtures/fleet_report (an interpreter that
prints them, set as ansible_python_interpreter on the local connection): web1 waits on I/O, db1 is low
on memory, k8s1 holds a network namespace with no process. The shell is the user's: its own HOME, no
ansible.cfg, the collection on the collections path.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess

import pytest

from support import paths
from support.adhoc import BIN, environment
from support.fleet_hosts import standin

GUIDE = os.path.join(paths.CHECKOUT, 'docs', 'guides', 'fleet-questions.md')
FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')
MARK = '=== block %d'


def blocks(text):
    """[(command, expected lines)] of the guide: each sh block and the text block that follows it."""
    found = []
    for match in re.finditer(r'```sh\n(.*?)```\n\n```text\n(.*?)```', text, re.S):
        found.append((match.group(1), [line for line in match.group(2).splitlines() if line.strip()]))
    return found


def fleet():
    with open(FIXTURE, encoding='utf-8') as stream:
        captured = json.load(stream)
    captured['alerts'] = []
    web1, db1, k8s1 = (copy.deepcopy(captured) for _host in range(3))
    web1['io']['iowait_pct'] = 41.2
    db1['memory'].update(available_pct=7.5, available=int(db1['memory']['total'] * 0.075))
    k8s1['namespaces']['namespaces'].append({
        'type': 'net', 'inode': 4026532999, 'nprocs': 0, 'pid': None, 'user': None, 'command': None,
        'default': False, 'owner': {'kind': 'unknown', 'id': None, 'name': None},
        'pinned_by': [{'kind': 'netns_name', 'path': '/run/netns/blue', 'name': 'blue'}]})
    return {'web1': web1, 'db1': db1, 'k8s1': k8s1}


@pytest.fixture(scope='module')
def ran(tmp_path_factory):
    if shutil.which('jq') is None:
        subprocess.run(['bash', os.path.join(paths.CHECKOUT, 'tests', 'support', 'ensure-packages.sh'), 'jq'],
                       check=True)
    home = str(tmp_path_factory.mktemp('home'))
    hosts = dict((name, standin(home, name, facts)) for name, facts in fleet().items())
    with open(os.path.join(home, 'inventory.yml'), 'w', encoding='utf-8') as stream:
        json.dump({'all': {'hosts': hosts}}, stream)
    with open(GUIDE, encoding='utf-8') as stream:
        commands = blocks(stream.read())
    script = 'set -euo pipefail\n' + ''.join(
        'echo "%s"\n%s' % (MARK % index, command) for index, (command, _lines) in enumerate(commands))
    env = dict((key, value) for key, value in environment(HOME=home).items()
               if not key.startswith('ANSIBLE_') or key == 'ANSIBLE_COLLECTIONS_PATH')
    env['PATH'] = BIN + os.pathsep + '/usr/local/bin:/usr/bin:/bin'
    proc = subprocess.run(['bash', '-c', script], cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=600, check=False)
    outputs = re.split(r'^=== block \d+$', proc.stdout, flags=re.M)[1:]
    return commands, proc, outputs


def test_the_guide_has_its_nine_answers_and_the_gathering():
    with open(GUIDE, encoding='utf-8') as stream:
        assert len(blocks(stream.read())) == 10


def test_every_command_runs(ran):
    commands, proc, outputs = ran
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert len(outputs) == len(commands)


@pytest.mark.parametrize('index', range(10))
def test_each_command_prints_what_the_guide_shows(ran, index):
    commands, proc, outputs = ran
    assert index < len(outputs), proc.stdout[-4000:]
    for line in commands[index][1]:
        assert line.strip() in outputs[index], '%s\n--- printed:\n%s' % (commands[index][0], outputs[index][-3000:])
