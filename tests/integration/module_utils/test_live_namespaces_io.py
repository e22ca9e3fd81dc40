# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""namespaces and io against the real tools, on this machine, at the same moment.

Creates namespaces for real (unshare, ip netns add, one held only by an open fd) and compares
with ``lsns -J``; runs a real dd writer and reader and compares with ``iostat -x`` (sysstat)
over the same interval; runs unprivileged with setpriv. Needs root on Linux; each test says
why it skips otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather

from support import paths

from support.hybrid_host_fixtures import options

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux') or os.geteuid() != 0,
                                reason='creates namespaces and reads every /proc/PID/io: needs root on Linux')

# iostat and hostfacts sample the same steady load a few milliseconds apart.
RATE_TOLERANCE = 0.15     # relative, for r/s, w/s, rkB/s, wkB/s
UTIL_TOLERANCE = 10.0     # percentage points, for %util
INTERVAL = 2.0
DISK_MIB = 256            # the test's own disk: a loop device over a file in tmpfs
FILE_MIB = 64             # the reader's and the writer's files on it
WRITES_PER_S = 1000       # the paced load (DIRECT_IO): 16 KiB writes
READS_PER_S = 2000        # and 4 KiB reads
TAG = 'p2live%d' % os.getpid()
CHECKOUT = paths.CHECKOUT


def need(*tools):
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip('%s not installed (apt-get install %s)' % (
            ', '.join(missing), ' '.join({'lsns': 'util-linux', 'unshare': 'util-linux', 'ip': 'iproute2',
                                          'iostat': 'sysstat', 'setpriv': 'util-linux'}[t] for t in missing)))


def lsns_keys():
    def flatten(entries):
        for entry in entries:
            yield entry
            yield from flatten(entry.get('children', []))
    data = json.loads(subprocess.run(['lsns', '-J'], check=True, stdout=subprocess.PIPE).stdout)
    return dict(((e['type'], int(e['ns'])), e) for e in flatten(data['namespaces']))


@pytest.fixture
def namespaces_made():
    need('lsns', 'unshare', 'ip')
    made = {'netns': TAG}
    subprocess.run(['ip', 'netns', 'add', TAG], check=True)
    sleeper = subprocess.Popen(['unshare', '--net', '--uts', '--ipc', 'sleep', '300'])
    victim = subprocess.Popen(['unshare', '--net', 'sleep', '300'])
    holder = None
    try:
        time.sleep(0.3)
        holder = subprocess.Popen([sys.executable, '-c', 'import os, sys, time\n'
                                   'fd = os.open("/proc/%s/ns/net" % sys.argv[1], os.O_RDONLY)\n'
                                   'print(os.fstat(fd).st_ino, flush=True)\ntime.sleep(300)\n', str(victim.pid)],
                                  stdout=subprocess.PIPE)
        made['held_inode'] = int(holder.stdout.readline())
        victim.kill()
        victim.wait()
        made['holder'] = holder.pid
        made['sleeper'] = sleeper.pid
        made['netns_inode'] = os.stat('/run/netns/' + TAG).st_ino
        yield made
    finally:
        for process in (sleeper, victim, holder):
            if process is not None:
                process.kill()
                process.wait()
        subprocess.run(['ip', 'netns', 'del', TAG], check=False)


def test_every_namespace_lsns_lists_appears_and_the_ones_it_misses_too(namespaces_made):
    before = lsns_keys()
    facts = gather(options(gather_subset=['namespaces'], interval=0.0))['namespaces']
    after = lsns_keys()
    ours = dict(((e['type'], e['inode']), e) for e in facts['namespaces'])
    stable = set(before) & set(after)  # listed by lsns before and after us: alive the whole time
    assert stable and not stable - set(ours)
    made = [key for key in stable if after[key]['pid'] == namespaces_made['sleeper']]
    assert sorted(kind for kind, _unused in made) == ['ipc', 'net', 'uts']
    for key in made:
        assert (ours[key]['nprocs'], ours[key]['pid'], ours[key]['default']) == (
            after[key]['nprocs'], after[key]['pid'], False)
    bound = ('net', namespaces_made['netns_inode'])
    held = ('net', namespaces_made['held_inode'])
    assert bound not in after and held not in after  # what lsns misses (util-linux #1881, #1884) ...
    assert ours[bound]['pinned_by'][0] == {'kind': 'netns_name', 'path': '/run/netns/' + TAG, 'name': TAG}
    assert [p for p in ours[held]['pinned_by'] if p['kind'] == 'fd' and p['pid'] == namespaces_made['holder']]


