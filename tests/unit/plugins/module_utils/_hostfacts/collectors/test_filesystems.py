# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filesystems collector on fixture trees: df's choice of mounts, findmnt options, timed out mounts."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.filesystems import (
    FSTYPE_TABLE, findmnt_options, select_mounts, shadowing, usage_fields)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.deadline import CallResult
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.system import MountEntry

from support import paths, superblock_fixtures
from support.hostfacts_fixtures import TREES, fixture_procfs, load_json, options


def df_rows(tree):
    rows = {}
    for line in load_json(tree, 'tools.json')['df_b1'].splitlines()[1:]:
        parts = line.split(None, 9)
        rows[parts[9]] = dict(source=parts[0], fstype=parts[1], size=int(parts[2]), used=int(parts[3]),
                              avail=int(parts[4]), pcent=int(parts[5].rstrip('%')), itotal=int(parts[6]),
                              iused=int(parts[7]), ipcent=parts[8])
    return rows


def filesystems_of(tree, tmp_path, **overrides):
    procfs = fixture_procfs(tree, tmp_path)
    facts = gather(options(gather_subset=['filesystems'], **overrides), procfs=procfs)
    return facts, procfs


# What df lists and the default list leaves out (docs/hostfacts.md, "Which filesystems are listed"): container
# layers but the root, and whatever is mounted on /proc and /sys (a container's masks, the cgroup v1 tmpfs).
def left_out_of_df(target, fstype):
    return (fstype == 'overlay' and target != '/') or target.startswith(('/proc/', '/sys/'))


# Kernel interfaces among the types of these trees: df leaves them out (dummies, or 0 blocks), and so do we.
KERNEL = ('cgroup', 'cgroup2', 'proc', 'sysfs', 'devpts', 'mqueue', 'nsfs', 'hugetlbfs', 'fusectl')


@pytest.mark.parametrize('tree', TREES)
def test_every_mount_df_lists_with_include_pseudo(tree, tmp_path):
    facts, _unused = filesystems_of(tree, tmp_path, include_pseudo=True)
    mounts = dict((m['mount_point'], m) for m in facts['filesystems']['mounts'] if m['status'] == 'ok'
                  and m['size'])
    df = df_rows(tree)
    assert set(mounts) == set(df)
    for mount_point, expected in df.items():
        mount = mounts[mount_point]
        assert (mount['device'], mount['fstype']) == (expected['source'], expected['fstype'])
        assert mount['size'] == expected['size']
        assert mount['inodes_total'] == expected['itotal']
        # statvfs was taken a moment before df ran: usage may move by a few MiB on a busy disk.
        assert abs(mount['used'] - expected['used']) <= 64 * 2 ** 20
        assert abs(mount['use_pct'] - expected['pcent']) <= 1


@pytest.mark.parametrize('tree', TREES)
def test_by_default_the_mounts_df_lists_but_container_layers_and_kernel_places(tree, tmp_path):
    """/dev, /dev/shm, /run and a container's shm are in; the overlays of the host's containers and the masks
    on /proc and /sys are out; a container's overlay / stays."""
    facts, _unused = filesystems_of(tree, tmp_path)
    mounts = dict((m['mount_point'], m) for m in facts['filesystems']['mounts'] if m['status'] != 'shadowed')
    expected = set(target for target, row in df_rows(tree).items() if not left_out_of_df(target, row['fstype']))
    assert set(mounts) == expected
    assert {'/dev/shm', '/dev'} <= expected
    assert all(mount['status'] == 'ok' for mount in mounts.values())


def test_container_bind_mounts_are_folded_as_df_does(tmp_path):
    facts, _unused = filesystems_of('bookworm-container', tmp_path)
    mounts = dict((m['mount_point'], m) for m in facts['filesystems']['mounts'])
    # Docker bind-mounts /etc/hosts, /etc/hostname and /etc/resolv.conf from one disk: df keeps the shortest.
    assert sorted(mounts['/etc/hosts']['also_mounted_at']) == ['/etc/hostname', '/etc/resolv.conf']
    assert mounts['/']['fstype'] == 'overlay'


