# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The default filesystem list against df, and uuid/label against blkid, on mixes built in a private mount namespace.

Each mix is drawn from a seed (support.df_scenarios; Hypothesis is not installed in the venv, so the seeds
below name the cases and a failure names its seed). docs/hostfacts.md, "Which filesystems are listed",
states where the list follows df and where it differs; the differences are spelled out here again, by
hand, so that the test does not read them from the code it checks.
"""

from __future__ import annotations

import shutil

import pytest

from support.mountns import need, run_scenario
from support.superblock_fixtures import blkid_export

SEEDS = (1, 22, 4242)
HUNG_TIMEOUT = 1.0
# What a run adds to its timeout when mounts hang: the grace of late calls and reading /proc (docs/hostfacts.md).
RUN_CONSTANT = 2.0


@pytest.fixture(scope='module', params=SEEDS)
def mix(request, tmp_path_factory):
    """(seed, what df_mix saw): one mix per seed, read by every test of the mixes."""
    need('unshare', 'df', 'mkfs.ext4')
    base = tmp_path_factory.mktemp('df-mix-%d' % request.param)
    return request.param, run_scenario('df_mix', base, request.param, module='support.df_scenarios')


def ours_by_point(seen):
    return dict((m['mount_point'], m) for m in seen['mounts'] if m['status'] != 'shadowed')


def test_the_default_list_is_what_df_lists_but_container_layers_and_masks_on_sys(mix):
    seed, seen = mix
    built = seen['built']
    df = dict((row[-1], row) for row in seen['df'])
    ours = ours_by_point(seen)
    # The two differences: df lists an overlay layer and a tmpfs masking a /sys directory; we leave them out.
    assert built['layer'] in df and built['layer'] not in ours, seed
    if 'masked' in built:
        assert built['masked'] in df and built['masked'] not in ours, seed
    expected = set(df) - {built['layer'], built.get('masked')}
    assert set(ours) == expected, seed
    # tmpfs, FUSE (bindfs's plain fuse type among them) and the loop disk are in; ramfs (0 blocks) and kernel
    # interfaces are out of both.
    assert set(built['tmpfs'] + built['fuse'] + [built['full'], built['inodes_full'], built['ext4']]) <= set(ours)
    for left_out in built['kernel'] + [built['ramfs']]:
        assert left_out not in df and left_out not in ours, (seed, left_out)
    # The bind mount of a directory inside a filesystem folds into that filesystem, as df folds it.
    assert built['bind'] not in df and ours[built['bind_of']]['also_mounted_at'] == [built['bind']]
    for point, (source, fstype, size, used, avail, itotal, iused, _target) in df.items():
        if point in ours:
            mount = ours[point]
            assert (mount['device'], mount['fstype'], mount['status']) == (source, fstype, 'ok'), (seed, point)
            assert (mount['size'], mount['used'], mount['available'], mount['inodes_total'], mount['inodes_used']) == (
                int(size), int(used), int(avail), int(itotal), int(iused)), (seed, point)
    # include_pseudo lists what df lists and what it leaves out (a second cgroup2 mount folds into the first).
    assert set(df) | set(built['kernel']) | {built['ramfs']} <= set(seen['all'])


def test_a_full_tmpfs_and_a_tmpfs_out_of_inodes_raise_critical_alerts_by_default(mix):
    seed, seen = mix
    ours = ours_by_point(seen)
    full, inodes = seen['built']['full'], seen['built']['inodes_full']
    assert (ours[full]['use_pct'], ours[full]['available']) == (100, 0)
    assert ours[inodes]['inodes_free'] == 0
    critical = [a['message'] for a in seen['alerts'] if a['severity'] == 'critical' and a['subset'] == 'filesystems']
    assert [m for m in critical if m.startswith('space on %s (hffull) is 100 %%' % full)], critical
    assert [m for m in critical if m.startswith('inodes on %s (hfinodes) is 100 %%' % inodes)], critical


def test_hung_fuse_daemons_bindfs_among_them_come_back_timed_out_within_the_timeout(mix):
    seed, seen = mix
    hung = dict((m['mount_point'], m) for m in seen['hung'] if m['status'] != 'shadowed')
    fuse = seen['built']['fuse']
    # The stub as fuse.hfstub and as plain fuse, and bindfs (make integration installs it).
    assert len(fuse) == 2 + (shutil.which('bindfs') is not None)
    assert [hung[point]['status'] for point in fuse] == ['timed_out'] * len(fuse), seed
    assert all(m['status'] == 'ok' for point, m in hung.items() if point not in fuse), seed
    warning = [w for w in seen['hung_warnings'] if 'did not answer within the 1 s timeout' in w]
    assert len(warning) == 1 and all(point in warning[0] for point in fuse), seen['hung_warnings']
    assert seen['hung_seconds'] < HUNG_TIMEOUT + RUN_CONSTANT


@pytest.mark.parametrize('seed', SEEDS)
def test_without_udev_data_uuid_and_label_are_those_blkid_reads_on_loop_devices(seed, tmp_path):
    need('unshare', 'blkid', 'losetup', 'mkfs.ext4', 'mkfs.xfs', 'mkfs.btrfs', 'mkfs.vfat')
    seen = run_scenario('superblocks', tmp_path, seed, module='support.df_scenarios')
    ours = dict((m['mount_point'], m) for m in seen['mounts'])
    for fstype, made in seen['made'].items():
        blkid = blkid_export(made['blkid'])
        drawn = made['uuid'] if fstype != 'vfat' else '%s-%s' % (made['uuid'][:4], made['uuid'][4:8])
        assert (blkid['UUID'].lower(), blkid['LABEL']) == (drawn, made['label']), (seed, fstype)  # what mkfs wrote
        assert made['direct'] == [blkid['UUID'], blkid['LABEL']], (seed, fstype)
        if made['mounted']:
            assert (ours[made['point']]['uuid'], ours[made['point']]['label']) == (blkid['UUID'], blkid['LABEL']), (
                seed, fstype)
    assert seen['made']['ext4']['mounted'] and seen['made']['btrfs']['mounted']  # vfat needs a module this VM lacks
    # Nothing of ours is named as unread (the host's own disk may be: this VM refuses even root /dev/vda).
    assert not [w for w in seen['warnings'] if 'udev' in w and str(tmp_path) in w], seen['warnings']