def run(*argv):
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()


def unmount_when_free(path, seconds=30.0):
    """umount, retried: a detached loop device lets go of its backing file a moment later (udev may still be
    probing it), and until then the tmpfs under it is busy."""
    deadline = time.monotonic() + seconds
    while subprocess.run(['umount', path], check=False, stderr=subprocess.PIPE).returncode != 0:
        assert time.monotonic() < deadline, 'umount %s: still busy after %d s' % (path, seconds)
        time.sleep(0.2)


@pytest.fixture
def disk_of_its_own():
    """A block device that only this test uses: ext4 on a loop device over a file in a tmpfs mounted for the
    test, all of it removed afterwards (also when setup or the test fails). On a shared disk, another process's
    writes fell into one of the two windows and not the other (wkB/s 66002 against iostat's 49118)."""
    need('iostat', 'dd', 'losetup', 'mkfs.ext4')
    root = tempfile.mkdtemp(prefix=TAG)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(os.rmdir, root)
        run('mount', '-t', 'tmpfs', '-o', 'size=%dm' % (DISK_MIB + 16), TAG, root)
        cleanup.callback(unmount_when_free, root)
        backing, mountpoint = os.path.join(root, 'disk.img'), os.path.join(root, 'fs')
        with open(backing, 'wb') as stream:
            stream.truncate(DISK_MIB << 20)
        device = run('losetup', '--find', '--show', backing)
        cleanup.callback(run, 'losetup', '--detach', device)
        run('mkfs.ext4', '-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', device)
        os.mkdir(mountpoint)
        run('mount', device, mountpoint)
        cleanup.callback(run, 'umount', mountpoint)
        yield os.path.basename(device), mountpoint


# A steady direct-I/O load for as long as the test runs: 16 KiB synchronous writes (as dd oflag=direct,dsync) or
# 4 KiB reads (as dd iflag=direct), going round the first FILE_MIB of the file, paced to a fixed number per
# second. Unpaced, the load on a loop device runs as fast as the CPU lets it, which changes with whatever else
# runs: iostat's window, a few milliseconds off the module's, then saw another rate.
DIRECT_IO = """
import mmap, os, sys, time
mode, path, block, size, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) << 20, int(sys.argv[5])
flags = os.O_DIRECT | (os.O_RDONLY if mode == 'read' else os.O_WRONLY | os.O_CREAT | os.O_DSYNC)
fd, buffer, offset, done = os.open(path, flags, 0o644), mmap.mmap(-1, block), 0, 0
transfer = os.preadv if mode == 'read' else os.pwritev
print('ready', flush=True)
started = time.monotonic()
while True:
    while done < (time.monotonic() - started) * rate:
        transfer(fd, [buffer], offset)
        offset, done = (offset + block) % size, done + 1
    time.sleep(0.002)
"""


@pytest.fixture
def disk_load(disk_of_its_own):
    name, mountpoint = disk_of_its_own
    reading = os.path.join(mountpoint, TAG + '-read.bin')
    writing = os.path.join(mountpoint, TAG + '-write.bin')
    subprocess.run(['dd', 'if=/dev/zero', 'of=' + reading, 'bs=1M', 'count=%d' % FILE_MIB, 'oflag=direct',
                    'status=none'], check=True)
    writer = subprocess.Popen([sys.executable, '-c', DIRECT_IO, 'write', writing, str(16 << 10), str(FILE_MIB),
                               str(WRITES_PER_S)], stdout=subprocess.PIPE)
    reader = subprocess.Popen([sys.executable, '-c', DIRECT_IO, 'read', reading, str(4 << 10), str(FILE_MIB),
                               str(READS_PER_S)], stdout=subprocess.PIPE)
    try:
        assert writer.stdout.readline() == reader.stdout.readline() == b'ready\n'
        time.sleep(0.5)
        yield {'disk': name, 'writer': writer.pid, 'reader': reader.pid, 'writing': writing, 'reading': reading}
    finally:
        for process in (writer, reader):
            process.kill()
            process.wait()