@pytest.mark.parametrize('tree', TREES)
def test_pseudo_filesystems_only_when_asked(tree, tmp_path):
    facts, procfs = filesystems_of(tree, tmp_path / 'a')
    assert not [m for m in facts['filesystems']['mounts'] if m['fstype'] in KERNEL]
    everything, procfs_all = filesystems_of(tree, tmp_path / 'b', include_pseudo=True)
    fstypes = set(m['fstype'] for m in everything['filesystems']['mounts'])
    assert {'proc', 'sysfs', 'tmpfs'} <= fstypes
    # Kernel interfaces are not even probed unless asked for; memory filesystems are.
    assert not [point for point in procfs.statvfs_calls if point.startswith(('/proc', '/sys'))]
    assert '/dev/shm' in procfs.statvfs_calls
    assert '/proc' in procfs_all.statvfs_calls


def test_autofs_is_never_probed(tmp_path):
    procfs = fixture_procfs('bookworm-container', tmp_path)
    path = os.path.join(procfs.root, 'proc', 'self', 'mountinfo')
    with open(path, 'a') as handle:
        handle.write('900 1 0:99 / /net rw,relatime shared:9 - autofs systemd-1 rw,fd=40,pgrp=1,timeout=0\n')
    facts = gather(options(gather_subset=['filesystems'], include_pseudo=True), procfs=procfs)
    net = [m for m in facts['filesystems']['mounts'] if m['mount_point'] == '/net']
    assert net == [dict(net[0], status='skipped')]
    assert '/net' not in procfs.statvfs_calls


def test_findmnt_options_on_the_host_fixture_match_findmnt_rules():
    entry = MountEntry(1, 0, 254, 0, '/', '/', 'rw,relatime', [], 'ext4', '/dev/vda', 'rw,discard,errors=remount-ro')
    assert findmnt_options(entry) == 'rw,relatime,discard,errors=remount-ro'
    readonly_sb = entry._replace(super_options='ro,size=4096k')
    assert findmnt_options(readonly_sb) == 'ro,relatime,size=4096k'
    same = entry._replace(options='rw', super_options='rw')
    assert findmnt_options(same) == 'rw'


def test_sizes_are_not_truncated_to_32_bits():
    vfs = os.statvfs_result((4096, 4096, 2 ** 40, 2 ** 39, 2 ** 38, 2 ** 34, 2 ** 33, 2 ** 33, 0, 255))
    fields = usage_fields(vfs)
    assert fields['size'] == 2 ** 52
    assert fields['used'] == 2 ** 51
    assert fields['available'] == 2 ** 50
    assert fields['use_pct'] == 67
    assert fields['inodes_used'] == 2 ** 33
    assert fields['inodes_use_pct'] == 50


def test_full_filesystem_alerts(tmp_path):
    facts, _unused = filesystems_of('bookworm-container', tmp_path, thresholds=dict(
        filesystem_use_pct=1.0, inode_use_pct=100.0, memory_available_pct=20.0))
    messages = [a['message'] for a in facts['alerts'] if a['subset'] == 'filesystems']
    assert any(m.startswith('space on / (overlay) is ') for m in messages)
    assert not any(m.startswith('inodes') for m in messages)


def test_timed_out_mount_is_reported_with_a_warning(tmp_path, monkeypatch):
    procfs = fixture_procfs('bookworm-container', tmp_path)
    real = procfs.statvfs_mounts

    def statvfs_mounts(mount_points, timeout, keys=None):
        results = real(mount_points, timeout)
        for hung in ('/tmp', '/etc/hosts'):
            results[hung] = CallResult('timed_out', None, 'statvfs did not return')
        return results

    monkeypatch.setattr(procfs, 'statvfs_mounts', statvfs_mounts)
    facts = gather(options(gather_subset=['filesystems'], timeout=0.5, include_pseudo=True), procfs=procfs)
    hung = [m for m in facts['filesystems']['mounts'] if m['mount_point'] in ('/tmp', '/etc/hosts')]
    assert [(m['mount_point'], m['status']) for m in hung] == [('/tmp', 'timed_out'), ('/etc/hosts', 'timed_out')]
    assert not [m for m in hung if 'size' in m]
    # One warning names every mount that did not answer.
    assert [w for w in facts['warnings'] if 'statvfs' in w] == [
        'filesystems: statvfs of /tmp (tmpfs), /etc/hosts (ext4) did not answer within the 0.5 s timeout (a hung '
        'network or FUSE filesystem?); reported as timed_out without figures']


