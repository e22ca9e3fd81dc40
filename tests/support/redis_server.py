# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real Redis (Debian's redis-server) of the test's own, on a free loopback port, gone when the test ends.

Installed by tests/support/ensure-packages.sh when missing (without starting the package's service).
Nothing is saved to disk: no RDB snapshot, no append-only file, the working directory is the test's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def ensure_redis_server():
    if shutil.which('redis-server') is None:
        subprocess.run(['bash', os.path.join(HERE, 'ensure-packages.sh'), 'redis-server'], check=True)
    return shutil.which('redis-server')


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def redis_server(directory):
    """Yields the port of a running redis-server bound to 127.0.0.1; stops it afterwards."""
    executable = ensure_redis_server()
    port = free_port()
    process = subprocess.Popen([executable, '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                                '--appendonly', 'no', '--dir', str(directory), '--daemonize', 'no',
                                '--logfile', os.path.join(str(directory), 'redis.log')],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=1) as connection:
                    connection.sendall(b'PING\r\n')
                    if connection.recv(16).startswith(b'+PONG'):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('redis-server did not answer on port %d' % port)
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
