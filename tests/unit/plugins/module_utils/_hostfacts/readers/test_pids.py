# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-process readers share their answers within a sample, and read afresh outside one."""

from __future__ import annotations

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

STAT = b'7 (sleep) S 1 7 7 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 500 9000000 300 18446744073709551615\n'


def fixture_pid(root, cgroup):
    pid_dir = root / 'proc' / '7'
    pid_dir.mkdir(parents=True, exist_ok=True)
    (pid_dir / 'stat').write_bytes(STAT)
    (pid_dir / 'cgroup').write_text(cgroup)


def test_a_sample_answers_each_pid_once_and_a_new_sample_reads_again(tmp_path):
    fixture_pid(tmp_path, '0::/system.slice/a.scope\n')
    procfs = ProcFS(str(tmp_path))
    procfs.begin_sample()
    assert [entry.path for entry in procfs.pid_cgroups(7)] == ['/system.slice/a.scope']
    assert procfs.pid_stat(7).comm == 'sleep'
    (tmp_path / 'proc' / '7' / 'cgroup').write_text('0::/system.slice/b.scope\n')
    (tmp_path / 'proc' / '7' / 'stat').write_bytes(STAT.replace(b'(sleep)', b'(awake)'))
    assert [entry.path for entry in procfs.pid_cgroups(7)] == ['/system.slice/a.scope']  # the same instant
    assert procfs.pid_stat(7).comm == 'sleep'
    procfs.begin_sample()
    assert [entry.path for entry in procfs.pid_cgroups(7)] == ['/system.slice/b.scope']
    assert procfs.pid_stat(7).comm == 'awake'
    procfs.end_samples()
    (tmp_path / 'proc' / '7' / 'cgroup').write_text('0::/system.slice/c.scope\n')
    assert [entry.path for entry in procfs.pid_cgroups(7)] == ['/system.slice/c.scope']  # outside: every call
