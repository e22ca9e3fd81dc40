# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's building blocks: each one piece of a hard host, written as the shell that builds it.

A block's build() is bash, run inside the scenario's private namespaces (scenario.py): the lab runs exactly
the text it prints as a reproduction, so a shrunk failure is rebuilt by anyone with the same commands.
Blocks need no teardown of their own: everything they make lives in the scenario's mount and PID
namespaces (mounts go with the mount namespace, processes with its PID 1, loop devices are mounted with
`mount -o loop` or detached lazily with `losetup -d` while held, which sets the autoclear flag), and
teardown() only says what leaves early, for a block removed mid-run.

manifest() is what the comparisons (compare.py) may know as ground truth: where the block mounted, which
pid is its writer, what must hold.
"""

from __future__ import annotations

import dataclasses
import shlex


def q(path):
    """A block path in double quotes: paths start with $LAB, which the shell expands."""
    return '"%s"' % path


# Python the blocks' processes run: the target's /usr/bin/python3, as Ansible would; stdlib only.
WRITER = r'''
import os, sys, time
kind, path = sys.argv[1], sys.argv[2]
flags = os.O_WRONLY | (os.O_DIRECT if kind in ('odirect', 'raw') else 0) | (0 if kind == 'raw' else os.O_CREAT)
fd = os.open(path, flags, 0o644)
import mmap
# O_DIRECT needs an aligned buffer: an anonymous mapping is page-aligned.
buf = mmap.mmap(-1, 1 << 20)
buf.write(b'w' * (1 << 20))
print('ready', flush=True)
while True:
    for offset in range(0, 4 << 20, 1 << 20):
        os.pwritev(fd, [buf], offset)
    if kind == 'buffered':
        os.fsync(fd)
    time.sleep(0.05)
'''

THREADS = r'''
import sys, threading, time
for _ in range(int(sys.argv[1]) - 1):
    threading.Thread(target=time.sleep, args=(1e6,), daemon=True).start()
print('ready', flush=True)
time.sleep(1e6)
'''

# A parent whose child wrote (and synced) MIB MiB before the window; the parent reaps it DELAY seconds after
# the lab says go (the observer starts hostfacts then), so the child's lifetime I/O lands on the parent
# inside the window while the disk is idle.
REAPER = r'''
import os, sys, time, signal
path, mib, delay, go = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
child = os.fork()
if child == 0:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    for _ in range(mib):
        os.write(fd, b'r' * (1 << 20))
    os.fsync(fd)
    os.close(fd)
    signal.pause()
    os._exit(0)
time.sleep(0.2)
while os.path.getsize(path) < mib << 20:
    time.sleep(0.05)
time.sleep(0.3)
print('ready', flush=True)
while not os.path.exists(go):
    time.sleep(0.01)
time.sleep(delay)
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)
time.sleep(1e6)
'''


@dataclasses.dataclass
class Block:
    """One building block; `dir` is set by the scenario (below the lab root or a parent block's mount)."""

    removed: bool = False   # lazily unmounted while hostfacts runs

    kind = 'block'
    mounts_fs = False       # makes a filesystem other blocks can nest in
    writable = False

    def at(self, directory, index):
        self.dir = directory
        self.index = index
        self.name = 'b%d' % index
        return self

    def build(self):
        return ''

    def mount_point(self):
        return self.dir if self.mounts_fs else None

    def teardown(self):
        """Bash run DELAY seconds after go when the block is removed mid-run."""
        return 'umount -l %s' % q(self.dir)

    def manifest(self):
        fields = dataclasses.asdict(self)
        fields.update(kind=self.kind, dir=self.dir, name=self.name, mount_point=self.mount_point())
        return fields


@dataclasses.dataclass
class Tmpfs(Block):
    size_kib: int = 4096
    nr_inodes: int = 0      # 0: the kernel's default
    fill: str = 'none'      # none, half, full, inodes_full

    kind = 'tmpfs'
    mounts_fs = True
    writable = True

    def build(self):
        options = 'size=%dk' % self.size_kib + (',nr_inodes=%d' % self.nr_inodes if self.nr_inodes else '')
        return 'mkdir -p {d} && mount -t tmpfs -o {o} lab-{n} {d}\nlab_fill {d} {f}'.format(
            d=q(self.dir), o=options, n=self.name, f=self.fill)


@dataclasses.dataclass
class LoopFs(Block):
    fstype: str = 'ext4'
    fill: str = 'none'
    readonly: bool = False  # remounted ro after the fill: the superblock itself read-only

    kind = 'loopfs'
    mounts_fs = True
    writable = True
    SIZES = {'ext4': 16, 'vfat': 16, 'btrfs': 128, 'xfs': 300}

    def build(self):
        image = '$LAB/img/%s.img' % self.name
        return 'lab_image {t} {s} {i}\nmkdir -p {d} && mount -o loop {i} {d}\nlab_fill {d} {f}{r}'.format(
            t=self.fstype, s=self.SIZES[self.fstype], i=image, d=q(self.dir), f=self.fill,
            r='\nmount -o remount,ro %s' % q(self.dir) if self.readonly else '')


@dataclasses.dataclass
class Squashfs(Block):
    files: int = 3

    kind = 'squashfs'
    mounts_fs = True

    def build(self):
        # snapd's mount: squashfs image, loop, read-only, nodev, x-gdu.hide (systemd mount unit of a snap).
        return ('mkdir -p $LAB/src/{n} && for i in $(seq {f}); do head -c 65536 /dev/urandom > $LAB/src/{n}/f$i; done\n'
                'mksquashfs $LAB/src/{n} $LAB/img/{n}.snap -quiet -noappend >/dev/null\n'
                'mkdir -p {d} && mount -t squashfs -o ro,nodev,relatime,x-gdu.hide $LAB/img/{n}.snap {d}').format(
                    n=self.name, f=self.files, d=q(self.dir))


@dataclasses.dataclass
class Overlay(Block):
    writer: bool = False    # a process writes through the merged directory (a container's writable layer)

    kind = 'overlay'
    mounts_fs = True
    writable = True

    def build(self):
        lines = ['lab_image ext4 16 $LAB/img/{n}.img',
                 'mkdir -p $LAB/layers/{n} && mount -o loop $LAB/img/{n}.img $LAB/layers/{n}',
                 'mkdir -p $LAB/layers/{n}/lower $LAB/layers/{n}/upper $LAB/layers/{n}/work {d}',
                 'echo base > $LAB/layers/{n}/lower/base',
                 'mount -t overlay lab-{n} -o lowerdir=$LAB/layers/{n}/lower,upperdir=$LAB/layers/{n}/upper,'
                 'workdir=$LAB/layers/{n}/work {d}']
        if self.writer:
            lines.append('lab_bg {n}-writer /usr/bin/python3 -c "$LAB_WRITER" buffered {d}/written && lab_ready {n}-writer')
        return '\n'.join(lines).format(n=self.name, d=q(self.dir))

    def manifest(self):
        fields = super().manifest()
        fields['upper'] = '$LAB/layers/%s/upper' % self.name
        return fields


@dataclasses.dataclass
class Bind(Block):
    target: int = 0         # which earlier filesystem block (modulo how many there are); none: a tmpfs of its own
    readonly: bool = False
    private: bool = True
    move: bool = False      # made elsewhere, then `mount --move`d here

    kind = 'bind'
    mounts_fs = True
    source_dir = None

    def build(self):
        lines = []
        source = self.source_dir
        if source is None:
            source = '$LAB/bindsrc/%s' % self.name
            lines.append('mkdir -p {s} && mount -t tmpfs -o size=1m lab-{n}-src {s}'.format(s=source, n=self.name))
        if self.move:
            lines.append('mkdir -p $LAB/moving/{n} {d} && mount --bind {s} $LAB/moving/{n} && '
                         'mount --move $LAB/moving/{n} {d}'.format(n=self.name, s=q(source), d=q(self.dir)))
        else:
            lines.append('mkdir -p {d} && mount --bind {s} {d}'.format(s=q(source), d=q(self.dir)))
        if self.private:
            lines.append('mount --make-private %s' % q(self.dir))
        if self.readonly:
            lines.append('mount -o remount,bind,ro %s' % q(self.dir))
        return '\n'.join(lines)


@dataclasses.dataclass
class BtrfsSubvolumes(Block):
    subvolumes: int = 2

    kind = 'btrfs_subvolumes'
    mounts_fs = True
    writable = True

    def build(self):
        lines = ['lab_image btrfs 128 $LAB/img/{n}.img', 'mkdir -p {d} && mount -o loop $LAB/img/{n}.img {d}']
        for i in range(self.subvolumes):
            lines.append('btrfs -q subvolume create {d}/sv%d && mkdir -p $LAB/subvol/{n}/sv%d && '
                         'mount -o loop,subvol=sv%d $LAB/img/{n}.img $LAB/subvol/{n}/sv%d' % (i, i, i, i))
        return '\n'.join(lines).format(n=self.name, d=q(self.dir))


@dataclasses.dataclass
class Fuse(Block):
    hung: bool = False      # SIGSTOPped server: every statfs and stat on it blocks
    copies: int = 1

    kind = 'fuse'
    mounts_fs = True

    def build(self):
        lines = []
        for i in range(self.copies):
            lines.append('mkdir -p {d}/f{i} && lab_bg {n}-f{i} /usr/bin/python3 -m support.fuse_stub {d}/f{i} && '
                         'lab_ready {n}-f{i}'.format(d=q(self.dir), i=i, n=self.name))
            if self.hung:
                lines.append('kill -STOP $(cat $LAB/run/{n}-f{i}.pid)'.format(n=self.name, i=i))
        return '\n'.join(lines)

    def mount_point(self):
        return None

    def mount_points(self):
        return ['%s/f%d' % (self.dir, i) for i in range(self.copies)]

    def manifest(self):
        fields = super().manifest()
        fields['mount_points'] = self.mount_points()
        return fields

    def teardown(self):
        return '\n'.join('umount -l %s' % q(path) for path in self.mount_points())


@dataclasses.dataclass
class HidePid(Block):
    """/proc remounted hidepid=2 in the scenario's PID namespace; hostfacts then runs as nobody."""

    kind = 'hidepid'

    def build(self):
        return 'mount -o remount,hidepid=2 /proc && echo nobody > $LAB/run/run-as'

    def teardown(self):
        return 'true'


@dataclasses.dataclass
class Threads(Block):
    threads: int = 4

    kind = 'threads'

    def build(self):
        return 'lab_bg {n} /usr/bin/python3 -c "$LAB_THREADS" {t} && lab_ready {n}'.format(n=self.name, t=self.threads)

    def teardown(self):
        return 'kill $(cat $LAB/run/%s.pid)' % self.name


@dataclasses.dataclass
class Title(Block):
    """A process that rewrites its own argv, as setproctitle and perl's $0 do (nginx, postgres workers)."""

    title: str = 'worker: idle'

    kind = 'title'

    def build(self):
        return ("lab_bg {n} perl -e '$0 = shift; $| = 1; print \"ready\\n\"; sleep 1000000' {t} && lab_ready {n}"
                .format(n=self.name, t=shlex.quote(self.title)))

    def teardown(self):
        return 'kill $(cat $LAB/run/%s.pid)' % self.name


@dataclasses.dataclass
class ReapedChild(Block):
    mib: int = 64
    delay: float = 1.0

    kind = 'reaped_child'
    mounts_fs = True
    writable = True

    def build(self):
        # ext4's journal and metadata take about a fifth of a small image: 256 MiB did not fit in 288 (the lab's
        # own finding).
        return ('lab_image ext4 {s} $LAB/img/{n}.img\nmkdir -p {d} && mount -o loop $LAB/img/{n}.img {d}\n'
                'lab_bg {n} /usr/bin/python3 -c "$LAB_REAPER" {d}/child.bin {m} {l} $LAB/run/go && lab_ready {n} 600'
                .format(s=self.mib * 5 // 4 + 64, n=self.name, d=q(self.dir), m=self.mib, l=self.delay))


@dataclasses.dataclass
class Writer(Block):
    """A disk writer: buffered with fsync, O_DIRECT, or raw to a loop device (as qemu to a volume, dd)."""

    how: str = 'buffered'

    kind = 'writer'
    mounts_fs = True
    writable = True

    def build(self):
        if self.how == 'raw':
            # Held open by the writer, then detached: the kernel detaches it when the writer's fd closes.
            return ('lab_image none 16 $LAB/img/{n}.img\nmkdir -p {d}\n'
                    'dev=$(losetup -f --show $LAB/img/{n}.img) && echo $dev > $LAB/run/{n}.dev\n'
                    'lab_bg {n} /usr/bin/python3 -c "$LAB_WRITER" raw $dev && lab_ready {n} && losetup -d $dev'
                    ).format(n=self.name, d=q(self.dir))
        return ('lab_image ext4 32 $LAB/img/{n}.img\nmkdir -p {d} && mount -o loop $LAB/img/{n}.img {d}\n'
                'lab_bg {n} /usr/bin/python3 -c "$LAB_WRITER" {h} {d}/written && lab_ready {n}').format(
                    n=self.name, d=q(self.dir), h=self.how)

    def mount_point(self):
        return None if self.how == 'raw' else self.dir


KINDS = [Tmpfs, LoopFs, Squashfs, Overlay, Bind, BtrfsSubvolumes, Fuse, HidePid, Threads, Title, ReapedChild, Writer]
