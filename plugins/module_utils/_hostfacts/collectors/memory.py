# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The memory subset of hostfacts: what free -b shows. Private: may change without notice."""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector


def available_bytes(meminfo):
    """(available, True when MemAvailable was not believable and MemFree stands in for it).

    As procps-ng 4's library/meminfo.c (meminfo_read_failed): a MemAvailable of 0 or missing
    (kernels before 3.14) is MemFree, and so is one above MemTotal, "symptomatic of running within
    a lxc container" (lxcfs shows the container's MemTotal beside the host's MemAvailable).
    """
    total = meminfo.get('MemTotal', 0)
    free = meminfo.get('MemFree', 0)
    available = meminfo.get('MemAvailable') or free
    if available > total:
        return free, True
    return available, False


def free_fields(meminfo):
    """free -b's columns, in bytes, with procps-ng 4's formulas.

    used = total - available and buff/cache = Buffers + Cached + SReclaimable, as
    the free of procps-ng 4 (Debian 12) computes them; available as available_bytes.
    """
    total = meminfo.get('MemTotal', 0)
    free = meminfo.get('MemFree', 0)
    buffers = meminfo.get('Buffers', 0)
    cache = meminfo.get('Cached', 0) + meminfo.get('SReclaimable', 0)
    available = available_bytes(meminfo)[0]
    swap_total = meminfo.get('SwapTotal', 0)
    swap_free = meminfo.get('SwapFree', 0)
    return {
        'total': total,
        'used': max(0, total - available),
        'free': free,
        'shared': meminfo.get('Shmem', 0),
        'buffers': buffers,
        'cache': cache,
        'buff_cache': buffers + cache,
        'available': available,
        'swap_total': swap_total,
        'swap_used': max(0, swap_total - swap_free),
        'swap_free': swap_free,
    }


def human_bytes(value):
    """1.5 GiB style, for alert messages."""
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if abs(value) < 1024 or unit == 'TiB':
            return ('%d %s' if unit == 'B' else '%.1f %s') % (value, unit)
        value /= 1024.0
    return str(value)


class MemoryCollector(Collector):
    """free -b in bytes, available %, and a status of ok or low from the threshold."""

    name = 'memory'

    def finish(self, elapsed):
        if self.procfs.has_proc():
            meminfo = self.procfs.meminfo_once()
        else:
            from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import fallback
            meminfo = fallback.psutil_meminfo(fallback.require_psutil(self.name))
        if not meminfo:
            self.report.warn('memory: /proc/meminfo could not be read; memory facts are missing')
            return {}
        facts = free_fields(meminfo)
        if available_bytes(meminfo)[1]:
            self.report.warn(
                'memory: MemAvailable (%s) is above MemTotal (%s) in /proc/meminfo, as under lxcfs in a container; '
                'available is MemFree instead, as free(1) shows it' % (
                    human_bytes(meminfo.get('MemAvailable', 0)), human_bytes(meminfo.get('MemTotal', 0))))
        threshold = self.options.thresholds.memory_available_pct
        facts['available_pct'] = round(100.0 * facts['available'] / facts['total'], 1) if facts['total'] else 0.0
        facts['status'] = 'low' if facts['available_pct'] < threshold else 'ok'
        if facts['status'] == 'low':
            self.report.alert(
                'critical' if facts['available_pct'] < threshold / 2 else 'warning', self.name,
                'memory available %s of %s total (%.1f %%) is below the %g %% threshold'
                % (human_bytes(facts['available']), human_bytes(facts['total']), facts['available_pct'], threshold))
        return facts
