# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The io subset of hostfacts: iowait, iostat -x, iotop, ps state D and lsof -p in one pass. Private.

Two full samples (first and last) read /proc/stat, /proc/diskstats and every
process's stat and io; the samples in between read only each process's stat,
to count who sits in state D. Each file is read once per sample.
"""

from __future__ import annotations

import os
import stat as stat_module
import time
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.ownrun import own_pids
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.pathtext import shown_path
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.psformat import command_line

SECTOR_BYTES = 512  # /proc/diskstats counts 512-byte sectors whatever the device's block size
CPU_FIELDS = ('user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal')
# Kernel interfaces, never a disk's data. /dev/ is not among them: a block device held open (qemu on an LVM
# volume, dd to /dev/loop0, a backup reading a disk) is what a raw writer or reader writes or reads.
NOT_FILES = ('/proc/', '/sys/')
FD_SCAN_LIMIT = 1024  # descriptors looked at per top process (lsof -p would list them all)
DELETED = ' (deleted)'

Sample = namedtuple('Sample', ['taken', 'cpu', 'disks', 'stats', 'ios'])


def clamped_delta(before, after):
    """Counter delta; a wrapped or reset counter gives 0, as iostat does."""
    delta = after - before
    return delta if delta >= 0 else 0


def iowait_pct(before, after):
    """Share of CPU time spent in iowait between two /proc/stat cpu lines (guest time is in user already)."""
    if before is None or after is None:
        return None
    total = sum(clamped_delta(getattr(before, f), getattr(after, f)) for f in CPU_FIELDS)
    return round(100.0 * clamped_delta(before.iowait, after.iowait) / total, 2) if total else 0.0


def iostat_rates(before, after, seconds):
    """The iostat -x columns from two DiskStat rows taken ``seconds`` apart."""
    d = dict((field, clamped_delta(getattr(before, field), getattr(after, field)))
             for field in before._fields[3:])
    window_ms = seconds * 1000.0
    return {
        'r_s': round(d['reads'] / seconds, 2),
        'w_s': round(d['writes'] / seconds, 2),
        'rkb_s': round(d['sectors_read'] * SECTOR_BYTES / 1024.0 / seconds, 2),
        'wkb_s': round(d['sectors_written'] * SECTOR_BYTES / 1024.0 / seconds, 2),
        'rrqm_s': round(d['reads_merged'] / seconds, 2),
        'wrqm_s': round(d['writes_merged'] / seconds, 2),
        'r_await': round(d['read_ms'] / float(d['reads']), 2) if d['reads'] else 0.0,
        'w_await': round(d['write_ms'] / float(d['writes']), 2) if d['writes'] else 0.0,
        'aqu_sz': round(d['weighted_io_ms'] / window_ms, 2),
        'util_pct': round(min(100.0, 100.0 * d['io_ms'] / window_ms), 2),
        'd_s': round(d['discards'] / seconds, 2),
        'f_s': round(d['flushes'] / seconds, 2),
    }


def human_rate(bytes_per_second):
    for unit, size in (('GB/s', 1e9), ('MB/s', 1e6), ('kB/s', 1e3)):
        if bytes_per_second >= size:
            return '%.1f %s' % (bytes_per_second / size, unit)
    return '%d B/s' % bytes_per_second


def mount_of(path, mounts):
    """The mountinfo entry a path lives on: the longest mount point prefix, the last mounted on ties."""
    best = None
    for mount in mounts:
        point = mount.mount_point
        if path == point or path.startswith(point.rstrip('/') + '/'):
            if best is None or len(point) >= len(best.mount_point):
                best = mount
    return best


class IOCollector(Collector):
    """iowait, per-disk iostat figures, per-process I/O rates, D-state counts and the files of the hogs."""

    name = 'io'
    takes_samples = True

    def begin(self):
        self.wanted_ticks = self.options.samples
        self.ticks = 0
        self.in_d = {}
        self.d_samples = 0
        self.last = None
        self.first = self._sample(with_io=True)

    def tick(self):
        self.ticks += 1
        final = self.ticks >= self.wanted_ticks
        sample = self._sample(with_io=final)
        self._count_d_state(sample.stats)
        if final:
            self.last = sample

    def _sample(self, with_io):
        procfs = self.procfs
        cpu = disks = None
        if with_io:
            system = procfs.system_stat()
            cpu = system.cpu if system else None
            disks = dict((row.name, row) for row in procfs.diskstats() or [])
        # /proc/uptime is iostat's clock too; fixture trees carry theirs.
        taken = procfs.uptime() or time.monotonic()
        stats, ios = {}, {}
        before = procfs.denied.get('io', 0)
        for pid in procfs.pids():
            pid_stat = procfs.pid_stat(pid)
            if pid_stat is None:
                continue
            stats[pid] = pid_stat
            if with_io:
                pid_io = procfs.pid_io(pid)
                if pid_io is not None:
                    ios[pid] = pid_io
        procfs.forget_denials_as_root('io', before)
        return Sample(taken, cpu, disks, stats, ios)

    def _count_d_state(self, stats):
        self.d_samples += 1
        for pid_stat in stats.values():
            if pid_stat.state == 'D':
                key = (pid_stat.pid, pid_stat.starttime)
                self.in_d[key] = self.in_d.get(key, 0) + 1

    # ------------------------------------------------------------------ finish

    def finish(self, elapsed):
        rates = elapsed is not None and self.last is not None
        if not rates:
            self._count_d_state(self.first.stats)
        end = self.last if rates else self.first
        seconds = (end.taken - self.first.taken) if rates else None
        self.mounts = self.procfs.mountinfo('self') or []
        self.blocks = self.procfs.block_devices()
        self.by_devno = dict(((row.major, row.minor), name) for name, row in (end.disks or {}).items())
        self.disk_names = set(self.by_devno.values())
        facts = {}
        if rates:
            facts['iowait_pct'] = iowait_pct(self.first.cpu, end.cpu)
            facts['seconds'] = round(seconds, 3)
        facts['disks'] = self._disks(end, seconds)
        processes, exited = self._processes(end, seconds)
        top = self.options.top
        rate_or_total = '_s' if rates else ''
        readers = _ranked(processes, 'read_bytes' + rate_or_total, top)
        writers = _ranked(processes, 'write_bytes' + rate_or_total, top)
        described = _unique(readers + writers)
        for entry in described:
            self._describe_process(entry)
        self._attach_open_files(described)
        facts['top_readers'] = readers
        facts['top_writers'] = writers
        facts['io_readable_processes'] = len(end.ios)
        facts['io_unreadable_processes'] = len(end.stats) - len(end.ios)
        facts['exited_during_interval'] = exited
        facts['d_state'] = self._d_state(end)
        facts['findings'] = self._findings(facts) if rates else []
        return facts

    def _disks(self, end, seconds):
        disks = []
        for name, row in sorted((end.disks or {}).items()):
            mounts = [shown_path(m.mount_point) for m in self.mounts if (m.major, m.minor) == (row.major, row.minor)]
            if not (row.reads or row.writes or row.discards or mounts):
                continue  # never used: an unattached loop device, an empty zram
            info = self.blocks.get(name)
            entry = {
                'name': name, 'major': row.major, 'minor': row.minor,
                'kind': info.kind if info else 'unknown',
                'parent': self._parent_disk(name), 'partitions': info.partitions if info else [],
                'dm_name': info.dm_name if info else None, 'slaves': info.slaves if info else [],
                'rotational': info.rotational if info else None, 'mounts': mounts,
                'reads': row.reads, 'writes': row.writes,
                'read_bytes': row.sectors_read * SECTOR_BYTES, 'write_bytes': row.sectors_written * SECTOR_BYTES,
            }
            previous = self.first.disks.get(name) if seconds else None
            if previous is not None and seconds > 0:
                entry.update(iostat_rates(previous, row, seconds))
            disks.append(entry)
        return disks

    def _parent_disk(self, name):
        """The whole disk under a partition, or under a dm device's first slave; None for a disk."""
        info = self.blocks.get(name)
        if info is None:
            return None
        if info.kind == 'partition':
            return info.parent
        if info.slaves:
            return self._parent_disk(info.slaves[0]) or info.slaves[0]
        return None

    def _processes(self, end, seconds):
        """Per-process I/O (write_bytes - cancelled_write_bytes, as osquery), with rates over the interval."""
        processes = []
        own = own_pids(self.procfs)  # this run is no I/O hog of the host's (common/ownrun.py)
        reaped = self._reaped_children_io(end) if seconds else {}
        for pid, pid_io in end.ios.items():
            if pid in own:
                continue
            pid_stat = end.stats[pid]
            entry = {'pid': pid, 'comm': pid_stat.comm, 'read_bytes': pid_io.read_bytes,
                     'write_bytes': max(0, pid_io.write_bytes - pid_io.cancelled_write_bytes)}
            if seconds:
                previous = self._previous_io(pid_stat)
                if previous is False:
                    continue
                if pid in reaped:
                    previous = (previous[0] + reaped[pid][0], previous[1] + reaped[pid][1])
                entry['read_bytes_s'] = round(clamped_delta(previous[0], entry['read_bytes']) / seconds, 1)
                entry['write_bytes_s'] = round(clamped_delta(previous[1], entry['write_bytes']) / seconds, 1)
            processes.append(entry)
        exited = sum(1 for pid, first_stat in self.first.stats.items()
                     if end.stats.get(pid) is None or end.stats[pid].starttime != first_stat.starttime)
        return processes, exited

    def _reaped_children_io(self, end):
        """{parent pid: (read, write)} of the children it reaped during the interval, as they stood at the first
        sample. The kernel adds a reaped child's lifetime I/O to its parent's counters (wait_task_zombie), so
        the parent's counters jump by what the child did before the interval too; that part is no rate of
        anyone's. What the child did inside the interval stays with the parent, which waited for it (the
        child itself is gone), as `time` and the kernel credit it."""
        reaped = {}
        for pid, first_stat in self.first.stats.items():
            gone = end.stats.get(pid) is None or end.stats[pid].starttime != first_stat.starttime
            parent_then, parent_now = self.first.stats.get(first_stat.ppid), end.stats.get(first_stat.ppid)
            first_io = self.first.ios.get(pid)
            if gone and first_io is not None and parent_then is not None and parent_now is not None \
                    and parent_now.starttime == parent_then.starttime:
                read, write = reaped.get(first_stat.ppid, (0, 0))
                reaped[first_stat.ppid] = (read + first_io.read_bytes,
                                           write + max(0, first_io.write_bytes - first_io.cancelled_write_bytes))
        return reaped

    def _previous_io(self, pid_stat):
        """(read, write) at the first sample; (0, 0) for a process born in the interval (or a reused pid),
        False when its first reading is unknown."""
        first_stat = self.first.stats.get(pid_stat.pid)
        if first_stat is None or first_stat.starttime != pid_stat.starttime:
            return (0, 0)
        first_io = self.first.ios.get(pid_stat.pid)
        if first_io is None:
            return False
        return (first_io.read_bytes, max(0, first_io.write_bytes - first_io.cancelled_write_bytes))

    def _describe_process(self, entry):
        pid = entry['pid']
        args = self.procfs.pid_cmdline(pid, self.options.cmdline_read_limit)
        entry['command'] = command_line(args, '[%s]' % entry['comm'], self.options)
        euid = self.procfs.pid_euid(pid)
        entry['user'] = self.procfs.username(euid) if euid is not None else None

    def _attach_open_files(self, entries):
        """``open_files`` of every ranked process: regular files it holds open, largest first (lsof -p).

        The filesystem of each file comes from the mount it was opened through (mnt_id of fdinfo)
        and its device from the file's own device number, never from the path: a path can be
        stale (a lazily unmounted filesystem shows its files at /) or ambiguous (bind mounts).
        The stat of every file runs under the run's deadline, in one batch for all processes:
        a file on a hung filesystem is listed without its size, and costs no more than the deadline.
        """
        limit = self.options.open_files
        found = dict((entry['pid'], self._candidate_files(entry['pid']) if limit > 0 else []) for entry in entries)
        batch = [(pid, fd, _mount_key(mount)) for pid, files in found.items() for fd, _t, _i, mount in files]
        stats = self.procfs.stat_open_files(batch, self.options.timeout) if batch else {}
        for entry in entries:
            files = [self._open_file(entry['pid'], candidate, stats.get((entry['pid'], candidate[0])))
                     for candidate in found[entry['pid']]]
            files = [item for item in files if item is not None]
            # Largest first, like the operator reading lsof's SIZE/OFF column.
            files.sort(key=lambda item: (-max(item['size'] or 0, item['offset'] or 0), item['path']))
            entry['open_files'] = files[:limit]

    def _candidate_files(self, pid):
        """[(fd, target, FdInfo, mount entry or None)]: the descriptors of a process naming a file by path."""
        candidates, seen = [], set()
        mounts = None
        for fd, target in self.procfs.pid_fd_targets(pid, FD_SCAN_LIMIT) or []:
            if not target.startswith('/') or target.startswith(NOT_FILES):
                continue
            path = target[:-len(DELETED)] if target.endswith(DELETED) else target
            if path in seen:
                continue
            seen.add(path)
            if mounts is None:  # the process's own mount namespace, read once it holds a file
                mounts = dict((m.mount_id, m) for m in self.procfs.mountinfo(pid) or self.mounts)
            info = self.procfs.pid_fdinfo(pid, fd)
            if info is not None and info.mnt_id is not None:
                mount = mounts.get(info.mnt_id)
            else:  # kernels before 3.15 have no mnt_id: the path is all there is
                mount = mount_of(path, mounts.values())
            candidates.append((fd, target, info, mount))
        return candidates

    def _open_file(self, pid, candidate, result):
        """One open_files entry, or None for what is neither a regular file nor a block device (a directory,
        a FIFO, a terminal): a block device is its own device, as lsof shows ``3w /dev/loop0``."""
        _fd, target, info, mount = candidate
        st = result.value if result is not None and result.status == 'ok' else None
        if target.startswith('/dev/'):
            device = self._block_device(target, st)
            if device is None:
                return None
        elif st is not None and not stat_module.S_ISREG(st.st_mode):
            return None
        else:
            devno = (os.major(st.st_dev), os.minor(st.st_dev)) if st is not None else (
                (mount.major, mount.minor) if mount is not None else None)
            device = self.by_devno.get(devno) or self._device_of_source(mount)
        return {'path': shown_path(target), 'size': st.st_size if st is not None else None,
                'offset': info.offset if info else None, 'mode': info.mode if info else None,
                'status': result.status if result is not None else None,
                'mount_point': shown_path(mount.mount_point) if mount is not None else None,
                'device': device, 'disk': (self._parent_disk(device) or device) if device else None}

    def _block_device(self, target, st):
        """The block device a /dev/ descriptor is (by its device number when its stat answered, else by its
        name among the host's block devices), or None for anything else under /dev/."""
        if st is not None:
            if not stat_module.S_ISBLK(st.st_mode):
                return None
            return self.by_devno.get((os.major(st.st_rdev), os.minor(st.st_rdev)))
        name = target.rsplit('/', 1)[-1]
        return name if name in self.blocks or name in self.disk_names else None

    def _device_of_source(self, mount, depth=0):
        """The disk device a mount names as its source (btrfs gives its files anonymous device numbers); for
        an overlay (a container's writable layer), the device of its upper directory, where writes land,
        as ``df UPPERDIR`` names it, or of its first lower directory when it has no upper one."""
        if mount is not None and mount.fstype == 'overlay' and depth < 4:
            layer = _overlay_layer(mount.super_options)
            under = mount_of(layer, self.mounts) if layer else None
            if under is None:
                return None
            return self.by_devno.get((under.major, under.minor)) or self._device_of_source(under, depth + 1)
        if mount is None or not mount.source.startswith('/dev/'):
            return None
        name = mount.source.rsplit('/', 1)[-1]
        return name if name in self.blocks or name in self.disk_names else None

    def _d_state(self, end):
        rows = []
        for (pid, starttime), count in sorted(self.in_d.items(), key=lambda item: (-item[1], item[0])):
            pid_stat = end.stats.get(pid)
            alive = pid_stat is not None and pid_stat.starttime == starttime
            rows.append({'pid': pid, 'command': self._command(pid) if alive else None,
                         'samples_in_d': count, 'of_samples': self.d_samples})
        return rows

    def _command(self, pid):
        args = self.procfs.pid_cmdline(pid, self.options.cmdline_read_limit)
        if args:
            return command_line(args, '', self.options)
        pid_stat = self.procfs.pid_stat(pid)
        return command_line(None, '[%s]' % pid_stat.comm, self.options) if pid_stat else None

    # ------------------------------------------------------------------ findings and alerts

    def _findings(self, facts):
        iowait_limit = self.options.thresholds.iowait_pct
        util_limit = self.options.thresholds.disk_util_pct
        iowait = facts.get('iowait_pct') or 0.0
        # Partitions repeat their disk's figures: alerts and findings name disks and dm devices only.
        whole = [d for d in facts['disks'] if d['kind'] != 'partition' and 'util_pct' in d]
        busy = [d for d in whole if d['util_pct'] >= util_limit]
        if iowait >= iowait_limit:
            self.report.alert('warning', 'io', 'iowait %.0f %% over %.1f s is at or above %.0f %%'
                              % (iowait, facts['seconds'], iowait_limit))
        for disk in busy:
            self.report.alert('warning', 'io', '%s is %.0f %% busy (%%util), at or above %.0f %%'
                              % (disk['name'], disk['util_pct'], util_limit))
        if not busy and iowait >= iowait_limit and whole:
            busy = [max(whole, key=lambda d: d['util_pct'])]
        return [self._finding(disk, iowait, facts) for disk in busy]

    def _finding(self, disk, iowait, facts):
        head = '%s %.0f %% util, iowait %.0f %%' % (disk['name'], disk['util_pct'], iowait)
        hogs = sorted(_unique(facts['top_writers'] + facts['top_readers']),
                      key=lambda p: -(p['write_bytes_s'] + p['read_bytes_s']))
        hogs = [p for p in hogs if p['write_bytes_s'] + p['read_bytes_s'] > 0]
        for process in hogs:
            writes = process['write_bytes_s'] >= process['read_bytes_s']
            on_disk = [item for item in process['open_files'] if disk['name'] in (item['device'], item['disk'])]
            # A writer's file is one open for writing, a reader's one open for reading.
            fitting = [item for item in on_disk if (item['mode'] or 'rw') in (('w', 'rw') if writes else ('r', 'rw'))]
            if fitting or on_disk:
                return head + ': ' + _blame(process, (fitting or on_disk)[0], facts['d_state'])
        if hogs:
            return head + ': ' + _blame(hogs[0], None, facts['d_state'])
        return head + ': no process with a readable /proc/PID/io accounts for it'


