# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system-wide files of /proc: stat, meminfo, loadavg, uptime, mountinfo, diskstats, net. Private.

Each file is parsed in one method below into named fields; errors are mapped by the
FileReader primitives.
"""

from __future__ import annotations

import os
import re
import socket
import struct
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.files import FileReader

CpuTimes = namedtuple('CpuTimes', [
    'user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice',
])

SystemStat = namedtuple('SystemStat', [
    'cpu', 'per_cpu', 'btime', 'ctxt', 'processes', 'procs_running', 'procs_blocked',
])

# hidepid= as kernels before 5.8 show it (a number) and after (a name); 0 and off hide nothing.
HIDEPID_MODES = {'1': 'noaccess', 'noaccess': 'noaccess', '2': 'invisible', 'invisible': 'invisible',
                 '4': 'ptraceable', 'ptraceable': 'ptraceable'}

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

# One socket line of /proc/net/{tcp,tcp6,udp,udp6}; state is the kernel's TCP state name.
NetSocket = namedtuple('NetSocket', [
    'proto', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state', 'uid', 'inode',
])

# include/net/tcp_states.h; UDP sockets use ESTABLISHED (connected) and CLOSE (bound, unconnected).
TCP_STATES = {
    1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
    7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
}

_MOUNT_ESCAPE = re.compile(br'\\([0-7]{3})')


def _mount_field(field):
    r"""A mountinfo path field as str, losslessly: the kernel's octal escapes (\040 space, \011 tab,
    \012 newline, \134 backslash) decoded, then the bytes decoded as the filesystem encoding does
    (os.fsdecode: undecodable bytes become surrogates, which os.statvfs turns back into the same bytes).
    Every other byte, form feed and U+2028 included, is in the file as it is in the name."""
    if b'\\' in field:
        field = _MOUNT_ESCAPE.sub(lambda match: bytes((int(match.group(1), 8),)), field)
    return os.fsdecode(field)


def _ascii(field):
    return field.decode('ascii', 'replace')


class SystemFiles(FileReader):
    """The files of /proc that describe the whole system (or the reader's mount and network namespace)."""

    _meminfo_cache = None

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
        """meminfo read at most once per reader (one gather): the processes and memory subsets share it."""
        if self._meminfo_cache is None:
            self._meminfo_cache = self.meminfo()
        return self._meminfo_cache

    def hidepid(self):
        """How the /proc read here hides other users' processes from this user: 'invisible' (hidepid=2: not
        listed at all, so nothing counts them), 'noaccess' (hidepid=1: listed, their files denied),
        'ptraceable' (hidepid=4), or None - for root, for a member of its gid= group, or without hidepid.
        The last /proc mount of the mount table is the one in effect (proc_pid_readdir, fs/proc/base.c)."""
        if self.privileged:
            return None
        options = None
        for mount in self.mountinfo('self') or []:
            if mount.fstype == 'proc' and mount.mount_point == '/proc':
                options = dict(option.partition('=')[::2] for option in mount.super_options.split(','))
        if not options:
            return None
        mode = HIDEPID_MODES.get(options.get('hidepid'))
        gid = options.get('gid', '')
        if mode and self.live and gid.isdigit() and (int(gid) == os.getegid() or int(gid) in os.getgroups()):
            return None
        return mode

    def mountinfo(self, pid='self'):
        """/proc/<pid>/mountinfo as a list of MountEntry, every line of it, paths decoded losslessly.

        While a sample is open, each pid's file is read once, and a text already parsed (the processes
        of one mount namespace with one root see the same) is not parsed again.
        """
        # filesystems, io, namespaces and containers all read /proc/self/mountinfo, whose rendering and
        # parsing cost about 0.7 ms at 125 mounts.
        mounts = self.sample_cache('mountinfo')
        if mounts is not None and pid in mounts:
            return None if mounts[pid] is None else list(mounts[pid])
        data = self.read_bytes('%s/%s/mountinfo' % (self.proc, pid), 'mountinfo')
        texts = self.sample_cache('mountinfo_text')
        if data is None:
            entries = None
        elif texts is not None and data in texts:
            entries = texts[data]
        else:
            entries = _parse_mountinfo(data)
        if mounts is not None:
            mounts[pid] = entries
            if data is not None:
                texts[data] = entries
        return None if entries is None else list(entries)

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


def _parse_mountinfo(data):
    """mountinfo's lines as MountEntry rows.

    The file is split on newlines only: a mount point may hold any other byte (form feed,
    \\x1c, U+2028), which str.splitlines() would take for a line end.
    """
    mounts = []
    for line in data.split(b'\n'):
        fields = line.split(b' ')
        try:
            sep = fields.index(b'-', 6)
        except ValueError:
            continue
        major, _sep, minor = fields[2].partition(b':')
        mounts.append(MountEntry(
            int(fields[0]), int(fields[1]), int(major), int(minor),
            _mount_field(fields[3]), _mount_field(fields[4]), _ascii(fields[5]),
            [_ascii(field) for field in fields[6:sep]], _mount_field(fields[sep + 1]),
            _mount_field(fields[sep + 2]), _mount_field(fields[sep + 3]) if len(fields) > sep + 3 else '',
        ))
    return mounts


def _decode_net_address(text):
    """'0100007F' -> '127.0.0.1'; 32 hex digits -> an IPv6 address (words in host byte order)."""
    words = [struct.pack('=I', int(text[i:i + 8], 16)) for i in range(0, len(text), 8)]
    packed = b''.join(words)
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)
