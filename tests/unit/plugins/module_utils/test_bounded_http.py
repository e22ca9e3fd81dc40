# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of the bounded GET: URL checks, the rule for where credentials may go, the deadline and the
quoting of server text. The GET itself runs against real servers in tests/integration/modules."""

from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils import _bounded_http as http


@pytest.mark.parametrize('url,expected', [
    ('http://localhost/server-status', ('http', 'localhost', 80, '/server-status', 'http://localhost/server-status')),
    ('https://h.example:8443/s?auto', ('https', 'h.example', 8443, '/s?auto', 'https://h.example:8443/s?auto')),
    ('http://[::1]:8080/s', ('http', '::1', 8080, '/s', 'http://[::1]:8080/s')),
    ('http://u:p%40ss@127.0.0.1', ('http', '127.0.0.1', 80, '/', 'http://127.0.0.1')),
])
def test_parse_target(url, expected):
    target = http.parse_target(url)
    assert (target.scheme, target.host, target.port, target.path, target.shown) == expected


def test_credentials_in_the_url_are_split_off_and_unquoted():
    target = http.parse_target('http://mon%3Aitor:p%40ss@127.0.0.1/s')
    assert (target.username, target.password) == ('mon:itor', 'p@ss')
    assert http.password_in('http://mon:p%40ss@127.0.0.1/s') == 'p@ss'
    assert http.password_in('http://127.0.0.1/s') is None
    assert http.password_in('http://[::1/s') is None


@pytest.mark.parametrize('url,problem', [
    ('localhost/server-status', 'has no scheme and host'),
    ('//localhost/server-status', 'has no scheme and host'),
    ('http:///server-status', 'has no scheme and host'),
    ('ftp://localhost/x', 'only http and https'),
    ('http://[::1/x', 'Invalid IPv6 URL'),
    ('http://[fe80::zz]/x', 'not a valid URL'),
    ('http://[::1]]/x', 'its IPv6 literal'),
    ('http://[::1]x/x', 'its IPv6 literal'),
    ('http://host:99999/x', 'Port out of range'),
    ('http://host:abc/x', 'Port could not be cast'),
    ('http://a b/x', 'is not a host name or an IP address'),
    ('http://h/x\r\nX-Injected: 1', 'a space or a control character'),
])
def test_parse_target_names_the_fault(url, problem):
    with pytest.raises(http.FetchError, match='url=.*' + problem):
        http.parse_target(url)


def _target(url):
    return http.parse_target(url)


@pytest.mark.parametrize('origin,target,kept', [
    ('http://h/a', 'http://h/b', True),
    ('http://h/a', 'http://H:80/b', True),
    ('http://h/a', 'https://h/b', True),           # the upgrade to https on the standard ports
    ('https://h/a', 'http://h/b', False),          # never downgraded to clear text
    ('http://h:8080/a', 'https://h/b', False),
    ('http://h/a', 'http://h:8080/b', False),
    ('http://h/a', 'http://other/b', False),
    ('http://127.0.0.1/a', 'http://localhost/b', False),  # names are compared, not resolved
])
def test_credentials_stay_with_their_origin(origin, target, kept):
    assert http.keeps_credentials(_target(origin), _target(target)) is kept


def test_deadline_counts_down_and_then_raises_timeout():
    deadline = http.Deadline(0.2)
    assert 0 < deadline.remaining() <= 0.2
    time.sleep(0.25)
    with pytest.raises(socket.timeout):
        deadline.remaining()


@pytest.mark.parametrize('text,expected', [
    ('plain', "'plain'"),
    ('\x1b]0;title\x07', r"'\x1b]0;title\x07'"),
    (b'\xff\r\n', r"'ÿ\r\n'"),
    ('x' * 500, "'" + 'x' * 200 + "'..."),
    ('\u2028', r"'\u2028'"),
])
def test_shown_escapes_and_cuts_server_text(text, expected):
    assert http.shown(text) == expected
