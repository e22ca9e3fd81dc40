# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the controller shows numbers: the one formatting module of the stdout callback and the fleet report.

Private: may change without notice. Every function takes whatever a host sent (None, a string,
a list, an integer too large for a float) and returns text; a value that is not a number shows as n/a.
"""

from __future__ import annotations

import math
import unicodedata

NA = 'n/a'

# What a terminal acts on instead of showing: C0 and C1 controls and DEL (Unicode category Cc, ESC and
# newline among them), format characters that reorder or hide text (Cf: the bidi overrides such as
# U+202E, zero-width spaces), line and paragraph separators (Zl, Zp) and lone surrogates (Cs).
_UNPRINTABLE_CATEGORIES = frozenset(('Cc', 'Cf', 'Zl', 'Zp', 'Cs'))

# free -h and df -h units: binary, one letter.
_UNITS = ((1024.0 ** 5, 'P'), (1024.0 ** 4, 'T'), (1024.0 ** 3, 'G'), (1024.0 ** 2, 'M'), (1024.0, 'K'))


def as_number(value):
    """A finite float, or None for anything that is not a number (shown as n/a)."""
    # The report's records hold floats or None: those first, the general case after.
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def text(value):
    """The value as text; n/a for None."""
    return NA if value is None else str(value)


def printable(value):
    """The value as text that a terminal shows as it is: every control character is a visible escape.

    Characters of the categories above become ``\\x1b``, ``\\u202e`` or ``\\U000e0001`` (Python's escapes, where
    ps would print ``?``), so that nothing a host sends can move the cursor, start a line, or reach the
    terminal as a command. A backslash stays as it is, as in ps, lsblk and findmnt.
    """
    value = text(value)
    if value.isprintable():
        return value
    return ''.join(_escape(char) if unicodedata.category(char) in _UNPRINTABLE_CATEGORIES else char
                   for char in value)


def _escape(char):
    code = ord(char)
    if code < 0x100:
        return '\\x%02x' % code
    return ('\\u%04x' if code < 0x10000 else '\\U%08x') % code


def human_bytes(value, suffix=''):
    """free -h style: 512B, 1.5K, 7.7G (binary units), with a suffix such as /s for rates; n/a when missing."""
    number = as_number(value)
    if number is None:
        return NA
    size = abs(number)
    for scale, unit in _UNITS:
        if size >= scale:
            return '%.1f%s%s' % (number / scale, unit, suffix)
    return '%d%s%s' % (number, 'B', suffix)


def fmt_num(value, digits=1):
    """A number with ``digits`` decimals; n/a when missing."""
    number = as_number(value)
    return NA if number is None else '%.*f' % (digits, number)


def fmt_pct(value, digits=0):
    """A percentage such as ``42 %``; n/a when missing."""
    number = as_number(value)
    return NA if number is None else '%.*f %%' % (digits, number)


def owner_text(owner):
    """Who owns a namespace or process, as lsns would add it: ``docker 241de4252f45``; None when unknown."""
    if not hasattr(owner, 'get'):
        return None
    kind = owner.get('kind') or 'unknown'
    ident = owner.get('id') or owner.get('name')
    return '%s %s' % (kind, str(ident)[:12]) if ident else str(kind)


def uptime_text(seconds):
    """uptime style: ``3 day(s), 4:05``; n/a when missing."""
    number = as_number(seconds)
    if number is None or number < 0:
        return NA
    days, rest = divmod(int(number), 86400)
    return ('%d day(s), ' % days if days else '') + '%d:%02d' % (rest // 3600, rest // 60 % 60)
