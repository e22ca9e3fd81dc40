# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JMESPath queries over hostfacts, evaluated on the controller by the hostfacts action plugin and the
hosts_where filter, and the one check of both for paths the facts do not have (a subset not gathered,
a mistyped name). Private: may change without notice.

jmespath is imported when a query is compiled: neither ansible-core nor the ansible package installs
it, and a controller without it should fail only when a query is asked for, with a message that says
which Python needs it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

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


# The step of a path that stands for the elements of a list (an index, a projection, a flatten).
EACH = '[]'
# Leaves that read nothing by name; an expref (&pid) is evaluated against each element of a function's
# argument, not along a path the expression names.
_NO_FIELDS = frozenset(('literal', 'current', 'identity', 'index', 'slice', 'expref'))


def _chain(node):
    """The path of the value a node evaluates to, relative to its input: ('memory', 'total') for
    memory.total, ('processes', 'top_cpu', EACH) for processes.top_cpu[0]; None when the value is made
    rather than found (a projection, a function, a literal)."""
    kind, children = node.get('type'), node.get('children') or []
    if kind == 'field':
        return (node['value'],)
    if kind in ('current', 'identity'):
        return ()
    if kind in ('subexpression', 'pipe'):
        path = ()
        for child in children:
            step = _chain(child)
            if step is None:
                return None
            path += step
        return path
    if kind == 'index_expression':
        base = _chain(children[0])
        if base is None or any(child.get('type') != 'index' for child in children[1:]):
            return None
        return base + (EACH,) * (len(children) - 1)
    if kind == 'flatten':
        # The flattened list stands where the list was: a projection over it reads its elements.
        return _chain(children[0])
    return None


def _paths(node):
    """Every path a node reads by name, relative to its input, in order."""
    kind, children = node.get('type'), node.get('children') or []
    if kind == 'field':
        return [(node['value'],)]
    if kind in _NO_FIELDS:
        return []
    if kind in ('subexpression', 'pipe'):
        # Each child reads from where the one before it stopped, as long as that is a place in the document.
        paths, prefix = [], ()
        for child in children:
            paths += [prefix + path for path in _paths(child)]
            step = _chain(child)
            if step is None:
                break
            prefix += step
        return paths
    if kind in ('index_expression', 'flatten', 'value_projection'):
        # What a value projection (memory.*) reads from each value is not a path of names: left alone.
        return _paths(children[0])
    if kind in ('projection', 'filter_projection'):
        # The right side, and a filter's condition, read each element of the left side's list.
        paths, base = _paths(children[0]), _chain(children[0])
        if base is not None:
            paths += [base + (EACH,) + path for child in children[1:] for path in _paths(child)]
        return paths
    # or/and/not, comparators, multi-selects, key-value pairs, function arguments: each against the input.
    return [path for child in children for path in _paths(child)]


def field_paths(compiled):
    """The paths an expression reads from the top of the document, each once, in order:
    ('memory', 'available_pct') for memory.available_pct < `20`, ('processes', 'top_cpu', EACH, 'pid') for
    processes.top_cpu[0].pid."""
    return list(dict.fromkeys(_paths(compiled.parsed)))


def _reach(value, path, start=0):
    """(how many steps of the path the document has, whether it lacks the next one): a mapping without the
    next name lacks it; a null, an empty list or a value of another type says nothing. Over a list, the
    element that goes furthest answers."""
    for index in range(start, len(path)):
        step = path[index]
        if step == EACH:
            if not isinstance(value, (list, tuple)) or not value:
                return index, False
            best = (index + 1, False)
            for item in value:
                reached, lacks = _reach(item, path, index + 1)
                if reached == len(path):
                    return reached, False
                if reached > best[0] or (reached == best[0] and lacks):
                    best = (reached, lacks)
            return best
        if not isinstance(value, Mapping):
            return index, False
        if step not in value:
            return index, True
        value = value[step]
    return len(path), False


def path_text(path):
    """A path as the expression writes it: processes.top_cpu[].pid."""
    return ''.join(step if step == EACH else ('.' if index else '') + step for index, step in enumerate(path))


class PathCheck:
    """Which paths of an expression none of the documents has, over documents seen one at a time (none is
    kept). A path is missing when no document goes further along it than some document that lacks its next
    name: memroy when no host has it, memory.availabel_pct when hosts have memory without it. Hosts whose
    value on the way is null or an empty list prove nothing either way."""

    def __init__(self, compiled):
        self.paths = field_paths(compiled)
        # For each path: (the most steps a document had, whether a document that far lacked the next name);
        # None once a document has the whole path.
        self._furthest = [(0, False)] * len(self.paths)
        self.documents = 0

    def add(self, document):
        self.documents += 1
        for index, path in enumerate(self.paths):
            furthest = self._furthest[index]
            if furthest is None:
                continue
            reached, lacks = _reach(document, path)
            if reached == len(path):
                self._furthest[index] = None
            elif reached > furthest[0] or (reached == furthest[0] and lacks and not furthest[1]):
                self._furthest[index] = (reached, lacks)

    def missing(self):
        """The missing paths as text, each cut at the name no document has, each once."""
        return list(dict.fromkeys(path_text(path[:furthest[0] + 1]) for path, furthest in zip(self.paths, self._furthest)
                                  if furthest is not None and furthest[1]))


def missing_paths(compiled, documents):
    """The paths an expression reads that none of the documents has (PathCheck over all of them)."""
    check = PathCheck(compiled)
    for document in documents:
        check.add(document)
    return check.missing()
