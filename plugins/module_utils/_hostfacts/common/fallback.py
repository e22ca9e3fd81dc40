# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""psutil stand-ins for the processes, memory and filesystems subsets where there is no /proc. Private.

Only hosts without /proc (BSD, macOS) come here; Linux always reads /proc through the
readers. The output has the same shape as the /proc collectors; fields psutil cannot
provide are None.
"""

from __future__ import annotations

import heapq
import os
import time

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import ownrun
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.psformat import (
    command_line, count_tasks, cpu_breakdown, cpu_time_str, iso_time,
)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.system import MountEntry

PSUTIL_STATES = {
    'running': 'R', 'sleeping': 'S', 'disk-sleep': 'D', 'stopped': 'T', 'tracing-stop': 't', 'zombie': 'Z',
    'dead': 'X', 'wake-kill': 'K', 'waking': 'W', 'idle': 'I', 'locked': 'L', 'waiting': 'W', 'parked': 'P',
}

_ATTRS = ['pid', 'ppid', 'name', 'cmdline', 'status', 'uids', 'username', 'cpu_times', 'memory_info',
          'create_time', 'num_threads', 'terminal']


def require_psutil(subset):
    """The psutil module, or FleetError naming it: the only way to gather without /proc."""
    try:
        import psutil
    except ImportError:
        raise FleetError(
            'hostfacts: %s needs /proc (Linux) or the psutil Python library on the target; this host has no '
            '/proc: install psutil for the interpreter Ansible uses (pip install psutil), or leave the '
            'subset out with gather_subset' % subset)
    return psutil


def psutil_cpu_ticks(psutil):
    """The first sample: ({(pid, create_time): cpu seconds}, system cpu_times)."""
    ticks = {}
    for proc in psutil.process_iter(['pid', 'create_time', 'cpu_times']):
        info = proc.info
        if info.get('cpu_times') is not None:
            ticks[(info['pid'], info['create_time'])] = info['cpu_times'].user + info['cpu_times'].system
    return ticks, psutil.cpu_times()


def _row(info, mem_total, options, now, cpu_pct):
    cpu = info.get('cpu_times')
    seconds = (cpu.user + cpu.system) if cpu else 0.0
    memory = info.get('memory_info')
    age = now - (info.get('create_time') or now)
    uids = info.get('uids')
    row = {
        'pid': info['pid'], 'ppid': info.get('ppid'), 'user': info.get('username'),
        'uid': uids.effective if uids else None, 'state': PSUTIL_STATES.get(info.get('status'), '?'),
        'cpu_pct_lifetime': round(100.0 * seconds / age, 1) if age > 0 else 0.0,
        'mem_pct': round(100.0 * (memory.rss if memory else 0) / mem_total, 1) if mem_total else 0.0,
        'rss_kb': memory.rss // 1024 if memory else 0, 'vsz_kb': memory.vms // 1024 if memory else 0,
        'tty': info.get('terminal') or '?',
        'start_time': iso_time(info['create_time']) if info.get('create_time') else None,
        'cpu_time': round(seconds, 2), 'cpu_time_str': cpu_time_str(seconds),
        'command': info.get('name') or '', 'threads': info.get('num_threads'),
        'args': command_line(info.get('cmdline'), '[%s]' % (info.get('name') or ''), options),
    }
    if cpu_pct is not None:
        row['cpu_pct'] = cpu_pct
    return row


def _rows(psutil, options, first_ticks, elapsed):
    now = time.time()
    mem_total = psutil.virtual_memory().total
    rows = []
    for proc in psutil.process_iter(_ATTRS):
        info = proc.info
        cpu_pct = None
        if elapsed and info.get('cpu_times') is not None:
            seconds = info['cpu_times'].user + info['cpu_times'].system
            cpu_pct = round(100.0 * (seconds - first_ticks.get((info['pid'], info['create_time']), 0.0)) / elapsed, 1)
        rows.append(_row(info, mem_total, options, now, cpu_pct))
    return rows


def own_pids(psutil):
    """This run's pids, asked of psutil: this process, then each parent that Ansible started only to run it
    (ownrun.is_launcher; the same walk as ownrun.own_pids over /proc)."""
    own = {os.getpid()}
    try:
        parent = psutil.Process().ppid()
        while parent > 1 and parent not in own and len(own) <= ownrun.MAX_LAUNCHERS:
            process = psutil.Process(parent)
            if not ownrun.is_launcher(process.cmdline()):
                break
            own.add(parent)
            parent = process.ppid()
    except (psutil.Error, OSError):
        pass  # a parent that is gone or not ours to read ends the walk
    return own


def psutil_processes(psutil, options, first, elapsed):
    """The processes facts from psutil.process_iter; the lists leave this run out (the counts do not)."""
    first_ticks, first_cpu = first
    counted = _rows(psutil, options, first_ticks, elapsed)
    own = own_pids(psutil)
    rows = [row for row in counted if row['pid'] not in own]
    cpu_key = 'cpu_pct' if elapsed else 'cpu_pct_lifetime'
    boot = psutil.boot_time()
    try:
        load = psutil.getloadavg()
    except (AttributeError, OSError):
        load = None
    facts = {
        'tasks': count_tasks(row['state'] for row in counted),
        'threads': sum(row['threads'] or 0 for row in counted),
        'load': None if load is None else {'load1': load[0], 'load5': load[1], 'load15': load[2]},
        'cpu_count': psutil.cpu_count(),
        'uptime_seconds': round(time.time() - boot, 2),
        'boot_time': iso_time(boot),
        'vanished': 0,
        'top_cpu': heapq.nlargest(options.top, rows, key=lambda r: (r.get(cpu_key) or 0.0, -r['pid'])),
        'top_memory': heapq.nlargest(options.top, rows, key=lambda r: (r['rss_kb'], -r['pid'])),
    }
    if elapsed:
        facts['cpu'] = cpu_breakdown(first_cpu, psutil.cpu_times())
    if options.process_list == 'full':
        facts['list'] = rows
    return facts


def psutil_meminfo(psutil):
    """psutil's memory numbers under /proc/meminfo's names, so the free formulas apply unchanged."""
    vm = psutil.virtual_memory()
    swap = psutil.swap_memory()
    return {
        'MemTotal': vm.total, 'MemFree': vm.free, 'MemAvailable': vm.available,
        'Buffers': getattr(vm, 'buffers', 0), 'Cached': getattr(vm, 'cached', 0), 'SReclaimable': 0,
        'Shmem': getattr(vm, 'shared', 0), 'SwapTotal': swap.total, 'SwapFree': swap.free,
    }


def psutil_mounts(psutil):
    """psutil.disk_partitions as MountEntry rows (no device numbers: every mount point stands alone)."""
    return [MountEntry(0, 0, 0, 0, '/', part.mountpoint, part.opts, [], part.fstype, part.device, '')
            for part in psutil.disk_partitions(all=True)]
