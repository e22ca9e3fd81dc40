# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hidepid of the /proc a run reads (issue 25, class 5): mountinfo as kernels before and after 5.8 write it."""

from __future__ import annotations

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.namespaces import host_defaults
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import hidepid_warning
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.trees import write_file

ROOT_LINE = '21 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n'


def tree(tmp_path, *proc_options):
    lines = [ROOT_LINE] + ['%d 21 0:%d / /proc rw,nosuid,nodev,noexec,relatime shared:%d - proc proc %s\n'
                           % (30 + i, 5 + i, 12 + i, options) for i, options in enumerate(proc_options)]
    write_file(str(tmp_path), 'proc/self/mountinfo', ''.join(lines))
    return ProcFS(str(tmp_path))


@pytest.mark.parametrize('options, mode', [
    ('rw', None),
    ('rw,hidepid=0', None),
    ('rw,hidepid=off', None),
    ('rw,hidepid=1', 'noaccess'),
    ('rw,hidepid=noaccess', 'noaccess'),
    ('rw,hidepid=2', 'invisible'),
    ('rw,gid=4,hidepid=invisible', 'invisible'),
    ('rw,hidepid=ptraceable,subset=pid', 'ptraceable'),
])
def test_hidepid_is_read_from_the_proc_mount_options(tmp_path, options, mode):
    assert tree(tmp_path, options).hidepid() == mode


def test_the_last_proc_mounted_on_proc_is_the_one_in_effect(tmp_path):
    assert tree(tmp_path, 'rw', 'rw,hidepid=2').hidepid() == 'invisible'
    assert tree(tmp_path, 'rw,hidepid=2', 'rw').hidepid() is None


def test_under_hidepid_the_namespaces_fall_back_without_the_false_container_warning(tmp_path):
    """PID 1 and kthreadd are hidden, not absent: no warning that says there is no kernel thread."""
    procfs = tree(tmp_path, 'rw,hidepid=invisible')
    _defaults, source, warning = host_defaults(procfs, procfs.namespace_types())
    assert (source, warning) == ('self', None)


@pytest.mark.parametrize('mode, says', [('invisible', 'not even listed'), ('noaccess', 'listed but unreadable')])
def test_the_hidepid_warning_says_what_is_partial_and_what_helps(mode, says):
    text = hidepid_warning(mode)
    assert 'hidepid=' + mode in text and says in text and 'become: true' in text
