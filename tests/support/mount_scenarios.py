# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hard mount tables, built for real, with hostfacts and the real tools run on them in the same moment.

    unshare --mount --propagation private python -m support.mount_scenarios NAME BASE [ARGS]

Run through support.mountns.run_scenario, inside a private mount namespace: each scenario mounts
what it needs below BASE, runs hostfacts (the collectors in this process, or the module as its own
process where its exit counts) and the tool it is compared with, and prints one JSON object.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support import module_process
from support.mountns import WRITER

# Names findmnt escapes and splitlines() would cut: form feed, \x1c, U+2028, a byte that is not UTF-8;
# and names that pass as they are: a space, a backslash before x, an accented letter.
ODD_NAMES = [b'form\x0cfeed', b'file\x1csep', 'line\u2028sep'.encode(), b'not\xffutf8', b'with space',
             b'back\\xslash', 'caf\u00e9'.encode(), b'tab\there']


def sh(*argv, **kwargs):
    return subprocess.run([os.fsencode(arg) if isinstance(arg, str) else arg for arg in argv], check=True,
                          stdout=subprocess.PIPE, **kwargs).stdout


def mount_tmpfs(path, size='4m', source='hftest'):
    os.makedirs(path, exist_ok=True)
    sh('mount', '-t', 'tmpfs', '-o', 'size=' + size, source, path)


def facts_of(**params):
    return gather(HostfactsOptions.from_params(dict(dict(interval=0.0), **params)), procfs=ProcFS('/'))


def start(argv, **kwargs):
    return subprocess.Popen(argv, stdout=subprocess.PIPE, **kwargs)


def start_writer(target, *held):
    writer = start([sys.executable, '-c', WRITER, target] + list(held))
    return writer, json.loads(writer.stdout.readline())


def fd_links(pid):
    """What ``ls -l /proc/PID/fd`` shows: {fd: link target}, each a readlink, which never waits on a mount."""
    return dict((int(fd), os.readlink('/proc/%d/fd/%s' % (pid, fd))) for fd in os.listdir('/proc/%d/fd' % pid))


def stop(*processes):
    for process in processes:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------------------------- scenarios

def start_fuse(base, kind):
    """A FUSE daemon serving BASE/fuse: the stub (type fuse.hfstub), or bindfs of BASE/source (type fuse, as
    bindfs names its source and so gets no subtype). Returns (daemon, mount point) once it is mounted."""
    fuse = os.path.join(base, 'fuse')
    os.makedirs(fuse)
    if kind == 'stub':
        server = start([sys.executable, '-m', 'support.fuse_stub', fuse])
        assert server.stdout.readline().strip() == b'ready'
        return server, fuse
    source = os.path.join(base, 'source')
    os.makedirs(source)
    server = start(['bindfs', '-f', source, fuse])
    until = time.monotonic() + 10
    while not any(line.split()[4] == fuse for line in open('/proc/self/mountinfo')):
        assert time.monotonic() < until and server.poll() is None, 'bindfs did not mount'
        time.sleep(0.05)
    return server, fuse


def hung_fuse(base, timeout, kind='stub'):
    """A top disk writer holds a file open on a FUSE filesystem that never answers (``kind``: the stub or
    bindfs, stopped): every subset, sampled."""
    server, fuse = start_fuse(base, kind)
    writer = None
    try:
        writer, fds = start_writer(os.path.join(base, 'writer.bin'), os.path.join(fuse, 'data'))
        time.sleep(1.0)  # the writer's rate settles
        os.kill(server.pid, signal.SIGSTOP)
        links = fd_links(writer.pid)
        # Every subset, with a sampling interval: one snapshot (the default) ranks writers by the bytes
        # written since they started, where a busy machine's builds outrank this young writer.
        run = module_process.run_module('hostfacts', process_timeout=120, timeout=float(timeout), interval=1.0)
        return {'seconds': run.seconds, 'result': run.result, 'writer': writer.pid, 'fds': fds,
                'links': links, 'fuse': fuse}
    finally:
        # The server first: with it gone the kernel fails every request left, the writer's last flush
        # included (a forced request, which waits even for a killed process).
        stop(server)
        stop(writer)


