# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared helpers of the part 2 tests: the captured fixture trees and independent readers of them.

hybrid-a and hybrid-b were captured 1.5 s apart on a firecracker VM (kernel 6.18, cgroup v1
controllers plus an empty cgroup2 at /sys/fs/cgroup/unified) by tests/fixtures/part2/capture.py,
while a dd writer (oflag=direct,dsync), a dd reader (iflag=direct), an ``unshare --net --uts``
sleeper, a netns held only by a python fd, an ``ip netns add`` namespace and two Docker
containers were running; hybrid-pids.txt names their pids. Variants (v1, 14/18 fields, wrapped
counters, reused pid) are derived from these copies inside each test.
"""

from __future__ import annotations

import os
import shutil

from support.fixture_archives import extracted

FIXTURES = extracted('part2')
HYBRID_A = os.path.join(FIXTURES, 'hybrid-a')
HYBRID_B = os.path.join(FIXTURES, 'hybrid-b')


def capture_pids():
    with open(os.path.join(FIXTURES, 'hybrid-pids.txt')) as handle:
        return dict((key, int(value)) for key, _unused, value in (item.partition('=') for item in handle.read().split()))


def read(root, *parts):
    with open(os.path.join(root, *parts)) as handle:
        return handle.read()


def copy_tree(root, tmp_path, name):
    dest = str(tmp_path / name)
    shutil.copytree(root, dest, symlinks=True)
    return dest


def options(**overrides):
    base = {'samples': 1, 'top': 5, 'open_files': 3, 'cmdline_length': 256,
            'thresholds': {'iowait_pct': 20.0, 'disk_util_pct': 90.0}}
    base.update(overrides)
    return base
