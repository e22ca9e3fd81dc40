# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The base of the /proc and /sys readers: opening files, and mapping errors once. Private.

Every file under ``<root>/proc``, ``<root>/sys``, ``<root>/run/udev``, ``<root>/dev/disk``, the block
devices whose superblock superblock.py reads (and ``<root>/etc/passwd`` of fixture trees) is opened by
the readers of this package and nowhere else, and each file is parsed in exactly one function, into
named fields (psutil's discipline). Collectors take a reader, so that unit tests can point it at
fixture trees captured from real hosts.

Errors are mapped once, here: ENOENT/ESRCH means the process (or file) is gone and the
call returns None; EACCES/EPERM (or anything else) means we could not read it: the call
returns None and the denial is counted, so that the module emits one warning that says
to use become. Nothing here raises for a vanished process.

Fixture trees store the links of /proc (``ns/*``, ``fd/*``, ``exe``) as regular files
whose content is the link target, because git and ansible-test do not keep dangling
symlinks; ``readlink`` accepts both.

Only the standard library is used, and only syscalls (os.open/os.read), never the
builtin open(): this code runs once per process on hosts with 10,000 of them.
"""

from __future__ import annotations

import errno
import os

GONE_ERRNOS = (errno.ENOENT, errno.ESRCH, errno.ENOTDIR)

# Large enough for the one-record files (/proc/PID/stat, io, status) in one read() call; every
# other file is read in a loop until EOF.
READ_CHUNK = 65536


class FileReader(object):
    """Open, read and list files below ``root`` (``/`` on a live host), counting what could not be read."""

    def __init__(self, root='/'):
        self.root = root
        self.proc = os.path.join(root, 'proc')
        self.sys = os.path.join(root, 'sys')
        self.live = os.path.realpath(root) == '/'
        # Per-host constants: fixture trees captured on other hosts may override them.
        self.clock_ticks = os.sysconf('SC_CLK_TCK')
        self.page_size = os.sysconf('SC_PAGE_SIZE')
        self.denied = {}
        self.gone = 0
        self._usernames = {}
        self._passwd = None

    # ------------------------------------------------------------------ primitives

    def _note_error(self, exc, what):
        # Anything but 'gone' (EACCES, EPERM, EIO...) leaves the facts partial: count it as unreadable.
        if exc.errno in GONE_ERRNOS:
            self.gone += 1
        else:
            self.denied[what] = self.denied.get(what, 0) + 1

    def read_bytes(self, path, what='file', limit=None, single_read=False):
        """Return the content of an absolute path, or None if it is gone or unreadable.

        ``limit`` caps how much is read (cmdline of a huge process); None reads to EOF.
        ``single_read`` is for small one-record files (/proc/PID/stat, status, io): the kernel
        renders such a file whole into its buffer and hands it out in the first read(), so
        the per-process hot path skips the loop.
        """
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            self._note_error(exc, what)
            return None
        try:
            if single_read:
                return os.read(fd, READ_CHUNK)
            return self._read_fd(fd, limit)
        except OSError as exc:
            # ESRCH from read() of a process that exited after open().
            self._note_error(exc, what)
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _read_fd(fd, limit):
        """Read an open descriptor to EOF or ``limit`` (the caller handles errors and closes it).

        seq_file (/proc/PID/mountinfo, /proc/stat, /proc/diskstats) hands out about a page per
        read(), and only whole records: a first read can stop short of a page, at any length,
        when the next record does not fit in what is left of it (a long overlay line). Only EOF
        (an empty read) says the file is done.
        """
        chunks = []
        total = 0
        while limit is None or total < limit:
            chunk = os.read(fd, READ_CHUNK if limit is None else min(limit - total, READ_CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return chunks[0] if len(chunks) == 1 else b''.join(chunks)

    def read_text(self, path, what='file'):
        data = self.read_bytes(path, what)
        return None if data is None else data.decode('utf-8', 'replace')

    def read_rows(self, path, what, minimum, header=0):
        """The whitespace-separated fields of each line of a table file (/proc/net/*) that has at least
        ``minimum`` fields, after ``header`` lines; None when the file cannot be read."""
        text = self.read_text(path, what)
        if text is None:
            return None
        rows = (line.split() for line in text.splitlines()[header:])
        return [fields for fields in rows if len(fields) >= minimum]

    def readlink(self, path, what='link'):
        """Return a link target; fixture trees store it as a regular file's content."""
        try:
            return os.readlink(path)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                text = self.read_text(path, what)
                return None if text is None else text.strip()
            self._note_error(exc, what)
            return None

    def listdir(self, path, what='directory'):
        try:
            return os.listdir(path)
        except OSError as exc:
            self._note_error(exc, what)
            return None

    def path(self, *parts):
        """An absolute path below root, e.g. path('run', 'udev', 'data')."""
        return os.path.join(self.root, *parts)

    # ------------------------------------------------------------------ the shared sample

    _sample = None

    def begin_sample(self):
        """Start a shared sample: until the next call (or end_samples), the readers that share their answers
        within a sample (pids and stat rows, mountinfo) hand every collector the same ones."""
        self._sample = {}

    def end_samples(self):
        """Stop sharing: later calls read the files afresh (and what the sample held can be freed)."""
        self._sample = None

    def sample_cache(self, name):
        """The open sample's dict for ``name`` (made at first use), or None while no sample is open."""
        if self._sample is None:
            return None
        return self._sample.setdefault(name, {})

    # ------------------------------------------------------------------ what could not be read

    def count_denied(self, what, count=1):
        """Count denials that happened outside read_bytes (statvfs, du) into the one warning."""
        if count:
            self.denied[what] = self.denied.get(what, 0) + count

    def forget_denials(self, what, before):
        """Take denials of ``what`` counted since ``before`` (an earlier ``denied.get(what, 0)``) out of the
        'use become' count: for files whose absence is not a partial result."""
        if self.denied.get(what, 0) > before:
            self.denied[what] = before
            if not before:
                del self.denied[what]

    @property
    def privileged(self):
        """True when reading a live host as root: a denial then is not one that become would lift."""
        return self.live and os.geteuid() == 0

    def forget_denials_as_root(self, what, before):
        """Root was denied anyway (PID 1 of a VM sandbox): become cannot help, so do not ask for it."""
        if self.privileged:
            self.forget_denials(what, before)

    # ------------------------------------------------------------------ users

    def username(self, uid):
        """Name for a uid, cached per uid (lookups dominate the cost of ps otherwise)."""
        name = self._usernames.get(uid)
        if name is None:
            name = self._lookup_username(uid)
            self._usernames[uid] = name
        return name

    def _lookup_username(self, uid):
        if self.live:
            import pwd  # deferred: only live hosts use NSS
            try:
                return pwd.getpwuid(uid).pw_name
            except KeyError:
                return str(uid)
        if self._passwd is None:
            self._passwd = {}
            for line in (self.read_text(self.path('etc', 'passwd'), 'passwd') or '').splitlines():
                fields = line.split(':')
                if len(fields) > 2 and fields[2].isdigit():
                    self._passwd.setdefault(int(fields[2]), fields[0])
        return self._passwd.get(uid, str(uid))

    # ------------------------------------------------------------------ system-wide
