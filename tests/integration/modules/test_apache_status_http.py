# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""apache_status_info against real local servers that answer with exactly the bytes each test scripts: the
captured Apache pages, redirects to other hosts and ports (recording the Authorization header each server
gets), answers trickled one byte a second, over-long, truncated and malformed answers, and TLS.

Most cases run the module as its own process (support.module_process): the result must be a clean
fail_json, with no traceback. The pages served are the ones captured from Debian's Apache."""

from __future__ import annotations

import base64
import os
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils import _apache_status as status

from support import paths
from support.module_process import run_module
from support.scripted_http import ScriptedServer, TrickleProxy, page, self_signed_certificate, send, trickle

FIXTURES = os.path.join(paths.FIXTURES, 'apache')
PASSWORD = 'pw-4d1f9e'


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='iso-8859-1') as handle:
        return handle.read()


AUTO = fixture('trixie-worker.auto')
HTML = fixture('trixie-worker.html')


def apache(conn, request, _server):
    """Like Apache's status location: ?auto or the HTML page, 404 elsewhere."""
    if request.path.startswith('/server-status'):
        conn.sendall(page(AUTO if request.path.endswith('?auto') else HTML))
    else:
        conn.sendall(page('Not Found', status='404 Not Found'))


def redirect_to(location, code='302 Found'):
    def script(conn, _request, _server):
        conn.sendall(page('', status=code, headers=['Location: %s' % location]))
    return script


def basic(user, password):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()


def failure(url, **args):
    run = run_module('apache_status_info', url=url, **args)
    assert run.result.get('failed') is True, run.result
    return run.result['msg']


# The pages Apache serves


def test_the_captured_pages_over_http():
    with ScriptedServer(apache) as server:
        result = status.gather(server.url + '/server-status', full=True, timeout=5)
    assert result['url'] == server.url + '/server-status?auto'
    assert result['extended_status'] is True
    assert result['status']['server_mpm'] == 'worker'
    assert result['scoreboard']['busy'] == result['status']['busy_workers']
    assert len(result['requests']) == len(status.parse_requests(HTML))
    assert [r.headers['user-agent'] for r in server.requests] == [status.USER_AGENT] * 2


def test_403_names_apache_status_allow():
    with ScriptedServer(send(page('Forbidden', status='403 Forbidden'))) as server:
        with pytest.raises(status.ApacheStatusError, match='403.*apache_status_allow'):
            status.gather(server.url + '/server-status')


def test_404_says_mod_status_is_not_enabled():
    with ScriptedServer(apache) as server:
        with pytest.raises(status.ApacheStatusError, match='404.*mod_status is not enabled'):
            status.gather(server.url + '/nothing-here')


def test_connection_refused_is_a_clear_failure():
    with ScriptedServer(apache) as server:
        url = server.url + '/server-status'
    assert 'refused' in failure(url, timeout=2)


# Credentials and redirects


@pytest.mark.parametrize('second_host,same_port', [
    ('localhost', False),   # another host name and another port
    ('127.0.0.1', False),   # the same host on another port
    ('127.0.0.2', True),    # another host on the same port
])
def test_credentials_never_follow_a_redirect_to_another_origin(second_host, same_port):
    with ScriptedServer(apache, host='127.0.0.1') as first_probe:
        port = first_probe.port if same_port else 0
    with ScriptedServer(apache, host=second_host, port=port) as second:
        with ScriptedServer(redirect_to(second.url + '/server-status?auto'), host='127.0.0.1',
                            port=port if same_port else 0) as first:
            run = run_module('apache_status_info', url=first.url + '/server-status', url_username='monitor',
                             url_password=PASSWORD, timeout=5)
    assert run.result.get('failed') is not True, run.result
    assert run.result['status']['server_mpm'] == 'worker'
    assert first.requests[0].headers['authorization'] == basic('monitor', PASSWORD)
    assert [r.path for r in second.requests] == ['/server-status?auto']
    assert 'authorization' not in second.requests[0].headers
    assert PASSWORD not in run.stderr and PASSWORD not in repr(run.result)


def test_credentials_stay_with_a_redirect_on_the_same_origin():
    def moved(conn, request, server):
        if request.path.startswith('/old'):
            redirect_to('/server-status?auto', code='301 Moved Permanently')(conn, request, server)
        else:
            apache(conn, request, server)
    with ScriptedServer(moved) as server:
        status.gather(server.url + '/old', url_username='monitor', url_password=PASSWORD, timeout=5)
    assert [r.path for r in server.requests] == ['/old?auto', '/server-status?auto']
    assert [r.headers.get('authorization') for r in server.requests] == [basic('monitor', PASSWORD)] * 2


