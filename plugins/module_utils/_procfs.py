# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one reader of /proc, /sys and the udev database for hostops.fleet.

This is a private module_utils file: its API may change without notice.

Every file under ``<root>/proc``, ``<root>/sys``, ``<root>/run/udev`` and
``<root>/dev/disk`` is opened here and nowhere else, and each file is parsed in
exactly one function, into named fields (psutil's discipline). Collectors take a
``ProcFS`` so that unit tests can point it at fixture trees captured from real
hosts.

Errors are mapped once: ENOENT/ESRCH means the process (or file) is gone and
the call returns None; EACCES/EPERM means we are not allowed, the call returns
None and the denial is counted so the module can emit one warning that says to
use become. Nothing here raises for a vanished process.

Fixture trees store the links of /proc (``ns/*``, ``fd/*``, ``exe``) as regular
files whose content is the link target, because git and ansible-test do not keep
dangling symlinks; ``readlink`` accepts both.

Only the standard library is used, and only syscalls (os.open/os.read), never
the builtin open(): this code runs once per process on hosts with 10,000 of them.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import stat
import struct
import threading
from collections import namedtuple

GONE_ERRNOS = (errno.ENOENT, errno.ESRCH, errno.ENOTDIR)
DENIED_ERRNOS = (errno.EACCES, errno.EPERM)

# Large enough for every file read here in one read() call, except cmdline and
# mountinfo, which are read in a loop.
READ_CHUNK = 65536
# Files shorter than this come whole from one read(); /proc/PID/stat, io and status always are.
SEQ_FILE_SINGLE_READ = 2048

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

CpuTimes = namedtuple('CpuTimes', [
    'user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice',
])

SystemStat = namedtuple('SystemStat', [
    'cpu', 'per_cpu', 'btime', 'ctxt', 'processes', 'procs_running', 'procs_blocked',
])

LoadAvg = namedtuple('LoadAvg', ['load1', 'load5', 'load15', 'runnable', 'scheduling_entities', 'last_pid'])

MountEntry = namedtuple('MountEntry', [
    'mount_id', 'parent_id', 'major', 'minor', 'root', 'mount_point', 'options',
    'optional_fields', 'fstype', 'source', 'super_options',
])

DiskStat = namedtuple('DiskStat', [
    'major', 'minor', 'name',
    'reads', 'reads_merged', 'sectors_read', 'read_ms',
    'writes', 'writes_merged', 'sectors_written', 'write_ms',
    'in_flight', 'io_ms', 'weighted_io_ms',
    'discards', 'discards_merged', 'sectors_discarded', 'discard_ms',
    'flushes', 'flush_ms',
])

PidIO = namedtuple('PidIO', [
    'rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes', 'cancelled_write_bytes',
])

_PID_IO_KEYS = [name.encode('ascii') + b':' for name in PidIO._fields]

CgroupEntry = namedtuple('CgroupEntry', ['hierarchy', 'controllers', 'path'])

StatvfsResult = namedtuple('StatvfsResult', ['status', 'value', 'error'])

# kind: disk | partition | dm; parent: the disk of a partition; slaves: what a dm/md device sits on.
BlockDevice = namedtuple('BlockDevice', ['name', 'kind', 'parent', 'partitions', 'dm_name', 'slaves', 'rotational'])

DuResult = namedtuple('DuResult', [
    'status', 'disk_bytes', 'apparent_bytes', 'files', 'directories', 'denied', 'error',
])


# One socket line of /proc/net/{tcp,tcp6,udp,udp6}; state is the kernel's TCP state name.
NetSocket = namedtuple('NetSocket', [
    'proto', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state', 'uid', 'inode',
])

# include/net/tcp_states.h; UDP sockets use ESTABLISHED (connected) and CLOSE (bound, unconnected).
TCP_STATES = {
    1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
    7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
}


_MOUNT_ESCAPE = re.compile(r'\\([0-7]{3})')
_UDEV_ESCAPE = re.compile(r'\\x([0-9a-fA-F]{2})')


def _unescape_mount_field(field):
    r"""Decode the octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) of mountinfo."""
    if '\\' not in field:
        return field
    return _MOUNT_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


class ProcFS(object):
    """Read and parse kernel and udev files below ``root`` (``/`` on a live host)."""

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
        # The shared sample (begin_sample): pids() and pid_stat() answers reused by every collector.
        self._sample_pids = None
        self._sample_stats = None

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
        """Read an open descriptor to EOF or ``limit`` (the caller handles errors and closes it)."""
        data = os.read(fd, READ_CHUNK if limit is None else min(limit, READ_CHUNK))
        # seq_file (/proc/PID/mountinfo, /proc/stat, /proc/diskstats) hands out about a page per
        # read(): a longer first read may be partial, so read on until EOF (small files: one read).
        if len(data) > SEQ_FILE_SINGLE_READ and (limit is None or limit > len(data)):
            chunks = [data]
            total = len(data)
            while limit is None or total < limit:
                chunk = os.read(fd, READ_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            data = b''.join(chunks)
            if limit is not None:
                data = data[:limit]
        return data

    def read_text(self, path, what='file'):
        data = self.read_bytes(path, what)
        return None if data is None else data.decode('utf-8', 'replace')

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

    # ------------------------------------------------------------------ processes

    def begin_sample(self):
        """Start a shared sample: until the next call (or end_samples), pids() and pid_stat() read
        /proc once and hand every collector the same answers (processes and io both need every
        process's stat at the same instant). Callers must not modify what they get."""
        self._sample_pids = None
        self._sample_stats = {}

    def end_samples(self):
        """Stop sharing: later calls read /proc afresh (and the cached rows can be freed)."""
        self._sample_pids = None
        self._sample_stats = None

    def pids(self):
        """Every numeric entry of /proc, sorted (the shared sample's list while one is open)."""
        if self._sample_pids is not None:
            return self._sample_pids
        names = self.listdir(self.proc, 'proc') or []
        pids = sorted(int(name) for name in names if name.isdigit())
        if self._sample_stats is not None:
            self._sample_pids = pids
        return pids

    def pid_stat(self, pid):
        """/proc/PID/stat as a PidStat, or None if the process is gone (shared while a sample is open)."""
        cache = self._sample_stats
        if cache is None:
            return self._read_pid_stat(pid)
        result = cache.get(pid, _NOT_READ)
        if result is _NOT_READ:
            result = cache[pid] = self._read_pid_stat(pid)
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

    def pid_cgroups(self, pid):
        """/proc/PID/cgroup as a list of CgroupEntry, or None."""
        text = self.read_text('%s/%d/cgroup' % (self.proc, pid), 'cgroup')
        if text is None:
            return None
        entries = []
        for line in text.splitlines():
            parts = line.split(':', 2)
            if len(parts) == 3:
                entries.append(CgroupEntry(int(parts[0]), parts[1], parts[2]))
        return entries

    def pid_fd_targets(self, pid, limit):
        """[(fd, target)] for at most ``limit`` open descriptors of a process, or None."""
        base = '%s/%d/fd/' % (self.proc, pid)
        names = self.listdir(base[:-1], 'fd')
        if names is None:
            return None
        targets = []
        readlink = os.readlink
        for fd in sorted(map(int, names))[:limit]:
            try:
                targets.append((fd, readlink(base + str(fd))))
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    self._note_error(exc, 'fd')
                    continue
                target = self.readlink(base + str(fd), 'fd')  # a fixture tree's regular file
                if target is not None:
                    targets.append((fd, target))
        return targets

    def stat_path(self, path):
        """os.stat of a path (a file a process holds open), None if gone or denied."""
        try:
            return os.stat(path)
        except OSError as exc:
            self._note_error(exc, 'stat')
            return None

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

    def system_stat(self):
        """/proc/stat: aggregate and per-cpu CpuTimes (in ticks), btime and counters."""
        text = self.read_text(self.proc + '/stat', 'stat')
        if text is None:
            return None
        cpu, per_cpu, values = None, [], {}
        for line in text.splitlines():
            name, _sep, rest = line.partition(' ')
            if name.startswith('cpu'):
                numbers = [int(x) for x in rest.split()]
                times = CpuTimes(*(numbers + [0] * 10)[:10])
                if name == 'cpu':
                    cpu = times
                else:
                    per_cpu.append(times)
            elif name in ('btime', 'ctxt', 'processes', 'procs_running', 'procs_blocked'):
                values[name] = int(rest)
        return SystemStat(cpu, per_cpu, values.get('btime', 0), values.get('ctxt', 0),
                          values.get('processes', 0), values.get('procs_running', 0),
                          values.get('procs_blocked', 0))

    def meminfo(self):
        """/proc/meminfo as {field: bytes} (kB values converted; HugePages_* are counts)."""
        text = self.read_text(self.proc + '/meminfo', 'meminfo')
        if text is None:
            return None
        result = {}
        for line in text.splitlines():
            key, _sep, rest = line.partition(':')
            parts = rest.split()
            if parts:
                value = int(parts[0])
                result[key] = value * 1024 if len(parts) > 1 and parts[1] == 'kB' else value
        return result

    def loadavg(self):
        text = self.read_text(self.proc + '/loadavg', 'loadavg')
        if text is None:
            return None
        parts = text.split()
        runnable, _sep, entities = parts[3].partition('/')
        return LoadAvg(float(parts[0]), float(parts[1]), float(parts[2]),
                       int(runnable), int(entities), int(parts[4]))

    def uptime(self):
        """Seconds since boot, from /proc/uptime."""
        text = self.read_text(self.proc + '/uptime', 'uptime')
        return None if text is None else float(text.split()[0])

    def has_proc(self):
        """True when <root>/proc is a mounted procfs (or a fixture of one): False on non-Linux hosts."""
        return os.path.isdir(self.proc) and os.path.exists(self.proc + '/meminfo')

    def meminfo_once(self):
        """meminfo read at most once per ProcFS (one gather): the processes and memory subsets share it."""
        if getattr(self, '_meminfo_once', None) is None:
            self._meminfo_once = self.meminfo()
        return self._meminfo_once

    def count_denied(self, what, count=1):
        """Count denials that happened outside read_bytes (statvfs, du) into the one warning."""
        if count:
            self.denied[what] = self.denied.get(what, 0) + count

    def mountinfo(self, pid='self'):
        """/proc/<pid>/mountinfo as a list of MountEntry, escapes decoded."""
        text = self.read_text('%s/%s/mountinfo' % (self.proc, pid), 'mountinfo')
        if text is None:
            return None
        mounts = []
        for line in text.splitlines():
            fields = line.split(' ')
            try:
                sep = fields.index('-', 6)
            except ValueError:
                continue
            major, _sep, minor = fields[2].partition(':')
            mounts.append(MountEntry(
                int(fields[0]), int(fields[1]), int(major), int(minor),
                _unescape_mount_field(fields[3]), _unescape_mount_field(fields[4]), fields[5],
                fields[6:sep], fields[sep + 1], _unescape_mount_field(fields[sep + 2]),
                fields[sep + 3] if len(fields) > sep + 3 else '',
            ))
        return mounts

    def diskstats(self):
        """/proc/diskstats as DiskStat rows; the 14-, 18- and 20-field layouts all fit (missing = 0)."""
        text = self.read_text(self.proc + '/diskstats', 'diskstats')
        if text is None:
            return None
        width = len(DiskStat._fields)
        rows = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 14:
                continue
            numbers = [int(x) for x in parts[3:]] + [0] * (width - 3)
            rows.append(DiskStat(int(parts[0]), int(parts[1]), parts[2], *numbers[:width - 3]))
        return rows

    # ------------------------------------------------------------------ sockets (/proc/net)

    def net_sockets(self, proto):
        """/proc/net/<proto> (tcp, tcp6, udp, udp6) as NetSocket rows, or None when the file is missing.

        The table is that of the reader's network namespace. Addresses are printed by the
        kernel as 32-bit words in host byte order, so they are decoded with the native order.
        """
        text = self.read_text('%s/net/%s' % (self.proc, proto), 'net')
        if text is None:
            return None
        rows = []
        for line in text.splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or ':' not in fields[1]:
                continue
            local, _sep, local_port = fields[1].partition(':')
            remote, _sep, remote_port = fields[2].partition(':')
            state = int(fields[3], 16)
            rows.append(NetSocket(proto, _decode_net_address(local), int(local_port, 16),
                                  _decode_net_address(remote), int(remote_port, 16),
                                  TCP_STATES.get(state, str(state)), int(fields[7]), int(fields[9])))
        return rows

    # ------------------------------------------------------------------ /sys and udev

    def sys_text(self, *parts):
        """Stripped text of a file below <root>/sys, or None."""
        text = self.read_text(os.path.join(self.sys, *parts), 'sys')
        return None if text is None else text.strip()

    def sys_listdir(self, *parts):
        return self.listdir(os.path.join(self.sys, *parts), 'sys')

    def sys_readlink(self, *parts):
        return self.readlink(os.path.join(self.sys, *parts), 'sys')

    def udev_properties(self, major, minor):
        """The E: lines of /run/udev/data/b<major>:<minor> (ID_FS_UUID, ID_FS_LABEL, ...)."""
        text = self.read_text(self.path('run', 'udev', 'data', 'b%d:%d' % (major, minor)), 'udev')
        properties = {}
        for line in (text or '').splitlines():
            if line.startswith('E:'):
                key, _sep, value = line[2:].partition('=')
                properties[key] = value
        return properties

    def disk_links(self, kind):
        """{link name: target basename} of /dev/disk/by-<kind> (by-uuid, by-label)."""
        base = self.path('dev', 'disk', 'by-' + kind)
        links = {}
        for name in self.listdir(base, 'devlinks') or []:
            target = self.readlink(os.path.join(base, name), 'devlinks')
            if target:
                links[_unescape_udev_name(name)] = os.path.basename(target)
        return links

    # ------------------------------------------------------------------ part 2: block devices, cgroups, fds

    def block_devices(self):
        """{name: BlockDevice} for /sys/block disks, their partitions and dm devices."""
        devices = {}
        for disk in self.sys_listdir('block') or []:
            entries = self.sys_listdir('block', disk) or []
            partitions = sorted(name for name in entries
                                if name.startswith(disk) and 'partition' in (self.sys_listdir('block', disk, name) or ()))
            dm_name = self.sys_text('block', disk, 'dm', 'name') if 'dm' in entries else None
            slaves = sorted(self.sys_listdir('block', disk, 'slaves') or []) if 'slaves' in entries else []
            rotational = self.sys_text('block', disk, 'queue', 'rotational')
            devices[disk] = BlockDevice(disk, 'dm' if dm_name is not None else 'disk', None, partitions,
                                        dm_name, slaves, None if rotational is None else rotational == '1')
            for part in partitions:
                devices[part] = BlockDevice(part, 'partition', disk, [], None, [], None)
        return devices

    def sys_subdirs(self, *parts):
        """Names of the subdirectories of a directory below <root>/sys ([] if gone).

        A directory's link count is 2 plus its subdirectories on sysfs and cgroupfs (kernfs) as on
        ext4 and tmpfs, so 2 means a leaf and its listing (dozens of cgroup control files) is not
        read; filesystems that do not count (btrfs, overlayfs: 1) get the listing.
        """
        path = os.path.join(self.sys, *parts)
        try:
            if os.stat(path).st_nlink == 2:
                return []
            with os.scandir(path) as entries:
                return [entry.name for entry in entries if entry.is_dir(follow_symlinks=False)]
        except OSError as exc:
            self._note_error(exc, 'sys')
            return []

    def pid_fdinfo(self, pid, fd):
        """(offset, access mode 'r'/'w'/'rw') of an open descriptor from /proc/PID/fdinfo/N, or None."""
        data = self.read_bytes('%s/%d/fdinfo/%d' % (self.proc, pid, fd), 'fd')
        if not data:
            return None
        values = {}
        for line in data.split(b'\n')[:3]:
            key, _unused, value = line.partition(b':')
            values[key] = value.strip()
        flags = int(values.get(b'flags', b'0'), 8)
        return (int(values.get(b'pos', b'0')), ('r', 'w', 'rw', 'rw')[flags & 3])

    def pid_fd_stat(self, pid, fd):
        """os.stat of what /proc/PID/fd/N points to (live hosts only: fixtures hold no real files)."""
        if not self.live:
            return None
        return self.stat_path('%s/%d/fd/%d' % (self.proc, pid, fd))

    # ------------------------------------------------------------------ statvfs with a deadline

    @staticmethod
    def statvfs_many(mount_points, timeout):
        """{mount point: StatvfsResult}, each statvfs bounded by ``timeout`` seconds.

        A hard NFS/CIFS/FUSE mount can block statvfs uninterruptibly and ignore
        signals (ansible/ansible#25046), so the calls run in a daemon worker
        thread. When one call misses its deadline, that mount is reported as
        ``timed_out``, the stuck worker is abandoned, and a fresh worker carries
        on with the rest: one thread in the common case, one more per hung mount.
        """
        results = {}
        pending = list(mount_points)
        while pending:
            worker = _StatvfsWorker(pending, results)
            worker.start()
            while worker.done < len(pending):
                before = worker.done
                worker.progress.wait(timeout)
                worker.progress.clear()
                if worker.done == before:
                    break
            if worker.done >= len(pending):
                break
            results[pending[worker.done]] = StatvfsResult(
                'timed_out', None, 'statvfs did not return within %.1f s' % timeout)
            pending = pending[worker.done + 1:]
        return results

    # ------------------------------------------------------------------ du with a deadline

    def disk_usage(self, path, timeout):
        """Sum the tree at ``path`` (below root) like ``du -s -x``, bounded by ``timeout`` seconds.

        Runs in a daemon thread: a walk into a hung network filesystem cannot hang
        the module. Stays on the filesystem of ``path`` (descending into /proc or a
        hung mount below it would be slow or unbounded) and counts hard links once,
        as du does. On the deadline the walk is told to stop and the partial sums
        are returned with status ``timed_out``.
        """
        top = os.path.join(self.root, path.lstrip('/'))
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
        self.count_denied('du', totals['denied'])
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
            if exc.errno not in GONE_ERRNOS:
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


def _decode_net_address(text):
    """'0100007F' -> '127.0.0.1'; 32 hex digits -> an IPv6 address (words in host byte order)."""
    words = [struct.pack('=I', int(text[i:i + 8], 16)) for i in range(0, len(text), 8)]
    packed = b''.join(words)
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)


class _StatvfsWorker(threading.Thread):
    """Calls statvfs on each path in turn, signalling progress after each one."""

    def __init__(self, paths, results):
        super(_StatvfsWorker, self).__init__(name='hostfacts-statvfs')
        self.daemon = True
        self.paths = paths
        self.results = results
        self.done = 0
        self.progress = threading.Event()

    def run(self):
        for path in self.paths:
            try:
                self.results[path] = StatvfsResult('ok', os.statvfs(path), None)
            except OSError as exc:
                self.results[path] = StatvfsResult('error', None, exc.strerror or str(exc))
            self.done += 1
            self.progress.set()


def _unescape_udev_name(name):
    r"""/dev/disk/by-label names escape bytes as \x2f."""
    if '\\x' not in name:
        return name
    return _UDEV_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), name)
