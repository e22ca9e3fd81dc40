# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JMESPath queries over hostfacts, shared by the action plugin, the module and the hosts_where filter. Private.

jmespath is imported lazily: the controller always has it (the action plugin
evaluates there), a target may not, and then only a query run on the target
fails, with a message that names jmespath.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError as HostfactsError

JMESPATH_MISSING = ('the jmespath Python library is not installed on the %s; install it (pip install jmespath, '
                    'or the python3-jmespath package), or run the module by its full name hostops.fleet.hostfacts '
                    'so that the query is evaluated on the controller')


class QueryError(HostfactsError):
    """An invalid expression, an expression that fails on the data, or no jmespath where it must run."""


def _jmespath(where):
    try:
        import jmespath
    except ImportError:
        raise QueryError('query: ' + JMESPATH_MISSING % where)
    return jmespath


def compile_query(expression, option='query', where='target'):
    """A compiled JMESPath expression; QueryError with jmespath's message and position if it does not parse."""
    if not isinstance(expression, str) or not expression.strip():
        raise QueryError('%s must be a non-empty JMESPath expression string, got %r' % (option, expression))
    jmespath = _jmespath(where)
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
