# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Captured /proc and /sys trees are stored as tar archives, extracted once per test run.

Kept as archives because their file names (``sys/dev/block/8:0``, ``run/udev/data/b8:0``)
are not portable file names in a collection, and thousands of tiny files would drown
the repository; the capture scripts write a directory, which is then archived with
``tar -C tests/fixtures -czf tests/fixtures/<name>.tar.gz <name>``.
"""

from __future__ import annotations

from support import paths

import atexit
import os
import shutil
import tarfile
import tempfile

FIXTURES = paths.FIXTURES

_EXTRACTED = {}


def extracted(name):
    """The directory ``<name>`` of fixtures/<name>.tar.gz, extracted into a private temp dir."""
    if name not in _EXTRACTED:
        target = tempfile.mkdtemp(prefix='hostops-fixture-%s-' % name)
        atexit.register(shutil.rmtree, target, True)
        # The 'tar' filter keeps modes and refuses paths outside target, where Python has filters.
        options = {'filter': 'tar'} if hasattr(tarfile, 'tar_filter') else {}
        with tarfile.open(os.path.join(FIXTURES, name + '.tar.gz')) as archive:
            archive.extractall(target, **options)
        _EXTRACTED[name] = os.path.join(target, name)
    return _EXTRACTED[name]
