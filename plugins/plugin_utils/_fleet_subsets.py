# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report's readers of hostfacts subsets: each one fills its part of a host's record. Private.

Every value goes through a reader of _untrusted.py, which returns the expected type, cut to a length,
or raises MalformedFacts naming the place. What a reader keeps is bounded: the top few processes, the
fullest filesystems, a few namespaces and containers, texts cut to the lengths below. So a host's
record, and its share of every file the report writes, stays small whatever the host sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.hostops.fleet.plugins.plugin_utils._format import owner_text
from ansible_collections.hostops.fleet.plugins.plugin_utils._untrusted import (
    count, cut, entries, integer, number, section, string, texts,
)

# How much of each host the report keeps: enough to answer "what is wrong and who does it".
TOP_PROCESSES = 5
TOP_FILESYSTEMS = 6
TOP_NAMESPACES = 5
TOP_CONTAINERS = 5
# Namespaces with no process, each an alert of its own, and the bind mounts named for one of them.
PINNED_SHOWN = 20
PINS_NAMED = 4
# Namespace types counted apart (Linux has 8); a host that reports more counts the rest as 'other'.
NAMESPACE_TYPES = 10
# Texts the report keeps, by length: process arguments, names that are short by nature, longer messages.
ARGS_LENGTH = 120
SHORT_LENGTH = 32
USER_LENGTH = 64
MESSAGE_LENGTH = 300
FINDINGS_KEPT = 10


def _args(row, key, where):
    return string(row, key, where, ARGS_LENGTH)


def _process(row, where):
    """The few columns of a ps row the report shows."""
    return {
        'pid': integer(row, 'pid', where),
        'user': string(row, 'user', where, USER_LENGTH),
        'command': string(row, 'command', where) or string(row, 'comm', where),
        'args': _args(row, 'args', where) or _args(row, 'command', where),
        'cpu_pct': number(row, 'cpu_pct', where),
        'mem_pct': number(row, 'mem_pct', where),
        'rss_kb': number(row, 'rss_kb', where),
        'state': string(row, 'state', where, SHORT_LENGTH),
    }


def _io_process(row):
    files = entries(row, 'open_files', 'io.top[].open_files')
    return {
        'pid': integer(row, 'pid', 'io.top[]'),
        'user': string(row, 'user', 'io.top[]', USER_LENGTH),
        'command': string(row, 'comm', 'io.top[]'),
        'args': _args(row, 'command', 'io.top[]'),
        'read_bytes_s': number(row, 'read_bytes_s', 'io.top[]'),
        'write_bytes_s': number(row, 'write_bytes_s', 'io.top[]'),
        'file': string(files[0], 'path', 'io.top[].open_files[]') if files else None,
        'file_mount': string(files[0], 'mount_point', 'io.top[].open_files[]') if files else None,
    }


def io_rate(proc):
    # 0, not 0.0, for a missing side: the sum of two integer rates stays an integer in the files.
    return (proc['read_bytes_s'] or 0) + (proc['write_bytes_s'] or 0)


def read_filesystems(facts):
    """The fullest TOP_FILESYSTEMS mounts, fullest first."""
    where = 'filesystems.mounts[]'
    mounts = []
    for mount in entries(section(facts, 'filesystems', 'hostfacts') or {}, 'mounts', 'filesystems'):
        mounts.append({
            'mount_point': string(mount, 'mount_point', where),
            'device': string(mount, 'device', where),
            'fstype': string(mount, 'fstype', where, SHORT_LENGTH),
            'size': number(mount, 'size', where),
            'used': number(mount, 'used', where),
            'available': number(mount, 'available', where),
            'use_pct': number(mount, 'use_pct', where),
            'inodes_use_pct': number(mount, 'inodes_use_pct', where),
            'status': string(mount, 'status', where, SHORT_LENGTH),
        })
    mounts.sort(key=lambda m: (-(m['use_pct'] or 0.0), m['mount_point'] or ''))
    return mounts[:TOP_FILESYSTEMS]