def slow_statfs(base, runs):
    """A FUSE filesystem answering statfs after 0.7 s, gathered ``runs`` times with timeout=5; df beside it."""
    fuse = os.path.join(base, 'fuse')
    os.makedirs(fuse)
    server = start([sys.executable, '-m', 'support.fuse_stub', fuse, '--statfs-delay', '0.7'])
    try:
        assert server.stdout.readline().strip() == b'ready'
        df = sh('df', '-B1', '--output=size,used,avail,itotal,iused,target', fuse).decode().splitlines()[1]
        found = []
        for _run in range(int(runs)):
            started = time.monotonic()
            facts = facts_of(gather_subset=['filesystems'], timeout=5.0)
            mount = [m for m in facts['filesystems']['mounts'] if m['mount_point'] == fuse]
            found.append({'seconds': time.monotonic() - started, 'mount': mount, 'warnings': facts['warnings']})
        return {'df': df.split(), 'runs': found, 'fuse': fuse}
    finally:
        stop(server)


def mountinfo_past_a_page(base):
    """A process whose root holds a short mount, then a 3,900-byte mount point, then more: the kernel's
    first read of its mountinfo stops before the long line, well under a page."""
    root = os.path.join(base, 'root')
    mount_tmpfs(root, source='hfroot')
    mount_tmpfs(os.path.join(root, 'first'))
    # Near PATH_MAX: the long line and the two short ones before it do not fit in one page together.
    deep = root
    while len(deep) < 3980:
        deep = os.path.join(deep, 'd' * min(250, 3990 - len(deep)))
    mount_tmpfs(deep, source='hfdeep')
    for index in range(5):
        mount_tmpfs(os.path.join(root, 'after-%d' % index))
    child = start([sys.executable, '-c', 'import os, sys, time\nos.chroot(sys.argv[1])\nos.chdir("/")\n'
                   'print("ready", flush=True)\ntime.sleep(120)\n', root])
    try:
        assert child.stdout.readline().strip() == b'ready'
        fd = os.open('/proc/%d/mountinfo' % child.pid, os.O_RDONLY)
        first_read = len(os.read(fd, 65536))
        os.close(fd)
        ours = [entry.mount_point for entry in ProcFS('/').mountinfo(child.pid)]
        findmnt = sh('findmnt', '--task', str(child.pid), '--list', '--noheadings', '--output', 'TARGET')
        return {'first_read': first_read, 'ours': ours,
                'findmnt': [line.decode() for line in findmnt.splitlines()], 'deep': deep[len(root):]}
    finally:
        stop(child)


def odd_names(base):
    """tmpfs mounts on the ODD_NAMES, and findmnt's and df's view of them."""
    top = os.path.join(base, 'odd')
    mount_tmpfs(top, source='hfodd')
    for index, name in enumerate(ODD_NAMES):
        mount_tmpfs(os.path.join(os.fsencode(top), name), size='%dk' % (1024 + 64 * index))
    facts = facts_of(gather_subset=['filesystems'], include_pseudo=True)
    findmnt = sh('findmnt', '--list', '--noheadings', '--output', 'TARGET,SIZE', '--bytes', '-R', top)
    df = sh('df', '-B1', '--output=size,target')
    return {'top': top, 'mounts': [m for m in facts['filesystems']['mounts'] if m['mount_point'].startswith(top)],
            'warnings': facts['warnings'], 'findmnt': findmnt.decode('utf-8', 'surrogateescape').splitlines(),
            'df_lines': len([line for line in df.split(b'\n') if os.fsencode(top) in line])}


def hidden_mounts(base):
    """tmpfs A (3 MiB, 2 MiB used) at x/y, then tmpfs B (5 MiB, empty, with a directory y) mounted over x:
    A is hidden. The same with B lacking y (p/q), and a mount stacked on the same mount point (s)."""
    mount_tmpfs(os.path.join(base, 'x', 'y'), size='3m', source='hidden-a')
    sh('dd', 'if=/dev/zero', 'of=' + os.path.join(base, 'x', 'y', 'two-mib'), 'bs=1M', 'count=2', 'status=none')
    mount_tmpfs(os.path.join(base, 'x'), size='5m', source='cover-b')
    os.makedirs(os.path.join(base, 'x', 'y'))
    mount_tmpfs(os.path.join(base, 'p', 'q'), size='3m', source='hidden-c')
    mount_tmpfs(os.path.join(base, 'p'), size='6m', source='cover-d')
    mount_tmpfs(os.path.join(base, 's'), size='2m', source='under-e')
    mount_tmpfs(os.path.join(base, 's'), size='7m', source='over-f')
    facts = facts_of(gather_subset=['filesystems'], include_pseudo=True)
    # df exits 1 here: it cannot statvfs p/q, whose directory is not in the mount over p.
    df = subprocess.run(['df', '-B1', '--output=source,size,used,target'], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, check=False)
    return {'mounts': [m for m in facts['filesystems']['mounts'] if m['mount_point'].startswith(base)],
            'warnings': facts['warnings'], 'df': [line.split() for line in df.stdout.decode().splitlines()
                                                  if base in line], 'df_stderr': df.stderr.decode()}


