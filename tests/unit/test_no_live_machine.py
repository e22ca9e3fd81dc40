# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guard of tests/unit/conftest.py: what reads the live machine's state is refused, the rest is not."""

from __future__ import annotations

import os
import pathlib

import pytest

from support.live_machine import LiveMachineRead, live_path

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hostfacts_fixtures import options


@pytest.mark.parametrize('read', [
    lambda: open('/proc/meminfo').read(),
    lambda: open(b'/proc/self/mountinfo', 'rb').read(),
    lambda: pathlib.Path('/sys/block').exists(),
    lambda: os.listdir('/dev/disk/by-uuid'),
    lambda: os.scandir('/proc'),
    lambda: os.readlink('/proc/self/exe'),
    lambda: os.statvfs('/proc/../proc/1'),
    lambda: os.open('/etc/mtab', os.O_RDONLY),
    lambda: os.stat('/run/udev/data'),
], ids=['open', 'bytes', 'pathlib', 'listdir', 'scandir', 'readlink', 'statvfs', 'os.open', 'udev'])
def test_reads_of_the_live_machine_are_refused(read, no_live_machine):
    with pytest.raises(LiveMachineRead):
        read()
    assert no_live_machine  # recorded: the test would fail at teardown even had the code caught the error
    no_live_machine.clear()


def test_gathering_without_a_fixture_tree_is_refused(no_live_machine):
    facts_or_error = None
    try:
        facts_or_error = gather(options(gather_subset=['memory'], interval=0.0), procfs=ProcFS('/'))
    except LiveMachineRead as error:
        facts_or_error = error
    # Whether the collector let the error through or turned it into a warning, the read was recorded.
    assert facts_or_error is not None and any("'/proc" in read for read in no_live_machine)
    no_live_machine.clear()


@pytest.mark.parametrize('path', ['/dev/null', 'proc/meminfo', '/tmp/x/proc/meminfo', '/procfs', '/system', 3])
def test_what_is_not_the_machine_state_passes(path):
    assert live_path(path) is None


def test_fixture_trees_pass(tmp_path):
    (tmp_path / 'proc').mkdir()
    (tmp_path / 'proc' / 'meminfo').write_text('MemTotal: 1 kB\n')
    assert open(str(tmp_path / 'proc' / 'meminfo')).read() == 'MemTotal: 1 kB\n'