def ranked(pid, processes, rate):
    """pid's entry in the module's ranking, asserting that it is first, or behind only processes that moved
    more bytes in the window: another job on the machine may write more than the test's paced writer."""
    pids = [process['pid'] for process in processes]
    assert pid in pids, processes[:3]
    ours = processes[pids.index(pid)]
    assert all(process[rate] > ours[rate] for process in processes[:pids.index(pid)]), processes[:3]
    return ours


def test_writer_and_reader_ranked_first_and_disk_rates_agree_with_iostat(disk_load):
    # iostat over the test's device only, started right before the module's window opens.
    iostat = subprocess.Popen(['iostat', '-o', 'JSON', '-d', '-x', '-y', str(int(INTERVAL)), '1', disk_load['disk']],
                              stdout=subprocess.PIPE)
    facts = gather(options(open_files=5, gather_subset=['io'], interval=INTERVAL, samples=5))['io']
    report = json.loads(iostat.communicate()[0])
    writer = ranked(disk_load['writer'], facts['top_writers'], 'write_bytes_s')
    reader = ranked(disk_load['reader'], facts['top_readers'], 'read_bytes_s')
    assert writer['open_files'][0]['path'] == disk_load['writing'] and writer['open_files'][0]['size'] > 0
    assert reader['open_files'][0]['path'] == disk_load['reading']
    disk = writer['open_files'][0]['disk']
    assert disk == disk_load['disk']
    theirs = [d for d in report['sysstat']['hosts'][0]['statistics'][0]['disk'] if d['disk_device'] == disk][0]
    ours = [d for d in facts['disks'] if d['name'] == disk][0]
    for our_key, their_key in (('r_s', 'r/s'), ('w_s', 'w/s'), ('rkb_s', 'rkB/s'), ('wkb_s', 'wkB/s')):
        assert ours[our_key] == pytest.approx(theirs[their_key], rel=RATE_TOLERANCE), our_key
    assert abs(ours['util_pct'] - theirs['util']) <= UTIL_TOLERANCE
    assert ours['w_s'] > 100  # the writer's load is there, the comparison is not of two idle disks


def test_unprivileged_run_gives_partial_facts_and_exactly_one_warning_to_use_become():
    """As nobody, PID 1's and kthreadd's namespaces are refused: that is the one warning (use become), not
    a second one saying there is no kernel thread."""
    need('setpriv')
    # nobody cannot enter pytest's or conftest's private temporary directories: a world-readable one.
    root = tempfile.mkdtemp(prefix=TAG)
    os.chmod(root, 0o755)
    os.makedirs(os.path.join(root, 'ansible_collections', 'hostops'))
    os.symlink(CHECKOUT, os.path.join(root, 'ansible_collections', 'hostops', 'fleet'))
    script = ('import json, sys\n'
              'from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather\n'
              'from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions\n'
              'facts = gather(HostfactsOptions.from_params({"gather_subset": ["processes", "memory", "namespaces",'
              ' "io", "containers"], "interval": 0.5, "samples": 2, "top": 5, "open_files": 2}))\n'
              'print(json.dumps(facts))\n')
    try:
        argv = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', sys.executable, '-c', script]
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
                              env=dict(os.environ, PYTHONPATH=root, HOME=root), cwd=root)
    finally:
        shutil.rmtree(root)
    assert done.returncode == 0, done.stderr.decode()
    facts = json.loads(done.stdout)
    assert len(facts['warnings']) == 1 and 'become' in facts['warnings'][0], facts['warnings']
    assert 'ns x' in facts['warnings'][0]  # the refused namespace links are counted in it
    assert facts['namespaces']['default_source'] == 'self'
    assert facts['namespaces']['namespaces'] and facts['namespaces']['unreadable_processes'] > 0
    assert facts['io']['io_unreadable_processes'] > 0 and facts['io']['io_readable_processes'] > 0
    assert 'Traceback' not in done.stderr.decode()