def _entry(mount_id, parent_id, mount_point, source, fstype='tmpfs', major=0, minor=None, root='/', super_options='rw'):
    return MountEntry(mount_id, parent_id, major, mount_id if minor is None else minor, root, mount_point, 'rw', [],
                      fstype, source, super_options)


def test_a_mount_under_a_later_mount_and_a_mount_under_a_stacked_one_are_hidden():
    """In mountinfo order (the order of mounting): A on /x/y, then B on /x; C on /s with D stacked on it;
    E on /t with N tucked beneath it later by propagation (N listed after E, but E's parent)."""
    entries = [
        _entry(1, 0, '/', '/dev/vda', 'ext4', 254, 0),
        _entry(10, 1, '/x/y', 'a'),
        _entry(11, 1, '/x', 'b'),
        _entry(12, 10, '/x/y/z', 'a-child'),
        _entry(13, 11, '/x/y', 'again-on-b'),
        _entry(20, 1, '/s', 'c'),
        _entry(21, 20, '/s', 'd'),
        _entry(30, 31, '/t', 'e'),
        _entry(31, 1, '/t', 'n'),
        _entry(40, 1, '/xa', 'sibling-name'),
    ]
    hidden = dict((entries[index].source, cover.source) for index, cover in shadowing(entries).items())
    assert hidden == {'a': 'b', 'a-child': 'again-on-b', 'c': 'd', 'n': 'e'}
    selected = select_mounts(entries, include_pseudo=True)
    shown = [(entry.source, cover.source if cover else None) for entry, _others, cover in selected]
    assert ('a', 'b') in shown and ('again-on-b', None) in shown and ('e', None) in shown
    assert ('sibling-name', None) in shown  # /xa is not below /x


def test_btrfs_subvolumes_are_apart_and_a_bind_mount_inside_one_folds_into_it():
    options = 'rw,space_cache=v2,subvolid=%d,subvol=%s'
    entries = [
        _entry(1, 0, '/', '/dev/vda', 'ext4', 254, 0),
        _entry(68, 1, '/top', '/dev/loop0', 'btrfs', 0, 39, '/', options % (5, '/')),
        _entry(69, 1, '/first', '/dev/loop0', 'btrfs', 0, 39, '/@a', options % (256, '/@a')),
        _entry(70, 1, '/second', '/dev/loop0', 'btrfs', 0, 39, '/@b', options % (257, '/@b')),
        _entry(67, 1, '/bind', '/dev/loop0', 'btrfs', 0, 39, '/@a/dir', options % (256, '/@a')),
    ]
    selected = dict((entry.mount_point, others) for entry, others, _cover in select_mounts(entries, False))
    assert selected == {'/': [], '/top': [], '/first': ['/bind'], '/second': []}


def test_without_mount_ids_nothing_is_taken_for_hidden():
    """psutil's list on hosts without /proc has no mount ids: every mount point stands alone."""
    entries = [MountEntry(0, 0, 0, 0, '/', point, 'rw', [], 'ufs', '/dev/ada0p%d' % index, '')
               for index, point in enumerate(['/', '/usr', '/'])]
    assert shadowing(entries) == {}


