# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_report and drift_report playbooks end to end: this machine as a real host, beside stand-ins for
compromised hosts; the files they leave on the controller; the ways users call them wrongly.

A compromised host controls what its Python prints. Each stand-in is an interpreter (a shell script set
as ansible_python_interpreter, on the local connection) that ignores the module Ansible sends and prints
crafted JSON as the module's result, as a tampered /usr/bin/python3 on a managed host would.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from support import paths
from support.adhoc import BIN, environment, run_playbook
from support.fleet_hosts import LOCAL as REAL, standin_python

FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')
HOSTILE_NAME = '<!--<script>'
PLAYBOOK = os.path.join(paths.CHECKOUT, 'playbooks', 'fleet_report.yml')
QUICK = {'fleet_report_interval': 0, 'fleet_report_gather_subset': ['memory', 'processes', 'filesystems']}
# nobody: the other user that owns a directory in the tests of dest.
NOBODY = 65534


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
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(QUICK, fleet_report_dir=report_dir)))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(os.path.join(report_dir, 'fleet-report.json'), encoding='utf-8') as stream:
        report = json.load(stream)
    with open(os.path.join(report_dir, 'fleet-report.html'), encoding='utf-8') as stream:
        page = stream.read()
    return callback, report, page, report_dir


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
    [rendered_result] = result['hosts'].values()  # run once, for the first host, delegated to localhost
    assert rendered_result['by_state']['malformed'] == 2
    assert [entry['state'] for entry in rendered_result['ranking']][:2] == ['malformed', 'malformed']


def test_the_hostile_name_is_text_in_the_page_and_escaped_in_its_data(rendered):
    page = rendered[2]
    assert '&lt;!--&lt;script&gt;' in page
    assert '<!--' not in page
    assert page.count('<script') == 2


def test_the_files_are_for_the_operator_alone(rendered):
    report_dir = rendered[3]
    assert stat.S_IMODE(os.stat(report_dir).st_mode) == 0o700
    for name in os.listdir(report_dir):
        assert stat.S_IMODE(os.stat(os.path.join(report_dir, name)).st_mode) == 0o600, name


def write_inventory(directory, hosts):
    path = os.path.join(str(directory), 'inventory.json')
    with open(path, 'w', encoding='utf-8') as stream:
        json.dump({'all': {'hosts': hosts}}, stream)
    return path


def read_report(directory):
    with open(os.path.join(str(directory), 'fleet-report.json'), encoding='utf-8') as stream:
        return json.load(stream)


def test_a_limit_reports_the_hosts_left_out_as_no_facts_with_the_users_columns(tmp_path):
    inventory = write_inventory(tmp_path, {'web1': REAL, 'web2': REAL, 'db1': REAL})
    columns = ['host', 'memory_available_pct', {'label': 'mounts', 'query': 'length(filesystems.mounts)'}]
    proc = run_playbook(PLAYBOOK, '-i', inventory, '-l', 'web1', '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'out'), fleet_report_columns=columns, fleet_report_mode='0640')))[1]
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = read_report(tmp_path / 'out')
    states = dict((host['name'], host['state']) for host in report['hosts'])
    assert states == {'web1': 'ok', 'web2': 'no_facts', 'db1': 'no_facts'}
    assert report['columns'] == ['mounts'] and report['table'] == ['host', 'memory_available_pct']
    web1 = [host for host in report['hosts'] if host['name'] == 'web1'][0]
    assert isinstance(web1['columns'][0], float) and web1['columns'][0] >= 1
    assert stat.S_IMODE(os.stat(str(tmp_path / 'out' / 'fleet-report.html')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(str(tmp_path / 'out')).st_mode) == 0o750


def test_no_inventory_is_a_clear_failure(tmp_path):
    empty = tmp_path / 'empty.yml'
    empty.write_text('')
    callback, proc = run_playbook(PLAYBOOK, '-i', str(empty), '-e', json.dumps({'fleet_report_dir': str(tmp_path / 'out')}))
    assert proc.returncode != 0
    result = callback['plays'][1]['tasks'][0]['hosts']['localhost']
    assert result['failed'] and result['msg'].startswith('no host to report on: hosts is an empty list: give an '
                                                         'inventory with -i')
    assert not (tmp_path / 'out').exists()


def test_without_pwd_from_the_root_directory_the_report_goes_home_not_to_the_root(tmp_path):
    assert not os.path.exists('/fleet-report'), 'left over from an earlier run: remove /fleet-report'
    inventory = write_inventory(tmp_path, {'web1': REAL})
    env = environment(HOME=str(tmp_path), ANSIBLE_STDOUT_CALLBACK='default')
    env.pop('PWD', None)
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), PLAYBOOK, '-i', inventory, '-e', json.dumps(QUICK)],
                          cwd='/', env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    try:
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert not os.path.exists('/fleet-report')
        assert read_report(tmp_path / 'fleet-report')['hosts'][0]['name'] == 'web1'
    finally:
        if os.path.isdir('/fleet-report') and os.stat('/fleet-report').st_mtime >= os.stat(inventory).st_mtime:
            subprocess.run(['rm', '-rf', '/fleet-report'], check=True)


