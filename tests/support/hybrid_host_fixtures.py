# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The capture of a hybrid-cgroup host with namespaces and I/O load, and independent readers of it.

hybrid-a and hybrid-b were captured 1.5 s apart on a firecracker VM (kernel 6.18, cgroup v1
controllers plus an empty cgroup2 at /sys/fs/cgroup/unified) by tests/fixtures/capture_namespaces_io.py,
while a dd writer (oflag=direct,dsync), a dd reader (iflag=direct), an ``unshare --net --uts``
sleeper, a netns held only by a python fd, an ``ip netns add`` namespace and two Docker
containers were running; hybrid-pids.txt names their pids. Variants (v1, 14/18 fields, wrapped
counters, reused pid) are derived from these copies inside each test.
"""

from __future__ import annotations

import os
import shutil

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
from support.fixture_archives import extracted
from support.hostfacts_fixtures import FIXTURES as HOSTFACTS_FIXTURES

FIXTURES = extracted('hybrid-cgroup-host')
HYBRID_A = os.path.join(FIXTURES, 'hybrid-a')
HYBRID_B = os.path.join(FIXTURES, 'hybrid-b')
# The names the load had on the captured host (the dd files and the `ip netns add` namespace).
WRITER_FILE = '/var/tmp/p2fix-write.bin'
READER_FILE = '/var/tmp/p2fix-read.bin'
PINNED_NETNS = 'p2fix-pinned'


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


def linux_tree(source, tmp_path, name):
    """A copy of a capture with a meminfo (debian12-host's): without /proc/meminfo the reader takes a tree
    for a host without /proc, and the processes and memory subsets would ask psutil about this machine."""
    root = copy_tree(source, tmp_path, name)
    shutil.copy(os.path.join(HOSTFACTS_FIXTURES, 'debian12-host', 'proc', 'meminfo'), os.path.join(root, 'proc', 'meminfo'))
    return root


def options(**overrides):
    """HostfactsOptions for the collectors replayed on these trees: short lists, three files per process."""
    base = {'samples': 1, 'top': 5, 'open_files': 3}
    base.update(overrides)
    return HostfactsOptions.from_params(base)
