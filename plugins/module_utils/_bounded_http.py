# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One HTTP GET that a hostile server cannot stretch, flood or use to collect credentials. Private: may change
without notice.

urllib, and ansible.module_utils.urls.open_url on top of it, cannot give these guarantees:
- its timeout applies to each socket operation, so a server that sends one byte a second holds a call for as
  long as it likes;
- read() has no size limit;
- with force_basic_auth the Authorization header is an ordinary request header, and the redirect handler copies
  it to whatever host the Location names (urllib/request.py HTTPRedirectHandler.redirect_request, which
  ansible/module_utils/urls.py HTTPRedirectHandler calls for follow_redirects=urllib2, the open_url default).
http.client still parses the protocol here; this module adds a deadline that every socket operation
(connect, TLS handshake, send, each read) is given the rest of, a body cap, and redirects followed by hand,
with the credentials sent only to the origin of the URL. No proxy is used.
"""

from __future__ import annotations

import base64
import collections
import http.client
import io
import ipaddress
import re
import socket
import ssl
import time

from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
DEFAULT_PORTS = {'http': 80, 'https': 443}
# Server-supplied text quoted in an error message is cut here.
SHOWN_CHARS = 200
READ_CHUNK = 64 * 1024

_HOST_NAME = re.compile(r'^[A-Za-z0-9_.-]+$')
# What http.client refuses in a request target (http/client.py, _contains_disallowed_url_pchar_re).
_URL_FORBIDDEN = re.compile(r'[\x00-\x20\x7f]')
_BRACKETED = re.compile(r'^\[([^\[\]]+)\](?::[0-9]*)?$')

Target = collections.namedtuple('Target', 'scheme host port path shown username password')


class FetchError(Exception):
    """Why the GET failed, in words; status is the HTTP status when a server answered with an error, and
    url the address (without credentials) that answered it."""

    def __init__(self, message, status=None, url=None):
        Exception.__init__(self, message)
        self.status = status
        self.url = url


def shown(text, limit=SHOWN_CHARS):
    """Quote server-supplied text for a message: control characters escaped as repr does, cut at limit."""
    if isinstance(text, bytes):
        text = text.decode('iso-8859-1')
    text = str(text)
    if len(text) > limit:
        return repr(text[:limit]) + '...'
    return repr(text)


class Deadline(object):
    """A moment on the monotonic clock; remaining() raises socket.timeout once it has passed."""

    def __init__(self, seconds):
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self):
        left = self._end - time.monotonic()
        if left <= 0:
            raise socket.timeout('the deadline of %s seconds has passed' % self.seconds)
        return left


def _check_host(netloc, host):
    hostport = netloc.rpartition('@')[2]
    if hostport.startswith('['):
        bracketed = _BRACKETED.match(hostport)
        try:
            ipaddress.IPv6Address(bracketed.group(1).split('%')[0])
        except (AttributeError, ValueError):
            return 'its IPv6 literal %s is not valid' % shown(hostport)
    elif '[' in hostport or ']' in hostport or not _HOST_NAME.match(host):
        return 'its host %s is not a host name or an IP address' % shown(host)
    return None


def parse_target(url, what='url'):
    """Split and check an http(s) URL; every fault becomes a FetchError that names it (what=<url>)."""
    named = '%s=%s' % (what, shown(url))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise FetchError('%s is not a valid URL: %s' % (named, err))
    if not parts.scheme or not parts.netloc:
        raise FetchError('%s has no scheme and host: write it as http://host/path or https://host/path' % named)
    if parts.scheme not in DEFAULT_PORTS:
        raise FetchError('%s has the scheme %s; only http and https are read' % (named, shown(parts.scheme)))
    if not parts.hostname:
        raise FetchError('%s has no host' % named)
    fault = _check_host(parts.netloc, parts.hostname)
    if fault is None and _URL_FORBIDDEN.search(url):
        fault = 'it contains a space or a control character'
    if fault:
        raise FetchError('%s is not a valid URL: %s' % (named, fault))
    hostport = parts.netloc.rpartition('@')[2]
    path = (parts.path or '/') + ('?' + parts.query if parts.query else '')
    return Target(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme], path,
                  urlunsplit((parts.scheme, hostport, parts.path, parts.query, '')),
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None)


def password_in(url):
    """The password written into url (user:password@host), if any, for the module to mask in its output."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def keeps_credentials(origin, target):
    """Whether credentials meant for origin may go to target: the same host, and the same scheme and port or
    the upgrade from http on 80 to https on 443. This is the rule of requests (requests/sessions.py,
    SessionRedirectMixin.should_strip_auth); curl follows the same idea without --location-trusted."""
    if origin.host.lower() != target.host.lower():
        return False
    if (origin.scheme, origin.port) == (target.scheme, target.port):
        return True
    return (origin.scheme, origin.port, target.scheme, target.port) == ('http', 80, 'https', 443)


