# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's seeded slice (make lab-slice, part of make test) and the proof that a killed scenario leaves
nothing behind. Root on Linux; builds mounts, loop devices and namespaces for real (docs/testing.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings

from lab import blocks, compare, scenario
from lab.strategies import scenarios
from support import mountns

pytestmark = pytest.mark.usefixtures('lab_root')


@pytest.fixture(scope='module')
def lab_root():
    mountns.need('unshare', 'losetup', 'mkfs.ext4', 'mkfs.btrfs', 'mkfs.xfs', 'mksquashfs', 'iostat', 'lsof', 'perl')
    scenario.reset_root()
    yield scenario.ROOT


# 10 scenarios of up to 4 blocks, well within the 5 minutes the slice may take (measured in docs/testing.md).
@settings(max_examples=10, deadline=None, derandomize=True, database=None, print_blob=False,
          suppress_health_check=list(HealthCheck))
@given(scenarios(max_blocks=4))
def test_generated_hosts_match_the_real_tools(case):
    found = [f for f in scenario.run(case)['findings'] if f['check'] not in compare.KNOWN_DEFECTS]
    assert not found, 'hostfacts differs from the real tools:\n%s\nreproduce with this script:\n%s' % (
        '\n'.join('%s: %s' % (f['check'], f['message']) for f in found), case.script())


def _lab_processes(run_dir):
    """Pids whose environment names this run's lab directory: the script, the blocks' processes, hostfacts."""
    marker = ('HOSTFACTS_LAB_DIR=%s' % os.path.join(run_dir, 'ns')).encode()
    pids = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/environ' % pid, 'rb') as handle:
                if marker in handle.read().split(b'\0'):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


def _host_mounts_under(directory):
    with open('/proc/self/mountinfo') as handle:
        return [line.split()[4] for line in handle if line.split()[4].startswith(directory)]


def test_a_scenario_killed_mid_run_leaves_no_loop_device_mount_directory_or_process():
    case = scenario.Scenario([(blocks.LoopFs(fstype='ext4'), 0), (blocks.Writer(how='raw'), 0),
                              (blocks.Fuse(hung=True, copies=2), 0), (blocks.Overlay(writer=True), 1),
                              (blocks.Threads(threads=8), 0), (blocks.ReapedChild(mib=64), 0)])
    process, run_dir = scenario.start(case)
    deadline = time.monotonic() + 120
    # Mid-run: the blocks are built (their loop devices exist) and hostfacts is running.
    while not any(b'plugins.modules.hostfacts' in open('/proc/%d/cmdline' % pid, 'rb').read()
                  for pid in _lab_processes(run_dir) if os.path.exists('/proc/%d' % pid)):
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, 'the scenario never reached hostfacts'
        time.sleep(0.05)
    assert len(scenario.loop_devices_under(run_dir)) >= 4
    assert _lab_processes(run_dir)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while (_lab_processes(run_dir) or scenario.loop_devices_under(run_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _lab_processes(run_dir) == []
    assert scenario.loop_devices_under(run_dir) == []
    assert _host_mounts_under(scenario.ROOT) == []
    scenario.reset_root()
    assert not os.path.exists(run_dir)
    assert subprocess.run(['findmnt', '-rn', '-o', 'TARGET'], stdout=subprocess.PIPE, universal_newlines=True,
                          check=True).stdout.count(scenario.ROOT) == 0
