# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostfacts on hard mount tables, each built for real in a private mount namespace, against the real tool.

A FUSE filesystem that never answers, one that answers statfs in 0.7 s, a mountinfo line that does
not fit in the kernel's first page, names that findmnt escapes, mounts hidden under later ones,
btrfs subvolumes, a lazily unmounted filesystem still written to, a directory with a corrupt block.
The scenarios are in tests/support/mount_scenarios.py; each prints what hostfacts and the tool saw.
"""

from __future__ import annotations

import os

import pytest

from support.fuse_stub import BLOCK, STATFS_BLOCKS, STATFS_FREE
from support.mountns import need, run_scenario

# The whole default run answers within interval + timeout + this: reading /proc itself on a host of a
# few hundred processes, the module's start and exit, and the grace a late call gets (docs/hostfacts.md).
RUN_CONSTANT = 2.0
TIMEOUT = 2.0
INTERVAL = 1.0  # the scenario's sampling interval (mount_scenarios.hung_fuse)


def unexpected(warnings):
    """The warnings but the one about udev, which is true on a host without udev (as this test machine)."""
    udev = [w for w in warnings if w.startswith('filesystems: udev data is unavailable')]
    assert not udev or not (os.path.isdir('/run/udev/data') or os.path.isdir('/dev/disk/by-uuid'))
    return [w for w in warnings if w not in udev]


@pytest.mark.parametrize('kind, fstype', [('stub', 'fuse.hfstub'), ('bindfs', 'fuse')])
def test_every_subset_answers_in_time_when_a_top_writer_holds_a_file_on_a_dead_fuse_mount(kind, fstype, tmp_path):
    """The FUSE daemon is the stub, or a real bindfs, whose mounts are of the plain fuse type (listed by default
    since df lists them)."""
    need('unshare', *(['bindfs'] if kind == 'bindfs' else []))
    seen = run_scenario('hung_fuse', tmp_path, TIMEOUT, kind)
    assert seen['seconds'] <= INTERVAL + TIMEOUT + RUN_CONSTANT, seen['seconds']
    facts = seen['result']['ansible_facts']['hostfacts']
    assert facts['gather_subset'] == ['system', 'processes', 'memory', 'filesystems', 'namespaces', 'io', 'containers']
    fuse = [m for m in facts['filesystems']['mounts'] if m['mount_point'] == seen['fuse']]
    assert [(m['fstype'], m['status']) for m in fuse] == [(fstype, 'timed_out')]
    assert [w for w in facts['warnings'] if seen['fuse'] in w and 'timed_out' in w]
    writers = dict((p['pid'], p) for p in facts['io']['top_writers'])
    assert seen['writer'] in writers, facts['io']['top_writers']
    files = dict((f['path'], f) for f in writers[seen['writer']]['open_files'])
    # ls -l /proc/PID/fd names both files; the one on the dead mount is there, without a size.
    on_fuse = seen['links'][str(seen['fds']['held'][0])]
    on_disk = seen['links'][str(seen['fds']['target'])]
    assert on_fuse == os.path.join(seen['fuse'], 'data')
    assert files[on_fuse]['size'] is None and files[on_fuse]['status'] == 'timed_out'
    assert files[on_fuse]['mount_point'] == seen['fuse'] and files[on_fuse]['device'] is None
    assert files[on_disk]['status'] == 'ok' and files[on_disk]['size'] == 1 << 18


def test_a_slow_mount_within_the_timeout_is_never_reported_timed_out(tmp_path):
    """statfs answering in 0.7 s with timeout=5, twenty runs: ok every time, with df's figures."""
    need('unshare', 'df')
    seen = run_scenario('slow_statfs', tmp_path, 20)
    size, used, available, inodes = (int(value) for value in seen['df'][:4])
    assert (size, available) == (STATFS_BLOCKS * BLOCK, STATFS_FREE * BLOCK)
    for run in seen['runs']:
        assert [(m['status'], m['size'], m['used'], m['available'], m['inodes_total']) for m in run['mount']] == [
            ('ok', size, used, available, inodes)]
        assert not unexpected(run['warnings'])
        assert 0.7 <= run['seconds'] < 5.0


def test_every_mount_comes_back_when_the_first_read_stops_short_of_a_long_line(tmp_path):
    need('unshare', 'findmnt')
    seen = run_scenario('mountinfo_past_a_page', tmp_path)
    assert seen['first_read'] < 2048  # the case is built: the kernel's first read stopped before the long line
    assert seen['ours'] == seen['findmnt']
    assert seen['deep'] in seen['ours'] and '/after-4' in seen['ours']


def test_odd_names_come_back_escaped_as_findmnt_shows_them_with_their_figures(tmp_path):
    need('unshare', 'findmnt', 'df')
    seen = run_scenario('odd_names', tmp_path)
    findmnt = dict(line.rsplit(' ', 1) for line in seen['findmnt'])
    ours = dict((m['mount_point'], m) for m in seen['mounts'])
    assert set(ours) == set(target.rstrip() for target in findmnt)
    for target, size in findmnt.items():
        mount = ours[target.rstrip()]
        assert (mount['status'], mount['size']) == ('ok', int(size)), target
    assert len(ours) == seen['df_lines'] == 9
    assert not unexpected(seen['warnings'])
    assert seen['top'] + '/not\\xffutf8' in ours and seen['top'] + '/line\\xe2\\x80\\xa8sep' in ours
    assert seen['top'] + '/back\\x5cxslash' in ours and seen['top'] + '/caf\u00e9' in ours


