# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_report action plugin's reading of hosts: hostvars on ansible-core's real inventory and variable
manager, and ansible-core's real jsonfile fact cache on a directory."""

from __future__ import annotations

import json
import os
import random

import pytest

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.hostops.fleet.plugins.action import fleet_report as action
from ansible_collections.hostops.fleet.plugins.plugin_utils import _fleet_cache
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import FleetReportError, summarize_host
from support import paths

FIXTURE = os.path.join(paths.FIXTURES, 'fleet_report', 'hostfacts-localhost.json')


def hostvars_with(hosts):
    """hosts: {name: (facts or None, outcome or None)}, stored the way the gathering play stores them."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[])
    variables = VariableManager(loader=loader, inventory=inventory)
    for name, (facts, outcome) in hosts.items():
        inventory.add_host(name, group='all')
        if facts is not None:
            variables.set_host_facts(name, {'hostfacts': facts})
        if outcome is not None:
            variables.set_nonpersistent_facts(name, {'hostops_fleet_outcome': outcome})
    return HostVars(inventory=inventory, variable_manager=variables, loader=loader)


def test_every_host_reaches_the_report_with_its_state():
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    hostvars = hostvars_with({
        'up': (facts, {'state': 'ok', 'msg': ''}),
        'down': (None, {'state': 'unreachable', 'msg': 'Failed to connect to the host via ssh'}),
        'broken': (None, {'state': 'failed', 'msg': 'MODULE FAILURE'}),
        'skipped': (None, None),
        'hollow': ({}, {'state': 'ok', 'msg': ''}),
    })
    records = [summarize_host(*host) for host in action.play_hosts(
        hostvars, ['up', 'down', 'broken', 'skipped', 'ghost', 'hollow'], 'hostops_fleet_outcome')]
    states = dict((r['name'], (r['state'], r['message'])) for r in records)
    assert states['up'] == ('ok', None)
    assert states['down'] == ('unreachable', 'Failed to connect to the host via ssh')
    assert states['broken'] == ('failed', 'MODULE FAILURE')
    assert states['skipped'][0] == 'no_facts'
    assert states['ghost'] == ('no_facts', 'not in the inventory')
    assert states['hollow'] == ('malformed', 'hostfacts is empty')
    up = [r for r in records if r['name'] == 'up'][0]
    assert up['memory']['total'] == facts['memory']['total']


def test_hostvars_of_each_host_give_the_records_of_the_variable_managers_caches(monkeypatch):
    """The public path (hostvars[host]) and the shortcut (_fleet_cache_fast.play_caches) on the same hosts."""
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    hosts = {'up': (facts, {'state': 'ok', 'msg': '', 'gathered_at': '2026-11-29T10:00:00Z'}),
             'down': (None, {'state': 'unreachable', 'msg': 'timed out'}), 'skipped': (None, None),
             'hollow': ({}, {'state': 'ok', 'msg': ''})}
    names = list(hosts) + ['ghost']

    def records():
        return [summarize_host(*host, now=1796000000.0) for host in action.play_hosts(
            hostvars_with(hosts), names, 'hostops_fleet_outcome')]

    fast = records()
    monkeypatch.setattr(action, 'play_caches', lambda hostvars: None)
    public = records()
    assert public == fast
    assert [r['state'] for r in public] == ['ok', 'unreachable', 'no_facts', 'malformed', 'no_facts']


@pytest.fixture
def jsonfile_cache(tmp_path, monkeypatch):
    """ansible-core's jsonfile cache plugin on a directory of its own, as the action loads it."""
    from ansible.plugins.loader import cache_loader
    monkeypatch.setenv('ANSIBLE_CACHE_PLUGIN_CONNECTION', str(tmp_path))
    monkeypatch.setenv('ANSIBLE_CACHE_PLUGIN_TIMEOUT', '0')
    monkeypatch.setattr(action.C, 'CACHE_PLUGIN', 'jsonfile')
    writer = cache_loader.get('jsonfile')
    return writer, tmp_path