def btrfs_subvolumes(base):
    """A loop-file btrfs with two subvolumes mounted apart, its top mounted, and a bind mount inside one."""
    image = os.path.join(base, 'btrfs.img')
    sh('truncate', '-s', '300M', image)
    sh('mkfs.btrfs', '-q', '-f', image)
    top, first, second, bind = (os.path.join(base, name) for name in ('top', 'first', 'second', 'bind'))
    for path in (top, first, second, bind):
        os.makedirs(path)
    sh('mount', '-o', 'loop', image, top)
    sh('btrfs', 'subvolume', 'create', os.path.join(top, '@first'))
    sh('btrfs', 'subvolume', 'create', os.path.join(top, '@second'))
    os.makedirs(os.path.join(top, '@first', 'inside'))
    sh('mount', '-o', 'loop,subvol=@first', image, first)
    sh('mount', '-o', 'loop,subvol=@second', image, second)
    sh('mount', '--bind', os.path.join(first, 'inside'), bind)
    facts = facts_of(gather_subset=['filesystems'])
    df = sh('df', '-B1', '--output=source,size,target').decode().splitlines()
    return {'mounts': [m for m in facts['filesystems']['mounts'] if m['fstype'] == 'btrfs'],
            'df': [line.split() for line in df if base in line]}


def _loop_ext4(base, name, size='64M', *mkfs_options):
    image = os.path.join(base, name + '.img')
    sh('truncate', '-s', size, image)
    sh('mkfs.ext4', '-q', '-F', *(mkfs_options + (image,)))
    mount_point = os.path.join(base, name)
    os.makedirs(mount_point)
    sh('mount', '-o', 'loop,errors=continue', image, mount_point)
    device = [line.split()[1] for line in open('/proc/self/mountinfo') if ' %s ' % mount_point in line][0]
    return image, mount_point, device


def lazy_unmount(base):
    """A writer keeps writing to a file of a loop ext4 that was lazily unmounted (umount -l) meanwhile."""
    _image, mount_point, devno = _loop_ext4(base, 'lazy')
    writer = None
    try:
        writer, fds = start_writer(os.path.join(mount_point, 'writer.bin'))
        time.sleep(0.5)
        sh('umount', '-l', mount_point)
        time.sleep(0.5)
        links = fd_links(writer.pid)
        fd_stat = os.stat('/proc/%d/fd/%d' % (writer.pid, fds['target']))
        facts = facts_of(gather_subset=['io'], interval=1.0, samples=2, open_files=5)
        lsof = sh('lsof', '-n', '-P', '-a', '-p', str(writer.pid), '-d', str(fds['target']), '-F', 'Dn').decode()
        return {'io': facts['io'], 'writer': writer.pid, 'fds': fds, 'links': links, 'devno': devno,
                'stat_dev': [os.major(fd_stat.st_dev), os.minor(fd_stat.st_dev)], 'lsof': lsof,
                'block_name': os.path.basename(os.readlink('/sys/dev/block/%d:%d' % (
                    os.major(fd_stat.st_dev), os.minor(fd_stat.st_dev))))}
    finally:
        stop(writer)


