# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-process files of /proc: stat, statm, status, cmdline, io, ns, cgroup, fd and fdinfo. Private.

Each file is parsed in one method below into named fields; errors are mapped by the
FileReader primitives (a vanished process gives None, never an exception).
"""

from __future__ import annotations

import errno
import itertools
import os
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.files import FileReader

# /proc/PID/stat fields after the parenthesised comm, by index (field N of proc(5) is N - 3).
_STAT_STATE, _STAT_PPID, _STAT_PGRP, _STAT_SESSION, _STAT_TTY = 0, 1, 2, 3, 4
_STAT_FLAGS = 6
_STAT_UTIME, _STAT_STIME = 11, 12
_STAT_PRIORITY, _STAT_NICE, _STAT_THREADS = 15, 16, 17
_STAT_STARTTIME, _STAT_VSIZE, _STAT_RSS = 19, 20, 21
_STAT_PROCESSOR = 36
_STAT_BLKIO_TICKS = 39

PF_KTHREAD = 0x00200000
_NOT_READ = object()

PidStat = namedtuple('PidStat', [
    'pid', 'comm', 'state', 'ppid', 'pgrp', 'session', 'tty_nr', 'flags',
    'utime', 'stime', 'priority', 'nice', 'num_threads', 'starttime',
    'vsize', 'rss_pages', 'processor', 'blkio_ticks',
])

PidStatus = namedtuple('PidStatus', ['uid', 'euid', 'gid', 'egid', 'nspid'])

PidIO = namedtuple('PidIO', [
    'rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes', 'cancelled_write_bytes',
])

_PID_IO_KEYS = [name.encode('ascii') + b':' for name in PidIO._fields]

CgroupEntry = namedtuple('CgroupEntry', ['hierarchy', 'controllers', 'path'])

# mode: r, w or rw; mnt_id: the mount id (mountinfo's first field) the file was opened through, or None.
FdInfo = namedtuple('FdInfo', ['offset', 'mode', 'mnt_id'])


class PidFiles(FileReader):
    """The files of /proc/PID, with a shared per-sample cache of the process list and stat rows."""

    def pids(self):
        """Every numeric entry of /proc, sorted (the shared sample's list while one is open: processes and
        io both need every process's stat at the same instant)."""
        cache = self.sample_cache('pids')
        if cache and 'all' in cache:
            return cache['all']
        names = self.listdir(self.proc, 'proc') or []
        pids = sorted(int(name) for name in names if name.isdigit())
        if cache is not None:
            cache['all'] = pids
        return pids

    def pid_stat(self, pid):
        """/proc/PID/stat as a PidStat, or None if the process is gone (shared while a sample is open;
        callers must not modify what they get)."""
        return self._per_sample('stat', pid, self._read_pid_stat)

    def _per_sample(self, name, pid, read):
        """read(pid), once per pid while a sample is open (sample_cache ``name``), afresh otherwise."""
        cache = self.sample_cache(name)
        if cache is None:
            return read(pid)
        result = cache.get(pid, _NOT_READ)
        if result is _NOT_READ:
            result = cache[pid] = read(pid)
        return result

    def _read_pid_stat(self, pid):
        data = self.read_bytes('%s/%d/stat' % (self.proc, pid), 'stat', single_read=True)
        if not data:
            return None
        # comm may hold spaces and parentheses: it ends at the last ')'.
        close = data.rfind(b')')
        comm = data[data.find(b'(') + 1:close].decode('utf-8', 'replace')
        f = data[close + 2:].split()
        return PidStat(
            pid, comm, f[_STAT_STATE].decode('ascii', 'replace'), int(f[_STAT_PPID]),
            int(f[_STAT_PGRP]), int(f[_STAT_SESSION]), int(f[_STAT_TTY]), int(f[_STAT_FLAGS]),
            int(f[_STAT_UTIME]), int(f[_STAT_STIME]), int(f[_STAT_PRIORITY]), int(f[_STAT_NICE]),
            int(f[_STAT_THREADS]), int(f[_STAT_STARTTIME]), int(f[_STAT_VSIZE]), int(f[_STAT_RSS]),
            int(f[_STAT_PROCESSOR]) if len(f) > _STAT_PROCESSOR else -1,
            int(f[_STAT_BLKIO_TICKS]) if len(f) > _STAT_BLKIO_TICKS else 0,
        )

    def pid_rss_pages(self, pid):
        """Resident pages from /proc/PID/statm (its second field), or None if the process is gone.

        This is the resident size ps and top show: ps -o rss reads VmRSS of /proc/PID/status
        (procps-ng library/pids.c, VM_RSS from f_status) and top's RES the same field of statm; since
        Linux 6.16 (commit 82241a83cd15, "mm: fix the inaccurate memory statistics issue for users",
        in stable kernels too) both sum the per-CPU RSS counters exactly (get_mm_counter_sum in
        task_mem and task_statm, fs/proc/task_mmu.c). /proc/PID/stat's rss is get_mm_rss(), which
        reads the counters without their per-CPU parts (percpu_counter_read_positive) and can be
        short by up to 3 x CPUs x the counter batch. statm is the cheaper of the two exact files.
        """
        data = self.read_bytes('%s/%d/statm' % (self.proc, pid), 'statm', single_read=True)
        if not data:
            return None
        return int(data.split(None, 2)[1])

    def pid_status(self, pid):
        """The Uid/Gid/NSpid lines of /proc/PID/status, or None if the process is gone."""
        data = self.read_bytes('%s/%d/status' % (self.proc, pid), 'status', single_read=True)
        if not data:
            return None
        return PidStatus(
            *(self._status_ids(data, b'\nUid:') + self._status_ids(data, b'\nGid:')),
            nspid=self._status_numbers(data, b'\nNSpid:'),
        )

    @staticmethod
    def _status_numbers(data, key):
        start = data.find(key)
        if start < 0:
            return []
        end = data.find(b'\n', start + 1)
        return [int(x) for x in data[start + len(key):end if end > 0 else None].split()]

    @classmethod
    def _status_ids(cls, data, key):
        """(real, effective) of a Uid:/Gid: line; -1 when missing."""
        numbers = cls._status_numbers(data, key)
        if len(numbers) < 2:
            return (-1, -1)
        return (numbers[0], numbers[1])

    def pid_euid(self, pid):
        """Effective uid of a process (the USER of ps), or None if it is gone: one stat, no read.

        The kernel gives the files of a non-dumpable process (setuid programs, daemons that
        dropped root, PR_SET_DUMPABLE 0) root as owner, but exempts the world-readable
        /proc/PID directory itself, which always shows the task's euid (task_dump_owner in
        fs/proc/base.c; procps reads USER the same way). Fixture trees are plain directories
        owned by whoever unpacked them, so there a root owner is checked against the Uid:
        line of /proc/PID/status.
        """
        try:
            owner = os.stat('%s/%d' % (self.proc, pid)).st_uid
        except OSError as exc:
            self._note_error(exc, 'stat')
            return None
        if owner != 0 or self.live:
            return owner
        status = self.pid_status(pid)
        return None if status is None else status.euid

    def pid_cmdline(self, pid, limit=None):
        """argv of a process as a list of str ([] for kernel threads and zombies), None if gone."""
        data = self.read_bytes('%s/%d/cmdline' % (self.proc, pid), 'cmdline', limit)
        if data is None:
            return None
        if not data:
            return []
        if data.endswith(b'\0'):
            data = data[:-1]
        return data.decode('utf-8', 'replace').split('\0')

    def pid_io(self, pid):
        """/proc/PID/io as PidIO (needs ptrace-read access), or None."""
        data = self.read_bytes('%s/%d/io' % (self.proc, pid), 'io', single_read=True)
        if not data:
            return None
        parts = data.split()
        if parts[0::2] == _PID_IO_KEYS:
            # Every kernel since 2.6.20 writes the seven lines in this order: skip the dict.
            return PidIO(*map(int, parts[1::2]))
        values = {}
        for line in data.split(b'\n'):
            key, sep, value = line.partition(b':')
            if sep:
                values[key.decode('ascii')] = int(value)
        return PidIO(*(values.get(name, 0) for name in PidIO._fields))

    def pid_namespaces(self, pid, types=None):
        """{type: inode} from the links in /proc/PID/ns ('net:[4026531840]'), or None.

        ``types`` (names learnt from one listdir) saves the listdir of every other process.
        """
        base = '%s/%d/ns/' % (self.proc, pid)
        names = self.listdir(base[:-1], 'ns') if types is None else types
        if names is None:
            return None
        result = {}
        readlink = os.readlink
        for name in names:
            # os.readlink inline: this runs for every type of every process (readlink() is the general case).
            try:
                target = readlink(base + name)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    self._note_error(exc, 'ns')
                    continue
                target = self.readlink(base + name, 'ns')  # a fixture tree's regular file
            if target and target.endswith(']'):
                result[name] = int(target[target.index('[') + 1:-1])
        return result

    def namespace_types(self):
        """The namespace types this kernel exposes, from /proc/self/ns (the *_for_children links are not
        namespaces of their own)."""
        names = self.listdir(self.proc + '/self/ns', 'ns') or []
        return sorted(name for name in names if not name.endswith('_for_children'))

    def self_pid(self):
        """The reading process's own pid (the first field of /proc/self/stat, which fixture trees also hold)."""
        data = self.read_bytes(self.proc + '/self/stat', 'stat', single_read=True)
        return int(data.split()[0]) if data else None

    def pid_cgroups(self, pid):
        """/proc/PID/cgroup as a list of CgroupEntry, or None (shared while a sample is open: the containers
        subset reads every process's, the owner lookup of namespace holders some of the same again; callers
        must not modify what they get)."""
        return self._per_sample('cgroup', pid, self._read_pid_cgroups)

    def _read_pid_cgroups(self, pid):
        text = self.read_text('%s/%d/cgroup' % (self.proc, pid), 'cgroup')
        if text is None:
            return None
        entries = []
        for line in text.splitlines():
            parts = line.split(':', 2)
            if len(parts) == 3:
                entries.append(CgroupEntry(int(parts[0]), parts[1], parts[2]))
        return entries

    def fd_targets(self, pid):
        """(fd, target) of every open descriptor of a process, lowest first, read one by one as the caller
        goes (a scan bounded by time stops when it must). Nothing if the process is gone.

        readlink of /proc/PID/fd/N never reaches the file's filesystem: the kernel prints the
        path it holds (proc_fd_link and d_path in fs/proc/fd.c and fs/d_path.c), so it cannot
        hang on a dead mount, unlike stat (stat_open_files).
        """
        base = '%s/%d/fd/' % (self.proc, pid)
        names = self.listdir(base[:-1], 'fd')
        readlink = os.readlink
        for fd in sorted(map(int, names or ())):
            try:
                yield fd, readlink(base + str(fd))
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    self._note_error(exc, 'fd')
                    continue
                target = self.readlink(base + str(fd), 'fd')  # a fixture tree's regular file
                if target is not None:
                    yield fd, target

    def pid_fd_targets(self, pid, limit):
        """[(fd, target)] for at most ``limit`` open descriptors of a process."""
        return list(itertools.islice(self.fd_targets(pid), limit))

    def pid_fdinfo(self, pid, fd):
        """/proc/PID/fdinfo/N as FdInfo (offset, access mode, mount id), or None.

        mnt_id (Linux 3.15) is the mount the file was opened through: it names the filesystem
        without touching it, and it stays right when that mount has since been detached.
        """
        data = self.read_bytes('%s/%d/fdinfo/%d' % (self.proc, pid, fd), 'fd')
        if not data:
            return None
        values = {}
        for line in data.split(b'\n')[:4]:
            key, _unused, value = line.partition(b':')
            values[key] = value.strip()
        flags = int(values.get(b'flags', b'0'), 8)
        mnt_id = values.get(b'mnt_id')
        return FdInfo(int(values.get(b'pos', b'0')), ('r', 'w', 'rw', 'rw')[flags & 3],
                      int(mnt_id) if mnt_id else None)
