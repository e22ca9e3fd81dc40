# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filesystems subset of hostfacts: df, findmnt, lsblk -f and du -s. Private: may change without notice.

Mounts come from /proc/self/mountinfo and UUIDs/labels from the udev database
and /dev/disk/by-*, never from findmnt or lsblk (findmnt took over 10 s with
65k mounts, ansible/ansible#43884). statvfs and du run under a deadline
(deadline.py, through the reader) and autofs mount points are never touched, because
that would trigger the automounter (ansible/ansible#11005).
"""

from __future__ import annotations

import os

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.fallback import psutil_mounts, require_psutil

# Filesystems without blocks of their own, as df leaves them out (plus the kernel's newer ones).
PSEUDO_FSTYPES = frozenset((
    'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devfs', 'devpts',
    'efivarfs', 'fusectl', 'hugetlbfs', 'ignore', 'kernfs', 'mqueue', 'none', 'nsfs', 'proc', 'pstore',
    'ramfs', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'subfs', 'sysfs', 'tracefs',
))


def findmnt_options(entry):
    """findmnt's OPTIONS, merged as libmount does: per-mount then superblock options, one rw/ro flag first.

    The flag is ro when either side says ro (a read-only superblock under a rw mount is read-only).
    """
    if entry.options == entry.super_options:
        return entry.options
    options = [o for o in (entry.options + ',' + entry.super_options).split(',') if o and o not in ('rw', 'ro')]
    readonly = 'ro' in entry.options.split(',') or 'ro' in entry.super_options.split(',')
    return ','.join(['ro' if readonly else 'rw'] + options)


def percent_up(part, whole):
    """df's Use%: rounded up, None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return -(-part * 100 // whole)


def device_key(entry):
    """What df compares to find the same filesystem twice: the device number (major:minor)."""
    if entry.major or entry.minor:
        return (entry.major, entry.minor)
    return (entry.source, entry.mount_point)


def prefer_new(old, new):
    """coreutils df's choice between two mounts of one device (bind mounts, the same disk twice)."""
    if '/' in new.source and '/' not in old.source:
        return True
    target_nearer_root = len(old.mount_point) > len(new.mount_point)
    source_below_root = len(old.root) < len(new.root)
    if target_nearer_root and not source_below_root:
        return True
    return old.source != new.source and old.mount_point == new.mount_point


def select_mounts(entries, include_pseudo):
    """The mounts df would show: [(entry, [other mount points of the same filesystem])].

    The last mount on a mount point hides the earlier ones (it is on top); pseudo
    filesystems are dropped unless asked for; one entry per device, as df does.
    """
    on_top = {}
    for entry in entries:
        on_top[entry.mount_point] = entry
    visible = [e for e in entries if on_top[e.mount_point] is e]
    if not include_pseudo:
        visible = [e for e in visible if e.fstype not in PSEUDO_FSTYPES]
    kept = {}
    order = []
    for entry in visible:
        key = device_key(entry)
        if key not in kept:
            kept[key] = (entry, [])
            order.append(key)
            continue
        old, others = kept[key]
        if prefer_new(old, entry):
            kept[key] = (entry, others + [old.mount_point])
        else:
            others.append(entry.mount_point)
    return [kept[key] for key in order]


def usage_fields(vfs):
    """df -B1 and df -i columns from an os.statvfs result (Python ints: 64-bit sizes are never truncated)."""
    size = vfs.f_blocks * vfs.f_frsize
    used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
    available = vfs.f_bavail * vfs.f_frsize
    inodes_used = vfs.f_files - vfs.f_ffree
    return {
        'size': size,
        'used': used,
        'available': available,
        'use_pct': percent_up(used, used + available),
        'inodes_total': vfs.f_files,
        'inodes_used': inodes_used,
        'inodes_free': vfs.f_ffree,
        'inodes_use_pct': percent_up(inodes_used, vfs.f_files),
    }


class DeviceNames(object):
    """UUID and label of a block device, from udev data, else /dev/disk/by-uuid and by-label (read lazily)."""

    def __init__(self, procfs):
        self.procfs = procfs
        self._by_kind = {}

    def _reverse_links(self, kind):
        if kind not in self._by_kind:
            self._by_kind[kind] = dict((target, name) for name, target in self.procfs.disk_links(kind).items())
        return self._by_kind[kind]

    def identify(self, major, minor):
        """(uuid, label) of block device major:minor; (None, None) for anonymous devices."""
        if major == 0:
            return None, None
        properties = self.procfs.udev_properties(major, minor)
        uuid = properties.get('ID_FS_UUID') or None
        label = properties.get('ID_FS_LABEL') or None
        if uuid is None or label is None:
            link = self.procfs.sys_readlink('dev', 'block', '%d:%d' % (major, minor))
            kernel_name = os.path.basename(link) if link else None
            if kernel_name:
                uuid = uuid or self._reverse_links('uuid').get(kernel_name)
                label = label or self._reverse_links('label').get(kernel_name)
        return uuid, label


class FilesystemsCollector(Collector):
    """Mounted filesystems with usage, like df + findmnt + lsblk -f, and du -s of the requested paths."""

    name = 'filesystems'

    def finish(self, elapsed):
        options = self.options
        if self.procfs.has_proc():
            entries = self.procfs.mountinfo()
            names = DeviceNames(self.procfs)
        else:
            entries = psutil_mounts(require_psutil(self.name))
            names = None
        if entries is None:
            self.report.warn('filesystems: /proc/self/mountinfo could not be read; mounts are missing')
            entries = []
        selected = select_mounts(entries, options.include_pseudo)
        probed = [entry.mount_point for entry, _unused in selected if entry.fstype != 'autofs']
        results = self.procfs.statvfs_mounts(probed, options.timeout)
        mounts = []
        for entry, others in selected:
            mount = self._mount(entry, others, results.get(entry.mount_point), names)
            if mount is not None:
                mounts.append(mount)
        return {'mounts': mounts, 'du': [self._du(path, options.timeout) for path in options.du_paths]}

    def _mount(self, entry, others, result, names):
        """One df row, or None for a filesystem without blocks when pseudo filesystems are left out."""
        mount = {
            'device': entry.source,
            'mount_point': entry.mount_point,
            'fstype': entry.fstype,
            'options': findmnt_options(entry),
            'readonly': findmnt_options(entry).split(',')[0] == 'ro',
            'root': entry.root,
            'also_mounted_at': others,
        }
        uuid, label = names.identify(entry.major, entry.minor) if names else (None, None)
        mount['uuid'] = uuid
        mount['label'] = label
        if result is None:
            mount['status'] = 'skipped'
            return mount
        mount['status'] = result.status
        if result.status == 'ok':
            if result.value.f_blocks == 0 and not self.options.include_pseudo:
                return None
            mount.update(usage_fields(result.value))
            self._alert_usage(mount)
        elif result.status == 'timed_out':
            self.report.warn('filesystems: statvfs of %s (%s) did not answer within %g s (timeout); '
                             'reported as timed_out' % (entry.mount_point, entry.fstype, self.options.timeout))
        else:
            if 'denied' in (result.error or '').lower():
                self.procfs.count_denied('statvfs')
            else:
                self.report.warn('filesystems: statvfs of %s failed: %s' % (entry.mount_point, result.error))
            mount['error'] = result.error
        return mount

    def _alert_usage(self, mount):
        thresholds = self.options.thresholds
        for field, limit, what in (('use_pct', thresholds.filesystem_use_pct, 'space'),
                                   ('inodes_use_pct', thresholds.inode_use_pct, 'inodes')):
            value = mount.get(field)
            if value is None or value < limit:
                continue
            full = (mount['available'] == 0) if what == 'space' else (mount['inodes_free'] == 0)
            self.report.alert('critical' if full else 'warning', self.name,
                              '%s on %s (%s) is %d %% used, at or above the %g %% threshold'
                              % (what, mount['mount_point'], mount['device'], value, limit))

    def _du(self, path, timeout):
        result = self.procfs.disk_usage(path, timeout)
        entry = {'path': path, 'status': result.status, 'bytes': result.disk_bytes,
                 'apparent_bytes': result.apparent_bytes, 'files': result.files, 'directories': result.directories}
        if result.status == 'error':
            entry['error'] = result.error
            self.report.warn('du_paths: %s: %s' % (path, result.error))
        elif result.status == 'timed_out':
            self.report.warn('du_paths: %s was not summed within %g s (timeout); the sizes are a lower bound'
                             % (path, timeout))
        if result.denied:
            entry['unreadable_directories'] = result.denied
        return entry
