# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The containers subset of hostfacts: container cgroups and their counters. Private.

A container is a cgroup whose name carries a runtime's container id (common.owners).
Its memory, CPU and pids counters are read from cgroup v2 files, or from the v1
controller hierarchies (v1 and hybrid hosts), and it is linked to the namespaces of
its lowest pid.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.owners import owner_from_cgroup_path

MAX_CGROUP_DEPTH = 8
MAX_PIDS_LISTED = 100
V1_UNLIMITED = 0x7FFFFFFFFFFFF000  # memory.limit_in_bytes without a limit (page-rounded LONG_MAX)


def cgroup_mounts(mounts):
    """(v2 mount point or None, {v1 controller: mount point}) from mountinfo entries."""
    unified = None
    controllers = {}
    for entry in mounts or []:
        if entry.fstype == 'cgroup2' and unified is None:
            unified = entry.mount_point
        elif entry.fstype == 'cgroup':
            for option in entry.super_options.split(','):
                if option not in ('rw', 'ro') and not option.startswith('release_agent'):
                    controllers.setdefault(option, entry.mount_point)
    return unified, controllers


def cgroup_layout(unified, controllers):
    """v2 (unified only), v1 (legacy only) or hybrid (v1 controllers plus an empty cgroup2)."""
    if unified and not controllers:
        return 'v2'
    if unified:
        return 'hybrid'
    return 'v1' if controllers else None


class ContainersCollector(Collector):
    """Container cgroups with their memory, CPU and pids counters, linked to their namespaces."""

    name = 'containers'

    def finish(self, elapsed):
        self._listed = {}
        unified, controllers = cgroup_mounts(self.procfs.mountinfo('self'))
        layout = cgroup_layout(unified, controllers)
        if layout is None:
            self.report.warn('containers: no cgroup filesystem is mounted, no container can be found')
            return []
        walk_root = unified if layout == 'v2' else controllers.get('memory') or controllers.get(
            'name=systemd') or sorted(controllers.values())[0]
        containers = []
        for rel_path, kind, container_id in self._find(walk_root):
            pids = self._pids(walk_root, rel_path)
            if not pids:
                # Another pid namespace's container (a sibling of ours): nothing of it is visible here.
                continue
            entry = {'id': container_id, 'runtime': kind, 'cgroup_path': rel_path, 'cgroup_layout': layout,
                     'nprocs': len(pids), 'pids': pids[:MAX_PIDS_LISTED],
                     'namespaces': _own_namespaces(self.procfs.pid_namespaces(pids[0]))}
            if layout == 'v2':
                entry.update(self._v2_counters(unified, rel_path))
            else:
                entry.update(self._v1_counters(controllers, rel_path))
            containers.append(entry)
        return containers

    def _find(self, walk_root):
        """(relative cgroup path, runtime, id) of every container cgroup, bounded in depth."""
        base = self._sys_parts(walk_root)
        found = []
        pending = [('', 0)]
        while pending:
            rel, depth = pending.pop()
            for name in sorted(self._subdirs(base + rel.split('/')[1:])):
                child = rel + '/' + name
                owner = owner_from_cgroup_path(child)
                # The container's own cgroup, not one nested in it (a systemd container's system.slice).
                if owner and owner[1] in name:
                    found.append((child, owner[0], owner[1]))
                if depth + 1 < MAX_CGROUP_DEPTH:
                    pending.append((child, depth + 1))
        return sorted(found)

    def _subdirs(self, parts):
        """sys_subdirs, listed once per run: _find and _pids walk the same container subtrees."""
        key = tuple(parts)
        names = self._listed.get(key)
        if names is None:
            names = self._listed[key] = self.procfs.sys_subdirs(*parts)
        return names

    @staticmethod
    def _sys_parts(mount_point):
        """Path parts below /sys for a cgroup mount point (/sys/fs/cgroup/memory -> fs, cgroup, memory)."""
        return [part for part in mount_point.split('/') if part][1:]

    def _read(self, mount_point, rel_path, name):
        return self.procfs.sys_text(*(self._sys_parts(mount_point) + rel_path.split('/')[1:] + [name]))

    def _pids(self, mount_point, rel_path):
        """Pids of a container cgroup and of the cgroups below it (a systemd container nests its services);
        pids of other pid namespaces are left out by the kernel."""
        pids = []
        pending = [(rel_path, 0)]
        while pending:
            rel, depth = pending.pop()
            text = self._read(mount_point, rel, 'cgroup.procs') or ''
            pids.extend(int(line) for line in text.split() if line.isdigit() and line != '0')
            if depth + 1 < MAX_CGROUP_DEPTH:
                parts = self._sys_parts(mount_point) + rel.split('/')[1:]
                pending.extend((rel + '/' + name, depth + 1) for name in self._subdirs(parts))
        return sorted(set(pids))

    def _v2_counters(self, unified, rel_path):
        events = _key_values(self._read(unified, rel_path, 'memory.events'))
        cpu = _key_values(self._read(unified, rel_path, 'cpu.stat'))
        limit = self._read(unified, rel_path, 'memory.max')
        return {
            'memory_usage_bytes': _int_or_none(self._read(unified, rel_path, 'memory.current')),
            'memory_limit_bytes': None if limit in (None, 'max') else _int_or_none(limit),
            'memory_events_max': events.get('max'),
            'memory_events_oom_kill': events.get('oom_kill'),
            'cpu_usage_seconds': None if 'usage_usec' not in cpu else cpu['usage_usec'] / 1e6,
            'pids_current': _int_or_none(self._read(unified, rel_path, 'pids.current')),
        }

    def _v1_counters(self, controllers, rel_path):
        def read(controller, name):
            mount_point = controllers.get(controller)
            return None if mount_point is None else _int_or_none(self._read(mount_point, rel_path, name))

        limit = read('memory', 'memory.limit_in_bytes')
        cpu_ns = read('cpuacct', 'cpuacct.usage')
        return {
            'memory_usage_bytes': read('memory', 'memory.usage_in_bytes'),
            'memory_limit_bytes': None if limit is None or limit >= V1_UNLIMITED else limit,
            'memory_failcnt': read('memory', 'memory.failcnt'),
            'cpu_usage_seconds': None if cpu_ns is None else cpu_ns / 1e9,
            'pids_current': read('pids', 'pids.current'),
        }


def _own_namespaces(links):
    """{type: inode} without the *_for_children links, which are not namespaces of their own."""
    return dict((kind, inode) for kind, inode in (links or {}).items() if not kind.endswith('_for_children'))


def _int_or_none(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _key_values(text):
    """'key value' lines (memory.events, cpu.stat) as {key: int}."""
    result = {}
    for line in (text or '').splitlines():
        key, _unused, value = line.partition(' ')
        if value.strip().isdigit():
            result[key] = int(value)
    return result