def _busiest_disk(io_facts):
    where = 'io.disks[]'
    best = None
    for disk in entries(io_facts, 'disks', 'io'):
        if string(disk, 'kind', where, SHORT_LENGTH) not in ('disk', None):
            continue
        util = number(disk, 'util_pct', where)
        if best is None or (util or 0.0) > (best['util_pct'] or 0.0):
            best = {'name': string(disk, 'name', where, USER_LENGTH), 'util_pct': util,
                    'mounts': texts(disk, 'mounts', where, items=4)}
            for key in ('r_s', 'w_s', 'rkb_s', 'wkb_s', 'w_await', 'r_await'):
                best[key] = number(disk, key, where)
    return best


def read_io(record, io_facts):
    record['iowait_pct'] = number(io_facts, 'iowait_pct', 'io')
    record['busiest_disk'] = _busiest_disk(io_facts)
    hogs = {}
    for row in entries(io_facts, 'top_writers', 'io') + entries(io_facts, 'top_readers', 'io'):
        proc = _io_process(row)
        hogs.setdefault(proc['pid'], proc)
    record['top_io'] = sorted(hogs.values(), key=lambda p: -io_rate(p))[:TOP_PROCESSES]
    record['d_state'] = count(io_facts, 'd_state', 'io')
    record['findings'] = texts(io_facts, 'findings', 'io', MESSAGE_LENGTH, FINDINGS_KEPT)


def _namespace(entry, kind, inode, nprocs):
    """The columns of one namespace the report shows (read for the few it keeps, not for all)."""
    where = 'namespaces.namespaces[]'
    pins = entries(entry, 'pinned_by', where)[:PINS_NAMED]
    pinned_by = ', '.join(string(p, 'name', where + '.pinned_by[]') or string(p, 'path', where + '.pinned_by[]')
                          or '?' for p in pins)
    owner = section(entry, 'owner', where)
    if owner is not None:
        # Cut before owner_text formats it, so that a huge kind is never copied whole.
        owner = owner_text(dict((key, string(owner, key, where + '.owner', USER_LENGTH)) for key in ('kind', 'id', 'name')))
    return {
        'type': kind, 'inode': inode, 'nprocs': nprocs,
        'pid': integer(entry, 'pid', where),
        'command': _args(entry, 'command', where),
        'owner': cut(owner, USER_LENGTH) if owner else None,
        'pinned_by': cut(pinned_by, 256) if pinned_by else None,
    }


def _by_type(kinds):
    by_type = {}
    for kind in kinds:
        kind = kind if kind in by_type or len(by_type) < NAMESPACE_TYPES else 'other'
        by_type[kind] = by_type.get(kind, 0) + 1
    return by_type


def read_namespaces(facts):
    """Non-default namespaces: how many of each type, the first few (those without a process first), and
    the ones only a bind mount holds (ip netns add), which ps and lsns never show."""
    subset = section(facts, 'namespaces', 'hostfacts')
    if subset is None:
        return None
    where = 'namespaces.namespaces[]'
    shown = []
    for entry in entries(subset, 'namespaces', 'namespaces'):
        if not entry.get('default'):
            nprocs = integer(entry, 'nprocs', where)
            shown.append((bool(nprocs), string(entry, 'type', where, SHORT_LENGTH) or '?',
                          integer(entry, 'inode', where) or 0, nprocs, entry))
    if not shown and subset.get('non_default'):
        # An older fact shape: only the one-line table rows.
        rows = texts(subset, 'non_default', 'namespaces')
        return {'count': len(rows), 'by_type': {}, 'pinned_only': [],
                'entries': [{'row': row} for row in rows[:TOP_NAMESPACES]]}
    shown.sort(key=lambda item: item[:3])
    pinned = [item for item in shown if not item[0] and item[4].get('pinned_by')][:PINNED_SHOWN]
    details = dict((id(item[4]), _namespace(item[4], item[1], item[2] or None, item[3]))
                   for item in shown[:TOP_NAMESPACES] + pinned)
    pinned = [details[id(item[4])] for item in pinned]
    return {'count': len(shown), 'by_type': _by_type(item[1] for item in shown),
            'pinned_only': [entry for entry in pinned if entry['pinned_by']],
            'entries': [details[id(item[4])] for item in shown[:TOP_NAMESPACES]]}


