# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UUID and label from a filesystem's superblock, as ``blkid -p`` reads them, where there is no udev data. Private.

Where udev runs, its database already holds what blkid found (ID_FS_UUID, ID_FS_LABEL; readers/sysfs.py).
Containers and minimal hosts have none, and there blkid (and lsblk -f through it) reads the device
itself; so does this module, for the types a Linux host mounts most: ext2/3/4, xfs, btrfs and vfat.
The offsets are those of the on-disk formats (the kernel's ext4 and btrfs documentation, xfs_format.h's
``struct xfs_dsb``, the FAT boot sector and directory entry):

- ext2/3/4: the superblock at 1024; magic 0xEF53 (little-endian) at +0x38, ``s_uuid`` at +0x68,
  ``s_volume_name`` (16 bytes) at +0x78;
- xfs: the superblock at 0; magic ``XFSB`` at 0, ``sb_uuid`` at 32, ``sb_fname`` (12 bytes) at 108;
- btrfs: the superblock at 64 KiB; ``fsid`` at +32, magic ``_BHRfS_M`` at +64, ``label`` (256 bytes) at +299;
- vfat: the boot sector; with the extended boot signature 0x29, the volume serial number and the boot
  sector's label at 39 and 43 (FAT12/16) or 67 and 71 (FAT32). As blkid does, the label of the root
  directory's volume-label entry wins over the boot sector's, and ``NO NAME`` is no label; the serial
  number is shown as ``XXXX-XXXX``.

Opening a block device needs root, and a read of a dead disk can hang: the collector calls ``read_identity``
only as root, and through the run's deadline (procfs.ProcFS.superblock_identities).
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from collections import namedtuple

# uuid and label as blkid prints them; None for a filesystem without one.
Identity = namedtuple('Identity', ['uuid', 'label'])

_FAT_NO_NAME = b'NO NAME    '
_FAT_END_OF_CHAIN = 0x0FFFFFF8
# Root directory clusters of a FAT32 volume followed, at most: a label entry sits among the first entries.
_FAT_MAX_CLUSTERS = 64
_FAT_ATTR_VOLUME_ID, _FAT_ATTR_DIRECTORY, _FAT_LONG_NAME = 0x08, 0x10, 0x0F


def _uuid(raw):
    """A 16-byte UUID as text; None when it is all zeros (blkid reports no UUID then)."""
    if not raw.strip(b'\0'):
        return None
    text = raw.hex()
    return '%s-%s-%s-%s-%s' % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


def _label(raw):
    """A label field: up to its first NUL, decoded as UTF-8 (blkid prints the bytes); None when empty."""
    text = raw.split(b'\0', 1)[0].decode('utf-8', 'replace')
    return text or None


def _field(block, offset, size):
    return block[offset:offset + size] if len(block) >= offset + size else None


def ext_identity(read):
    block = read(1024, 256)
    if _field(block, 0x38, 2) != b'\x53\xef':
        return None
    return Identity(_uuid(block[0x68:0x78]), _label(block[0x78:0x88]))


def xfs_identity(read):
    block = read(0, 128)
    if _field(block, 0, 4) != b'XFSB' or len(block) < 120:
        return None
    return Identity(_uuid(block[32:48]), _label(block[108:120]))


def btrfs_identity(read):
    block = read(65536, 555)
    if _field(block, 64, 8) != b'_BHRfS_M' or len(block) < 555:
        return None
    return Identity(_uuid(block[32:48]), _label(block[299:555]))


def vfat_identity(read):
    boot = read(0, 512)
    if len(boot) < 512 or boot[510:512] != b'\x55\xaa':
        return None
    sector, per_cluster, reserved, fats, root_entries = struct.unpack_from('<HBHBH', boot, 11)
    fat_size = struct.unpack_from('<H', boot, 22)[0]
    fat32 = fat_size == 0
    if fat32:
        fat_size = struct.unpack_from('<I', boot, 36)[0]
    if not sector or not per_cluster or not fats or not fat_size:
        return None
    signature_at = 66 if fat32 else 38
    serial, boot_label = None, None
    if boot[signature_at] == 0x29:
        serial = struct.unpack_from('<I', boot, signature_at + 1)[0]
        boot_label = boot[signature_at + 5:signature_at + 16]
    root_start = (reserved + fats * fat_size) * sector
    if fat32:
        chain = _fat32_chain(read, reserved * sector, struct.unpack_from('<I', boot, 44)[0])
        cluster_bytes = per_cluster * sector
        blocks = (read(root_start + (cluster - 2) * cluster_bytes, cluster_bytes) for cluster in chain)
    else:
        blocks = [read(root_start, root_entries * 32)]
    label = _fat_root_label(blocks)
    if label is None or label == _FAT_NO_NAME:
        label = boot_label if boot_label != _FAT_NO_NAME else None
    return Identity(None if serial is None else '%04X-%04X' % (serial >> 16, serial & 0xFFFF),
                    None if label is None else _label(label.rstrip(b' ')))


def _fat32_chain(read, fat_start, cluster):
    """The clusters of a FAT32 directory, following the first FAT from ``cluster``."""
    chain = []
    while 2 <= cluster < _FAT_END_OF_CHAIN and cluster not in chain and len(chain) < _FAT_MAX_CLUSTERS:
        chain.append(cluster)
        entry = read(fat_start + cluster * 4, 4)
        cluster = struct.unpack('<I', entry)[0] & 0x0FFFFFFF if len(entry) == 4 else 0
    return chain


def _fat_root_label(blocks):
    """The 11 bytes of the root directory's volume-label entry, or None."""
    for block in blocks:
        for offset in range(0, len(block) - 31, 32):
            entry = block[offset:offset + 32]
            if entry[0] == 0:
                return None  # the end of the directory
            attributes = entry[11]
            if entry[0] == 0xE5 or attributes == _FAT_LONG_NAME:
                continue
            if attributes & (_FAT_ATTR_VOLUME_ID | _FAT_ATTR_DIRECTORY) == _FAT_ATTR_VOLUME_ID:
                return entry[:11]
    return None


# The types whose superblock is read, by the type name in mountinfo.
PARSERS = {
    'ext2': ext_identity, 'ext3': ext_identity, 'ext4': ext_identity,
    'xfs': xfs_identity, 'btrfs': btrfs_identity, 'vfat': vfat_identity, 'msdos': vfat_identity,
}


def identify(fstype, read):
    """Identity of a filesystem of ``fstype`` through ``read(offset, size) -> bytes``; None when the bytes
    are not a superblock of that type (or the type is not one read here)."""
    parser = PARSERS.get(fstype)
    return None if parser is None else parser(read)


def read_identity(paths, fstype, device, block_only=True):
    """Identity read from the first of ``paths`` that is the block device ``device`` (a dev_t; None: any
    block device, for btrfs, whose mounts carry an anonymous device number), or None.

    ``block_only`` False accepts regular files (fixture trees hold the captured bytes). Raises OSError
    (ENOENT: no such node, as in a container's /dev; EACCES: not root) when no path could be read.
    """
    error = None
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            error = error or exc
            continue
        try:
            info = os.fstat(fd)
            if block_only and not (stat.S_ISBLK(info.st_mode) and device in (None, info.st_rdev)):
                continue
            return identify(fstype, lambda offset, size: os.pread(fd, size, offset))
        finally:
            os.close(fd)
    raise error or OSError(errno.ENOENT, 'no block device node for it')
