# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real TCP servers that answer with exactly the bytes a test scripts, for HTTP clients under a hostile server.

ScriptedServer listens on a real socket (optionally TLS), records every request head it receives, and
answers each connection with a script: a function of (connection, request) that sends bytes, waits,
trickles or hangs up. TrickleProxy forwards a server's bytes one at a time, slowly, to slow down any phase
of a connection (the TLS handshake included). self_signed_certificate() writes a key and certificate
for a TLS server.
"""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import threading

HEAD_LIMIT = 256 * 1024


def _listen(host, port):
    """A listening socket whose accept() wakes up five times a second: close() alone does not end a blocked
    accept() on Linux, so the accept loops poll their stop event instead."""
    listener = socket.create_server((host, port))
    listener.settimeout(0.2)
    return listener


def _accept(listener, stopping):
    """The next connection, or None once stopping is set or the listener is closed."""
    while not stopping.is_set():
        try:
            return listener.accept()[0]
        except socket.timeout:
            continue
        except OSError:
            return None
    return None


class Request(object):
    """A request head as the server received it: the request line and the headers (names lower-cased)."""

    def __init__(self, head):
        lines = head.decode('iso-8859-1').split('\r\n')
        self.line = lines[0]
        self.headers = {}
        for line in lines[1:]:
            name, _sep, value = line.partition(':')
            if name:
                self.headers[name.strip().lower()] = value.strip()

    @property
    def path(self):
        return self.line.split(' ')[1] if ' ' in self.line else ''


def _read_head(conn):
    data = b''
    while b'\r\n\r\n' not in data and len(data) < HEAD_LIMIT:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.partition(b'\r\n\r\n')[0]


class ScriptedServer(object):
    """A server on host:port (0: any free port) whose every connection runs script(conn, request, server)."""

    def __init__(self, script, host='127.0.0.1', port=0, tls_files=None):
        self.script = script
        self.requests = []
        self.stopping = threading.Event()
        self._listener = _listen(host, port)
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._tls = None
        if tls_files:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls_files)
        self._threads = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self):
        return '%s://%s:%d' % ('https' if self._tls else 'http', self.host, self.port)

    def __enter__(self):
        self._accepting.start()
        return self

    def __exit__(self, *_exc):
        self.stopping.set()
        self._accepting.join(10)
        self._listener.close()
        for thread in self._threads:
            thread.join(10)

    def _accept(self):
        while True:
            conn = _accept(self._listener, self.stopping)
            if conn is None:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            request = Request(_read_head(conn))
            self.requests.append(request)
            self.script(conn, request, self)
        except (OSError, ssl.SSLError):
            pass  # the client gave up (the tests about deadlines make it do so)
        finally:
            conn.close()

    def pause(self, seconds):
        """Wait, but stop waiting when the server stops; True when it is stopping."""
        return self.stopping.wait(seconds)


def send(data):
    """A script that sends data (bytes) and hangs up."""
    def script(conn, _request, _server):
        conn.sendall(data)
    return script


def trickle(head, filler=b'x', every=1.0):
    """A script that sends head, then one byte of filler every `every` seconds until the client leaves."""
    def script(conn, _request, server):
        conn.sendall(head)
        while not server.pause(every):
            conn.sendall(filler[:1])
    return script


def page(body, status='200 OK', headers=()):
    """The bytes of a complete HTTP/1.1 answer with a Content-Length."""
    if isinstance(body, str):
        body = body.encode('iso-8859-1')
    lines = ['HTTP/1.1 %s' % status, 'Content-Length: %d' % len(body), 'Connection: close'] + list(headers)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('iso-8859-1') + body


class TrickleProxy(object):
    """Forwards connections to a backend: client bytes at once, backend bytes one per `every` seconds."""

    def __init__(self, backend_port, every=1.0):
        self.backend_port = backend_port
        self.every = every
        self.forwarded = 0
        self.stopping = threading.Event()
        self._listener = _listen('127.0.0.1', 0)
        self.port = self._listener.getsockname()[1]
        self._threads = []

    def __enter__(self):
        self._spawn(self._accept)
        return self

    def __exit__(self, *_exc):
        self.stopping.set()
        self._listener.close()
        for thread in list(self._threads):
            thread.join(10)

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self):
        while True:
            client = _accept(self._listener, self.stopping)
            if client is None:
                return
            backend = socket.create_connection(('127.0.0.1', self.backend_port), timeout=10)
            self._spawn(self._pump, client, backend, False)
            self._spawn(self._pump, backend, client, True)

    def _pump(self, source, sink, slow):
        try:
            while not self.stopping.is_set():
                data = source.recv(1 if slow else 65536)
                if not data:
                    break
                sink.sendall(data)
                if slow:
                    self.forwarded += 1
                    if self.stopping.wait(self.every):
                        break
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def self_signed_certificate(directory, host='localhost'):
    """Write key.pem and cert.pem for host into directory (with the cryptography package ansible-core
    requires); returns (cert path, key path) as SSLContext.load_cert_chain takes them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, 'cert.pem')
    key_path = os.path.join(directory, 'key.pem')
    with open(cert_path, 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert_path, key_path