def read_containers(facts):
    rows = facts.get('containers')
    if rows is None:
        return None
    if isinstance(rows, Mapping):
        rows = rows.get('containers') or []
    where = 'containers[]'
    found = []
    for row in entries({'containers': rows}, 'containers', 'hostfacts'):
        found.append({
            'id': string(row, 'id', where, 12),
            'runtime': string(row, 'runtime', where, SHORT_LENGTH),
            'name': string(row, 'name', where, 128),
            'memory_usage_bytes': number(row, 'memory_usage_bytes', where),
            'memory_limit_bytes': number(row, 'memory_limit_bytes', where),
            'cpu_usage_seconds': number(row, 'cpu_usage_seconds', where),
            'pids_current': number(row, 'pids_current', where),
        })
    found.sort(key=lambda c: -(c['memory_usage_bytes'] or 0.0))
    return {'count': len(found), 'entries': found[:TOP_CONTAINERS]}


def read_processes(record, processes):
    record['uptime_seconds'] = number(processes, 'uptime_seconds', 'processes')
    record['cpu_count'] = number(processes, 'cpu_count', 'processes')
    load = section(processes, 'load', 'processes')
    if load is not None:
        record['load'] = [number(load, key, 'processes.load') for key in ('load1', 'load5', 'load15')]
        if record['load'][0] is not None and record['cpu_count']:
            record['load_per_cpu'] = round(record['load'][0] / record['cpu_count'], 2)
    cpu = section(processes, 'cpu', 'processes')
    if cpu is not None:
        record['cpu'] = dict((key, number(cpu, key, 'processes.cpu'))
                             for key in ('us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st'))
        if record['cpu']['id'] is not None:
            record['cpu_busy_pct'] = round(100.0 - record['cpu']['id'], 1)
    tasks = section(processes, 'tasks', 'processes')
    if tasks is not None:
        record['tasks'] = dict((key, number(tasks, key, 'processes.tasks')) for key in
                               ('total', 'running', 'sleeping', 'stopped', 'zombie', 'uninterruptible'))
    for key in ('top_cpu', 'top_memory'):
        where = 'processes.%s[]' % key
        record[key] = [_process(row, where) for row in entries(processes, key, 'processes')[:TOP_PROCESSES]]


def read_memory(facts):
    memory = section(facts, 'memory', 'hostfacts')
    if not memory:
        return None
    summary = dict((key, number(memory, key, 'memory')) for key in
                   ('total', 'used', 'available', 'available_pct', 'buff_cache', 'swap_total', 'swap_used'))
    summary['status'] = string(memory, 'status', 'memory', SHORT_LENGTH)
    return summary


def read_system(record, facts):
    """Who the host is: name, OS, kernel, primary address and boot (the hostfacts subset system).

    Hosts gathered before the subset existed have none of it: their identity shows as n/a.
    """
    system = section(facts, 'system', 'hostfacts')
    if system is None:
        return
    where = 'system'
    os_release = section(system, 'os', where) or {}
    kernel = section(system, 'kernel', where) or {}
    address = section(system, 'primary_address', where) or {}
    version = ' '.join(part for part in (string(os_release, 'id', 'system.os', SHORT_LENGTH),
                                         string(os_release, 'version_id', 'system.os', SHORT_LENGTH)) if part)
    record['system'] = {
        'hostname': string(system, 'hostname', where),
        'os': string(os_release, 'pretty_name', 'system.os', 128) or version or None,
        'kernel': string(kernel, 'release', 'system.kernel', 128),
        'machine': string(kernel, 'machine', 'system.kernel', SHORT_LENGTH),
        'interface': string(address, 'interface', 'system.primary_address', SHORT_LENGTH),
        'ipv4': string(address, 'ipv4', 'system.primary_address', 64),
        'ipv6': string(address, 'ipv6', 'system.primary_address', 64),
        'boot_time': string(system, 'boot_time', where, 64),
    }
    uptime = number(system, 'uptime_seconds', where)
    if uptime is not None:
        record['uptime_seconds'] = uptime
