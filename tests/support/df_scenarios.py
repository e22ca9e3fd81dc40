# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mixes of filesystems df lists and leaves out, and filesystems blkid names, built for real; the tools beside.

    unshare --mount --propagation private python -m support.df_scenarios NAME BASE SEED

Run through support.mountns.run_scenario(..., module='support.df_scenarios'), inside a private mount
namespace. Each scenario draws its mix from ``random.Random(SEED)`` (Hypothesis is not in the venv:
a seed names a mix, and a failure message carries it), builds it below BASE, runs hostfacts' collectors in
this process and the real tool (df, blkid) on the same mounts at the same moment, and prints one JSON object.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid

from support.mount_scenarios import facts_of, mount_tmpfs, sh, start, stop

DF_COLUMNS = 'source,fstype,size,used,avail,itotal,iused,target'
# A kernel file a container runtime masks with a read-only tmpfs, as docker masks /sys/firmware.
MASKED = '/sys/firmware'


def fill(path, inodes=False):
    """Write into ``path`` until its filesystem says ENOSPC: every block, or every inode with ``inodes``."""
    index = 0
    while True:
        name = os.path.join(path, 'fill-%d' % index)
        try:
            with open(name, 'wb') as handle:
                if not inodes:
                    while True:
                        handle.write(b'f' * 65536)
                        handle.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            if not inodes or not os.path.exists(name):
                return
        index += 1


def df_rows(*paths):
    """df -B1's rows (df -i's inode columns among them) as lists, the target last."""
    proc = subprocess.run(['df', '-B1', '--output=' + DF_COLUMNS] + list(paths), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False)
    return [line.split(None, 7) for line in proc.stdout.decode('utf-8', 'replace').splitlines()[1:]]


def wait_mounted(mount_point, seconds=10.0):
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        with open('/proc/self/mountinfo') as handle:
            if any(line.split()[4] == mount_point for line in handle):
                return True
        time.sleep(0.05)
    return False


def _fuse_daemons(base, rng, built):
    """A FUSE stub of type fuse.hfstub, one of plain type fuse, and a real bindfs (plain fuse too) when installed;
    bindfs mirrors a file of drawn size."""
    daemons = []
    for name, argv in (('stub', []), ('plain', ['--plain'])):
        point = os.path.join(base, 'fuse-' + name)
        os.makedirs(point)
        daemon = start([sys.executable, '-m', 'support.fuse_stub', point] + argv)
        assert daemon.stdout.readline().strip() == b'ready'
        daemons.append(daemon)
        built['fuse'].append(point)
    if shutil.which('bindfs'):
        source, point = os.path.join(base, 'bindfs-source'), os.path.join(base, 'bindfs')
        os.makedirs(source)
        os.makedirs(point)
        with open(os.path.join(source, 'file'), 'wb') as handle:
            handle.write(os.urandom(rng.randint(1, 1 << 20)))
        daemons.append(start(['bindfs', '-f', source, point]))
        assert wait_mounted(point), 'bindfs did not mount'
        built['fuse'].append(point)
    return daemons


def _memory_and_disks(base, rng, built):
    for index in range(rng.randint(1, 3)):
        point = os.path.join(base, 'tmpfs-%d' % index)
        mount_tmpfs(point, size='%dk' % rng.randint(256, 16384), source='hfmix-%d' % index)
        sh('dd', 'if=/dev/urandom', 'of=' + os.path.join(point, 'data'), 'bs=4k',
           'count=%d' % rng.randint(0, 60), 'status=none')
        built['tmpfs'].append(point)
    full = os.path.join(base, 'full')
    mount_tmpfs(full, size='%dk' % rng.randint(64, 4096), source='hffull')
    fill(full)
    inodes = os.path.join(base, 'inodes-full')
    os.makedirs(inodes)
    sh('mount', '-t', 'tmpfs', '-o', 'size=4m,nr_inodes=%d' % rng.randint(8, 64), 'hfinodes', inodes)
    fill(inodes, inodes=True)
    ramfs = os.path.join(base, 'ramfs')
    os.makedirs(ramfs)
    sh('mount', '-t', 'ramfs', 'hframfs', ramfs)
    image = os.path.join(base, 'ext4.img')
    sh('truncate', '-s', '%dM' % rng.randint(16, 64), image)
    sh('mkfs.ext4', '-q', '-F', image)
    ext4 = os.path.join(base, 'ext4')
    os.makedirs(ext4)
    sh('mount', '-o', 'loop', image, ext4)
    # A bind mount of a directory inside one of them: df folds it into the filesystem's own mount point.
    origin = rng.choice([ext4, built['tmpfs'][0]])
    os.makedirs(os.path.join(origin, 'inside'), exist_ok=True)
    bind = os.path.join(base, 'bind')
    os.makedirs(bind)
    sh('mount', '--bind', os.path.join(origin, 'inside'), bind)
    built.update(full=full, inodes_full=inodes, ramfs=ramfs, ext4=ext4, bind=bind, bind_of=origin)


def _left_out(base, built):
    """What df leaves out (kernel interfaces) or lists and we leave out (an overlay layer, a mask on /sys)."""
    for fstype in ('mqueue', 'cgroup2', 'proc'):
        point = os.path.join(base, 'kernel-' + fstype)
        os.makedirs(point)
        sh('mount', '-t', fstype, fstype, point)
        built['kernel'].append(point)
    layer = os.path.join(base, 'layer')
    for part in ('lower', 'upper', 'work', 'merged'):
        os.makedirs(os.path.join(layer, part))
    sh('mount', '-t', 'overlay', 'overlay', '-o', 'lowerdir={0}/lower,upperdir={0}/upper,workdir={0}/work'.format(layer),
       os.path.join(layer, 'merged'))
    built['layer'] = os.path.join(layer, 'merged')
    if os.path.isdir(MASKED):
        sh('mount', '-t', 'tmpfs', '-o', 'ro,size=64k', 'hfmask', MASKED)
        built['masked'] = MASKED