def test_without_udev_data_and_without_the_device_one_warning_names_what_was_not_read(tmp_path):
    """A container's /dev holds no disk: the superblock cannot be read, and one warning says where."""
    facts, _unused = filesystems_of('debian12-host', tmp_path)
    assert [m['uuid'] for m in facts['filesystems']['mounts'] if m['mount_point'] == '/'] == [None]
    assert [w for w in facts['warnings'] if 'udev' in w] == [
        'filesystems: udev data is unavailable (no /run/udev/data and no /dev/disk/by-uuid, as in containers and '
        'minimal hosts) and the superblock of / (/dev/vda: No such file or directory) could not be read: uuid and '
        'label are null there']


def test_unprivileged_without_udev_data_keeps_the_one_warning_and_reads_no_device(tmp_path, monkeypatch):
    procfs = fixture_procfs('debian12-host', tmp_path)
    monkeypatch.setattr(procfs, 'live', True)
    monkeypatch.setattr(type(procfs), 'privileged', False)
    monkeypatch.setattr(procfs, 'superblock_identities', None)  # never called
    facts = gather(options(gather_subset=['filesystems']), procfs=procfs)
    assert [m['uuid'] for m in facts['filesystems']['mounts'] if m['mount_point'] == '/'] == [None]
    assert [w for w in facts['warnings'] if 'udev' in w] == [
        'filesystems: udev data is unavailable (no /run/udev/data and no /dev/disk/by-uuid, as in containers and '
        'minimal hosts): uuid and label are null']


def test_with_udev_data_uuid_and_label_come_from_it_without_warning(tmp_path):
    procfs = fixture_procfs('debian12-host', tmp_path)
    os.makedirs(os.path.join(procfs.root, 'run', 'udev', 'data'))
    with open(os.path.join(procfs.root, 'run', 'udev', 'data', 'b254:0'), 'w') as handle:
        handle.write('S:disk/by-uuid/0f1e\nE:ID_FS_UUID=0f1e2d3c-aaaa-bbbb-cccc-1234567890ab\nE:ID_FS_LABEL=root\n')
    facts = gather(options(gather_subset=['filesystems']), procfs=procfs)
    root = [m for m in facts['filesystems']['mounts'] if m['mount_point'] == '/'][0]
    assert (root['uuid'], root['label']) == ('0f1e2d3c-aaaa-bbbb-cccc-1234567890ab', 'root')
    assert not [w for w in facts['warnings'] if 'udev' in w]


def test_without_udev_data_uuid_and_label_come_from_the_superblock_as_blkid_reads_them(tmp_path):
    """The device node holds an ext4 superblock (a fixture tree stores the captured bytes as a file)."""
    procfs = fixture_procfs('debian12-host', tmp_path)
    image, blkid = superblock_fixtures.load('ext4')
    os.makedirs(os.path.join(procfs.root, 'dev'), exist_ok=True)
    with open(os.path.join(procfs.root, 'dev', 'vda'), 'wb') as handle:
        handle.write(image)
    facts = gather(options(gather_subset=['filesystems']), procfs=procfs)
    root = [m for m in facts['filesystems']['mounts'] if m['mount_point'] == '/'][0]
    assert (root['uuid'], root['label']) == (blkid['UUID'], blkid['LABEL']) == (
        '0f1e2d3c-aaaa-4bbb-8ccc-1234567890ab', 'caf\u00e9-root')
    assert not [w for w in facts['warnings'] if 'udev' in w]


def _mounts_of(tmp_path, lines, statvfs, **overrides):
    """The collector on the debian12-host tree with ``lines`` added to its mountinfo and their statvfs."""
    procfs = fixture_procfs('debian12-host', tmp_path)
    with open(os.path.join(procfs.root, 'proc', 'self', 'mountinfo'), 'a') as handle:
        handle.write(''.join(line + '\n' for line in lines))
    procfs.captured_statvfs.update(statvfs)
    facts = gather(options(gather_subset=['filesystems'], **overrides), procfs=procfs)
    return facts, dict((m['mount_point'], m) for m in facts['filesystems']['mounts']), procfs


def _statvfs(blocks, free, files=100, ffree=50):
    return [4096, 4096, blocks, free, free, files, ffree, ffree, 0, 255]


