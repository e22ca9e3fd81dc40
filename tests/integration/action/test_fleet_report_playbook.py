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
    # Malformed hosts fail the run (fail_on's default), once the report is written.
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
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


def task_result(callback, play, task):
    """The result of a run-once task: the one host it ran for, delegated to localhost."""
    [found] = [t for p in callback['plays'] if p['play']['name'] == play for t in p['tasks'] if t['task']['name'] == task]
    [result] = found['hosts'].values()
    return result


def render_result(callback):
    return task_result(callback, 'Render the fleet report on the controller', 'Render the report as HTML, JSON and CSV')


def test_the_action_result_counts_the_malformed_hosts_and_fails_naming_them(rendered):
    rendered_result = render_result(rendered[0])
    assert rendered_result['by_state']['malformed'] == 2
    assert [entry['state'] for entry in rendered_result['ranking']][:2] == ['malformed', 'malformed']
    assert rendered_result['failed'] and rendered_result['msg'] == (
        '2 of 4 host(s) fail the report: 2 with malformed facts (hollow, huge); the report is written: file://%s '
        '(fail_on: unreachable, failed, malformed)' % os.path.join(rendered[3], 'fleet-report.html'))


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


def test_a_limit_reports_the_hosts_of_the_limit_alone_with_the_users_columns(tmp_path):
    inventory = write_inventory(tmp_path, {'web1': REAL, 'web2': REAL, 'db1': REAL})
    columns = ['host', 'memory_available_pct', {'label': 'mounts', 'query': 'length(filesystems.mounts)'}]
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-l', 'web*', '-e', json.dumps(dict(
        QUICK, fleet_report_hosts='web1:db1', fleet_report_dir=str(tmp_path / 'out'), fleet_report_columns=columns,
        fleet_report_mode='0640')))
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = read_report(tmp_path / 'out')
    # The pattern is web1 and db1, the limit web*: web1 alone, and no warning for the others.
    assert [(host['name'], host['state']) for host in report['hosts']] == [('web1', 'ok')]
    assert report['summary']['by_state']['no_facts'] == 0 and report['summary']['hosts'] == 1
    assert render_result(callback)['hosts'] == 1
    assert report['columns'] == ['mounts'] and report['table'] == ['host', 'memory_available_pct']
    web1 = report['hosts'][0]
    assert isinstance(web1['columns'][0], int) and web1['columns'][0] >= 1
    assert stat.S_IMODE(os.stat(str(tmp_path / 'out' / 'fleet-report.html')).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(str(tmp_path / 'out')).st_mode) == 0o750


def test_no_inventory_is_a_clear_failure(tmp_path):
    empty = tmp_path / 'empty.yml'
    empty.write_text('')
    callback, proc = run_playbook(PLAYBOOK, '-i', str(empty), '-e', json.dumps({'fleet_report_dir': str(tmp_path / 'out')}))
    assert proc.returncode != 0
    result = callback['plays'][2]['tasks'][0]['hosts']['localhost']
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
def test_a_dest_of_another_user_is_refused_before_gathering_and_nothing_is_written(tmp_path, theirs, dest):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / dest))))
    assert proc.returncode != 0
    assert [play['play']['name'] for play in callback['plays']] == ["Check the report's settings before gathering"]
    result = callback['plays'][0]['tasks'][0]['hosts']['web1']
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


# ---------------------------------------------------------------- the run's outcome: fail_on, check mode, tags

# A host whose SSH port refuses: Ansible's own unreachable, in a second.
UNREACHABLE = {'ansible_connection': 'ssh', 'ansible_host': '127.0.0.1', 'ansible_port': 1, 'ansible_user': 'nobody',
               'ansible_ssh_common_args': '-o ConnectTimeout=5 -o StrictHostKeyChecking=no'}


def failing_python(directory):
    """An 'interpreter' whose every module fails, as hostfacts does on a host it cannot read."""
    path = os.path.join(str(directory), 'python-failing')
    with open(path, 'w', encoding='utf-8') as stream:
        stream.write('#!/bin/sh\necho \'{"failed": true, "msg": "hostfacts cannot read /proc"}\'\n')
    os.chmod(path, 0o755)
    return dict(REAL, ansible_python_interpreter=path)


@pytest.fixture(scope='module')
def troubled(tmp_path_factory):
    """A fleet of one healthy host, one that refuses SSH and one whose gathering fails, rendered with the defaults."""
    directory = tmp_path_factory.mktemp('troubled')
    inventory = write_inventory(directory, {'web1': REAL, 'down1': UNREACHABLE, 'broken1': failing_python(directory)})
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(directory / 'out'))))
    return directory, inventory, callback, proc


