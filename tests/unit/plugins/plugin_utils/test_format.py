# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The formatting the stdout callback and the fleet report share."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.plugin_utils import _format as fmt


@pytest.mark.parametrize('value, suffix, expected', [
    (None, '', 'n/a'), (0, '', '0B'), (512, '', '512B'), (1023, '', '1023B'), (1024, '', '1.0K'),
    (1536, '', '1.5K'), (8 * 1024 ** 3, '', '8.0G'), (3 * 1024 ** 5, '', '3.0P'), (1536, '/s', '1.5K/s'),
    (100, '/s', '100B/s'), (-2048, '', '-2.0K'), ('x', '', 'n/a'), (True, '', 'n/a'), ([1], '', 'n/a'),
    (10 ** 400, '', 'n/a'), (float('nan'), '', 'n/a'), (float('inf'), '', 'n/a'),
])
def test_human_bytes_as_free_h_prints_them(value, suffix, expected):
    assert fmt.human_bytes(value, suffix) == expected


@pytest.mark.parametrize('value, digits, expected', [
    (1.25, 1, '1.2'), (3, 0, '3'), (None, 1, 'n/a'), ('2.5', 2, '2.50'), ({}, 1, 'n/a'), (10 ** 400, 1, 'n/a'),
])
def test_fmt_num(value, digits, expected):
    assert fmt.fmt_num(value, digits) == expected


def test_fmt_pct():
    assert fmt.fmt_pct(42.4) == '42 %'
    assert fmt.fmt_pct(42.44, 1) == '42.4 %'
    assert fmt.fmt_pct(None) == 'n/a'


@pytest.mark.parametrize('owner, expected', [
    ({'kind': 'docker', 'id': '241de4252f45724a79124c47e75afda45a662c69b26a'}, 'docker 241de4252f45'),
    ({'kind': 'systemd', 'name': 'nginx.service'}, 'systemd nginx.servic'),
    ({'kind': 'host'}, 'host'),
    ({'id': 'abc'}, 'unknown abc'),
    ('docker', None), (None, None),
])
def test_owner_text(owner, expected):
    assert fmt.owner_text(owner) == expected


@pytest.mark.parametrize('seconds, expected', [
    (59, '0:00'), (3 * 3600 + 5 * 60, '3:05'), (2 * 86400 + 3600, '2 day(s), 1:00'), (None, 'n/a'),
    ('soon', 'n/a'), (-5, 'n/a'),
])
def test_uptime_text(seconds, expected):
    assert fmt.uptime_text(seconds) == expected


def test_text():
    assert fmt.text(None) == 'n/a' and fmt.text(0) == '0' and fmt.text('x') == 'x'


@pytest.mark.parametrize('value, expected', [
    ('sleep 100', 'sleep 100'), (None, 'n/a'), (42, '42'),
    ('a\nb', r'a\x0ab'), ('\x1b]0;title\x07', r'\x1b]0;title\x07'), ('\x1b[2J', r'\x1b[2J'),
    ('\x9b6n', r'\x9b6n'), ('\x7f\x00\t\r', r'\x7f\x00\x09\x0d'),
    ('abc\u202egnp.exe', r'abc\u202egnp.exe'), ('zero\u200bwidth', r'zero\u200bwidth'),
    ('line\u2028sep\u2029', r'line\u2028sep\u2029'), ('tag\U000e0041', r'tag\U000e0041'),
    ('bad\udcff', r'bad\udcff'),
    # Printable text stays as it is: non-ASCII letters, a no-break space, emoji, and backslashes (as in ps).
    ('café – 東京 \u00a0🙂', 'café – 東京 \u00a0🙂'), (r'dev-disk-by\x2duuid', r'dev-disk-by\x2duuid'),
])
def test_printable_escapes_what_a_terminal_would_act_on(value, expected):
    assert fmt.printable(value) == expected


def test_printable_leaves_no_control_character_of_any_code_point():
    import unicodedata
    every = ''.join(chr(code) for code in range(0x110000) if not 0xd800 <= code < 0xe000 or code % 97 == 0)
    shown = fmt.printable(every)
    assert not [c for c in shown if unicodedata.category(c) in ('Cc', 'Cf', 'Zl', 'Zp', 'Cs')]
