# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mod_status parsing on pages captured from Debian's Apache 2.4 (bookworm 2.4.68, trixie 2.4.71) under the
event, worker and prefork MPMs, and the option checks made before any connection. The fetch over real
sockets is in tests/integration/modules/test_apache_status_http.py."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils import _apache_status as status

from support import paths

FIXTURES = os.path.join(paths.FIXTURES, 'apache')
CAPTURES = sorted(name[:-len('.auto')] for name in os.listdir(FIXTURES) if name.endswith('.auto'))
EXTENDED = [name for name in CAPTURES if 'noextended' not in name]


def read_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='iso-8859-1') as handle:
        return handle.read()


def raw_fields(text):
    """The Key: value pairs of an ?auto page, untouched, for comparison with the typed facts."""
    pairs = {}
    for line in text.splitlines()[1:]:
        key, _sep, value = line.partition(':')
        pairs[key] = value.strip()
    return pairs


def test_captures_cover_every_mpm_on_both_releases():
    mpms = set((name.split('-')[0], status.parse_auto(read_fixture(name + '.auto'))['server_mpm']) for name in CAPTURES)
    assert mpms == set((release, mpm) for release in ('bookworm', 'trixie') for mpm in ('event', 'worker', 'prefork'))


@pytest.mark.parametrize('name', CAPTURES)
def test_every_auto_field_is_kept_and_typed(name):
    text = read_fixture(name + '.auto')
    facts = status.parse_auto(text)
    raw = raw_fields(text)
    assert facts['server_name'] == text.splitlines()[0]
    assert len(facts) == len(raw) + 1
    for field, value in raw.items():
        fact, kind = status.AUTO_FIELDS[field]
        if value == '':
            assert facts[fact] is None
        else:
            assert isinstance(facts[fact], kind), (field, value)
            assert facts[fact] == kind(value)


@pytest.mark.parametrize('name', CAPTURES)
def test_scoreboard_decode_agrees_with_apaches_own_counts(name):
    facts = status.parse_auto(read_fixture(name + '.auto'))
    board = status.decode_scoreboard(facts['scoreboard'])
    assert board['busy'] == facts['busy_workers']
    assert board['idle'] == facts['idle_workers']
    assert board['busy'] + board['idle'] == board['live'] == len(facts['scoreboard'].replace('.', ''))
    assert sum(board['states'].values()) + board['unknown'] == board['slots'] == len(facts['scoreboard'])
    assert board['busy_share'] == round(float(board['busy']) / board['slots'], 4)


def test_event_mpm_has_async_connection_fields_and_prefork_has_not():
    event = status.parse_auto(read_fixture('bookworm-event.auto'))
    prefork = status.parse_auto(read_fixture('bookworm-prefork.auto'))
    for field in ('processes', 'stopping', 'conns_total', 'conns_async_wait_io', 'conns_async_writing',
                  'conns_async_keep_alive', 'conns_async_closing'):
        assert isinstance(event[field], int)
        assert field not in prefork


def test_extended_status_off_lacks_the_counters():
    facts = status.parse_auto(read_fixture('bookworm-event-noextended.auto'))
    assert 'total_accesses' not in facts and 'req_per_sec' not in facts
    assert facts['busy_workers'] == 4
    assert status.parse_requests(read_fixture('bookworm-event-noextended.html')) == []


def test_zero_uptime_page_keeps_empty_and_odd_values():
    # Apache 2.4.68 prints "ServerUptime:" with no value and "CPULoad: 0.e+79" right after a restart.
    text = 'localhost\nServerVersion: Apache/2.4.68 (Debian)\nServerUptime:\nCPULoad: 0.e+79\nScoreboard: _W_..\n'
    facts = status.parse_auto(text)
    assert facts['server_uptime'] == ''
    assert facts['cpu_load'] == 0.0


def test_unknown_fields_are_kept_with_derived_names():
    text = ('localhost\nServerVersion: Apache/2.4.99\nCacheType: SHMCB\nCacheSharedMemory: 512000\n'
            'TLSSessionCacheRatio: 0.5\nScoreboard: _\n')
    facts = status.parse_auto(text)
    assert facts['cache_type'] == 'SHMCB'
    assert facts['cache_shared_memory'] == 512000
    assert facts['tls_session_cache_ratio'] == 0.5


@pytest.mark.parametrize('text', ['<html><body>It works!</body></html>', 'localhost\nnot a status line\n'])
def test_a_page_that_is_not_mod_status_is_an_error(text):
    with pytest.raises(status.ApacheStatusError):
        status.parse_auto(text)


@pytest.mark.parametrize('name', EXTENDED)
def test_request_table_matches_the_scoreboard_of_the_same_page(name):
    html = read_fixture(name + '.html')
    rows = status.parse_requests(html)
    assert rows, name
    for row in rows:
        assert isinstance(row['pid'], int) and row['pid'] > 0
        assert row['acc'] == '%d/%d/%d' % (row['acc_connection'], row['acc_child'], row['acc_slot'])
        assert row['mode'] == status.SCOREBOARD_KEY[row['m']]
        assert isinstance(row['cpu'], float)
        assert set(['client', 'vhost', 'request', 'protocol', 'dur']) <= set(row)
    # The page was taken while three requests for /sleep.php were in flight.
    sleeping = [row for row in rows if row['request'] == 'GET /sleep.php HTTP/1.1' and row['m'] == 'W']
    assert len(sleeping) == 3


