# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The processes subset of hostfacts: what ps aux and top -n 1 show. Private: may change without notice.

Cost model: every process costs one read of /proc/PID/stat per sample (shared
with the io subset through the reader's begin_sample). The owner (one stat of
/proc/PID, see readers.pids.PidFiles.pid_euid: /proc/PID/status, the costliest file ps reads,
is not needed), cmdline (for the args) and statm (the exact resident size, see
readers.pids.PidFiles.pid_rss_pages) are read only for the processes that are reported: the
ranked lists by default, every process with process_list=full. The memory ranking reads statm
only for the processes that stat's approximate rss cannot rule out (memory_candidates). The module's
own run is left out of the lists (common/ownrun.py).
"""

from __future__ import annotations

import gc
import heapq
import time

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.ownrun import own_pids
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.psformat import (
    command_line, count_tasks, cpu_breakdown, cpu_time_str, iso_time, tty_name,
)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.pids import PF_KTHREAD


def describe_command(stat, argv, options):
    """(command, args) as ps shows them: [name] for kernel threads, '[name] <defunct>' for zombies;
    secrets masked and args cut as ``options`` say (psformat.command_line)."""
    if stat.flags & PF_KTHREAD:
        return '[%s]' % stat.comm, command_line(None, '[%s]' % stat.comm, options)
    suffix = ' <defunct>' if stat.state == 'Z' else ''
    return stat.comm, command_line(argv, '[%s]%s' % (stat.comm, suffix), options)


def unique_samples(samples):
    """samples without repeats (a process in both ranked lists), first occurrence kept."""
    seen = set()
    result = []
    for sample in samples:
        if sample.stat.pid not in seen:
            seen.add(sample.stat.pid)
            result.append(sample)
    return result


def rank(entries, key, count):
    """The ``count`` largest entries by key, ties broken by the lower pid."""
    return heapq.nlargest(count, entries, key=lambda e: (key(e), -e.stat.pid))


def stat_rss_error_pages(cpus):
    """How far /proc/PID/stat's rss can be from the exact one, in pages (never reached in practice).

    stat reads three per-mm percpu_counters (file, anon, shmem pages) without their per-CPU parts;
    each CPU holds less than one batch unflushed, and the batch is max(32, 2 x online CPUs)
    (compute_batch_value in lib/percpu_counter.c).
    """
    cpus = max(1, cpus)
    return 3 * cpus * max(32, 2 * cpus)


def memory_candidates(samples, count, error_pages):
    """The samples that can be among the ``count`` largest by exact rss, judged from stat's rss.

    Every sample outside is below the count-th largest stat rss by more than twice the error, so
    its exact rss is below that of at least ``count`` others: reading statm for the candidates
    only gives the same ranking as reading it for every process.
    """
    if count <= 0:
        return []
    largest = heapq.nlargest(count, (s.stat.rss_pages for s in samples))
    if len(largest) < count:
        return list(samples)
    floor = largest[-1] - 2 * error_pages
    return [s for s in samples if s.stat.rss_pages >= floor]


class ProcessSample(object):
    """One process as read from its stat, with the derived numbers the ranked lists sort on.

    ``rss_pages`` is None until the exact resident size is read (exact_rss).
    """

    __slots__ = ('stat', 'ticks', 'cpu_pct', 'cpu_pct_lifetime', 'rss_pages')

    def __init__(self, stat, ticks, cpu_pct, cpu_pct_lifetime):
        self.stat = stat
        self.ticks = ticks
        self.cpu_pct = cpu_pct
        self.cpu_pct_lifetime = cpu_pct_lifetime
        self.rss_pages = None


class ProcessesCollector(Collector):
    """Task counts, load, CPU breakdown, uptime and per-process rows, from /proc (or psutil)."""

    name = 'processes'
    takes_samples = True

    def begin(self):
        self._psutil = None
        self._first_ticks = None
        self._first_cpu = None
        if not self.procfs.has_proc():
            # Imported here, like in the memory and filesystems subsets: hosts with /proc never compile it.
            from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import fallback
            self._psutil = fallback.require_psutil(self.name)
            self._first_ticks = fallback.psutil_cpu_ticks(self._psutil)
            return
        if self.options.sampling:
            system = self.procfs.system_stat()
            self._first_cpu = system.cpu if system else None
            self._first_ticks = self._ticks_by_key()

    def _ticks_by_key(self):
        """{(pid, starttime): utime + stime}: a reused pid has a new starttime, so it never matches."""
        ticks = {}
        for pid in self.procfs.pids():
            stat = self.procfs.pid_stat(pid)
            if stat is not None:
                ticks[(pid, stat.starttime)] = stat.utime + stat.stime
        return ticks

    def finish(self, elapsed):
        if self._psutil is not None:
            from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import fallback
            return fallback.psutil_processes(self._psutil, self.options, self._first_ticks, elapsed)
        # Tens of thousands of short-lived tuples and dicts, no cycles: the cyclic GC would only
        # rescan them over and over (about a tenth of the time at 10,000 processes).
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._finish_procfs(elapsed)
        finally:
            if gc_enabled:
                gc.enable()

    def _finish_procfs(self, elapsed):
        procfs = self.procfs
        hz = float(procfs.clock_ticks)
        system = procfs.system_stat()
        uptime = procfs.uptime() or 0.0
        boot_time = system.btime if system and system.btime else time.time() - uptime
        meminfo = procfs.meminfo_once() or {}
        self._mem_total_kb = (meminfo.get('MemTotal') or 0) / 1024.0
        self._boot_time = boot_time
        self._hz = hz
        self._page_kb = procfs.page_size // 1024
        self._start_times = {}
        self._cpus = len(system.per_cpu) if system else 1

        samples = self._sample(elapsed, uptime, hz)
        load = procfs.loadavg()
        facts = {
            'tasks': count_tasks(s.stat.state for s in samples),
            'threads': sum(s.stat.num_threads for s in samples),
            'load': None if load is None else {'load1': load.load1, 'load5': load.load5, 'load15': load.load15},
            'cpu_count': len(system.per_cpu) if system else None,
            'uptime_seconds': round(uptime, 2),
            'boot_time': iso_time(boot_time),
            'vanished': self._vanished,
        }
        if elapsed:
            facts['cpu'] = cpu_breakdown(self._first_cpu, system.cpu if system else None)
        # The counts above are the host's, this run included (top's Tasks line counts top); the lists
        # name the host's workloads, which this run is not (common/ownrun.py).
        own = own_pids(procfs)
        self._add_process_lists(facts, [s for s in samples if s.stat.pid not in own], elapsed)
        return facts

    def _sample(self, elapsed, uptime, hz):
        """The last stat sample of every process, with CPU % over the interval and over its lifetime."""
        procfs = self.procfs
        pid_stat = procfs.pid_stat
        first = self._first_ticks
        samples = []
        append = samples.append
        pids = procfs.pids()
        for pid in pids:
            stat = pid_stat(pid)
            if stat is None:
                continue
            ticks = stat.utime + stat.stime
            cpu_pct = None
            if elapsed:
                # A key missing from the first sample started during the interval: all its ticks count.
                delta = ticks - first.get((pid, stat.starttime), 0) if first is not None else ticks
                cpu_pct = round(100.0 * delta / hz / elapsed, 1)
            age = uptime - stat.starttime / hz
            append(ProcessSample(stat, ticks, cpu_pct, round(100.0 * ticks / hz / age, 1) if age > 0 else 0.0))
        self._vanished = len(pids) - len(samples)
        if first is not None:
            still_there = set((s.stat.pid, s.stat.starttime) for s in samples)
            self._vanished += sum(1 for key in first if key not in still_there)
        return samples

    def _add_process_lists(self, facts, samples, elapsed):
        top = self.options.top
        if elapsed:
            by_cpu = rank(samples, lambda s: s.cpu_pct, top)
        else:
            by_cpu = rank(samples, lambda s: s.cpu_pct_lifetime, top)
        if self.options.process_list == 'full':
            candidates = samples
        else:
            candidates = memory_candidates(samples, top, stat_rss_error_pages(self._cpus))
        by_memory = rank(candidates, self._exact_rss_pages, top)
        if self.options.process_list == 'full':
            rows = self._rows(samples)
            # Insertion order is the order of samples (pid order): the listing is the dict's values.
            facts['list'] = list(rows.values())
        else:
            rows = self._rows(unique_samples(by_cpu + by_memory))
        facts['top_cpu'] = [rows[s.stat.pid] for s in by_cpu if s.stat.pid in rows]
        facts['top_memory'] = [rows[s.stat.pid] for s in by_memory if s.stat.pid in rows]

    def _exact_rss_pages(self, sample):
        """The resident pages ps shows (statm, read once per sample); stat's if statm cannot be read."""
        if sample.rss_pages is None:
            if sample.stat.flags & PF_KTHREAD:
                sample.rss_pages = 0
            else:
                exact = self.procfs.pid_rss_pages(sample.stat.pid)
                sample.rss_pages = sample.stat.rss_pages if exact is None else exact
        return sample.rss_pages

    def _rows(self, samples):
        """{pid: ps aux row} for the reported samples; a process gone before its row was read is left out.

        The owner (one stat of /proc/PID), cmdline and statm are read here, so only for reported processes.
        This loop runs once per process with process_list=full, so it keeps everything in locals and
        caches what repeats (user names per uid, TTY names, TIME strings, start times per second).
        """
        procfs = self.procfs
        pid_cmdline = procfs.pid_cmdline
        pid_euid = procfs.pid_euid
        username = procfs.username
        options = self.options
        limit = options.cmdline_read_limit
        page_kb = self._page_kb
        hz = self._hz
        mem_total_kb = self._mem_total_kb
        start_time = self._start_time
        exact_rss_pages = self._exact_rss_pages
        ttys = {}
        times = {}
        rows = {}
        for sample in samples:
            stat = sample.stat
            pid = stat.pid
            if stat.flags & PF_KTHREAD:
                uid, argv = 0, None  # kernel threads are root's and have no cmdline: nothing to read
            else:
                uid = pid_euid(pid)
                argv = pid_cmdline(pid, limit)
                if argv is None and uid is None:
                    continue
            command, args = describe_command(stat, argv, options)
            rss_kb = exact_rss_pages(sample) * page_kb
            # TTY names and TIME strings are never empty: a cache miss is the only falsy get().
            tty = ttys.get(stat.tty_nr) or ttys.setdefault(stat.tty_nr, tty_name(stat.tty_nr))
            cpu_seconds = sample.ticks / hz
            second = int(cpu_seconds)
            time_str = times.get(second) or times.setdefault(second, cpu_time_str(cpu_seconds))
            row = {
                'pid': pid,
                'ppid': stat.ppid,
                'user': None if uid is None else username(uid),
                'uid': uid,
                'state': stat.state,
                'cpu_pct_lifetime': sample.cpu_pct_lifetime,
                'mem_pct': round(100.0 * rss_kb / mem_total_kb, 1) if mem_total_kb else 0.0,
                'rss_kb': rss_kb,
                'vsz_kb': stat.vsize // 1024,
                'tty': tty,
                'start_time': start_time(stat.starttime),
                'cpu_time': round(cpu_seconds, 2),
                'cpu_time_str': time_str,
                'command': command,
                'args': args,
                'threads': stat.num_threads,
            }
            if sample.cpu_pct is not None:
                row['cpu_pct'] = sample.cpu_pct
            rows[pid] = row
        return rows

    def _start_time(self, starttime):
        """ISO 8601 start time, cached per second: processes started together (at boot) share it."""
        second = int(self._boot_time + starttime / self._hz)
        text = self._start_times.get(second)
        if text is None:
            text = self._start_times[second] = iso_time(second)
        return text
