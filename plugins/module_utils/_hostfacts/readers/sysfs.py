# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The files of /sys and the udev database: block devices, cgroup files, UUIDs and labels. Private.

Each file is parsed in one method below; errors are mapped by the FileReader primitives.
"""

from __future__ import annotations

import os
import re
from collections import namedtuple

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.files import FileReader

# kind: disk | partition | dm; parent: the disk of a partition; slaves: what a dm/md device sits on.
BlockDevice = namedtuple('BlockDevice', ['name', 'kind', 'parent', 'partitions', 'dm_name', 'slaves', 'rotational'])

_UDEV_ESCAPE = re.compile(r'\\x([0-9a-fA-F]{2})')


class SysFiles(FileReader):
    """Block devices and cgroup files below <root>/sys, and udev's view of block devices."""

    def sys_text(self, *parts):
        """Stripped text of a file below <root>/sys, or None."""
        text = self.read_text(os.path.join(self.sys, *parts), 'sys')
        return None if text is None else text.strip()

    def sys_listdir(self, *parts):
        return self.listdir(os.path.join(self.sys, *parts), 'sys')

    def sys_readlink(self, *parts):
        return self.readlink(os.path.join(self.sys, *parts), 'sys')

    def udev_properties(self, major, minor):
        """The E: lines of /run/udev/data/b<major>:<minor> (ID_FS_UUID, ID_FS_LABEL, ...)."""
        text = self.read_text(self.path('run', 'udev', 'data', 'b%d:%d' % (major, minor)), 'udev')
        properties = {}
        for line in (text or '').splitlines():
            if line.startswith('E:'):
                key, _sep, value = line[2:].partition('=')
                properties[key] = value
        return properties

    def udev_available(self):
        """True when the udev database or its /dev/disk/by-uuid links exist (not in containers, nor on hosts
        without udev): without them there is no UUID or label to read."""
        return os.path.isdir(self.path('run', 'udev', 'data')) or os.path.isdir(self.path('dev', 'disk', 'by-uuid'))

    def disk_links(self, kind):
        """{link name: target basename} of /dev/disk/by-<kind> (by-uuid, by-label)."""
        base = self.path('dev', 'disk', 'by-' + kind)
        links = {}
        for name in self.listdir(base, 'devlinks') or []:
            target = self.readlink(os.path.join(base, name), 'devlinks')
            if target:
                links[_unescape_udev_name(name)] = os.path.basename(target)
        return links

    def block_device_name(self, major, minor):
        """The kernel's name of block device major:minor (DEVNAME of its uevent: sda1, mapper names are dm-N), or None."""
        for line in (self.sys_text('dev', 'block', '%d:%d' % (major, minor), 'uevent') or '').splitlines():
            if line.startswith('DEVNAME='):
                return line[len('DEVNAME='):] or None
        return None

    def block_devices(self):
        """{name: BlockDevice} for /sys/block disks, their partitions and dm devices."""
        devices = {}
        for disk in self.sys_listdir('block') or []:
            entries = self.sys_listdir('block', disk) or []
            partitions = sorted(name for name in entries
                                if name.startswith(disk) and 'partition' in (self.sys_listdir('block', disk, name) or ()))
            dm_name = self.sys_text('block', disk, 'dm', 'name') if 'dm' in entries else None
            slaves = sorted(self.sys_listdir('block', disk, 'slaves') or []) if 'slaves' in entries else []
            rotational = self.sys_text('block', disk, 'queue', 'rotational')
            devices[disk] = BlockDevice(disk, 'dm' if dm_name is not None else 'disk', None, partitions,
                                        dm_name, slaves, None if rotational is None else rotational == '1')
            for part in partitions:
                devices[part] = BlockDevice(part, 'partition', disk, [], None, [], None)
        return devices


def _unescape_udev_name(name):
    r"""/dev/disk/by-label names escape bytes as \x2f."""
    if '\\x' not in name:
        return name
    return _UDEV_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), name)
