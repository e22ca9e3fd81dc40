# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JMESPath queries over hostfacts, evaluated on the controller by the hostfacts action plugin and the
hosts_where filter. Private: may change without notice.

jmespath is imported when a query is compiled: neither ansible-core nor the ansible package installs
it, and a controller without it should fail only when a query is asked for, with a message that says
which Python needs it.
"""

from __future__ import annotations

import sys

JMESPATH_MISSING = ('the jmespath Python library is not installed in the Python that runs Ansible on the '
                    'controller (%s); install it there, for example with: %s -m pip install jmespath')


class QueryError(Exception):
    """An invalid expression, an expression that fails on the data, or no jmespath on the controller."""


def _jmespath(option):
    try:
        import jmespath
    except ImportError:
        raise QueryError('%s: %s' % (option, JMESPATH_MISSING % (sys.executable, sys.executable)))
    return jmespath


def compile_query(expression, option='query'):
    """A compiled JMESPath expression; QueryError with jmespath's message and position if it does not parse."""
    if not isinstance(expression, str) or not expression.strip():
        raise QueryError('%s must be a non-empty JMESPath expression string, got %r' % (option, expression))
    jmespath = _jmespath(option)
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.ParseError as exc:
        position = getattr(exc, 'lex_position', None)
        raise QueryError('%s: invalid JMESPath expression%s: %s'
                         % (option, '' if position is None else ' at position %d' % position, exc))


def search(compiled, data, option='query'):
    """Evaluate a compiled expression; runtime errors (a function given the wrong type) become QueryError."""
    import jmespath  # compile_query succeeded, so it is importable
    try:
        return compiled.search(to_plain(data))
    except jmespath.exceptions.JMESPathError as exc:
        raise QueryError('%s: JMESPath expression %r failed on the facts: %s' % (option, compiled.expression, exc))


def to_plain(value):
    """Plain dict/list/str/int/float/bool/None, so that jmespath's type checks see builtin types.

    On the controller, Ansible hands over subclasses of the builtins (tagged or unsafe strings,
    for example) whose type names jmespath's functions (length, contains, sort_by) do not know.
    """
    if isinstance(value, dict):
        return dict((str(key), to_plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def is_match(result):
    """JMESPath truthiness: false, null, empty list/object/string are no match; 0 is a match."""
    if result is None or result is False:
        return False
    if isinstance(result, (list, dict, str)):
        return len(result) > 0
    return True


# Node types whose first child is evaluated against the current value and the rest against its result
# (jmespath/parser.py builds them): only that first child can read the top of the facts.
_LEFT_ONLY = frozenset(('subexpression', 'index_expression', 'projection', 'filter_projection', 'value_projection',
                        'flatten', 'pipe'))
# Leaves that read nothing by name; an expref (&pid) is evaluated against each element, not the facts.
_NO_FIELDS = frozenset(('current', 'identity', 'literal', 'index', 'slice', 'expref'))


def root_fields(compiled):
    """The names an expression reads at the top of the document, in order: ``processes`` in
    ``processes.top_cpu[0].pid``, ``memory`` and ``io`` in ``{m: memory.total, w: io.iowait_pct}``."""
    names = []
    for name in _root_fields(compiled.parsed):
        if name not in names:
            names.append(name)
    return names


def _root_fields(node):
    kind = node.get('type')
    children = node.get('children') or []
    if kind == 'field':
        return [node['value']]
    if kind in _NO_FIELDS or not children:
        return []
    if kind in _LEFT_ONLY:
        if kind == 'subexpression' and children[0].get('type') == 'current' and len(children) > 1:
            return _root_fields(children[1])  # @.memory reads memory at the top too
        return _root_fields(children[0])
    # or/and/not, comparators, multi-selects, key-value pairs, function arguments: each against the top.
    return [name for child in children for name in _root_fields(child)]


def missing_root_fields(compiled, data):
    """The top-level names the expression reads that the document does not have (a subset not gathered)."""
    return [name for name in root_fields(compiled) if not hasattr(data, 'get') or name not in data]