@pytest.fixture
def theirs(tmp_path):
    """A directory of another user (nobody), and a symbolic link of ours to it."""
    directory = tmp_path / 'theirs'
    directory.mkdir()
    os.chown(str(directory), NOBODY, NOBODY)
    os.symlink(str(directory), str(tmp_path / 'link'))
    return directory


@pytest.mark.parametrize('dest', ['theirs', 'link'])
def test_a_dest_of_another_user_is_refused_and_nothing_is_written(tmp_path, theirs, dest):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / dest))))
    assert proc.returncode != 0
    result = callback['plays'][1]['tasks'][0]['hosts']['web1']
    assert 'is owned by nobody (uid 65534), not by root (uid 0) who writes the report' in result['msg']
    assert os.listdir(str(theirs)) == []


def test_drift_files_and_fetched_baselines_keep_0600(tmp_path):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    out = tmp_path / 'drift'
    proc = run_playbook(os.path.join(paths.CHECKOUT, 'playbooks', 'drift_report.yml'), '-i', inventory, '-e', json.dumps({
        'drift_report_dir': str(out), 'drift_report_become': False, 'drift_report_with_fleet_report': False,
        'drift_report_baseline_path': str(tmp_path / 'host' / 'baseline.json')}))[1]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert stat.S_IMODE(os.stat(str(out)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(out / 'drift.json')).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(out / 'baselines' / 'web1.json')).st_mode) == 0o600
    with open(str(out / 'drift.json'), encoding='utf-8') as stream:
        assert [host['host'] for host in json.load(stream)['hosts']] == ['web1']


def test_drift_report_finds_drift_in_drift_not_in_changed(tmp_path):
    """A baseline missing one mount of the host: the host is in hosts_with_drift, its comparing task is not changed."""
    inventory = write_inventory(tmp_path, {'web1': REAL})
    out = tmp_path / 'drift'
    baseline_path = tmp_path / 'host' / 'baseline.json'
    extra = json.dumps({'drift_report_dir': str(out), 'drift_report_become': False,
                        'drift_report_with_fleet_report': False, 'drift_report_sections': ['mounts'],
                        'drift_report_baseline_path': str(baseline_path)})
    playbook = os.path.join(paths.CHECKOUT, 'playbooks', 'drift_report.yml')
    recorded = run_playbook(playbook, '-i', inventory, '-e', extra)[0]['plays'][1]['tasks'][0]['hosts']['web1']
    assert recorded['baseline_action'] == 'recorded' and recorded['changed']
    data = json.loads(baseline_path.read_text())
    forgotten = data['mounts'].pop(0)
    baseline_path.write_text(json.dumps(data))
    callback, proc = run_playbook(playbook, '-i', inventory, '-e', extra)
    assert proc.returncode == 0, proc.stdout[-3000:]
    compared = callback['plays'][1]['tasks'][0]['hosts']['web1']
    assert compared['baseline_action'] == 'compared' and compared['changed'] is False
    assert forgotten['key'] in [item['key'] for item in compared['drift']['mounts']['new']]
    with open(str(out / 'drift.json'), encoding='utf-8') as stream:
        report = json.load(stream)
    assert report['hosts_with_drift'] == ['web1']
    assert int(report['hosts'][0]['drift_count']) == compared['drift_count'] >= 1