def corrupt_directory(base):
    """A loop ext4 (Debian's defaults: dir_index, metadata_csum) whose big directory has its last block
    zapped with debugfs, summed by du and by du_paths. Reading the directory returns the entries of the
    blocks before, then fails: the checksum of the zapped block is wrong."""
    image = os.path.join(base, 'corrupt.img')
    sh('truncate', '-s', '16M', image)
    sh('mkfs.ext4', '-q', '-F', '-b', '1024', image)
    mount_point = os.path.join(base, 'corrupt')
    os.makedirs(mount_point)
    sh('mount', '-o', 'loop', image, mount_point)
    directory = os.path.join(mount_point, 'dir')
    os.makedirs(directory)
    for index in range(120):
        with open(os.path.join(directory, 'file-with-a-long-name-%03d' % index), 'wb') as handle:
            handle.write(b'x' * (1000 + index))
    with open(os.path.join(mount_point, 'beside'), 'wb') as handle:
        handle.write(b'y' * 50000)
    sh('umount', mount_point)
    blocks = sh('debugfs', '-R', 'blocks /dir', image, stderr=subprocess.DEVNULL).split()
    sh('debugfs', '-w', '-R', 'zap_block -f /dir -p 165 %d' % (len(blocks) - 1), image, stderr=subprocess.DEVNULL)
    sh('mount', '-o', 'loop,errors=continue', image, mount_point)
    du = subprocess.run(['du', '-s', '-x', '-B1', mount_point], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        check=False)
    apparent = subprocess.run(['du', '-s', '-x', '-b', mount_point], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, check=False)
    facts = facts_of(gather_subset=['filesystems'], du_paths=[mount_point])
    return {'du': facts['filesystems']['du'][0], 'warnings': facts['warnings'], 'du_rc': du.returncode,
            'du_bytes': int(du.stdout.split()[0]), 'du_apparent': int(apparent.stdout.split()[0]),
            'du_stderr': du.stderr.decode(), 'listed': len(os.listdir(mount_point)), 'dir': directory}


def without_udev(base):
    """Two loop ext4 mounts on a host whose udev data is hidden (an empty tmpfs over /run/udev and /dev/disk
    where they exist, as in a container): hostfacts, and blkid probing the devices as lsblk -f would."""
    for hidden in ('/run/udev', '/dev/disk'):
        if os.path.isdir(hidden):
            mount_tmpfs(hidden, source='no-udev')
    devices = [_loop_ext4(base, name)[2] for name in ('one', 'two')]
    facts = facts_of(gather_subset=['filesystems'])
    mounts = [m for m in facts['filesystems']['mounts'] if m['mount_point'].startswith(base) and m['fstype'] == 'ext4']
    uuids = [sh('blkid', '-o', 'value', '-s', 'UUID', m['device']).decode().strip() for m in mounts]
    return {'mounts': mounts, 'warnings': facts['warnings'], 'blkid_uuids': uuids, 'devices': devices}


def container_layers(base):
    """What Docker mounts for a running container, below BASE: its overlay layer and its shm tmpfs."""
    layer = os.path.join(base, 'overlay2', 'f00d')
    for part in ('lower', 'diff', 'work', 'merged'):
        os.makedirs(os.path.join(layer, part))
    sh('mount', '-t', 'overlay', 'overlay', '-o', 'lowerdir={0}/lower,upperdir={0}/diff,workdir={0}/work'.format(layer),
       os.path.join(layer, 'merged'))
    mount_tmpfs(os.path.join(base, 'containers', 'f00d', 'mounts', 'shm'), size='64m', source='shm')
    default = facts_of(gather_subset=['filesystems'])['filesystems']['mounts']
    everything = facts_of(gather_subset=['filesystems'], include_pseudo=True)['filesystems']['mounts']
    return {'default': [m['mount_point'] for m in default], 'all': [m['mount_point'] for m in everything],
            'df': sh('df', '--output=target').decode().splitlines()[1:],
            'layer': os.path.join(layer, 'merged')}


SCENARIOS = dict((function.__name__, function) for function in (
    container_layers,
    hung_fuse, slow_statfs, mountinfo_past_a_page, odd_names, hidden_mounts, btrfs_subvolumes, lazy_unmount,
    corrupt_directory, without_udev))


def main(argv):
    name, base = argv[0], argv[1]
    # A tmpfs of our own over BASE: nothing below it reaches the host's disk or outlives the namespace.
    if name != 'hung_fuse':  # its writer must write to a disk, for the io subset to rank it
        mount_tmpfs(base, size='512m', source='hfbase')
    result = SCENARIOS[name](base, *argv[2:])
    sys.stdout.write(json.dumps(result))


if __name__ == '__main__':
    main(sys.argv[1:])