HIGH_FD_HOLDER = """
import os, sys, time
fd = os.open('/proc/%s/ns/net' % sys.argv[1], os.O_RDONLY)
os.dup2(fd, 150)
os.close(fd)
print(os.fstat(150).st_ino, flush=True)
time.sleep(300)
"""

# ruid root, euid nobody: it opens its file as root, then keeps writing to it as nobody, in a netns of its own.
SETRESUID_WRITER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.setresuid(0, 65534, 0)
print('ready', flush=True)
while True:
    os.pwrite(fd, b'e' * (1 << 18), 0)
    os.fsync(fd)
    time.sleep(0.02)
"""


@pytest.fixture
def high_fd_holder():
    """A netns held only by descriptor 150 of a process (no process in it, no bind mount)."""
    need('unshare')
    victim = subprocess.Popen(['unshare', '--net', 'sleep', '300'])
    holder = None
    try:
        time.sleep(0.3)
        holder = subprocess.Popen([sys.executable, '-c', HIGH_FD_HOLDER, str(victim.pid)], stdout=subprocess.PIPE)
        inode = int(holder.stdout.readline())
        victim.kill()
        victim.wait()
        yield holder.pid, inode
    finally:
        for process in (victim, holder):
            if process is not None:
                process.kill()
                process.wait()


def test_a_netns_held_only_by_descriptor_150_is_listed_with_its_holder(high_fd_holder):
    holder, inode = high_fd_holder
    link = os.readlink('/proc/%d/fd/150' % holder)  # what ls -l /proc/PID/fd shows
    everything = gather(options(gather_subset=['namespaces'], interval=0.0))
    facts = everything['namespaces']
    entry = [e for e in facts['namespaces'] if (e['type'], e['inode']) == ('net', inode)]
    assert link == 'net:[%d]' % inode and len(entry) == 1
    assert entry[0]['nprocs'] == 0
    assert {'kind': 'fd', 'path': '/proc/%d/fd/150' % holder, 'pid': holder, 'name': None} in entry[0]['pinned_by']
    assert entry[0]['user'] == 'root' and 'python' in entry[0]['command']
    assert not [w for w in everything['warnings'] if 'descriptors' in w]  # the scan was not cut short


@pytest.fixture
def setresuid_writer():
    need('unshare', 'ps', 'lsns')
    path = os.path.join('/var/tmp', TAG + '-euid.bin')
    writer = subprocess.Popen(['unshare', '--net', sys.executable, '-c', SETRESUID_WRITER, path],
                              stdout=subprocess.PIPE)
    try:
        assert writer.stdout.readline().strip() == b'ready'
        time.sleep(0.5)
        yield writer.pid
    finally:
        writer.kill()
        writer.wait()
        os.remove(path)


def test_namespaces_and_io_report_the_effective_user_as_ps_and_lsns_do(setresuid_writer):
    pid = setresuid_writer
    ruser, euser = subprocess.run(['ps', '-o', 'ruser=,euser=', '-p', str(pid)], stdout=subprocess.PIPE, check=True,
                                  universal_newlines=True).stdout.split()
    lsns = json.loads(subprocess.run(['lsns', '-J', '-t', 'net', '-o', 'NS,PID,USER'], stdout=subprocess.PIPE,
                                     check=True).stdout)['namespaces']
    facts = gather(options(gather_subset=['namespaces', 'io'], interval=1.0, samples=2))
    assert (ruser, euser) == ('root', 'nobody')
    theirs = [e for e in lsns if e['pid'] == pid][0]
    ours = [e for e in facts['namespaces']['namespaces'] if (e['type'], e['inode']) == ('net', int(theirs['ns']))][0]
    assert ours['pid'] == pid and ours['user'] == theirs['user'] == euser
    writer = [p for p in facts['io']['top_writers'] if p['pid'] == pid]
    assert writer and writer[0]['user'] == euser