class _DeadlineReader(io.RawIOBase):
    """The socket as http.client reads it; each read waits at most until the deadline, however slow the peer."""

    def __init__(self, owner):
        io.RawIOBase.__init__(self)
        self._owner = owner

    def readable(self):
        return True

    def readinto(self, buffer):
        sock = self._owner.sock
        sock.settimeout(self._owner.deadline.remaining())
        return sock.recv_into(buffer)

    def close(self):
        if not self.closed:
            self._owner.release()
        io.RawIOBase.close(self)


class _DeadlineSocket(object):
    """The socket methods http.client calls (sendall, makefile, close), each bounded by the deadline.

    Python's sendall and each TLS operation already treat the socket timeout as a total for the call
    (CPython issue 23853), so setting it to the time left before each call makes the deadline hard.
    As with socket.makefile, the socket stays open until the response's reader is closed too: http.client
    closes the connection as soon as it sees "Connection: close", before the body is read."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self._readers = 0
        self._closed = False

    def sendall(self, data):
        self.sock.settimeout(self.deadline.remaining())
        self.sock.sendall(data)

    def makefile(self, mode, *_args, **_kwargs):
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def release(self):
        self._readers -= 1
        if self._closed:
            self.close()

    def close(self):
        self._closed = True
        if not self._readers:
            self.sock.close()


def _connect(host, port, deadline):
    """A TCP connection to the first address of host that accepts, within the deadline."""
    error = None
    for family, kind, proto, _name, address in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(address)
            return sock
        except socket.timeout:
            sock.close()
            raise
        except OSError as err:
            sock.close()
            error = err
    raise error or OSError('no address for %s' % host)


class _Connection(http.client.HTTPConnection):
    """http.client over a deadline-bound socket, TLS when a context is given."""

    def __init__(self, target, deadline, tls_context):
        http.client.HTTPConnection.__init__(self, target.host, target.port)
        # The Host header leaves out the port when it is the scheme's own.
        self.default_port = DEFAULT_PORTS[target.scheme]
        self._deadline = deadline
        self._tls_context = tls_context

    def connect(self):
        sock = _connect(self.host, self.port, self._deadline)
        if self._tls_context is not None:
            sock.settimeout(self._deadline.remaining())
            sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)
        self.sock = _DeadlineSocket(sock, self._deadline)


def tls_context(validate_certs):
    context = ssl.create_default_context()
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _read_body(response, target, max_body_bytes):
    """The whole body, refused beyond max_body_bytes and refused when shorter than its Content-Length."""
    announced = response.length
    if announced is not None and announced > max_body_bytes:
        raise FetchError('%s announces a body of %d bytes, more than max_body_bytes=%d'
                         % (target.shown, announced, max_body_bytes))
    chunks = []
    size = 0
    while True:
        chunk = response.read(min(READ_CHUNK, max_body_bytes + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > max_body_bytes:
            raise FetchError('the body from %s is longer than max_body_bytes=%d' % (target.shown, max_body_bytes))
        chunks.append(chunk)
    # http.client's read(amt) returns b'' at a premature end instead of raising IncompleteRead.
    if announced is not None and size < announced:
        raise FetchError('the body from %s is truncated: the connection ended after %d of the %d bytes its '
                         'Content-Length announced' % (target.shown, size, announced))
    return b''.join(chunks)


def _exchange(target, deadline, headers, context, max_body_bytes):
    """One request; returns (status, reason, Location, body), the body only for a 200."""
    connection = _Connection(target, deadline, context if target.scheme == 'https' else None)
    response = None
    try:
        connection.request('GET', target.path, headers=headers)
        response = connection.getresponse()
        body = _read_body(response, target, max_body_bytes) if response.status == 200 else None
        return response.status, response.reason, response.getheader('Location'), body
    finally:
        if response is not None:
            response.close()
        connection.close()


def _authorization(username, password):
    pair = '%s:%s' % (username, password or '')
    return 'Basic ' + base64.b64encode(pair.encode('utf-8')).decode('ascii')


def _follow(url, deadline, max_body_bytes, username, password, validate_certs, user_agent, visited):
    """The body of url after at most MAX_REDIRECTS redirects; visited gets each target as it is asked."""
    origin = target = parse_target(url)
    username = username if username is not None else origin.username
    password = password if password is not None else origin.password
    context = tls_context(validate_certs) if origin.scheme == 'https' else None
    for _hop in range(MAX_REDIRECTS + 1):
        headers = {'User-Agent': user_agent, 'Connection': 'close'}
        with_credentials = username is not None and keeps_credentials(origin, target)
        if with_credentials:
            headers['Authorization'] = _authorization(username, password)
        if target.scheme == 'https' and context is None:
            context = tls_context(validate_certs)
        visited.append(target)
        status, reason, location, body = _exchange(target, deadline, headers, context, max_body_bytes)
        if status == 200:
            return body
        if status not in REDIRECT_STATUSES:
            message = '%s answered HTTP %d %s' % (target.shown, status, shown(reason))
            if status == 401 and username is not None and not with_credentials:
                message += ('; the credentials were not sent, because they go only to the host, scheme and port '
                            'of url and this is %s after a redirect' % target.shown)
            raise FetchError(message, status=status, url=target.shown)
        if not location:
            raise FetchError('%s answered HTTP %d without a Location to redirect to' % (target.shown, status))
        # Credentials written into a Location are never taken: only those of the operator are sent.
        target = parse_target(urljoin(target.shown, location), 'Location')._replace(username=None, password=None)
    raise FetchError('more than %d redirects from %s' % (MAX_REDIRECTS, origin.shown))


def bounded_get(url, deadline, max_body_bytes, username=None, password=None, validate_certs=True,
                user_agent='hostops.fleet'):
    """GET url and return the body (bytes); all of it must arrive before the deadline. Every failure is a
    FetchError whose message names the URL (without its credentials) and the problem."""
    visited = []
    try:
        return _follow(url, deadline, max_body_bytes, username, password, validate_certs, user_agent, visited)
    except (OSError, http.client.HTTPException) as err:
        where = visited[-1].shown if visited else parse_target(url).shown
        raise FetchError(_failure(err, where, deadline))


def _failure(err, where, deadline):
    """What went wrong with the request to where, in words; the most specific classes are tried first."""
    if isinstance(err, socket.timeout):
        return 'no complete answer from %s within %s seconds (timeout=%s)' % (where, deadline.seconds, deadline.seconds)
    if isinstance(err, ssl.SSLCertVerificationError):
        return ('the TLS certificate of %s is not trusted: %s (validate_certs=false skips this check)'
                % (where, err.verify_message))
    if isinstance(err, ssl.SSLError):
        return 'TLS with %s failed: %s' % (where, err)
    if isinstance(err, http.client.IncompleteRead):
        return 'the answer from %s is truncated or its chunked encoding is broken' % where
    if isinstance(err, http.client.RemoteDisconnected):
        return '%s closed the connection without answering' % where
    if isinstance(err, http.client.LineTooLong):
        return 'the answer from %s is malformed: %s' % (where, err)
    if isinstance(err, http.client.BadStatusLine):
        return 'the answer from %s is malformed: its status line is %s' % (where, shown(err.line))
    if isinstance(err, http.client.HTTPException):
        return 'the answer from %s is not valid HTTP: %s' % (where, shown(str(err)))
    if isinstance(err, ConnectionRefusedError):
        return 'connection to %s refused: is the server running and listening there?' % where
    if isinstance(err, socket.gaierror):
        return 'cannot resolve the host of %s: %s' % (where, err.strerror or err)
    return 'cannot read %s: %s' % (where, err.strerror or err)
