# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ProcFS: the one reader collectors are given, over a live host or a captured fixture tree. Private.

It joins the per-process files, the system-wide files, /sys and what names the host. What may hang on
a dead mount (statvfs of mount points, stat of the files a process holds open, the du walks)
goes through the run's one DeadlineRunner, with paths taken below the same root: every
such call of every collector shares the run's deadline (deadline.py; the du walks: diskusage.py).
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

    _runner = None

    def deadline_runner(self, timeout):
        """The run's DeadlineRunner: one per reader (a reader serves one gather), made at its first use."""
        if self._runner is None:
            self._runner = deadline.DeadlineRunner(timeout)
        return self._runner

    def statvfs_mounts(self, mount_points, timeout, keys=None):
        """{mount point: deadline.CallResult of statvfs} under the run's deadline.

        ``keys`` maps a mount point to its filesystem's device number: a filesystem that hung
        once is not asked again in this run.
        """
        keys = keys or {}
        calls = [(keys.get(point), os.statvfs, (self.path(point.lstrip('/')),)) for point in mount_points]
        results = self.deadline_runner(timeout).call_many(calls)
        return dict(zip(mount_points, results))

    def superblock_identities(self, filesystems, timeout):
        """[deadline.CallResult of a superblock.Identity (or None)] for [(key, fstype, source, major, minor)],
        read from the device under the run's deadline (a dead disk hangs the read).

        The device is the mount's source when it is a node below /dev, else the node /sys names for
        major:minor; on a live host it must be that block device (btrfs mounts carry an anonymous number:
        any block device named by the source). Fixture trees hold the captured bytes as regular files.
        """
        # Imported here: only hosts without udev data read superblocks.
        from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.superblock import read_identity
        calls = []
        for key, fstype, source, major, minor in filesystems:
            paths = [self.path(source.lstrip('/'))] if source.startswith('/dev/') else []
            name = self.block_device_name(major, minor) if major else None
            if name:
                paths.append(self.path('dev', name))
            calls.append((key, read_identity, (paths, fstype, os.makedev(major, minor) if major else None,
                                               self.live)))
        return self.deadline_runner(timeout).call_many(calls)

    def stat_open_files(self, descriptors, timeout):
        """{(pid, fd): deadline.CallResult of os.stat of /proc/PID/fd/N} for [(pid, fd, key)], under the run's
        deadline: the stat reaches the file's filesystem, which may hang. Live hosts only (fixture trees
        hold no real files): {} there."""
        if not self.live:
            return {}
        calls = [(key, os.stat, ('%s/%d/fd/%d' % (self.proc, pid, fd),)) for pid, fd, key in descriptors]
        results = self.deadline_runner(timeout).call_many(calls)
        return dict(((pid, fd), result) for (pid, fd, _key), result in zip(descriptors, results))

    def start_disk_usage(self, paths, timeout):
        """Start ``du -s -x`` of every path (below root) at once; disk_usage_results collects them."""
        # Imported here: a run without du_paths (the defaults) need not compile the walks.
        from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.diskusage import DiskUsageWalks
        walks = DiskUsageWalks(self.deadline_runner(timeout))
        return walks.start([self.path(path.lstrip('/')) for path in paths])

    def disk_usage_results(self, walks):
        """[diskusage.DuResult] of started walks, waiting until the run's deadline; denials join the warning."""
        results = walks.results()
        for result in results:
            self.count_denied('du', result.denied)
        return results

    def disk_usage(self, path, timeout):
        """diskusage.DuResult of one path."""
        return self.disk_usage_results(self.start_disk_usage([path], timeout))[0]

    def scan_until(self, timeout, grace):
        """(clock, until) for a scan bounded by the run's deadline (at least ``grace`` seconds from now)."""
        runner = self.deadline_runner(timeout)
        return runner.clock, runner.until(grace)