def test_status_url_replaces_any_query():
    assert status.status_url('http://h/server-status', auto=True) == 'http://h/server-status?auto'
    assert status.status_url('http://h/server-status?auto&refresh=5', auto=False) == 'http://h/server-status'


@pytest.mark.parametrize('timeout,max_body_bytes,option', [
    (-1, 100, 'timeout=-1'), (0, 100, 'timeout=0'), (3601, 100, 'timeout=3601'), (10 ** 19, 100, 'timeout='),
    (10, 0, 'max_body_bytes=0'), (10, -5, 'max_body_bytes=-5'),
])
def test_limits_out_of_range_name_the_option(timeout, max_body_bytes, option):
    with pytest.raises(status.ApacheStatusError, match=option + '.* out of range'):
        status.gather('http://127.0.0.1:9/server-status', timeout=timeout, max_body_bytes=max_body_bytes)


@pytest.mark.parametrize('url,problem', [
    ('localhost/server-status', 'has no scheme and host'),
    ('http://[::1/server-status', 'Invalid IPv6 URL'),
    ('http://[::1]]/server-status', 'IPv6 literal'),
])
def test_a_bad_url_is_refused_before_any_connection(url, problem):
    with pytest.raises(status.ApacheStatusError, match=r"url='%s' .*%s" % (re.escape(url), re.escape(problem))):
        status.gather(url)


def test_parse_errors_quote_the_page_escaped_and_cut():
    hostile = 'localhost\nServerVersion: x\n\x1b]0;owned\x07' + 'A' * 5000 + '\n'
    with pytest.raises(status.ApacheStatusError) as caught:
        status.parse_auto(hostile)
    message = str(caught.value)
    assert '\\x1b]0;owned\\x07' in message and '\x1b' not in message
    assert len(message) < 300


@pytest.mark.parametrize('pattern', ['<!--', '<!', '<?', '<', '<![', '<td', '&#', '<tr><td'])
def test_html_that_derails_html_parser_gives_no_rows_and_no_exception(pattern):
    # html.parser rescans these quadratically and raises AssertionError on "<![": the deadline test with a
    # hostile page over a real socket is in tests/integration/modules/test_apache_status_http.py.
    assert status.parse_requests(pattern * 20000) == []


def test_cells_keep_inner_text_and_decode_entities():
    html = ('<table><TR><th>Srv</th><th>PID</th><th>Client</th></tr>'
            '<tr><td><b>0-0</b></td><td>42</td><td>a&amp;b <i>c</i>\n d</td></tr></table>')
    assert status.parse_requests(html) == [{'srv': '0-0', 'pid': 42, 'client': 'a&b c d'}]


def test_request_rows_beyond_the_cap_are_counted_not_kept(monkeypatch):
    monkeypatch.setattr(status, 'MAX_REQUEST_ROWS', 3)
    html = ('<table><tr><th>Srv</th><th>PID</th></tr>'
            + ''.join('<tr><td>0-%d</td><td>%d</td></tr>' % (n, 100 + n) for n in range(5)) + '</table>')
    rows, dropped = status.read_requests(html)
    assert [row['pid'] for row in rows] == [100, 101, 102] and dropped == 2


@pytest.mark.parametrize('text,kind', [
    ('9' * 41, int), (str(2 ** 64), int), (str(-2 ** 63 - 1), int), ('1e999', float), ('nan', float), ('-inf', float),
])
def test_numbers_no_counter_holds_are_not_numbers(text, kind):
    with pytest.raises(status.ApacheStatusError, match='not a number'):
        status.typed_value(kind, text, 'Total Accesses')
    guessed = status.guess_value(text)
    assert guessed == text or (isinstance(guessed, float) and abs(guessed) < float('inf'))


def test_an_auto_page_with_too_many_fields_is_refused():
    def page(fields):
        return 'localhost\nServerVersion: x\n' + ''.join('F%d: %d\n' % (n, n) for n in range(fields))
    assert len(status.parse_auto(page(status.MAX_AUTO_FIELDS - 2))) == status.MAX_AUTO_FIELDS
    with pytest.raises(status.ApacheStatusError, match='more than 200 fields'):
        status.parse_auto(page(status.MAX_AUTO_FIELDS - 1))


@pytest.mark.parametrize('line,limit', [
    ('ServerVersion: ' + 'v' * 1025, '1024'),
    ('Scoreboard: ' + '_' * 1000001, '1000000'),
    ('K' * 101 + ': 1', '100'),
])
def test_fields_longer_than_mod_status_prints_are_refused(line, limit):
    with pytest.raises(status.ApacheStatusError, match='more than mod_status prints.*%s' % limit):
        status.parse_auto('localhost\nServerVersion: x\n' + line + '\n')


def test_a_scoreboard_of_a_million_slots_is_read():
    facts = status.parse_auto('localhost\r\nServerVersion: x\r\nScoreboard: ' + '_' * 1000000 + '\r\n')
    assert status.decode_scoreboard(facts['scoreboard'])['idle'] == 1000000


def test_cells_are_cut():
    html = '<table><tr><th>Srv</th><th>PID</th><th>Request</th></tr><tr><td>0</td><td>1</td><td>%s</td></tr>' % (
        'r' * 5000)
    assert status.parse_requests(html)[0]['request'] == 'r' * status.MAX_CELL_CHARS


def test_cells_beyond_the_cap_of_a_row_are_skipped():
    tables = status.collect_tables('<table><tr>' + '<td>x</td>' * 100 + '</tr></table>')
    assert tables == [[['x'] * status.MAX_ROW_CELLS]]
