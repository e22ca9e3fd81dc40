# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The namespaces subset of hostfacts: every namespace, who holds it, who owns it. Private.

What ``lsns`` lists (namespaces with a process in them), plus what it misses:
namespaces pinned only by an nsfs bind mount (``ip netns add``, util-linux
#1881) and namespaces held only by an open file descriptor (util-linux #1884).
No NS_GET_* ioctl is used, so kernels that answer them with ENOSYS change nothing.
"""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.owners import (
    SUPERVISOR_ARGS_BYTES, OwnerResolver,
)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.pathtext import shown_path
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.psformat import command_line
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.pids import PF_KTHREAD

NETNS_DIRS = ('/run/netns/', '/var/run/netns/')
# The descriptor scan goes on at least this long, even when something else spent the run's deadline;
# it looks at the clock every CLOCK_EVERY + 1 descriptors of a process.
SCAN_GRACE = 1.0
CLOCK_EVERY = 255
ROW_WIDTH = 100


def ns_link_target(target):
    """('net', 4026532178) from 'net:[4026532178]', or None."""
    if not target or not target.endswith(']') or ':[' not in target:
        return None
    kind, _unused, inode = target[:-1].partition(':[')
    return (kind, int(inode)) if inode.isdigit() else None


def host_defaults(procfs, types):
    """({type: inode}, source, warning or None) of the host's default namespaces.

    The namespaces of PID 1 are the defaults. When PID 1 cannot be read, kthreadd (PID 2) serves as
    well, because kernel threads never leave the initial namespaces; inside a container's pid
    namespace there is no kthreadd and the module's own process is the last resort. When PID 1 was
    refused for want of privileges, the run's one warning to use become says so: no other is added.
    """
    before = procfs.denied.get('ns', 0)
    found = procfs.pid_namespaces(1, types)
    become_helps = procfs.denied.get('ns', 0) > before and not procfs.privileged
    procfs.forget_denials_as_root('ns', before)
    kthreadd = procfs.pid_stat(2)
    is_kthread = kthreadd is not None and bool(kthreadd.flags & PF_KTHREAD)
    if found and not is_kthread:
        # The initial PID namespace always holds kthreadd as PID 2; a PID 1 that can be read beside no kernel
        # thread is the init of a container's PID namespace (docker exec, nsenter, lxc-attach): its namespaces
        # are the container's, and the host's cannot be seen from inside.
        return found, 'container', (
            'namespaces: hostfacts runs inside a PID namespace that is not the host\'s (no kernel thread is '
            'visible): the defaults are those of this namespace\'s PID 1, a container\'s, not the host\'s, '
            'and namespaces outside it cannot be seen')
    if found:
        return found, 'pid1', None
    if procfs.hidepid():
        # PID 1 and kthreadd are hidden, not absent: the hidepid warning says so, and become is the cure.
        pid = procfs.self_pid()
        return (procfs.pid_namespaces(pid, types) if pid else None) or {}, 'self', None
    reason = 'the namespaces of PID 1 are not readable'
    if is_kthread:
        found = procfs.pid_namespaces(2, types)
        if found:
            return found, 'kthreadd', None if become_helps else (
                'namespaces: %s; the host defaults were taken from kthreadd (PID 2), a kernel thread, which always '
                'lives in the initial namespaces' % reason)
    pid = procfs.self_pid()
    found = procfs.pid_namespaces(pid, types) if pid else None
    if become_helps:
        return found or {}, 'self', None
    why = 'nor those of kthreadd (PID 2)' if is_kthread else 'and there is no kernel thread in this pid namespace'
    return found or {}, 'self', ('namespaces: %s %s; the defaults are those of the module itself (PID %s), so '
                                 'namespaces it shares with its container are reported as default' % (reason, why, pid))


class NamespacesCollector(Collector):
    """Every namespace of every type, with its processes, pins and owner."""

    name = 'namespaces'

    def finish(self, elapsed):
        procfs = self.procfs
        types = procfs.namespace_types()
        defaults, source, warning = host_defaults(procfs, types)
        if warning:
            self.report.warn(warning)
        table = {}
        pids = procfs.pids()
        before = dict((what, procfs.denied.get(what, 0)) for what in ('ns', 'fd'))
        unreadable = 0
        for pid in pids:
            links = procfs.pid_namespaces(pid, types)
            unreadable += not links
            for kind, inode in (links or {}).items():
                entry = table.get((kind, inode))
                if entry is None:
                    table[(kind, inode)] = _new_entry(kind, inode, pid)
                else:
                    entry['nprocs'] += 1
        self._add_mount_pins(table)
        self._add_fd_pins(table, pids, types)
        for what, count in before.items():
            procfs.forget_denials_as_root(what, count)
        resolver = OwnerResolver(procfs, max(SUPERVISOR_ARGS_BYTES, self.options.cmdline_read_limit))
        namespaces = [self._describe(entry, defaults, source != 'container', resolver) for _unused, entry in sorted(table.items())]
        counts = {}
        for entry in namespaces:
            counts[entry['type']] = counts.get(entry['type'], 0) + 1
        return {
            'default': defaults,
            'default_source': source,
            'namespaces': namespaces,
            'non_default': [_row(entry) for entry in namespaces if not entry['default']],
            'counts': counts,
            'unreadable_processes': unreadable,
        }

    def _add_mount_pins(self, table):
        """nsfs bind mounts (ip netns add, unshare --net=FILE) from this mount namespace and the host's."""
        seen = set()
        for pid in ('self', 1):
            before = self.procfs.denied.get('mountinfo', 0)
            mounts = self.procfs.mountinfo(pid) or []
            if pid == 1:
                # The host's view (util-linux #1881) is a bonus: its absence is not a partial result.
                self.procfs.forget_denials('mountinfo', before)
            for mount in mounts:
                parsed = ns_link_target(mount.root) if mount.fstype == 'nsfs' else None
                if parsed is None or (parsed, mount.mount_point) in seen:
                    continue
                seen.add((parsed, mount.mount_point))
                path = shown_path(mount.mount_point)
                pin = {'kind': 'bind_mount', 'path': path, 'name': None}
                for netns_dir in NETNS_DIRS:
                    if path.startswith(netns_dir):
                        pin = {'kind': 'netns_name', 'path': path, 'name': path[len(netns_dir):]}
                table.setdefault(parsed, _new_entry(parsed[0], parsed[1], None))['pinned_by'].append(pin)

    def _add_fd_pins(self, table, pids, types):
        """Open descriptors on namespaces (a process keeping one for later setns), in every descriptor of
        every process. readlink of a descriptor never waits on a filesystem, but a host can hold millions:
        the scan stops at the run's deadline (at least SCAN_GRACE seconds) and says so."""
        clock, until = self.procfs.scan_until(self.options.timeout, SCAN_GRACE)
        scanned, cut = 0, False
        for pid in pids:
            if clock() >= until:
                cut = True
                break
            for count, (fd, target) in enumerate(self.procfs.fd_targets(pid)):
                if count & CLOCK_EVERY == CLOCK_EVERY and clock() >= until:
                    cut = True
                    break
                parsed = ns_link_target(target) if target.endswith(']') else None
                if parsed is not None and parsed[0] in types:
                    entry = table.setdefault(parsed, _new_entry(parsed[0], parsed[1], None))
                    entry['pinned_by'].append({'kind': 'fd', 'path': '/proc/%d/fd/%d' % (pid, fd),
                                               'pid': pid, 'name': None})
            scanned += 1
        if cut:
            self.report.warn('namespaces: the scan of open descriptors stopped at the %g s timeout after %d of %d '
                             'processes; a namespace held only by a descriptor of the others may be missing'
                             % (self.options.timeout, scanned, len(pids)))

    def _describe(self, entry, defaults, defaults_are_the_hosts, resolver):
        entry['default'] = defaults.get(entry['type']) == entry['inode']
        holder = entry['pid']
        if holder is None and entry['pinned_by'] and entry['pinned_by'][0]['kind'] == 'fd':
            holder = entry['pinned_by'][0]['pid']
        if holder is not None:
            stat = resolver.stat(holder)
            args = resolver.args(holder)
            euid = self.procfs.pid_euid(holder)
            fallback = stat.comm if stat else None
            entry['command'] = command_line(args, fallback, self.options) if args or fallback else None
            entry['user'] = self.procfs.username(euid) if euid is not None else None
        if entry['default'] and defaults_are_the_hosts:
            entry['owner'] = {'kind': 'host', 'id': None, 'name': None}
        elif holder is not None:
            entry['owner'] = resolver.owner(holder)
        return entry


def _new_entry(kind, inode, pid):
    return {'type': kind, 'inode': inode, 'nprocs': 0 if pid is None else 1, 'pid': pid, 'user': None,
            'command': None, 'default': False, 'owner': {'kind': 'unknown', 'id': None, 'name': None},
            'pinned_by': []}


def _row(entry):
    """One line like the source's listns table: PID, namespace, who owns or pins it, command."""
    owner = entry['owner']
    who = owner['kind']
    if owner['id']:
        who += ' ' + owner['id'][:12]
    elif owner['name']:
        who += ' ' + owner['name']
    pins = ', '.join('%s %s' % ('ip netns' if pin['kind'] == 'netns_name' else pin['kind'].replace('_', ' '),
                                pin['name'] or pin['path']) for pin in entry['pinned_by'])
    text = '%7s  %-18s  %-20s  %s' % (entry['pid'] if entry['pid'] is not None else '--',
                                      '%s:[%d]' % (entry['type'], entry['inode']), who,
                                      ('pinned by ' + pins + '  ' if pins else '') + (entry['command'] or ''))
    return text.rstrip()[:ROW_WIDTH]
