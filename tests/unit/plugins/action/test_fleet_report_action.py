# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_report action plugin's reading of hostvars, on ansible-core's real inventory and variable manager."""

from __future__ import annotations

import json
import os

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.hostops.fleet.plugins.action.fleet_report import collect_records
from ansible_collections.hostops.fleet.plugins.plugin_utils._fleet_model import DEFAULT_LIMITS
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
    records = collect_records(hostvars, ['up', 'down', 'broken', 'skipped', 'ghost', 'hollow', 'up'],
                              'hostops_fleet_outcome', DEFAULT_LIMITS)
    states = dict((r['name'], (r['state'], r['message'])) for r in records)
    assert len(records) == 6  # the duplicate name counts once
    assert states['up'] == ('ok', None)
    assert states['down'] == ('unreachable', 'Failed to connect to the host via ssh')
    assert states['broken'] == ('failed', 'MODULE FAILURE')
    assert states['skipped'][0] == 'no_facts'
    assert states['ghost'] == ('no_facts', 'not in the inventory')
    assert states['hollow'] == ('malformed', 'hostfacts is empty')
    up = [r for r in records if r['name'] == 'up'][0]
    assert up['memory']['total'] == facts['memory']['total']


def test_without_the_caches_the_merged_hostvars_are_used():
    with open(FIXTURE, encoding='utf-8') as stream:
        facts = json.load(stream)

    class PlainHostVars(object):
        """Only the public raw_get, as a future ansible-core might offer."""

        def raw_get(self, name):
            return {'ansible_facts': {'hostfacts': facts}, 'hostops_fleet_outcome': {'state': 'ok'}}

    records = collect_records(PlainHostVars(), ['a'], 'hostops_fleet_outcome', DEFAULT_LIMITS)
    assert records[0]['state'] == 'ok' and records[0]['cpu_count'] == facts['processes']['cpu_count']
