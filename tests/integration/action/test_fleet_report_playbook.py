# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_report playbook end to end: this machine as a real host, beside stand-ins for compromised hosts.

A compromised host controls what its Python prints. Each stand-in is an interpreter (a shell script set
as ansible_python_interpreter, on the local connection) that ignores the module Ansible sends and prints
crafted JSON as the module's result, as a tampered /usr/bin/python3 on a managed host would.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from support import paths
from support.adhoc import run_playbook

FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')
HOSTILE_NAME = '<!--<script>'


def standin_python(directory, name, facts):
    """An 'interpreter' that answers every module with these hostfacts."""
    path = os.path.join(directory, 'python-%s' % name)
    with open(path, 'w', encoding='utf-8') as stream:
        stream.write("#!/bin/sh\ncat <<'JSON'\n%s\nJSON\n" % json.dumps(
            {'changed': False, 'ansible_facts': {'hostfacts': facts}}))
    os.chmod(path, 0o755)
    return path


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('fleet'))
    with open(FIXTURE, encoding='utf-8') as stream:
        named = json.load(stream)
    named['processes']['top_cpu'][0]['command'] = HOSTILE_NAME
    hosts = {
        'real': sys.executable,
        'hollow': standin_python(directory, 'hollow', {}),
        'huge': standin_python(directory, 'huge', {'memory': {'total': 10 ** 400, 'available_pct': 50.0}}),
        'named': standin_python(directory, 'named', named),
    }
    inventory = os.path.join(directory, 'inventory.json')
    with open(inventory, 'w', encoding='utf-8') as stream:
        json.dump({'all': {'hosts': dict((name, {'ansible_connection': 'local', 'ansible_python_interpreter': python})
                                         for name, python in hosts.items())}}, stream)
    report_dir = os.path.join(directory, 'report')
    callback, proc = run_playbook(
        os.path.join(paths.CHECKOUT, 'playbooks', 'fleet_report.yml'), '-i', inventory,
        '-e', json.dumps({'fleet_report_dir': report_dir, 'fleet_report_interval': 0,
                          'fleet_report_gather_subset': ['memory', 'processes', 'filesystems']}))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(os.path.join(report_dir, 'fleet-report.json'), encoding='utf-8') as stream:
        report = json.load(stream)
    with open(os.path.join(report_dir, 'fleet-report.html'), encoding='utf-8') as stream:
        page = stream.read()
    return callback, report, page


def test_every_host_is_in_the_report_and_the_hostile_ones_are_marked(rendered):
    report = rendered[1]
    hosts = dict((host['name'], host) for host in report['hosts'])
    assert sorted(hosts) == ['hollow', 'huge', 'named', 'real']
    assert hosts['real']['state'] == 'ok' and hosts['real']['memory']['total'] > 0
    assert hosts['hollow']['state'] == 'malformed'
    assert hosts['hollow']['alerts'][0]['message'] == 'malformed facts: hostfacts is empty'
    assert hosts['huge']['state'] == 'malformed'
    assert hosts['huge']['alerts'][0]['message'] == 'malformed facts: memory.total is an integer out of range'
    assert hosts['named']['state'] == 'ok' and hosts['named']['top_cpu'][0]['command'] == HOSTILE_NAME
    assert report['summary']['by_state'] == {'ok': 2, 'unreachable': 0, 'failed': 0, 'no_facts': 0, 'malformed': 2}


def test_the_action_result_counts_the_malformed_hosts(rendered):
    tasks = rendered[0]['plays'][1]['tasks']
    result = [t for t in tasks if t['task']['name'] == 'Render the report as HTML, JSON and CSV'][0]
    rendered_result = result['hosts']['localhost']
    assert rendered_result['by_state']['malformed'] == 2
    assert [entry['state'] for entry in rendered_result['ranking']][:2] == ['malformed', 'malformed']


def test_the_hostile_name_is_text_in_the_page_and_escaped_in_its_data(rendered):
    page = rendered[2]
    assert '&lt;!--&lt;script&gt;' in page
    assert '<!--' not in page
    assert page.count('<script') == 2
