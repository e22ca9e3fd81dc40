# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hosts_where's warnings: a path no host has, and hosts none of which has hostfacts, as query warns for one host."""

from __future__ import annotations

import pytest

from ansible.utils.display import Display

from ansible_collections.hostops.fleet.plugins.filter.hosts_where import hosts_where


def host(**facts):
    return {'ansible_facts': {'hostfacts': facts}, 'inventory_hostname': 'x'}


FLEET = {
    'web1': host(memory={'available_pct': 10.0}, io={'disks': [{'name': 'vda', 'util_pct': 90.0}]}),
    'web2': host(memory={'available_pct': 80.0}, io={'disks': []}),
    'db1': host(processes={'top_cpu': []}),
    'new1': {'inventory_hostname': 'new1'},
}


@pytest.fixture
def warnings(monkeypatch):
    said = []
    monkeypatch.setattr(Display, 'warning', lambda self, msg, *args, **kwargs: said.append(msg))
    return said


@pytest.mark.parametrize('expression, matched, missing', [
    ('memroy.available_pct < `20`', [], 'memroy'),
    ('memory.availabel_pct < `20`', [], 'memory.availabel_pct'),
    ('io.disks[?utl_pct > `50`]', [], 'io.disks[].utl_pct'),
    ('processes.top_cpu[0].pidd', [], None),  # every top_cpu is empty: it may have pidd
    ('memory.available_pct < `20`', ['web1'], None),
    ('memory.available_pct < `20` || memroy.total', ['web1'], 'memroy'),
])
def test_a_path_no_host_has_is_one_warning_that_names_it(warnings, expression, matched, missing):
    assert hosts_where(FLEET, expression) == matched
    if missing is None:
        assert warnings == []
    else:
        assert warnings == ['hosts_where %r reads %s, which no host has in ansible_facts.hostfacts: the expression '
                            'sees null there; check the name, or add the subset to gather_subset' % (expression, missing)]


def test_the_warning_is_the_same_text_for_the_same_expression_so_display_shows_it_once(warnings):
    hosts_where(FLEET, 'memroy.available_pct < `20`')
    hosts_where(FLEET, 'memroy.available_pct < `20`', hosts=['web1'])
    assert len(warnings) == 2 and warnings[0] == warnings[1]


def test_hosts_none_of_which_has_hostfacts_are_a_warning(warnings):
    assert hosts_where(FLEET, 'memory.available_pct < `20`', hosts=['new1']) == []
    assert warnings == ["hosts_where 'memory.available_pct < `20`': none of the hosts has ansible_facts.hostfacts, so "
                        "none matches: run hostops.fleet.hostfacts on them first"]


def test_no_host_asked_is_no_warning(warnings):
    assert hosts_where(FLEET, 'memroy.total', hosts=[]) == []
    assert warnings == []


def test_root_hostvars_checks_the_host_variables(warnings):
    assert hosts_where(FLEET, "inventory_hostnme == 'web1'", root='hostvars') == []
    assert warnings and 'reads inventory_hostnme, which no host has in the host variables' in warnings[0]