def test_a_mount_hidden_under_a_later_mount_is_marked_shadowed_as_df_leaves_it_out(tmp_path):
    need('unshare', 'df')
    seen = run_scenario('hidden_mounts', tmp_path)
    ours = dict((m['device'], m) for m in seen['mounts'])
    df = dict((row[0], row) for row in seen['df'])
    for hidden, cover in (('hidden-a', 'cover-b'), ('hidden-c', 'cover-d'), ('under-e', 'over-f')):
        assert hidden not in df
        assert ours[hidden]['status'] == 'shadowed' and 'size' not in ours[hidden]
        assert ours[hidden]['shadowed_by'] == ours[cover]['mount_point']
    for cover in ('cover-b', 'over-f'):
        assert (ours[cover]['size'], ours[cover]['used']) == (int(df[cover][1]), int(df[cover][2]))
    assert ours['cover-b']['size'] == 5 << 20 and ours['cover-b']['used'] == 0
    assert not [w for w in seen['warnings'] if str(tmp_path) in w]  # no bogus "No such file"


def test_btrfs_subvolumes_are_listed_as_df_lists_them(tmp_path):
    need('unshare', 'mkfs.btrfs', 'btrfs', 'df')
    seen = run_scenario('btrfs_subvolumes', tmp_path)
    ours = dict((m['mount_point'], m) for m in seen['mounts'])
    df = dict((row[2], row) for row in seen['df'] if row[0].startswith('/dev/loop'))
    assert set(ours) == set(df) == set(str(tmp_path / name) for name in ('top', 'first', 'second'))
    for target, (source, size, _target) in df.items():
        assert (ours[target]['device'], ours[target]['size']) == (source, int(size))
    assert ours[str(tmp_path / 'first')]['also_mounted_at'] == [str(tmp_path / 'bind')]


def test_a_file_open_on_a_lazily_unmounted_filesystem_is_attributed_by_its_device(tmp_path):
    need('unshare', 'mkfs.ext4', 'lsof')
    seen = run_scenario('lazy_unmount', tmp_path)
    target = seen['links'][str(seen['fds']['target'])]
    assert target == '/writer.bin'  # the path is stale: by prefix it would be on /
    lsof_device = [line[1:] for line in seen['lsof'].splitlines() if line.startswith('D')][0]
    assert int(lsof_device, 16) == os.makedev(*seen['stat_dev'])
    writers = dict((p['pid'], p) for p in seen['io']['top_writers'])
    files = dict((f['path'], f) for f in writers[seen['writer']]['open_files'])
    assert files[target]['device'] == files[target]['disk'] == seen['block_name']
    assert files[target]['mount_point'] is None  # detached: in no mount table
    disks = dict((d['name'], d) for d in seen['io']['disks'])
    assert disks[seen['block_name']]['w_s'] > 0


def test_du_sums_the_rest_of_a_tree_with_a_corrupt_directory_and_reports_it_as_du_does(tmp_path):
    need('unshare', 'mkfs.ext4', 'debugfs', 'du')
    seen = run_scenario('corrupt_directory', tmp_path)
    # du: "du: PATH: Bad message", exit status 1, and the sum of everything it could read.
    assert seen['du_rc'] == 1 and seen['du_stderr'].startswith('du: %s: ' % seen['dir']), seen['du_stderr']
    why = seen['du_stderr'].strip().rsplit(': ', 1)[1]
    du = seen['du']
    assert (du['status'], du['errors']) == ('error', 1)
    assert du['error'] == "cannot read directory '%s': %s" % (seen['dir'], why)
    assert (du['bytes'], du['apparent_bytes']) == (seen['du_bytes'], seen['du_apparent'])
    assert [w for w in seen['warnings'] if w.startswith('du_paths: ') and why in w]


def test_without_udev_data_uuid_and_label_are_read_from_the_superblock_as_blkid_reads_them(tmp_path):
    need('unshare', 'mkfs.ext4', 'blkid')
    seen = run_scenario('without_udev', tmp_path)
    assert len(seen['mounts']) == 2 and all(m['status'] == 'ok' for m in seen['mounts'])
    assert all(uuid for uuid in seen['blkid_uuids'])  # the filesystems have UUIDs, which blkid reads from the disk
    assert [m['uuid'] for m in seen['mounts']] == seen['blkid_uuids']
    assert not [w for w in seen['warnings'] if 'udev' in w and str(tmp_path) in w], seen['warnings']


def test_container_layers_are_left_out_and_shm_listed_as_df_lists_it_and_layers_shown_on_request(tmp_path):
    need('unshare', 'df')
    seen = run_scenario('container_layers', tmp_path)
    layer, shm = seen['layer'], str(tmp_path / 'containers' / 'f00d' / 'mounts' / 'shm')
    assert layer in seen['df'] and shm in seen['df']  # df lists both, as on a Docker host
    assert layer not in seen['default'] and shm in seen['default']
    assert layer in seen['all'] and shm in seen['all']
