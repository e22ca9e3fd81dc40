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


@pytest.mark.parametrize('expression, fields', [
    ('processes.top_cpu[0].pid', ['processes']),
    ('sort_by(processes.list, &pid)[-1].args', ['processes']),
    ('{m: memory.total, w: io.disks[?util_pct > `5`].name}', ['memory', 'io']),
    ('processes.top_cpu[*].pid | [0]', ['processes']),
    ('@.memory.total', ['memory']),
    ('length(alerts)', ['alerts']),
    ('[memory, io, memory][]', ['memory', 'io']),
    ("namespaces.namespaces[?type == 'net' && pinned_by[?kind == 'fd']].inode", ['namespaces']),
    ('!processes', ['processes']),
    ('memory.*', ['memory']),
    ("alerts[?severity == 'critical'].message", ['alerts']),
    ('@', []), ('`1`', []),
])
def test_root_fields_are_the_names_read_at_the_top(expression, fields):
    from ansible_collections.hostops.fleet.plugins.plugin_utils._query import root_fields
    assert root_fields(compile_query(expression)) == fields


def test_missing_root_fields_names_subsets_that_were_not_gathered():
    from ansible_collections.hostops.fleet.plugins.plugin_utils._query import missing_root_fields
    facts = {'gather_subset': ['memory'], 'memory': {'total': 1}, 'alerts': [], 'warnings': []}
    assert missing_root_fields(compile_query('processes.top_cpu[0].pid'), facts) == ['processes']
    assert missing_root_fields(compile_query('{t: memory.total, n: namespaces.counts}'), facts) == ['namespaces']
    assert missing_root_fields(compile_query('memory.total'), facts) == []
    # Present but empty or null is gathered: no warning.
    assert missing_root_fields(compile_query('alerts[0]'), facts) == []