def _overlay_layer(super_options):
    """upperdir of an overlay's super options, else its first lowerdir (a read-only overlay), or None."""
    options = dict(option.partition('=')[::2] for option in super_options.split(','))
    return options.get('upperdir') or (options.get('lowerdir') or '').split(':')[0] or None


def _mount_key(mount):
    """The key the deadline runner knows a filesystem by (statvfs of the filesystems subset uses the same)."""
    return (mount.major, mount.minor) if mount is not None else None


def _blame(process, item, d_state):
    writes = process['write_bytes_s'] >= process['read_bytes_s']
    text = 'pid %d (%s) %s %s' % (process['pid'], process['comm'], 'writes' if writes else 'reads',
                                  human_rate(process['write_bytes_s'] if writes else process['read_bytes_s']))
    if item is not None:
        text += ' %s %s on %s' % ('to' if writes else 'from', item['path'], item['mount_point'])
        if item['device'] and item['disk'] and item['device'] != item['disk']:
            text += ' (%s on %s)' % (item['device'], item['disk'])
        elif item['device']:
            text += ' (%s)' % item['device']
    for row in d_state:
        if row['pid'] == process['pid']:
            text += ', in state D in %d of %d samples' % (row['samples_in_d'], row['of_samples'])
    return text


def _ranked(processes, key, top):
    return sorted((p for p in processes if p[key] > 0), key=lambda p: (-p[key], p['pid']))[:top]


def _unique(entries):
    seen = set()
    result = []
    for entry in entries:
        if id(entry) not in seen:
            seen.add(id(entry))
            result.append(entry)
    return result
