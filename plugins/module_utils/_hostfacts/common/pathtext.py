# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Paths as findmnt shows them: any name, shown in text that JSON and a terminal can carry. Private.

The readers decode names losslessly (os.fsdecode: a byte that is not UTF-8 becomes a lone
surrogate), which the module's JSON output cannot carry and a terminal should not print.
``shown_path`` escapes them the way findmnt's table does (``mbs_safe_encode_to_buffer`` in
util-linux lib/mbsalign.c, in a UTF-8 locale): each byte of a control character, of a
character that is not printable (line and paragraph separators, unassigned code points) and
of a sequence that is not UTF-8 becomes ``\\xHH``, and so does a backslash followed by ``x``,
which keeps the text unambiguous. Everything else, spaces and accented letters included,
is shown as it is.
"""

from __future__ import annotations

import os

# Unicode categories glibc's UTF-8 locales do not count as printable (iswprint): controls,
# line and paragraph separators, unassigned code points and surrogates.
_NOT_PRINTABLE = ('Cc', 'Zl', 'Zp', 'Cn', 'Cs')


def shown_path(path):
    """``path`` (str from os.fsdecode, or None) escaped as findmnt shows it."""
    if path is None or (path.isascii() and path.isprintable() and '\\x' not in path):
        return path
    import unicodedata  # deferred: only names with control or non-ASCII characters need it

    text = os.fsencode(path).decode('utf-8', 'surrogateescape')
    shown = []
    for index, char in enumerate(text):
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
            shown.append('\\x%02x' % (code - 0xDC00))
        elif code < 0x20 or code == 0x7F or (char == '\\' and text[index + 1:index + 2] == 'x'):
            shown.append('\\x%02x' % code)
        elif code > 0x7F and unicodedata.category(char) in _NOT_PRINTABLE:
            shown.extend('\\x%02x' % byte for byte in char.encode('utf-8'))
        else:
            shown.append(char)
    return ''.join(shown)