def test_fuse_network_and_memory_filesystems_are_listed_and_kernel_ones_never_probed(tmp_path):
    """bindfs mounts as plain fuse (it names a source, so libfuse adds no subtype); sshfs as fuse.sshfs."""
    lines = [
        '900 26 0:90 / /srv/bind rw,relatime - fuse /srv/data rw,user_id=0,group_id=0,allow_other',
        '901 26 0:91 / /mnt/ssh rw,relatime - fuse.sshfs me@host:/home rw,user_id=0,group_id=0',
        '902 26 0:92 / /mnt/nfs rw,relatime - nfs4 server:/export rw,vers=4.2',
        '903 26 0:93 / /mnt/ram rw,relatime - ramfs ramfs rw',
        '904 26 0:94 / /run/user/0 rw,relatime - tmpfs tmpfs rw,size=4k',
        '905 26 0:95 / /mnt/tracing rw,relatime - tracefs tracefs rw',
        '906 26 0:96 / /mnt/snap rw,relatime - squashfs /dev/loop9 ro',
    ]
    statvfs = {'/srv/bind': _statvfs(1000, 10), '/mnt/ssh': _statvfs(1000, 500), '/mnt/nfs': _statvfs(1000, 0),
               '/mnt/ram': _statvfs(0, 0, 0, 0), '/run/user/0': _statvfs(1, 0), '/mnt/snap': _statvfs(30, 0, 9, 0)}
    facts, mounts, procfs = _mounts_of(tmp_path, lines, statvfs)
    assert set(statvfs) - {'/mnt/ram'} <= set(mounts)
    assert '/mnt/ram' not in mounts  # 0 blocks: df leaves ramfs out, and so do we (after asking it)
    assert '/mnt/ram' in procfs.statvfs_calls and '/mnt/tracing' not in procfs.statvfs_calls
    alerts = dict((a['message'].split(' ')[2], a['severity']) for a in facts['alerts'] if a['subset'] == 'filesystems')
    assert alerts == {'/srv/bind': 'warning', '/mnt/nfs': 'critical', '/run/user/0': 'critical'}
    assert mounts['/mnt/snap']['use_pct'] == 100  # a read-only image is always full: never alerted on


@pytest.mark.parametrize('mount_options, super_options, alerted', [
    ('ro,relatime', 'ro', False),      # an ext4 image mounted read-only: its superblock is read-only
    ('rw,relatime', 'ro', False),      # a read-only superblock under a rw mount is read-only (findmnt says ro)
    ('ro,relatime', 'rw', True),       # a read-only bind of a writable filesystem: it fills through the others
    ('rw,relatime', 'rw', True),
])
def test_a_filesystem_read_only_in_itself_raises_no_usage_alert(tmp_path, mount_options, super_options, alerted):
    """Issue 25, class 1, beyond squashfs: what cannot be written cannot fill up (df and findmnt agree on 100 %)."""
    lines = ['920 26 7:3 / /srv/image %s - ext4 /dev/loop3 %s' % (mount_options, super_options)]
    facts, mounts, _procfs = _mounts_of(tmp_path, lines, {'/srv/image': _statvfs(1000, 0, 100, 0)})
    assert mounts['/srv/image']['use_pct'] == 100 and mounts['/srv/image']['readonly'] == (
        'ro' in (mount_options + ',' + super_options).split(','))
    assert bool([a for a in facts['alerts'] if '/srv/image' in a['message']]) == alerted


