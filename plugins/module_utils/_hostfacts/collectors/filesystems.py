# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filesystems subset of hostfacts: df, findmnt, lsblk -f and du -s. Private: may change without notice.

Mounts come from /proc/self/mountinfo and UUIDs/labels from the udev database
and /dev/disk/by-*, never from findmnt or lsblk (findmnt took over 10 s with
65k mounts, ansible/ansible#43884). statvfs and du run under the run's deadline
(deadline.py, through the reader) and autofs mount points are never touched, because
that would trigger the automounter (ansible/ansible#11005).
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Collector
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.pathtext import shown_path

# What the default list does with each filesystem type, and what df does with it: the one table of types,
# read by the selection and the alerts here and held to docs/hostfacts.md ("Which filesystems are listed")
# by a unit test. include_pseudo lists every type. The kinds:
#   listed: listed, probed under the run's deadline and alerted on; every type not named here (ext4, xfs, nfs...)
#   image:  listed, never alerted on: a read-only image is always 100 % used
#   layer:  left out but for the root: a container's layer shows the space of the disk under it, listed already
#   kernel: left out and not probed: kernel interfaces, which df leaves out as dummies or for their 0 blocks
# df: 'dummy' (gnulib's ME_DUMMY), 'no blocks' (statfs gives 0 blocks, so df leaves it out), 'listed'.
FsTypes = namedtuple('FsTypes', ['kind', 'df', 'names'])
FSTYPE_TABLE = (
    FsTypes('kernel', 'dummy', ('autofs', 'proc', 'sysfs', 'devpts', 'mqueue', 'debugfs', 'fusectl', 'fuse.portal',
                                'rpc_pipefs', 'subfs', 'devfs', 'kernfs', 'none')),
    FsTypes('kernel', 'no blocks', ('cgroup', 'cgroup2', 'cpuset', 'nsfs', 'tracefs', 'securityfs', 'bpf', 'pstore',
                                    'configfs', 'binfmt_misc', 'selinuxfs', 'smackfs', 'apparmorfs', 'pipefs',
                                    'sockfs', 'anon_inodefs', 'bdev', 'pidfs', 'dmabuf', 'resctrl', 'nfsd',
                                    'ipathfs', 'spufs', 'xenfs', 'dlmfs', 'binder', 'rootfs')),
    FsTypes('kernel', 'listed', ('efivarfs',)),
    FsTypes('layer', 'listed', ('overlay', 'aufs')),
    FsTypes('image', 'listed', ('squashfs', 'erofs', 'iso9660', 'cramfs', 'romfs')),
    FsTypes('listed', 'listed', ('tmpfs', 'devtmpfs', 'fuse', 'fuseblk', 'fuse.*', 'nfs', 'nfs4', 'cifs', 'smb3',
                                 'ceph', '9p', 'virtiofs', 'vboxsf')),
    FsTypes('listed', 'no blocks', ('ramfs', 'hugetlbfs')),
)
FSTYPE_KIND = dict((name, row.kind) for row in FSTYPE_TABLE for name in row.names)
# Mounts on these directories and below are kernel interfaces whatever their type: container runtimes
# mask kernel files with read-only tmpfs there (/proc/acpi, /sys/firmware), cgroup v1 puts a tmpfs on
# /sys/fs/cgroup. df lists those tmpfs; they cannot fill.
KERNEL_PLACES = ('/proc', '/sys')
# gnulib's ME_REMOTE: df keeps two remote mounts of one filesystem when their sources differ.
REMOTE_FSTYPES = frozenset(('acfs', 'afs', 'coda', 'auristorfs', 'fhgfs', 'gpfs', 'ibrix', 'ocfs2', 'vxfs'))

_SUBVOLID = re.compile(r'(?:^|,)subvolid=(\d+)')
# Mount points named in one warning at most (the count says how many more).
WARNED_MOUNTS = 10


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


def fstype_kind(fstype):
    """listed, image, layer or kernel (FSTYPE_TABLE); FUSE subtypes (fuse.sshfs) are listed."""
    return FSTYPE_KIND.get(fstype, 'listed')


def is_remote(entry):
    """gnulib's ME_REMOTE: a host:path source, an SMB share, or a cluster filesystem type."""
    return (':' in entry.source or entry.fstype in REMOTE_FSTYPES or entry.source == '-hosts'
            or (entry.source.startswith('//') and entry.fstype in ('smbfs', 'smb3', 'cifs')))


def device_key(entry):
    """What df compares to find the same filesystem twice: the device number (major:minor).

    df compares the st_dev of each mount point; mountinfo gives every btrfs subvolume the device
    number of the whole filesystem, where stat gives each subvolume its own, so the subvolume id
    is part of the key (a bind mount of a directory inside a subvolume still folds into it). Two
    remote mounts of one filesystem from different sources (two exports of one NFS server's disk)
    are both kept, as df keeps them.
    """
    if entry.major or entry.minor:
        subvolume = _SUBVOLID.search(entry.super_options) if entry.fstype == 'btrfs' else None
        return (entry.major, entry.minor, subvolume.group(1) if subvolume else None,
                entry.source if is_remote(entry) else None)
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


def is_pseudo(entry):
    """Left out by default: a kernel interface or a container layer (FSTYPE_TABLE), or a mount on /proc or
    /sys, unless it is the root."""
    if entry.mount_point == '/':
        return False
    if fstype_kind(entry.fstype) in ('kernel', 'layer'):
        return True
    return any(entry.mount_point == place or entry.mount_point.startswith(place + '/') for place in KERNEL_PLACES)


def _parent_dirs(path):
    """'/a/b' -> '/', '/a', '/a/b': the paths a mount covering ``path`` can sit on."""
    yield '/'
    end = path.find('/', 1)
    while end > 0:
        yield path[:end]
        end = path.find('/', end + 1)
    if path != '/':
        yield path


def shadowing(entries):
    """{index of a hidden mount: the mount that hides it}.

    A mount is hidden when another is stacked on it (a child on the same mount point), or when a mount
    made after it (mountinfo lists mounts in the order they were made) sits on the same or a parent
    directory without being one of its own parents: ``mount /x/y`` then ``mount /x`` hides /x/y, and
    a path below /x now reaches the second mount. df's stat of the mount point then finds another
    device and leaves the hidden one out.
    """
    by_id = dict((entry.mount_id, entry) for entry in entries)
    if len(by_id) < len(entries):
        return {}  # no mount ids (psutil's list on hosts without /proc): nothing to tell
    stacked_on = dict((entry.parent_id, entry) for entry in entries
                      if entry.parent_id in by_id and by_id[entry.parent_id].mount_point == entry.mount_point
                      and entry.parent_id != entry.mount_id)
    hidden = {}
    later = {}
    for index in range(len(entries) - 1, -1, -1):
        entry = entries[index]
        cover = stacked_on.get(entry.mount_id) or _covered_by(entry, later, by_id)
        if cover is not None:
            hidden[index] = cover
        later.setdefault(entry.mount_point, []).append(entry)
    return hidden


def _covered_by(entry, later, by_id):
    ancestors = None
    for directory in _parent_dirs(entry.mount_point):
        for other in later.get(directory, ()):
            if ancestors is None:
                ancestors = set()
                parent = by_id.get(entry.parent_id)
                while parent is not None and parent.mount_id not in ancestors:
                    ancestors.add(parent.mount_id)
                    parent = by_id.get(parent.parent_id)
            if other.mount_id not in ancestors:
                return other
    return None


def select_mounts(entries, include_pseudo):
    """The mounts df would show, and the hidden ones: [(entry, [other mount points], hidden by or None)].

    Pseudo filesystems are dropped unless asked for; one entry per device, as df does. A hidden
    mount is kept, marked, when its filesystem is not visible elsewhere (it is then out of df's sight).
    """
    hidden = shadowing(entries)
    kept = {}
    order = []
    for index, entry in enumerate(entries):
        if index in hidden or (not include_pseudo and is_pseudo(entry)):
            continue
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
    selected = [kept[key] + (None,) for key in order]
    for index, cover in sorted(hidden.items()):
        entry = entries[index]
        if device_key(entry) not in kept and (include_pseudo or not is_pseudo(entry)):
            kept[device_key(entry)] = (entry, [])
            selected.append((entry, [], cover))
    return selected


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


def _filesystem(entry):
    """One key per filesystem (every btrfs subvolume and bind mount of it alike), to read its superblock once."""
    return (entry.major, entry.minor, entry.source)


class DeviceNames(object):
    """UUID and label of a filesystem: from udev data, else /dev/disk/by-uuid and by-label (read lazily); where
    neither exists (containers, hosts without udev), from the superblock as blkid reads it, as root only."""

    def __init__(self, procfs):
        self.procfs = procfs
        self._by_kind = {}
        self.available = procfs.udev_available()
        # Opening a block device is root's; a fixture tree holds the captured bytes in files.
        self.reads_superblocks = not self.available and (procfs.privileged or not procfs.live)
        self._superblocks = {}
        self.unread = []

    def _reverse_links(self, kind):
        if kind not in self._by_kind:
            self._by_kind[kind] = dict((target, name) for name, target in self.procfs.disk_links(kind).items())
        return self._by_kind[kind]

    def read_superblocks(self, entries, timeout):
        """Read, under the run's deadline, the superblock of each filesystem on a block device, once each;
        ``unread`` then names those whose UUID could not be read ('mount point (why)')."""
        if not self.reads_superblocks:
            return
        # Imported here: only hosts without udev data read superblocks.
        from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.superblock import PARSERS
        wanted = {}
        for entry in entries:
            if not (entry.major or entry.source.startswith('/dev/')) or _filesystem(entry) in wanted:
                continue
            if entry.fstype in PARSERS:
                wanted[_filesystem(entry)] = entry
            elif entry.source.startswith('/dev/'):
                self.unread.append('%s (%s: not read)' % (shown_path(entry.mount_point), entry.fstype))
        requests = [((entry.major, entry.minor), entry.fstype, entry.source, entry.major, entry.minor)
                    for entry in wanted.values()]
        for (key, entry), result in zip(wanted.items(), self.procfs.superblock_identities(requests, timeout)):
            if result.status == 'ok' and result.value is not None:
                self._superblocks[key] = result.value
            else:
                why = result.error if result.status != 'ok' else 'no %s superblock' % entry.fstype
                self.unread.append('%s (%s: %s)' % (shown_path(entry.mount_point), shown_path(entry.source), why))

    def identify(self, entry):
        """(uuid, label) of a mounted filesystem; (None, None) for anonymous devices or where nothing tells."""
        if not self.available:
            identity = self._superblocks.get(_filesystem(entry))
            return (identity.uuid, identity.label) if identity else (None, None)
        major, minor = entry.major, entry.minor
        if major == 0:
            return None, None
        properties = self.procfs.udev_properties(major, minor)
        uuid = properties.get('ID_FS_UUID') or None
        label = properties.get('ID_FS_LABEL') or None
        if uuid is None or label is None:
            link = self.procfs.sys_readlink('dev', 'block', '%d:%d' % (major, minor))
            kernel_name = link.rsplit('/', 1)[-1] if link else None
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
            from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common import fallback
            entries = fallback.psutil_mounts(fallback.require_psutil(self.name))
            names = None
        if entries is None:
            self.report.warn('filesystems: /proc/self/mountinfo could not be read; mounts are missing')
            entries = []
        selected = select_mounts(entries, options.include_pseudo)
        # The du walks run while statvfs asks every mount: both share the run's deadline.
        walks = self.procfs.start_disk_usage(options.du_paths, options.timeout) if options.du_paths else None
        probed = [entry for entry, _others, hidden in selected if hidden is None and entry.fstype != 'autofs']
        results = self.procfs.statvfs_mounts([entry.mount_point for entry in probed], options.timeout,
                                             dict((entry.mount_point, (entry.major, entry.minor)) for entry in probed))
        if names is not None:
            names.read_superblocks([entry for entry, _others, _hidden in selected], options.timeout)
        self.hung = []
        mounts = []
        for entry, others, hidden in selected:
            mount = self._mount(entry, others, hidden, results.get(entry.mount_point), names)
            if mount is not None:
                mounts.append(mount)
        self._warn_hung()
        if names is not None and not names.available:
            self._warn_unnamed(names, selected)
        du = self.procfs.disk_usage_results(walks) if walks else []
        return {'mounts': mounts, 'du': [self._du(path, result) for path, result in zip(options.du_paths, du)]}

    def _mount(self, entry, others, hidden, result, names):
        """One df row, or None for a filesystem without blocks when pseudo filesystems are left out."""
        options = findmnt_options(entry)
        mount = {
            'device': shown_path(entry.source),
            'mount_point': shown_path(entry.mount_point),
            'fstype': entry.fstype,
            'options': options,
            'readonly': options.split(',')[0] == 'ro',
            'root': shown_path(entry.root),
            'also_mounted_at': [shown_path(other) for other in others],
        }
        mount['uuid'], mount['label'] = names.identify(entry) if names else (None, None)
        if hidden is not None:
            mount['status'] = 'shadowed'
            mount['shadowed_by'] = shown_path(hidden.mount_point)
            return mount
        if result is None:
            mount['status'] = 'skipped'
            return mount
        mount['status'] = result.status
        if result.status == 'ok':
            if result.value.f_blocks == 0 and not self.options.include_pseudo:
                return None
            mount.update(usage_fields(result.value))
            self._alert_usage(mount, 'ro' in entry.super_options.split(','))
        elif result.status == 'timed_out':
            self.hung.append('%s (%s)' % (mount['mount_point'], entry.fstype))
        else:
            if 'denied' in (result.error or '').lower():
                self.procfs.count_denied('statvfs')
            else:
                self.report.warn('filesystems: statvfs of %s failed: %s' % (mount['mount_point'], result.error))
            mount['error'] = result.error
        return mount

    def _warn_hung(self):
        if self.hung:
            more = len(self.hung) - WARNED_MOUNTS
            self.report.warn('filesystems: statvfs of %s did not answer within the %g s timeout (a hung network or '
                             'FUSE filesystem?); reported as timed_out without figures'
                             % (', '.join(self.hung[:WARNED_MOUNTS]) + (' and %d more' % more if more > 0 else ''),
                                self.options.timeout))

    def _warn_unnamed(self, names, selected):
        no_udev = 'filesystems: udev data is unavailable (no /run/udev/data and no /dev/disk/by-uuid, as in containers and '
        if not names.reads_superblocks:
            if any(entry.major for entry, _o, _h in selected):
                self.report.warn(no_udev + 'minimal hosts): uuid and label are null')
        elif names.unread:
            more = len(names.unread) - WARNED_MOUNTS
            self.report.warn(no_udev + 'minimal hosts) and the superblock of %s could not be read: uuid and label '
                             'are null there' % (', '.join(names.unread[:WARNED_MOUNTS])
                                                 + (' and %d more' % more if more > 0 else '')))

    def _alert_usage(self, mount, read_only_filesystem):
        """Space and inode alerts, never for a filesystem that cannot be written: a read-only image (squashfs,
        erofs, iso9660...) is always full, and any filesystem read-only in itself (its superblock, as an ext4
        mounted ro) cannot fill up. A read-only bind of a writable filesystem still can, through its other
        mounts: that one is alerted on."""
        if read_only_filesystem or fstype_kind(mount['fstype']) == 'image':
            return
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

    def _du(self, path, result):
        entry = {'path': path, 'status': result.status, 'bytes': result.disk_bytes,
                 'apparent_bytes': result.apparent_bytes, 'files': result.files, 'directories': result.directories}
        if result.error is not None:
            entry['error'] = result.error
            entry['errors'] = result.errors
        if result.status == 'error':
            summed = result.files + result.directories > 0
            self.report.warn('du_paths: %s: %s%s' % (path, result.error, _more_errors(result.errors) if summed else ''))
        elif result.status == 'timed_out':
            self.report.warn('du_paths: %s was not summed within the %g s timeout; the sizes are a lower bound'
                             % (path, self.options.timeout))
        if result.denied:
            entry['unreadable_directories'] = result.denied
        return entry


def _more_errors(count):
    if count > 1:
        return ' (and %d more paths that could not be read; the sizes are those of everything else, as du sums)' % (
            count - 1)
    return ' (the sizes are those of everything else, as du sums)'