def test_credentials_in_the_url_are_used_and_not_returned_nor_forwarded():
    with ScriptedServer(apache, host='localhost') as second:
        with ScriptedServer(redirect_to(second.url + '/server-status?auto')) as first:
            url = first.url.replace('://', '://monitor:%s@' % PASSWORD) + '/server-status'
            run = run_module('apache_status_info', url=url, timeout=5)
    assert first.requests[0].headers['authorization'] == basic('monitor', PASSWORD)
    assert 'authorization' not in second.requests[0].headers
    assert run.result['url'] == first.url + '/server-status?auto'
    assert PASSWORD not in repr(run.result)


def test_credentials_written_into_a_location_are_not_sent():
    with ScriptedServer(apache, host='localhost') as second:
        location = second.url.replace('://', '://thief:stolen@') + '/server-status?auto'
        with ScriptedServer(redirect_to(location)) as first:
            status.gather(first.url + '/server-status', timeout=5)
    assert 'authorization' not in second.requests[0].headers


def test_a_401_after_a_cross_host_redirect_says_the_credentials_stayed_home():
    with ScriptedServer(send(page('Unauthorized', status='401 Unauthorized')), host='localhost') as second:
        with ScriptedServer(redirect_to(second.url + '/server-status?auto')) as first:
            message = failure(first.url + '/server-status', url_username='monitor', url_password=PASSWORD)
    assert 'HTTP 401' in message and 'credentials were not sent' in message
    assert PASSWORD not in message


def test_a_redirect_loop_ends():
    with ScriptedServer(redirect_to('/server-status?auto')) as server:
        message = failure(server.url + '/server-status', timeout=5)
    assert 'more than 5 redirects' in message
    assert len(server.requests) == 6


# The deadline


def _timed_failure(url, timeout, **args):
    run = run_module('apache_status_info', url=url, timeout=timeout, **args)
    assert run.result.get('failed') is True, run.result
    return run.result['msg'], run.seconds


