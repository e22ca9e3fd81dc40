# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixture trees of a Debian 12 host and a bookworm systemd container, captured by tests/fixtures/capture_proc.py
with the output of ps, free and df at the same moment (processes, memory and filesystems tests)."""

from __future__ import annotations

import json
import os
import posix
import shutil

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.deadline import CallResult
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS
from support.fixture_archives import extracted

FIXTURES = extracted('hostfacts')
TREES = ('debian12-host', 'bookworm-container')

# Overrides of the options table for these tests: the three subsets these trees were captured for,
# one sample, every process listed.
FIXTURE_OVERRIDES = dict(gather_subset=['processes', 'memory', 'filesystems'], interval=0.0, samples=1,
                         process_list='full')


def options(**overrides):
    """HostfactsOptions: the table's defaults, FIXTURE_OVERRIDES, then ``overrides``."""
    params = dict(FIXTURE_OVERRIDES)
    params.update(overrides)
    return HostfactsOptions.from_params(params)


def load_json(tree, name):
    with open(os.path.join(FIXTURES, tree, name)) as handle:
        return json.load(handle)


class FixtureProcFS(ProcFS):
    """ProcFS on a copied fixture tree, with the captured host's constants and statvfs results."""

    def __init__(self, root, tree):
        super(FixtureProcFS, self).__init__(root)
        tools = load_json(tree, 'tools.json')
        self.clock_ticks = tools['clock_ticks']
        self.page_size = tools['page_size']
        self.captured_statvfs = load_json(tree, 'statvfs.json')
        self.statvfs_calls = []

    def statvfs_mounts(self, mount_points, timeout, keys=None):
        """The statvfs results captured with the tree, as the deadline helper would return them."""
        results = {}
        for mount_point in mount_points:
            self.statvfs_calls.append(mount_point)
            values = self.captured_statvfs.get(mount_point)
            if values is None:
                results[mount_point] = CallResult('error', None, 'No such file or directory')
            else:
                results[mount_point] = CallResult('ok', posix.statvfs_result(values), None)
        return results


def copy_tree(tree, tmp_path):
    """A private copy of a fixture tree (tests delete and rewrite files in it)."""
    root = str(tmp_path / tree)
    shutil.copytree(os.path.join(FIXTURES, tree), root)
    return root


def fixture_procfs(tree, tmp_path):
    root = copy_tree(tree, tmp_path)
    return FixtureProcFS(root, tree)


def ps_rows(tree):
    """{pid: {ppid, user, stat, rss, vsz, tty, comm}} from the ps output captured with the tree."""
    tools = load_json(tree, 'tools.json')
    rows = {}
    for line in tools['ps'].splitlines():
        parts = line.split(None, 7)
        if len(parts) == 8:
            rows[int(parts[0])] = dict(ppid=int(parts[1]), user=parts[2], stat=parts[3], rss=int(parts[4]),
                                       vsz=int(parts[5]), tty=parts[6], comm=parts[7])
    args = {}
    for line in tools['ps_args'].splitlines():
        pid, _unused, text = line.strip().partition(' ')
        if pid.isdigit():
            args[int(pid)] = text.strip()
    return rows, args
