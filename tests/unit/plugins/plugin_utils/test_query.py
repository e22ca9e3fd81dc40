# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JMESPath queries on the controller: invalid expressions, runtime errors, truthiness, no jmespath."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils._query import (
    QueryError, compile_query, is_match, search, to_plain,
)


# The position is where jmespath stops: the bad token, or the end of an incomplete expression.
@pytest.mark.parametrize('expression, bad_token, fragment', [
    ('memory.[available_pct', None, 'Incomplete expression'),
    ('processes.top_cpu[?cpu_pct ~ `50`]', '~', 'Unknown token ~'),
    ('memory.available_pct <', None, 'Incomplete expression'),
    ("namespaces.namespaces[?type == 'net'", None, None),
])
def test_invalid_expression_names_message_and_position(expression, bad_token, fragment):
    position = expression.index(bad_token) if bad_token else len(expression)
    with pytest.raises(QueryError) as info:
        compile_query(expression)
    message = str(info.value)
    assert message.startswith('query: invalid JMESPath expression at position %d' % position)
    assert expression in message
    if fragment:
        assert fragment in message
    # jmespath draws a caret under the position.
    assert message.splitlines()[-1].index('^') >= position


@pytest.mark.parametrize('expression', ['', '   ', None, 42])
def test_empty_or_non_string_query_is_rejected(expression):
    with pytest.raises(QueryError, match='query must be a non-empty JMESPath expression'):
        compile_query(expression)


def test_runtime_type_error_is_a_query_error():
    compiled = compile_query('length(memory.total)')
    with pytest.raises(QueryError, match='failed on the facts'):
        search(compiled, {'memory': {'total': 5}})


@pytest.mark.parametrize('value, expected', [
    (None, False), (False, False), ([], False), ({}, False), ('', False),
    (0, True), (True, True), ([0], True), ({'a': None}, True), ('x', True), (0.0, True),
])
def test_jmespath_truthiness(value, expected):
    assert is_match(value) is expected


def test_to_plain_turns_builtin_subclasses_into_builtins():
    class Tagged(str):
        pass

    data = to_plain({Tagged('k'): [Tagged('v'), (1, True)]})
    assert list(data)[0].__class__ is str
    assert data['k'][0].__class__ is str and data['k'][1] == [1, True]
    assert search(compile_query("length(k[0])"), {Tagged('k'): [Tagged('abc')]}) == 3


def test_without_jmespath_the_error_names_the_controller_python(monkeypatch):
    # A None entry in sys.modules makes `import jmespath` raise ImportError, as on a controller without it.
    monkeypatch.setitem(sys.modules, 'jmespath', None)
    with pytest.raises(QueryError) as info:
        compile_query('memory.total', option='hosts_where expression')
    message = str(info.value)
    assert message.startswith('hosts_where expression: the jmespath Python library is not installed')
    assert '%s -m pip install jmespath' % sys.executable in message
    assert 'full name' not in message and 'hostops.fleet.hostfacts' not in message


@pytest.mark.parametrize('expression, paths', [
    ('processes.top_cpu[0].pid', ['processes', 'processes.top_cpu', 'processes.top_cpu[].pid']),
    ('sort_by(processes.list, &pid)[-1].args', ['processes', 'processes.list']),
    ('{m: memory.total, w: io.disks[?util_pct > `5`].name}',
     ['memory', 'memory.total', 'io', 'io.disks', 'io.disks[].name', 'io.disks[].util_pct']),
    ('processes.top_cpu[*].pid | [0]', ['processes', 'processes.top_cpu', 'processes.top_cpu[].pid']),
    ('@.memory.total', ['memory', 'memory.total']),
    ('length(alerts)', ['alerts']),
    ('[memory, io, memory][]', ['memory', 'io']),
    ("namespaces.namespaces[?type == 'net' && pinned_by[?kind == 'fd']].inode",
     ['namespaces', 'namespaces.namespaces', 'namespaces.namespaces[].inode', 'namespaces.namespaces[].type',
      'namespaces.namespaces[].pinned_by', 'namespaces.namespaces[].pinned_by[].kind']),
    ('!processes', ['processes']),
    ('memory.*', ['memory']),
    ('memory | total', ['memory', 'memory.total']),
    ('io.disks[].mounts[]', ['io', 'io.disks', 'io.disks[].mounts']),
    ("alerts[?severity == 'critical'].message", ['alerts', 'alerts[].message', 'alerts[].severity']),
    ('@', []), ('`1`', []),
])
def test_field_paths_are_the_paths_of_names_an_expression_reads(expression, paths):
    from ansible_collections.hostops.fleet.plugins.plugin_utils._query import field_paths, path_text
    assert [path_text(path) for path in field_paths(compile_query(expression))] == paths


GATHERED_MEMORY = {'gather_subset': ['memory'], 'memory': {'total': 1, 'available_pct': 50.0}, 'alerts': [],
                   'warnings': [], 'io': {'disks': [{'name': 'vda', 'util_pct': 1.0}], 'd_state': []},
                   'system': {'primary_address': None}}


@pytest.mark.parametrize('expression, missing', [
    ('processes.top_cpu[0].pid', ['processes']),  # a subset not gathered
    ('{t: memory.total, n: namespaces.counts}', ['namespaces']),
    ('memroy.available_pct < `20`', ['memroy']),  # a mistyped subset
    ('memory.availabel_pct < `20`', ['memory.availabel_pct']),  # a mistyped key of one
    ('io.disks[?utl_pct > `5`].name', ['io.disks[].utl_pct']),
    ('io.disks[0].nmae', ['io.disks[].nmae']),
    ('memory.total', []),
    # Present but empty or null: it may hold the name elsewhere, no warning.
    ('alerts[0].message', []),
    ('io.d_state[].pid', []),
    ('system.primary_address.ipv4', []),
    ('memory.total.value', []),  # a number on the way: the expression is odd, not the name
])
def test_missing_paths_names_the_first_name_the_facts_lack(expression, missing):
    from ansible_collections.hostops.fleet.plugins.plugin_utils._query import missing_paths
    assert missing_paths(compile_query(expression), [GATHERED_MEMORY]) == missing


def test_a_path_one_document_has_is_not_missing_and_no_document_is_no_answer():
    from ansible_collections.hostops.fleet.plugins.plugin_utils._query import missing_paths
    other = {'memory': {'total': 2}, 'io': {'disks': [{'name': 'sda'}]}}
    compiled = compile_query('memory.available_pct > `1` && io.disks[?util_pct > `5`]')
    assert missing_paths(compiled, [other]) == ['memory.available_pct', 'io.disks[].util_pct']
    assert missing_paths(compiled, [other, GATHERED_MEMORY]) == []
    # Each path is cut where no document goes further: one lacks io, the other only util_pct.
    assert missing_paths(compile_query('io.disks[0].util_pct'), [other, {'memory': {}}]) == ['io.disks[].util_pct']
    # An empty list proves nothing, but it does not hide what another host's elements lack.
    assert missing_paths(compile_query('io.disks[0].utl_pct'), [{'io': {'disks': []}}]) == []
    assert missing_paths(compile_query('io.disks[0].utl_pct'), [{'io': {'disks': []}}, GATHERED_MEMORY]) == [
        'io.disks[].utl_pct']
    # Hosts without io do not make a name of empty lists missing.
    assert missing_paths(compile_query('io.d_state[].pidd'), [{'memory': {}}, GATHERED_MEMORY]) == []
    assert missing_paths(compiled, []) == []
