# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The containers subset of hostfacts: container cgroups and their counters. Private.

A container is a cgroup whose name carries a runtime's container id (common.owners).
The containers are found from the processes visible here: the cgroup of each one
(/proc/PID/cgroup) and the container cgroups above it, so the cost follows the visible
processes, not the cgroups of the whole host (a container sharing the host's cgroup
namespace sees every sibling's tree, of which no process is visible to it).
Its memory, CPU and pids counters are read from cgroup v2 files, or from the v1
controller hierarchies (v1 and hybrid hosts), and it is linked to the namespaces of
its lowest pid.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.owners import owner_from_cgroup_path

# Levels below the cgroup mount where a container cgroup is looked for, and levels of nested cgroups
# (a systemd container's services) below a container whose processes are its own.
MAX_CGROUP_DEPTH = 8
MAX_PIDS_LISTED = 100
V1_UNLIMITED = 0x7FFFFFFFFFFFF000  # memory.limit_in_bytes without a limit (page-rounded LONG_MAX)
# What the kernel adds to a cgroup v2 path in /proc/PID/cgroup once the cgroup is removed
# (proc_cgroup_show in kernel/cgroup/cgroup.c): no directory holds its counters any more.
DELETED = ' (deleted)'


def cgroup_mounts(mounts):
    """(v2 MountEntry or None, {v1 controller: MountEntry}) from mountinfo entries."""
    unified = None
    controllers = {}
    for entry in mounts or []:
        if entry.fstype == 'cgroup2' and unified is None:
            unified = entry
        elif entry.fstype == 'cgroup':
            for option in _v1_options(entry):
                controllers.setdefault(option, entry)
    return unified, controllers


def _v1_options(entry):
    """The controllers (and name=...) of a v1 cgroup mount, from its super options."""
    return [option for option in entry.super_options.split(',')
            if option not in ('rw', 'ro') and not option.startswith('release_agent')]


def cgroup_layout(unified, controllers):
    """v2 (unified only), v1 (legacy only) or hybrid (v1 controllers plus an empty cgroup2)."""
    if unified and not controllers:
        return 'v2'
    if unified:
        return 'hybrid'
    return 'v1' if controllers else None


def mount_relative(path, mount_root):
    """A cgroup path of /proc/PID/cgroup (from the cgroup namespace's root) as seen below a mount of the
    hierarchy whose root is ``mount_root`` (mountinfo's root field), or None when the mount does not show it."""
    if mount_root == '/':
        return path
    if path == mount_root or path.startswith(mount_root + '/'):
        return path[len(mount_root):]
    return None


def containers_above(rel_path):
    """[(container cgroup path, runtime, id)] of the container cgroups holding a process of the cgroup
    ``rel_path`` (a path below the mount): each level, down to MAX_CGROUP_DEPTH, whose own name carries the
    id that the path up to it names (a systemd container's system.slice, nested in it, is not one), with
    the process at most MAX_CGROUP_DEPTH - 1 levels below it."""
    parts = rel_path.split('/')[1:] if rel_path else []
    found = []
    for level in range(1, min(len(parts), MAX_CGROUP_DEPTH) + 1):
        prefix = '/' + '/'.join(parts[:level])
        owner = owner_from_cgroup_path(prefix)
        if owner and owner[1] in parts[level - 1] and len(parts) - level < MAX_CGROUP_DEPTH:
            found.append((prefix, owner[0], owner[1]))
    return found


class ContainersCollector(Collector):
    """Container cgroups with their memory, CPU and pids counters, linked to their namespaces."""

    name = 'containers'

    def finish(self, elapsed):
        unified, controllers = cgroup_mounts(self.procfs.mountinfo('self'))
        layout = cgroup_layout(unified, controllers)
        if layout is None:
            self.report.warn('containers: no cgroup filesystem is mounted, no container can be found')
            return []
        mount = unified if layout == 'v2' else controllers.get('memory') or controllers.get(
            'name=systemd') or sorted(controllers.values(), key=lambda entry: entry.mount_point)[0]
        containers = []
        for (rel_path, kind, container_id), pids in sorted(self._members(mount, layout == 'v2').items()):
            entry = {'id': container_id, 'runtime': kind, 'cgroup_path': rel_path, 'cgroup_layout': layout,
                     'nprocs': len(pids), 'pids': pids[:MAX_PIDS_LISTED],
                     'namespaces': _own_namespaces(self.procfs.pid_namespaces(pids[0]))}
            if layout == 'v2':
                entry.update(self._v2_counters(unified.mount_point, rel_path))
            else:
                entry.update(self._v1_counters(controllers, rel_path))
            containers.append(entry)
        return containers

    def _members(self, mount, unified):
        """{(container cgroup path, runtime, id): [pid]} of every visible process in a container cgroup,
        placed by its cgroup in the hierarchy of ``mount``; a container without one is not listed, like a
        sibling container of another pid namespace, whose processes are invisible here."""
        names = None if unified else set(_v1_options(mount))
        above = {}
        members = {}
        for pid in self.procfs.pids():
            path = _hierarchy_path(self.procfs.pid_cgroups(pid), names)
            if path is None or path.endswith(DELETED):
                continue
            rel_path = mount_relative(path, mount.root)
            if rel_path is None:
                continue
            if rel_path not in above:
                above[rel_path] = containers_above(rel_path)
            if above[rel_path] and self._alive(pid):
                for container in above[rel_path]:
                    members.setdefault(container, []).append(pid)
        return members

    def _alive(self, pid):
        """False for a process that is gone, or has exited and waits to be reaped: cgroup.procs leaves such a
        zombie out unless threads of it still run (css_task_iter_advance in kernel/cgroup/cgroup.c)."""
        stat = self.procfs.pid_stat(pid)
        return stat is not None and (stat.state != 'Z' or stat.num_threads > 1)

    def _read(self, mount_point, rel_path, name):
        parts = [part for part in mount_point.split('/') if part][1:] + rel_path.split('/')[1:]
        return self.procfs.sys_text(*(parts + [name]))

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
            mount = controllers.get(controller)
            return None if mount is None else _int_or_none(self._read(mount.mount_point, rel_path, name))

        limit = read('memory', 'memory.limit_in_bytes')
        cpu_ns = read('cpuacct', 'cpuacct.usage')
        return {
            'memory_usage_bytes': read('memory', 'memory.usage_in_bytes'),
            'memory_limit_bytes': None if limit is None or limit >= V1_UNLIMITED else limit,
            'memory_failcnt': read('memory', 'memory.failcnt'),
            'cpu_usage_seconds': None if cpu_ns is None else cpu_ns / 1e9,
            'pids_current': read('pids', 'pids.current'),
        }


def _hierarchy_path(entries, names):
    """The path of the cgroup v2 line (``names`` None) or of the v1 line naming one of ``names``, or None."""
    for entry in entries or ():
        if names is None:
            if entry.hierarchy == 0 and not entry.controllers:
                return entry.path
        elif names.intersection(entry.controllers.split(',')):
            return entry.path
    return None


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