def test_unreachable_and_failed_hosts_fail_the_run_after_the_report_is_written(troubled):
    directory, _inventory, callback, proc = troubled
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    states = dict((host['name'], host['state']) for host in read_report(directory / 'out')['hosts'])
    assert states == {'web1': 'ok', 'down1': 'unreachable', 'broken1': 'failed'}
    result = render_result(callback)
    assert result['failed'] and result['msg'] == (
        '2 of 3 host(s) fail the report: 1 unreachable (down1); 1 failed to gather (broken1); the report is written: '
        'file://%s (fail_on: unreachable, failed, malformed)' % (directory / 'out' / 'fleet-report.html'))
    for name in ('fleet-report.html', 'fleet-report.json', 'fleet-report.csv'):
        assert (directory / 'out' / name).stat().st_size > 0
    # No green: the recap counts the failure (the run-once task's, on the play's first host).
    assert sum(stats['failures'] for stats in callback['stats'].values()) == 1


@pytest.mark.parametrize('fail_on, returncode', [
    ('never', 0),
    (['unreachable'], 2),
    (['malformed', 'critical'], 0),
    ('failed', 2),
])
def test_fail_on_chooses_which_hosts_fail_the_run(troubled, tmp_path, fail_on, returncode):
    inventory = troubled[1]
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'out'), fleet_report_fail_on=fail_on)))
    assert proc.returncode == returncode, proc.stdout[-3000:]
    assert len(read_report(tmp_path / 'out')['hosts']) == 3
    assert render_result(callback)['fail_on'] == ([] if fail_on == 'never' else (
        [fail_on] if isinstance(fail_on, str) else fail_on))


def test_a_critical_alert_fails_the_run_only_when_fail_on_says_so(tmp_path):
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    facts['alerts'] = [{'severity': 'critical', 'subset': 'filesystems', 'message': '/var is 100 % full'}]
    inventory = write_inventory(tmp_path, {'full1': dict(REAL, ansible_python_interpreter=standin_python(
        tmp_path, 'full1', facts))})
    assert run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'a'))))[1].returncode == 0
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'b'), fleet_report_fail_on=['critical'])))
    assert proc.returncode == 2
    assert render_result(callback)['msg'].startswith('1 of 1 host(s) fail the report: 1 with a critical alert (full1); ')


@pytest.mark.parametrize('fail_on', [['unreachble'], 'memroy', ['never', 'failed']])
def test_a_mistyped_fail_on_fails_before_gathering_naming_the_variable(tmp_path, fail_on):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'out'), fleet_report_fail_on=fail_on)))
    assert proc.returncode == 2
    assert [play['play']['name'] for play in callback['plays']] == ["Check the report's settings before gathering"]
    result = callback['plays'][0]['tasks'][0]['hosts']['web1']
    assert result['msg'] == ('fail_on (fleet_report_fail_on in the playbooks) must be never or a list of unreachable, '
                             'failed, malformed, critical; got %r' % (fail_on,))
    assert not (tmp_path / 'out').exists()


def test_check_mode_writes_nothing_and_says_what_would_be_written(tmp_path):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    callback, proc = run_playbook(PLAYBOOK, '-i', inventory, '--check', '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'out'))))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not (tmp_path / 'out').exists()
    said = task_result(callback, 'Render the fleet report on the controller',
                       'Say where the report is and which hosts need attention first')['msg']
    html = tmp_path / 'out' / 'fleet-report.html'
    assert said[0] == 'Check mode, nothing written; the fleet report would be file://%s' % html
    assert said[1].startswith('Same data (not written either): ')
    assert not any('Fleet report: file://' in line for line in said)
    assert render_result(callback)['msg'] == 'check mode: nothing was written; the report would be file://%s' % html


def test_check_mode_fails_on_an_unreachable_host_too_and_still_writes_nothing(troubled, tmp_path):
    callback, proc = run_playbook(PLAYBOOK, '-i', troubled[1], '--check', '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'out'))))
    assert proc.returncode == 2
    assert not (tmp_path / 'out').exists()
    assert 'check mode: nothing was written; the report would be file://' in render_result(callback)['msg']


def test_tags_run_the_whole_report_or_none_of_it(tmp_path):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    other = run_playbook(PLAYBOOK, '-i', inventory, '--tags', 'unrelated', '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'none'))))[1]
    assert other.returncode == 0 and not (tmp_path / 'none').exists()
    proc = run_playbook(PLAYBOOK, '-i', inventory, '--tags', 'fleet_report', '-e', json.dumps(dict(
        QUICK, fleet_report_dir=str(tmp_path / 'out'))))[1]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert [(host['name'], host['state']) for host in read_report(tmp_path / 'out')['hosts']] == [('web1', 'ok')]


def test_drift_report_in_check_mode_writes_nothing_and_says_so(tmp_path):
    inventory = write_inventory(tmp_path, {'web1': REAL})
    out = tmp_path / 'drift'
    callback, proc = run_playbook(os.path.join(paths.CHECKOUT, 'playbooks', 'drift_report.yml'), '-i', inventory,
                                  '--check', '-e', json.dumps({
                                      'drift_report_dir': str(out), 'drift_report_become': False,
                                      'drift_report_with_fleet_report': False,
                                      'drift_report_baseline_path': str(tmp_path / 'host' / 'baseline.json')}))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not out.exists() and not (tmp_path / 'host').exists()
    said = task_result(callback, "Write the fleet's drift on the controller", 'Say which hosts drifted')['msg']
    assert said[0] == 'Check mode, nothing written; the drift would be in %s/drift.json' % out