def test_two_exports_of_one_nfs_filesystem_are_both_kept_and_a_bind_of_one_folds(tmp_path):
    """df keeps remote mounts of one device when their sources differ (gnulib's ME_REMOTE)."""
    lines = [
        '910 26 0:80 /a /mnt/a rw - nfs4 server:/export/a rw',
        '911 26 0:80 /b /mnt/b rw - nfs4 server:/export/b rw',
        '912 26 0:80 /a /mnt/a-again rw - nfs4 server:/export/a rw',
        '913 26 0:81 / /mnt/t1 rw - tmpfs one rw',
        '914 26 0:81 / /mnt/t2 rw - tmpfs two rw',
    ]
    statvfs = dict((point, _statvfs(1000, 500)) for point in ('/mnt/a', '/mnt/b', '/mnt/a-again', '/mnt/t1', '/mnt/t2'))
    _facts, mounts, _procfs = _mounts_of(tmp_path, lines, statvfs)
    assert mounts['/mnt/a']['also_mounted_at'] == ['/mnt/a-again'] and mounts['/mnt/b']['also_mounted_at'] == []
    assert mounts['/mnt/t1']['also_mounted_at'] == ['/mnt/t2'] and '/mnt/t2' not in mounts


def test_the_docs_table_of_types_is_the_code_table():
    """docs/hostfacts.md, "Which filesystems are listed": one row per row of FSTYPE_TABLE, the same types."""
    with open(os.path.join(paths.CHECKOUT, 'docs', 'hostfacts.md')) as handle:
        text = handle.read()
    section = text[text.index('### Which filesystems are listed'):]
    table = section[section.index('\n| kind'):].split('\n\n', 1)[0]
    rows = table.strip().splitlines()[2:]
    documented = []
    for row in rows:
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        documented.append((cells[0].split(':')[0].strip('`'), cells[1],
                           tuple(name.strip('` ') for name in cells[2].split(','))))
    assert documented == [(row.kind, row.df, row.names) for row in FSTYPE_TABLE]


def test_a_source_without_a_node_is_found_by_its_device_number(tmp_path):
    """Cloud images mount / from /dev/root, a name with no node: /sys/dev/block/MAJ:MIN/uevent names the device."""
    procfs = fixture_procfs('debian12-host', tmp_path)
    path = os.path.join(procfs.root, 'proc', 'self', 'mountinfo')
    with open(path) as handle:
        text = handle.read()
    with open(path, 'w') as handle:
        handle.write(text.replace(' ext4 /dev/vda ', ' ext4 /dev/root '))
    image, blkid = superblock_fixtures.load('ext3')  # the tree's / is ext4; any ext superblock reads alike
    os.remove(os.path.join(procfs.root, 'sys', 'dev', 'block', '254:0'))  # the tree keeps links as files
    for name, content in ((('sys', 'dev', 'block', '254:0', 'uevent'), b'MAJOR=254\nMINOR=0\nDEVNAME=vdb\n'),
                          (('dev', 'vdb'), image)):
        os.makedirs(os.path.join(procfs.root, *name[:-1]), exist_ok=True)
        with open(os.path.join(procfs.root, *name), 'wb') as handle:
            handle.write(content)
    facts = gather(options(gather_subset=['filesystems']), procfs=procfs)
    root = [m for m in facts['filesystems']['mounts'] if m['mount_point'] == '/'][0]
    assert (root['device'], root['uuid'], root['label']) == ('/dev/root', blkid['UUID'], blkid['LABEL'])


def test_a_superblock_read_that_hangs_is_cut_at_the_deadline_and_named_in_the_warning(tmp_path, monkeypatch):
    """A dead disk blocks read() in the kernel: the read runs under the run's deadline like statvfs."""
    import threading
    import time
    from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers import superblock
    released = threading.Event()
    monkeypatch.setattr(superblock, 'read_identity', lambda *args: released.wait(30))
    procfs = fixture_procfs('debian12-host', tmp_path)
    started = time.monotonic()
    try:
        facts = gather(options(gather_subset=['filesystems'], timeout=0.3), procfs=procfs)
    finally:
        released.set()
    assert time.monotonic() - started < 2.0
    assert [m['uuid'] for m in facts['filesystems']['mounts'] if m['mount_point'] == '/'] == [None]
    assert [w for w in facts['warnings'] if 'udev' in w] == [
        'filesystems: udev data is unavailable (no /run/udev/data and no /dev/disk/by-uuid, as in containers and '
        'minimal hosts) and the superblock of / (/dev/vda: <lambda> did not return within the 0.3 s timeout) could '
        'not be read: uuid and label are null there']
