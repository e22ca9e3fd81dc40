# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A FUSE filesystem in a page of Python, speaking the kernel protocol on /dev/fuse (no libfuse).

    python -m support.fuse_stub MOUNTPOINT [--statfs-delay SECONDS] [--plain]

Mounts a filesystem of type ``fuse.hfstub`` (``--plain``: type ``fuse``, source ``hfstub-plain``, as bindfs
and other daemons that name their source mount) on MOUNTPOINT (root needed; run it in a private mount
namespace) holding one regular file, ``data``, that can be opened, written and read. It prints
``ready`` once mounted and serves until killed. The tests make it a hard case for hostfacts:

- stopped with SIGSTOP, it never answers again: statvfs, stat and open of anything on it block in
  the kernel, deaf to signals, as on a dead NFS server (a FUSE request waits killably only);
- with ``--statfs-delay``, every statfs is answered after that long: a slow, not a dead, mount.

The structures are those of include/uapi/linux/fuse.h, protocol 7.31 (Linux 5.4 and later accept
it; later kernels speak down to the version the daemon gives in its INIT reply).
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct
import sys
import time

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_SETATTR = 1, 2, 3, 4
FUSE_OPEN, FUSE_READ, FUSE_WRITE, FUSE_STATFS, FUSE_RELEASE = 14, 15, 16, 17, 18
FUSE_FLUSH, FUSE_INIT, FUSE_OPENDIR, FUSE_READDIR, FUSE_RELEASEDIR = 25, 26, 27, 28, 29
FUSE_INTERRUPT, FUSE_BATCH_FORGET, FUSE_DESTROY = 36, 42, 38
NO_REPLY = (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT)

IN_HEADER = struct.Struct('=IIQQIIIHH')        # len, opcode, unique, nodeid, uid, gid, pid, extlen, pad
OUT_HEADER = struct.Struct('=IiQ')             # len, error, unique
ATTR = struct.Struct('=QQQQQQIIIIIIIIII')      # struct fuse_attr (88 bytes)
INIT_OUT = struct.Struct('=IIIIHHIIHHI7I')     # struct fuse_init_out (64 bytes)
WRITE_IN = struct.Struct('=QQIIQII')           # struct fuse_write_in (40 bytes)
READ_IN = struct.Struct('=QQIIQII')            # struct fuse_read_in (40 bytes)
KSTATFS = struct.Struct('=QQQQQIIII6I')        # struct fuse_kstatfs (80 bytes)

ROOT, DATA = 1, 2
BLOCK = 4096
# What statfs reports, and what df must show for it: 1000 blocks of 4 KiB, 400 free, 100 inodes, 50 free.
STATFS_BLOCKS, STATFS_FREE, STATFS_FILES, STATFS_FFREE = 1000, 400, 100, 50


class StubFilesystem(object):
    """The state of the one file, and the answer to each request."""

    def __init__(self, statfs_delay):
        self.statfs_delay = statfs_delay
        self.data = bytearray()

    def attr(self, node):
        now = int(time.time())
        if node == ROOT:
            return ATTR.pack(ROOT, 0, 0, now, now, now, 0, 0, 0, stat.S_IFDIR | 0o755, 2, 0, 0, 0, BLOCK, 0)
        size = len(self.data)
        return ATTR.pack(DATA, size, (size + 511) // 512, now, now, now, 0, 0, 0, stat.S_IFREG | 0o666, 1, 0, 0,
                         0, BLOCK, 0)

    def answer(self, opcode, node, body):
        """(errno, payload) for a request; attribute and entry timeouts are 0, so every stat asks us."""
        if opcode == FUSE_INIT:
            # 7.31, max_readahead and max_write of 128 KiB, no flags (no async read, no writeback cache).
            return 0, INIT_OUT.pack(7, 31, 131072, 0, 16, 12, 131072, 1, 32, 0, 0, *([0] * 7))
        if opcode == FUSE_LOOKUP:
            if node == ROOT and body.rstrip(b'\0') == b'data':
                return 0, struct.pack('=QQQQII', DATA, 0, 0, 0, 0, 0) + self.attr(DATA)
            return errno.ENOENT, b''
        if opcode in (FUSE_GETATTR, FUSE_SETATTR):
            return 0, struct.pack('=QII', 0, 0, 0) + self.attr(node)
        if opcode in (FUSE_OPEN, FUSE_OPENDIR):
            return 0, struct.pack('=QII', 1, 0, 0)
        if opcode == FUSE_WRITE:
            _fh, offset, size = WRITE_IN.unpack_from(body)[:3]
            payload = body[WRITE_IN.size:WRITE_IN.size + size]
            self.data[offset:offset + len(payload)] = payload
            return 0, struct.pack('=II', len(payload), 0)
        if opcode == FUSE_READ:
            _fh, offset, size = READ_IN.unpack_from(body)[:3]
            return 0, bytes(self.data[offset:offset + size])
        if opcode == FUSE_READDIR:
            # One struct fuse_dirent (ino, next offset, name length, DT_REG, name padded to 8 bytes), then the end.
            offset = READ_IN.unpack_from(body)[1]
            return 0, b'' if offset else struct.pack('=QQII', DATA, 1, 4, 8) + b'data\0\0\0\0'
        if opcode == FUSE_STATFS:
            time.sleep(self.statfs_delay)
            return 0, KSTATFS.pack(STATFS_BLOCKS, STATFS_FREE, STATFS_FREE, STATFS_FILES, STATFS_FFREE, BLOCK, 255,
                                   BLOCK, 0, *([0] * 6))
        if opcode in (FUSE_RELEASE, FUSE_FLUSH, FUSE_RELEASEDIR, FUSE_DESTROY):
            return 0, b''
        return errno.ENOSYS, b''


def mount(mount_point, device_fd, plain=False):
    libc = ctypes.CDLL(None, use_errno=True)
    options = 'fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other' % device_fd
    source, fstype = (b'hfstub-plain', b'fuse') if plain else (b'hfstub', b'fuse.hfstub')
    if libc.mount(source, os.fsencode(mount_point), fstype, 0, options.encode()) != 0:
        raise OSError(ctypes.get_errno(), 'mount of %s failed' % mount_point)


def serve(device_fd, filesystem):
    while True:
        try:
            request = os.read(device_fd, 1 << 20)
        except OSError as exc:
            if exc.errno in (errno.EINTR, errno.ENOENT):  # ENOENT: the request was interrupted meanwhile
                continue
            return  # ENODEV: unmounted
        _length, opcode, unique, node = IN_HEADER.unpack_from(request)[:4]
        if opcode in NO_REPLY:
            continue
        error, payload = filesystem.answer(opcode, node, request[IN_HEADER.size:])
        reply = OUT_HEADER.pack(OUT_HEADER.size + len(payload), -error, unique) + payload
        try:
            os.write(device_fd, reply)
        except OSError:
            continue  # the request was interrupted and is gone


def main(argv):
    mount_point = argv[0]
    delay = float(argv[argv.index('--statfs-delay') + 1]) if '--statfs-delay' in argv else 0.0
    device_fd = os.open('/dev/fuse', os.O_RDWR)
    mount(mount_point, device_fd, '--plain' in argv)
    sys.stdout.write('ready\n')
    sys.stdout.flush()
    serve(device_fd, StubFilesystem(delay))


if __name__ == '__main__':
    main(sys.argv[1:])
