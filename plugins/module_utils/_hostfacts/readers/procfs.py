# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ProcFS: the one reader collectors are given, over a live host or a captured fixture tree. Private.

It joins the per-process files, the system-wide files, /sys and what names the host; what may hang on a
dead mount (statvfs of mount points, the du walk) goes through the deadline helpers,
with paths taken below the same root.
"""

from __future__ import annotations

import os

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import deadline
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.identity import IdentityFiles
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.pids import PidFiles
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.sysfs import SysFiles
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.system import SystemFiles


class ProcFS(PidFiles, SystemFiles, SysFiles, IdentityFiles):
    """Read and parse kernel and udev files below ``root`` (``/`` on a live host)."""

    def statvfs_mounts(self, mount_points, timeout):
        """{mount point: deadline.CallResult of statvfs}, each call bounded by ``timeout`` seconds."""
        results = deadline.statvfs_many([self.path(point.lstrip('/')) for point in mount_points], timeout)
        return dict((point, results[self.path(point.lstrip('/'))]) for point in mount_points)

    def disk_usage(self, path, timeout):
        """deadline.DuResult of ``du -s -x`` of ``path`` (below root); unreadable directories join the warning."""
        result = deadline.disk_usage(os.path.join(self.root, path.lstrip('/')), timeout)
        self.count_denied('du', result.denied)
        return result