@pytest.mark.parametrize('script', [
    trickle(b'HTTP/1.1 200 OK\r\n', filler=b'X'),                                       # a header without end
    trickle(b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nlocalhost\n', filler=b'_'),  # the body
], ids=['headers', 'body'])
def test_a_trickling_server_cannot_stretch_the_timeout(script):
    with ScriptedServer(script) as server:
        message, seconds = _timed_failure(server.url + '/server-status', timeout=3)
    assert 'within 3 seconds (timeout=3)' in message
    # The module process starts in about half a second; the read itself must end at the deadline.
    assert seconds < 3 + 2, seconds


def test_one_deadline_covers_both_pages_of_full():
    def slow_then_trickle(conn, request, server):
        if request.path.endswith('?auto'):
            server.pause(2)
            conn.sendall(page(AUTO))
        else:
            trickle(b'HTTP/1.1 200 OK\r\n\r\n<html>')(conn, request, server)
    with ScriptedServer(slow_then_trickle) as server:
        message, seconds = _timed_failure(server.url + '/server-status', timeout=3, full=True)
    assert 'timeout=3' in message
    assert [r.path for r in server.requests] == ['/server-status?auto', '/server-status']
    assert seconds < 3 + 2, seconds


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    return self_signed_certificate(str(tmp_path_factory.mktemp('tls')))


def test_tls_page_and_an_untrusted_certificate(certificate):
    with ScriptedServer(apache, tls_files=certificate) as server:
        url = server.url.replace('127.0.0.1', 'localhost') + '/server-status'
        result = status.gather(url, timeout=5, validate_certs=False)
        message = failure(url, timeout=5)
    assert result['status']['server_mpm'] == 'worker'
    assert 'not trusted' in message and 'validate_certs=false' in message


def test_a_trickled_tls_handshake_cannot_stretch_the_timeout(certificate):
    with ScriptedServer(apache, tls_files=certificate) as server:
        with TrickleProxy(server.port, every=0.5) as proxy:
            start = time.monotonic()
            with pytest.raises(status.ApacheStatusError, match=r'timeout=3\)'):
                status.gather('https://localhost:%d/server-status' % proxy.port, timeout=3, validate_certs=False)
            seconds = time.monotonic() - start
    assert proxy.forwarded >= 3  # the handshake was under way, a byte at a time
    assert seconds < 3 + 1, seconds


# The body cap


@pytest.mark.parametrize('framing', ['length', 'chunked', 'close'])
def test_a_body_over_max_body_bytes_fails_and_one_at_the_cap_passes(framing):
    body = AUTO.encode('iso-8859-1')

    def serve(conn, _request, _server):
        if framing == 'length':
            conn.sendall(page(body))
        elif framing == 'chunked':
            conn.sendall(b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' % (len(body), body))
        else:
            conn.sendall(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n' + body)
    with ScriptedServer(serve) as server:
        url = server.url + '/server-status'
        assert status.gather(url, timeout=5, max_body_bytes=len(body))['status']['server_mpm'] == 'worker'
        message = failure(url, timeout=5, max_body_bytes=len(body) - 1)
    assert 'max_body_bytes=%d' % (len(body) - 1) in message


def test_a_huge_announced_body_is_refused_before_it_is_read():
    with ScriptedServer(trickle(b'HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n')) as server:
        message, seconds = _timed_failure(server.url + '/server-status', timeout=10)
    assert 'announces a body of 999999999999 bytes, more than max_body_bytes=8388608' in message
    assert seconds < 5


# Malformed answers: each fails with a message naming the problem


@pytest.mark.parametrize('answer,expected', [
    (b'HTPT/1.1 200 OK\r\n\r\n', "malformed: its status line is 'HTPT/1.1 200 OK"),
    (b'HTTP/1.1 2x0 OK\r\n\r\n', "malformed: its status line is 'HTTP/1.1 2x0 OK"),
    (b'\x1b]0;owned\x07\r\n\r\n', r"its status line is '\x1b]0;owned\x07"),
    (b'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nlocalhost\nServerVersion: Apache\n',
     'truncated: the connection ended after 32 of the 5000 bytes'),
    (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nlocalhost\r\n0\r\n\r\n',
     'truncated or its chunked encoding is broken'),
    (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nlocalhost\n',
     'truncated or its chunked encoding is broken'),
    (b'', 'closed the connection without answering'),
    (b'HTTP/1.1 200 OK\r\nX-Long: ' + b'a' * 70000 + b'\r\n\r\n', 'malformed: got more than 65536 bytes'),
    (b'HTTP/1.1 200 OK\r\n' + b'X-A: 1\r\n' * 101 + b'\r\n', "not valid HTTP: 'got more than 100 headers'"),
    (b'HTTP/1.1 500 \x1b[2J\x1b]0;pwned\x07\r\nContent-Length: 0\r\n\r\n', r"HTTP 500 '\x1b[2J\x1b]0;pwned\x07'"),
    (page('<html><body>It works!</body></html>'), 'not a mod_status ?auto page'),
], ids=['status-line', 'status-code', 'status-escape', 'truncated', 'chunk-size', 'chunk-cut', 'no-answer',
        'long-header', 'many-headers', 'hostile-reason', 'not-mod-status'])
def test_a_malformed_answer_fails_cleanly_naming_the_problem(answer, expected):
    with ScriptedServer(send(answer)) as server:
        message = failure(server.url + '/server-status', timeout=5)
    assert expected in message
    assert '\x1b' not in message and '\x07' not in message


@pytest.mark.parametrize('args,expected', [
    ({'url': 'localhost/server-status'}, "url='localhost/server-status' has no scheme and host"),
    ({'url': 'http://[::1/server-status'}, 'Invalid IPv6 URL'),
    ({'url': 'http://[fe80::zz]/server-status'}, 'is not a valid URL'),
    ({'url': 'http://[::1]]:80/server-status'}, 'IPv6 literal'),
    ({'url': 'http://localhost:99999/server-status'}, 'Port out of range'),
    ({'url': 'ftp://localhost/server-status'}, "only http and https"),
    ({'url': 'http://local host/server-status'}, 'is not a host name or an IP address'),
    ({'timeout': -1}, 'timeout=-1 is out of range'),
    ({'timeout': 0}, 'timeout=0 is out of range'),
    ({'timeout': 10 ** 19}, 'timeout=10000000000000000000 is out of range'),
    ({'max_body_bytes': 0}, 'max_body_bytes=0 is out of range'),
])
def test_bad_options_fail_cleanly_naming_the_option(args, expected):
    run = run_module('apache_status_info', **args)
    assert run.result.get('failed') is True, run.result
    assert expected in run.result['msg']


def test_parsing_a_hostile_page_counts_against_the_timeout():
    # 32 MiB of "<td>": 8 million tags, seconds of parsing on any machine; the deadline stops it at 1 s.
    hostile_page = '<table><tr>' + '<td>' * (8 * 1024 * 1024)

    def serve(conn, request, _server):
        conn.sendall(page(AUTO if request.path.endswith('?auto') else hostile_page))
    with ScriptedServer(serve) as server:
        message, seconds = _timed_failure(server.url + '/server-status', timeout=1, full=True,
                                          max_body_bytes=64 * 1024 * 1024)
    assert 'not parsed within 1 seconds (timeout=1)' in message
    assert seconds < 1 + 2, seconds


def test_a_failure_after_a_redirect_names_the_server_that_failed():
    with ScriptedServer(send(b'HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\nlocalhost\n'), host='localhost') as second:
        with ScriptedServer(redirect_to(second.url + '/server-status?auto')) as first:
            message = failure(first.url + '/server-status', timeout=5)
    assert message.startswith('the body from %s/server-status?auto is truncated' % second.url), message
