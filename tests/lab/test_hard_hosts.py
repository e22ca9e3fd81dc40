# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 25's classes of defects, each built for real by the lab and compared with the real tool.

Each test is a shrunk lab finding turned into a regular test (docs/testing.md): the same blocks, the same
oracle and tolerance (compare.py), named after the behaviour. Root on Linux.
"""

from __future__ import annotations

import pytest

from lab import blocks, scenario
from support import mountns


@pytest.fixture(scope='module', autouse=True)
def lab_root():
    mountns.need('unshare', 'losetup', 'mkfs.ext4', 'mksquashfs', 'iostat', 'lsof', 'perl')
    scenario.reset_root()


def differences(checks, *placed, **kwargs):
    """The findings of those checks on a scenario of the given (block, parent) pairs, and the observation."""
    observation = scenario.run(scenario.Scenario(list(placed), **kwargs))
    return [f['message'] for f in observation['findings'] if f['check'] in checks], observation


def _facts(observation):
    return observation['hostfacts']['result']['ansible_facts']['hostfacts']


def test_a_snap_and_a_read_only_ext4_are_full_like_df_says_and_raise_no_alert():
    """Class 1: df and findmnt agree that a snap and a full ext4 mounted ro are 100 % used and read-only;
    that is no alert, while a full writable tmpfs still raises one."""
    found, observation = differences({'readonly_no_usage_alert', 'df_figures', 'mount_identity', 'mounts_listed'},
                                     (blocks.Squashfs(files=2), 0), (blocks.Tmpfs(fill='full'), 0),
                                     (blocks.LoopFs(fill='full', readonly=True), 0))
    assert found == []
    mounts = {m['mount_point']: m for m in _facts(observation)['filesystems']['mounts']}
    snap = [m for m in mounts.values() if m['fstype'] == 'squashfs']
    assert snap and snap[0]['use_pct'] == 100 and snap[0]['readonly'] is True
    # A writable filesystem that is full still raises its alert.
    assert any('critical' == a['severity'] and '/m/b1' in a['message'] for a in _facts(observation)['alerts'])


@pytest.mark.parametrize('hung', [17, 24])
def test_healthy_filesystems_mounted_after_many_hung_fuse_mounts_have_dfs_figures(hung):
    """Class 4: 17 or more hung mounts took the figures away from the healthy ones mounted after them."""
    found, _observation = differences({'healthy_not_timed_out', 'df_figures'},
                                      (blocks.Fuse(hung=True, copies=hung), 0), (blocks.Tmpfs(), 0),
                                      (blocks.LoopFs(fstype='ext4'), 0))
    assert found == []


def test_under_hidepid_without_become_the_task_count_is_ps_or_a_warning_says_it_is_partial():
    """Class 5: /proc with hidepid=2, run as nobody: tasks.total 1 and no warning."""
    found, _observation = differences({'tasks_total'}, (blocks.HidePid(), 0), (blocks.Threads(threads=3), 0),
                                      (blocks.Fuse(copies=6), 0), (blocks.Title(), 0))
    assert found == []


def test_run_inside_namespaces_the_lab_made_the_facts_do_not_call_them_the_hosts():
    """Class 8: as `nsenter` or `docker exec` starts it, inside a PID and mount namespace not the host's."""
    found, _observation = differences({'namespaces_inside'}, (blocks.Tmpfs(), 0))
    assert found == []


def test_a_child_reaped_inside_the_window_does_not_make_its_parent_a_writer():
    """Class 7: a child wrote 128 MiB before the window and is reaped inside it; iostat -x shows the disks idle."""
    found, _observation = differences({'write_rates'}, (blocks.ReapedChild(mib=128, delay=1.0), 0))
    assert found == []


@pytest.mark.parametrize('block', [blocks.Overlay(writer=True), blocks.Writer(how='raw')], ids=['overlay', 'raw'])
def test_a_writer_through_an_overlay_or_to_a_raw_device_names_the_disk_df_or_lsof_names(block):
    found, _observation = differences({'writer_disk'}, (block, 0))
    assert found == []
