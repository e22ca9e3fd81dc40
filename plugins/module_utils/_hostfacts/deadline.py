# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Calls that can hang on a dead mount, run under a deadline. Private: may change without notice.

A hard NFS, CIFS or FUSE mount can block ``statvfs``, ``stat``, ``readlink`` and
directory reads uninterruptibly, deaf to signals (ansible/ansible#25046). Such
calls run here in daemon worker threads: a call that misses its deadline is
reported as ``timed_out`` and its worker is abandoned in the kernel, while the
module carries on. Nothing here knows about /proc or about facts.
"""

from __future__ import annotations

import errno
import os
import queue
import stat
import threading
from collections import namedtuple

# status: ok (value is the call's return value), timed_out, or error (error is the OSError's text).
CallResult = namedtuple('CallResult', ['status', 'value', 'error'])

DuResult = namedtuple('DuResult', [
    'status', 'disk_bytes', 'apparent_bytes', 'files', 'directories', 'denied', 'error',
])

_GONE_ERRNOS = (errno.ENOENT, errno.ESRCH, errno.ENOTDIR)


class DeadlineRunner(object):
    """Runs calls one at a time in a worker thread, each bounded by ``timeout`` seconds.

    The worker is kept from one call to the next, so a call costs two queue hand-offs, not a
    thread. When a call misses its deadline its worker is abandoned (it stays blocked where no
    signal reaches it) and the next call starts a fresh one: one thread in the common case,
    one more per hung call. ``close()`` lets an idle worker end.
    """

    def __init__(self, timeout):
        self.timeout = timeout
        self.abandoned = 0
        self._worker = None

    def call(self, function, *args):
        """CallResult of ``function(*args)``; an OSError becomes status error, anything else is raised."""
        if self._worker is None:
            self._worker = _Worker()
        reply = self._worker.submit(function, args)
        try:
            status, value = reply.get(timeout=self.timeout)
        except queue.Empty:
            self._worker = None
            self.abandoned += 1
            return CallResult('timed_out', None, '%s did not return within %g s'
                              % (getattr(function, '__name__', 'the call'), self.timeout))
        if status == 'raised':
            if isinstance(value, OSError):
                return CallResult('error', None, value.strerror or str(value))
            raise value
        return CallResult('ok', value, None)

    def close(self):
        if self._worker is not None:
            self._worker.submit(None, None)
            self._worker = None


class _Worker(threading.Thread):
    """Serves (function, args) requests in order, answering each on its own reply queue."""

    def __init__(self):
        super(_Worker, self).__init__(name='hostfacts-deadline')
        self.daemon = True
        self._requests = queue.Queue()
        self.start()

    def submit(self, function, args):
        reply = queue.Queue(maxsize=1)
        self._requests.put((function, args, reply))
        return reply

    def run(self):
        while True:
            function, args, reply = self._requests.get()
            if function is None:
                return
            try:
                reply.put(('ok', function(*args)))
            except Exception as exc:  # handed to the caller, which raises it or maps an OSError
                reply.put(('raised', exc))


def statvfs_many(paths, timeout):
    """{path: CallResult of os.statvfs}, each call bounded by ``timeout`` seconds."""
    runner = DeadlineRunner(timeout)
    try:
        return dict((path, runner.call(os.statvfs, path)) for path in paths)
    finally:
        runner.close()


def disk_usage(top, timeout):
    """Sum the tree at ``top`` like ``du -s -x``, bounded by ``timeout`` seconds: a DuResult.

    The walk runs in a daemon thread, so a walk into a hung network filesystem cannot hang
    the module. It stays on the filesystem of ``top`` (descending into /proc or a hung mount
    below it would be slow or unbounded) and counts hard links once, as du does. On the
    deadline the walk is told to stop and the partial sums come back with status ``timed_out``.
    """
    totals = {'disk_bytes': 0, 'apparent_bytes': 0, 'files': 0, 'directories': 0, 'denied': 0, 'error': None}
    stop = threading.Event()
    done = threading.Event()

    def walk():
        try:
            _walk_tree(top, totals, stop)
        finally:
            done.set()

    worker = threading.Thread(target=walk, name='hostfacts-du')
    worker.daemon = True
    worker.start()
    finished = done.wait(timeout)
    if not finished:
        stop.set()
    status = 'ok' if finished else 'timed_out'
    if totals['error'] is not None:
        status = 'error'
    return DuResult(status, totals['disk_bytes'], totals['apparent_bytes'], totals['files'],
                    totals['directories'], totals['denied'], totals['error'])


def _walk_tree(top, totals, stop):
    """The body of disk_usage: an explicit stack, lstat only, one filesystem, hard links once."""
    try:
        st = os.lstat(top)
    except OSError as exc:
        totals['error'] = exc.strerror or str(exc)
        return
    device = st.st_dev
    seen_links = set()
    _add_usage(totals, st)
    stack = [top] if stat.S_ISDIR(st.st_mode) else []
    while stack and not stop.is_set():
        directory = stack.pop()
        try:
            entries = os.scandir(directory)
        except OSError as exc:
            if exc.errno not in _GONE_ERRNOS:
                totals['denied'] += 1
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                is_dir = stat.S_ISDIR(st.st_mode)
                if st.st_dev != device:
                    continue
                if not is_dir and st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    if key in seen_links:
                        continue
                    seen_links.add(key)
                _add_usage(totals, st)
                if is_dir:
                    stack.append(entry.path)


def _add_usage(totals, st):
    totals['disk_bytes'] += st.st_blocks * 512
    totals['apparent_bytes'] += st.st_size
    if stat.S_ISDIR(st.st_mode):
        totals['directories'] += 1
    else:
        totals['files'] += 1
