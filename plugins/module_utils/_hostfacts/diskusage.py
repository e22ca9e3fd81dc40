# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``du -s -x`` walks under the run's deadline (deadline.DeadlineRunner), for the filesystems subset's du_paths.
Private.

Each walk runs in a daemon thread of its own, like the calls of deadline.py, because a directory
read on a hard NFS, CIFS or FUSE mount can block uninterruptibly. Apart from deadline.py so that a
run without du_paths (the defaults) does not compile it: a module compiles its module_utils from
the payload's zip on every run.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections import namedtuple

# error: the first error (the path and why), as du prints it; errors: how many entries failed so.
DuResult = namedtuple('DuResult', [
    'status', 'disk_bytes', 'apparent_bytes', 'files', 'directories', 'denied', 'error', 'errors',
])

GONE_ERRNOS = (errno.ENOENT, errno.ESRCH, errno.ENOTDIR)
DENIED_ERRNOS = (errno.EACCES, errno.EPERM)


class DiskUsageWalks(object):
    """``du -s -x`` of several paths, each walked in its own daemon thread, all bounded by a runner's deadline.

    The walks start at once (``start``) so that they run while the caller does other work (statvfs of
    every mount); ``results`` waits for them until the deadline and tells the walks still running to stop.
    """

    def __init__(self, runner):
        self.runner = runner
        self.walks = []

    def start(self, tops):
        self.runner.until()  # a walk starts the run's clock like any call
        for top in tops:
            walk = _Walk(top)
            walk.thread.start()
            self.walks.append(walk)
        return self

    def results(self):
        """[DuResult] in the order of the paths; a walk still running at the deadline is timed_out."""
        results = []
        for walk in self.walks:
            finished = walk.done.wait(max(0.0, self.runner.remaining()))
            if not finished:
                walk.stop.set()
            results.append(walk.result(finished))
        return results


class _Walk(object):
    """One du walk: its totals, filled in by the thread, and the events that end it."""

    def __init__(self, top):
        self.top = top
        self.totals = {'disk_bytes': 0, 'apparent_bytes': 0, 'files': 0, 'directories': 0, 'denied': 0,
                       'error': None, 'errors': 0}
        self.stop = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name='hostfacts-du')
        self.thread.daemon = True

    def _run(self):
        try:
            _walk_tree(self.top, self.totals, self.stop)
        finally:
            self.done.set()

    def result(self, finished):
        totals = dict(self.totals)
        status = 'timed_out' if not finished else 'error' if totals['error'] is not None else 'ok'
        return DuResult(status, totals['disk_bytes'], totals['apparent_bytes'], totals['files'],
                        totals['directories'], totals['denied'], totals['error'], totals['errors'])


def _walk_tree(top, totals, stop):
    """The body of a du walk: an explicit stack, lstat only, one filesystem, hard links once.

    Like du, a directory or an entry that cannot be read is reported (the first one named in
    ``error``, all of them counted in ``errors``) and the walk sums everything else; permission
    denied is counted apart (``denied``), as it joins the run's one warning to use become.
    """
    try:
        st = os.lstat(top)
    except OSError as exc:
        _note_failure(totals, exc, 'cannot access', top, top=True)
        return
    device = st.st_dev
    seen_links = set()
    _add_usage(totals, st)
    stack = [top] if stat.S_ISDIR(st.st_mode) else []
    while stack and not stop.is_set():
        directory = stack.pop()
        try:
            _sum_directory(directory, device, seen_links, totals, stack)
        except OSError as exc:
            # scandir or its iteration failed (a corrupt directory block): what was read is kept.
            _note_failure(totals, exc, 'cannot read directory', directory)


def _sum_directory(directory, device, seen_links, totals, stack):
    with os.scandir(directory) as entries:
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                _note_failure(totals, exc, 'cannot access', entry.path)
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


def _note_failure(totals, exc, what, path, top=False):
    """du's message for a path it could not read: vanished entries below the top are no error (they went
    while walking), denials are counted apart, anything else names the path and sums on."""
    if not top and exc.errno in GONE_ERRNOS:
        return
    if not top and exc.errno in DENIED_ERRNOS:
        totals['denied'] += 1
        return
    totals['errors'] += 1
    if totals['error'] is None:
        # Undecodable bytes of a name as \\xHH (findmnt's way), never as lone surrogates the JSON output refuses.
        shown = os.fsencode(path).decode('utf-8', 'backslashreplace')
        totals['error'] = "%s '%s': %s" % (what, shown, exc.strerror or exc)


def _add_usage(totals, st):
    totals['disk_bytes'] += st.st_blocks * 512
    totals['apparent_bytes'] += st.st_size
    if stat.S_ISDIR(st.st_mode):
        totals['directories'] += 1
    else:
        totals['files'] += 1