def test_the_fact_cache_is_read_host_by_host_and_forgotten(jsonfile_cache):
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    writer, directory = jsonfile_cache
    writer.set('web1', {'hostfacts': facts, 'hostops_fleet_outcome': {'state': 'ok', 'gathered_at': '2026-11-29T10:00:00Z'}})
    writer.set('db1', {'hostops_fleet_outcome': {'state': 'unreachable', 'msg': 'timed out'}})
    writer.set('setup-only', {'ansible_distribution': 'Debian'})
    writer.set('corrupt', {})
    # The file name of a key is the cache's own business (ansible-core 2.19 adds a schema prefix).
    [corrupt] = [path for path in directory.iterdir() if path.name.endswith('corrupt')]
    corrupt.write_text('{"hostfacts": ')
    plugin = action.configured_cache()
    assert _fleet_cache.cache_listing(plugin, 'jsonfile') == (['corrupt', 'db1', 'setup-only', 'web1'], [])
    hosts = dict((name, (facts, outcome)) for name, facts, outcome in _fleet_cache.cache_hosts(
        plugin, 'jsonfile', ['web1', 'db1', 'setup-only', 'corrupt', 'gone'], 'hostops_fleet_outcome'))
    assert hosts['web1'][0]['memory'] == facts['memory']
    assert hosts['web1'][1]['gathered_at'] == '2026-11-29T10:00:00Z'
    assert hosts['db1'] == (None, {'state': 'unreachable', 'msg': 'timed out'})
    assert hosts['setup-only'] == (None, {'state': 'no_facts', 'msg': 'in the fact cache without hostfacts'})
    assert hosts['corrupt'][1]['state'] == 'malformed'
    assert hosts['gone'] == (None, {'state': 'no_facts', 'msg': 'not in the fact cache'})
    assert getattr(plugin, '__wrapped__', plugin)._cache == {}  # nothing kept in memory after the read


def test_the_memory_cache_is_refused_with_what_to_configure(monkeypatch):
    monkeypatch.setattr(action.C, 'CACHE_PLUGIN', 'memory')
    with pytest.raises(FleetReportError, match='no fact cache is configured.*jsonfile or community.general.redis'):
        action.configured_cache()


def test_a_cache_that_cannot_be_reached_fails_the_report():
    class Down(object):
        _cache = {}

        def keys(self):
            raise ConnectionError('Error 111 connecting to 127.0.0.1:6399. Connection refused.')

        def get(self, key):
            return self.keys()

    with pytest.raises(FleetReportError, match=r'cache \(redis\) cannot be read: ConnectionError: Error 111'):
        _fleet_cache.cache_listing(Down(), 'redis')
    with pytest.raises(FleetReportError, match=r'cache \(redis\) cannot be read \(reading the entry of a\): Conn'):
        list(_fleet_cache.cache_hosts(Down(), 'redis', ['a'], 'hostops_fleet_outcome'))


def test_the_default_dest_is_never_the_filesystem_root(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    assert action.default_dest() == os.path.join(str(tmp_path), 'fleet-report')
    monkeypatch.chdir('/')
    monkeypatch.setenv('HOME', str(tmp_path))
    assert action.default_dest() == os.path.join(str(tmp_path), 'fleet-report')
    monkeypatch.setenv('HOME', '/')
    with pytest.raises(FleetReportError, match='dest is not set'):
        action.default_dest()


@pytest.mark.parametrize('value, reasons', [
    (['unreachable', 'failed', 'malformed'], ('unreachable', 'failed', 'malformed')),
    (['critical'], ('critical',)),
    (['failed', 'failed', 'critical'], ('failed', 'critical')),
    ('never', ()),
    (['never'], ()),
    ([], ()),
    ('unreachable,failed', ('unreachable', 'failed')),  # -e fleet_report_fail_on=unreachable,failed
    ('unreachable, critical', ('unreachable', 'critical')),
])
def test_fail_on_reads_a_list_never_or_comma_separated_text(value, reasons):
    assert action.fail_reasons(value) == reasons


@pytest.mark.parametrize('value', [['unreachble'], 'memroy', ['never', 'failed'], [1], {'failed': True}, 3, None, True])
def test_a_bad_fail_on_names_the_option_and_the_playbook_variable(value):
    with pytest.raises(FleetReportError, match=r'^fail_on \(fleet_report_fail_on in the playbooks\) must be never or '
                                               r'a list of unreachable, failed, malformed, critical; got '):
        action.fail_reasons(value)


def captured(**changes):
    """The captured host, without the alerts it was captured with."""
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)
    facts['alerts'] = []
    facts.update(changes)
    return facts


