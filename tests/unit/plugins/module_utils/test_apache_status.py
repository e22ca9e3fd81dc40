# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mod_status parsing on pages captured from Debian's Apache 2.4 (bookworm 2.4.68, trixie 2.4.71) under the
event, worker and prefork MPMs, and the fetch errors against a stand-in HTTP server in a separate process."""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

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


class _StandIn(BaseHTTPRequestHandler):
    """Answers like Apache would: the captured pages, 403, 404, or nothing for a while."""

    def do_GET(self):
        path, _sep, query = self.path.partition('?')
        if path == '/slow':
            time.sleep(3)
        if path in ('/server-status', '/slow'):
            body = read_fixture('trixie-worker.auto' if query == 'auto' else 'trixie-worker.html')
            self._answer(200, body)
        elif path == '/forbidden':
            self._answer(403, 'Forbidden')
        else:
            self._answer(404, 'Not Found')

    def _answer(self, code, body):
        data = body.encode('iso-8859-1')
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _serve(port):
    HTTPServer(('127.0.0.1', port), _StandIn).serve_forever()


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope='module')
def standin():
    port = _free_port()
    process = multiprocessing.get_context('fork').Process(target=_serve, args=(port,), daemon=True)
    process.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield 'http://127.0.0.1:%d' % port
    process.terminate()
    process.join(5)


def test_gather_over_http(standin):
    result = status.gather(standin + '/server-status', full=True, timeout=5)
    assert result['url'] == standin + '/server-status?auto'
    assert result['extended_status'] is True
    assert result['status']['server_mpm'] == 'worker'
    assert result['scoreboard']['busy'] == result['status']['busy_workers']
    assert len(result['requests']) == len(status.parse_requests(read_fixture('trixie-worker.html')))


def test_403_names_apache_status_allow(standin):
    with pytest.raises(status.ApacheStatusError, match='403.*apache_status_allow'):
        status.gather(standin + '/forbidden')


def test_404_says_mod_status_is_not_enabled(standin):
    with pytest.raises(status.ApacheStatusError, match='404.*mod_status is not enabled'):
        status.gather(standin + '/nothing-here')


def test_timeout_is_reported(standin):
    with pytest.raises(status.ApacheStatusError, match='timeout'):
        status.gather(standin + '/slow', timeout=1)


def test_connection_refused_is_reported():
    with pytest.raises(status.ApacheStatusError, match='refused'):
        status.gather('http://127.0.0.1:%d/server-status' % _free_port(), timeout=2)