def df_mix(base, seed):
    """A drawn mix of tmpfs (one full of data, one of inodes), ramfs, a loop ext4, a bind mount, FUSE daemons
    (bindfs among them), kernel interfaces, an overlay layer and a masked /sys directory; df and hostfacts
    on it while every daemon answers; then hostfacts again with the FUSE daemons stopped."""
    rng = random.Random(int(seed))
    built = {'tmpfs': [], 'fuse': [], 'kernel': []}
    daemons = []
    try:
        _memory_and_disks(base, rng, built)
        daemons = _fuse_daemons(base, rng, built)
        _left_out(base, built)
        df = df_rows()
        facts = facts_of(gather_subset=['filesystems'])
        everything = facts_of(gather_subset=['filesystems'], include_pseudo=True)
        for daemon in daemons:
            os.kill(daemon.pid, signal.SIGSTOP)
        started = time.monotonic()
        hung = facts_of(gather_subset=['filesystems'], timeout=1.0)
        seconds = time.monotonic() - started
    finally:
        stop(*daemons)
    ours = [m for m in facts['filesystems']['mounts'] if m['mount_point'].startswith((base, MASKED))]
    return {'built': built, 'df': [row for row in df if row[-1].startswith((base, MASKED))], 'mounts': ours,
            'all': [point for m in everything['filesystems']['mounts'] for point in [m['mount_point']] + m['also_mounted_at']],
            'alerts': facts['alerts'],
            'warnings': facts['warnings'], 'hung': [m for m in hung['filesystems']['mounts']
                                                    if m['mount_point'].startswith(base)],
            'hung_warnings': hung['warnings'], 'hung_seconds': seconds}


# mkfs argv for a label and a UUID drawn for each type, within what each format holds.
def _ext(kind):
    return lambda label, fs_uuid: ['mkfs.' + kind, '-q', '-F', '-L', label, '-U', fs_uuid]


MKFS = {
    'ext2': (_ext('ext2'), 16, '16M'), 'ext3': (_ext('ext3'), 16, '16M'), 'ext4': (_ext('ext4'), 16, '16M'),
    'xfs': (lambda label, fs_uuid: ['mkfs.xfs', '-q', '-f', '-L', label, '-m', 'uuid=' + fs_uuid], 12, '300M'),
    'btrfs': (lambda label, fs_uuid: ['mkfs.btrfs', '-q', '-f', '-L', label, '-U', fs_uuid], 255, '128M'),
    'vfat': (lambda label, fs_uuid: ['mkfs.vfat', '-n', label, '-i', fs_uuid[:8]], 11, '40M'),
}


def drawn_label(rng, fstype, longest):
    """A label of up to ``longest`` bytes: FAT's upper case, elsewhere any letters, digits, spaces and an é."""
    if fstype == 'vfat':
        alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'
    elif fstype == 'xfs':
        alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'
    else:
        alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. \u00e9'
    while True:
        label = ''.join(rng.choice(alphabet) for _char in range(rng.randint(1, longest))).strip()
        if label and len(label.encode()) <= longest:
            return label


def superblocks(base, seed):
    """A loop device of each type with a drawn label and UUID, mounted where the kernel can, udev data hidden:
    hostfacts' uuid and label (or, for a type this kernel cannot mount, the reader on the device) and blkid -p's."""
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers import superblock
    rng = random.Random(int(seed))
    for hidden in ('/run/udev', '/dev/disk'):
        if os.path.isdir(hidden):
            mount_tmpfs(hidden, source='no-udev')
    made = {}
    loops = []
    try:
        for fstype, (mkfs, longest, size) in sorted(MKFS.items()):
            label = drawn_label(rng, fstype, longest)
            fs_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            image = os.path.join(base, fstype + '.img')
            sh('truncate', '-s', size, image)
            sh(*(mkfs(label, fs_uuid) + [image]), stderr=subprocess.DEVNULL)
            device = sh('losetup', '--find', '--show', image).decode().strip()
            loops.append(device)
            point = os.path.join(base, fstype)
            os.makedirs(point)
            mounted = subprocess.run(['mount', '-t', fstype, device, point], stderr=subprocess.PIPE,
                                     check=False).returncode == 0
            blkid = sh('blkid', '-p', '-o', 'export', device).decode('utf-8', 'replace')
            direct = superblock.read_identity([device], fstype, os.stat(device).st_rdev)
            made[fstype] = {'label': label, 'uuid': fs_uuid, 'device': device, 'point': point, 'mounted': mounted,
                            'blkid': blkid, 'direct': list(direct) if direct else None}
        facts = facts_of(gather_subset=['filesystems'])
    finally:
        for point in [item['point'] for item in made.values() if item['mounted']]:
            subprocess.run(['umount', point], check=False)
        for device in loops:
            subprocess.run(['losetup', '-d', device], check=False)
    return {'made': made, 'warnings': facts['warnings'],
            'mounts': [m for m in facts['filesystems']['mounts'] if m['mount_point'].startswith(base)]}


SCENARIOS = dict((function.__name__, function) for function in (df_mix, superblocks))


def main(argv):
    name, base = argv[0], argv[1]
    # A tmpfs of our own over BASE: nothing below it reaches the host's disk or outlives the namespace.
    mount_tmpfs(base, size='1g', source='hfbase')
    sys.stdout.write(json.dumps(SCENARIOS[name](base, *argv[2:])))


if __name__ == '__main__':
    main(sys.argv[1:])
