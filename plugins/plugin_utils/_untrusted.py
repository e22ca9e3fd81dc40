# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading values a managed host sent, on the controller: each reader returns the expected type or raises.

Private: may change without notice. Every host may be hostile, and its facts reach the controller as
whatever JSON it chose to print. Each reader takes ``mapping[key]`` and returns it as the one type the
report expects (None when absent), or raises MalformedFacts naming the place (``processes.top_cpu[].pid
is a list, not an integer in range``). The messages name only keys and types, never the host's values.

Every text is cut to a length (TEXT_LENGTH unless the caller asks for less) and every list to
LIST_LENGTH items, so that no host can make the report, or the controller's memory, as large as it likes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# No pid, inode, count, size or rate a host reports reaches this (8 EiB); beyond it, values are malformed.
MAX_INTEGER = 2 ** 63
# The longest text kept of any one string a host sent (a path, a command, a user); longer ones are cut.
TEXT_LENGTH = 256
# The most items read of any one list a host sent; the report keeps far fewer (the top few of each).
LIST_LENGTH = 10000
ELLIPSIS = '\u2026'


class MalformedFacts(Exception):
    """A value in a host's facts that has no place in the report; the message names where it is."""


def kind_of(value):
    """What a value is, in the words of the messages: text, an integer, a list..."""
    for kinds, name in ((bool, 'a boolean'), (int, 'an integer'), (float, 'a number'), (str, 'text'),
                        ((list, tuple), 'a list'), (Mapping, 'a mapping')):
        if isinstance(value, kinds):
            return name
    return 'null' if value is None else 'a %s' % type(value).__name__


def _out_of_range(value):
    """An integer or float beyond MAX_INTEGER (or NaN): sums and products of such values would overflow."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not -MAX_INTEGER < value < MAX_INTEGER


def number(mapping, key, where):
    """mapping[key] as a number within +-MAX_INTEGER, None when absent; MalformedFacts for anything else.

    An integer stays an int and a float a float: the report's JSON and CSV write what the host sent,
    and a reader's int() fails on ``2.0``. The bound keeps every figure the report derives (rates,
    ratios, scores) finite.
    """
    value = mapping.get(key)
    # Exact types first: this runs a few hundred times per host. NaN fails the comparison.
    kind = type(value)
    if (kind is float or kind is int) and -MAX_INTEGER < value < MAX_INTEGER:
        return value
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not _out_of_range(value):
        # Subclasses (Ansible's tagged values) become the plain type, which every writer knows.
        return int(value) if isinstance(value, int) else float(value)
    raise MalformedFacts('%s.%s is %s' % (where, key, _not('a number', value)))


def integer(mapping, key, where):
    """mapping[key] as an int (a pid, an inode, a count), None when absent; MalformedFacts for anything else."""
    value = mapping.get(key)
    # The exact type first, as in number(): a few dozen per host.
    kind = type(value)
    if kind is int and -MAX_INTEGER < value < MAX_INTEGER:
        return value
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not _out_of_range(value):
        return int(value)
    raise MalformedFacts('%s.%s is %s' % (where, key, _not('an integer', value)))


def _not(expected, value):
    """Why a value is not what was expected: ``a list, not an integer``, ``an integer out of range``."""
    if isinstance(value, float) and not math.isfinite(value):
        return '%r, not a finite number' % value
    if _out_of_range(value):
        return '%s out of range' % kind_of(value)
    return '%s, not %s' % (kind_of(value), expected)


def cut(text, limit):
    """The text itself when it has at most ``limit`` characters, else its first ``limit - 1`` and an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def _text(value, key, where):
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not _out_of_range(value) and math.isfinite(value):
        return str(value)
    raise MalformedFacts('%s.%s is %s' % (where, key, _not('text', value)))


def string(mapping, key, where, limit=TEXT_LENGTH):
    """mapping[key] as text of at most ``limit`` characters (a number is written as text), None when absent
    or empty; MalformedFacts for anything else."""
    value = mapping.get(key)
    if isinstance(value, str):
        return (value if len(value) <= limit else cut(value, limit)) or None
    if value is None or value == '':
        return None
    return cut(_text(value, key, where), limit)


def section(mapping, key, where):
    """mapping[key] when it is a mapping, None when absent; anything else is MalformedFacts."""
    value = mapping.get(key)
    # JSON makes dicts: the exact type spares the abstract class's isinstance, the slowest check here.
    kind = type(value)
    if value is None or kind is dict or isinstance(value, Mapping):
        return value
    raise MalformedFacts('%s.%s is %s' % (where, key, _not('a mapping', value)))


def _list(mapping, key, where):
    value = mapping.get(key)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return value[:LIST_LENGTH]
    raise MalformedFacts('%s.%s is %s' % (where, key, _not('a list', value)))


def count(mapping, key, where):
    """How many items the list mapping[key] holds, all of them (0 when absent); MalformedFacts if not a list."""
    value = mapping.get(key)
    if value is not None and not isinstance(value, (list, tuple)):
        raise MalformedFacts('%s.%s is %s' % (where, key, _not('a list', value)))
    return len(value or ())


def entries(mapping, key, where):
    """mapping[key] as a list of at most LIST_LENGTH mappings, [] when absent; anything else is MalformedFacts."""
    value = _list(mapping, key, where)
    for item in value:
        kind = type(item)
        if kind is not dict and not isinstance(item, Mapping):
            raise MalformedFacts('%s.%s holds %s' % (where, key, _not('a mapping', item)))
    return value


def texts(mapping, key, where, limit=TEXT_LENGTH, items=LIST_LENGTH):
    """mapping[key] as a list of at most ``items`` strings of at most ``limit`` characters, [] when absent."""
    return ['' if item is None else cut(_text(item, key + '[]', where), limit)
            for item in _list(mapping, key, where)[:items]]