def fleet_of_every_state():
    """One host of each state, two unreachable, and one ok host with a critical alert of its own."""
    critical = captured(alerts=[{'severity': 'critical', 'subset': 'filesystems', 'message': '/ is 100 % full'}])
    return [
        summarize_host('up', captured()),
        summarize_host('full', critical),
        summarize_host('down1', None, {'state': 'unreachable', 'msg': 'timed out'}),
        summarize_host('down2', None, {'state': 'unreachable', 'msg': 'timed out'}),
        summarize_host('broken', None, {'state': 'failed', 'msg': 'MODULE FAILURE'}),
        summarize_host('hollow', {}),
        summarize_host('left-out', None, None),
    ]


def test_the_failure_names_each_reasons_hosts_and_where_the_report_is():
    failing = action.FailingHosts(action.fail_reasons(['unreachable', 'failed', 'malformed', 'critical']))
    for record in fleet_of_every_state():
        failing.add(record)
    assert failing.message(7, 'file:///r/fleet-report.html', False) == (
        '5 of 7 host(s) fail the report: 2 unreachable (down1, down2); 1 failed to gather (broken); '
        '1 with malformed facts (hollow); 1 with a critical alert (full); the report is written: '
        'file:///r/fleet-report.html (fail_on: unreachable, failed, malformed, critical)')


def test_by_default_a_critical_alert_or_a_host_without_facts_does_not_fail():
    failing = action.FailingHosts(action.fail_reasons(list(action.DEFAULT_FAIL_ON)))
    records = fleet_of_every_state()
    for record in records:
        failing.add(record)
    assert failing.counts == {'unreachable': 2, 'failed': 1, 'malformed': 1}
    assert [r['state'] for r in records if r['name'] == 'left-out'] == ['no_facts']
    never = action.FailingHosts(action.fail_reasons('never'))
    for record in records:
        never.add(record)
    assert never.message(7, 'file:///r/fleet-report.html', False) is None


def test_the_failure_names_ten_hosts_of_a_reason_and_counts_the_rest():
    failing = action.FailingHosts(('unreachable',))
    for index in range(25):
        failing.add(summarize_host('web%02d' % index, None, {'state': 'unreachable'}))
    message = failing.message(25, '/r/fleet-report.json', True)
    assert message.startswith('25 of 25 host(s) fail the report: 25 unreachable (web00, web01, ')
    assert '(web00, web01, web02, web03, web04, web05, web06, web07, web08, web09 and 15 more); ' in message
    assert message.endswith('check mode: nothing was written; the report would be /r/fleet-report.json '
                            '(fail_on: unreachable)')


def test_the_hosts_named_are_the_first_by_name_whatever_order_they_arrive_in():
    names = ['host%03d' % index for index in range(40)]
    for seed in range(5):
        random.Random(seed).shuffle(names)
        failing = action.FailingHosts(('failed',))
        for name in names:
            failing.add(summarize_host(name, None, {'state': 'failed'}))
        assert failing.named['failed'] == ['host%03d' % index for index in range(10)] and failing.counts['failed'] == 40


def test_the_documented_options_are_the_actions_with_the_same_defaults():
    import yaml
    from ansible_collections.hostops.fleet.plugins.modules import fleet_report as module
    documented = yaml.safe_load(module.DOCUMENTATION)['options']
    assert sorted(documented) == sorted(action.ARGUMENT_SPEC)
    assert documented['fail_on']['default'] == list(action.DEFAULT_FAIL_ON) == action.ARGUMENT_SPEC['fail_on']['default']
    assert documented['fail_on']['type'] == action.ARGUMENT_SPEC['fail_on']['type']
