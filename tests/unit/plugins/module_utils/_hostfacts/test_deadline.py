# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deadline helpers: a call that never returns costs its timeout, not the run.

A hung NFS or FUSE mount cannot be built here without root (that is an integration test);
a call that blocks on an event stands in for it, as the kernel would block the thread.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import deadline
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS


@pytest.fixture
def release():
    """An event the blocked calls wait for; set at the end so no thread outlives the test for long."""
    event = threading.Event()
    yield event
    event.set()


def test_runner_answers_ok_error_and_timed_out_and_carries_on_after_a_hung_call(release):
    runner = deadline.DeadlineRunner(0.2)

    def hang():
        release.wait(30)

    assert runner.call(os.getpid) == deadline.CallResult('ok', os.getpid(), None)
    assert runner.call(os.stat, '/nonexistent/hostfacts') == deadline.CallResult(
        'error', None, 'No such file or directory')
    started = time.monotonic()
    hung = runner.call(hang)
    assert time.monotonic() - started < 2.0
    assert hung.status == 'timed_out' and 'hang did not return within 0.2 s' == hung.error
    assert runner.abandoned == 1
    assert runner.call(os.getpid).status == 'ok'  # a fresh worker took over
    runner.close()


def test_runner_raises_what_is_not_an_oserror():
    runner = deadline.DeadlineRunner(1.0)
    with pytest.raises(ValueError, match='embedded null'):
        runner.call(os.stat, 'a\0b')
    runner.close()


def test_a_slow_call_within_the_deadline_is_never_reported_timed_out():
    """Each call gets its whole timeout: one answering in 50 ms with a 1 s deadline is ok, every time."""
    def slow(value):
        time.sleep(0.05)
        return value

    runner = deadline.DeadlineRunner(1.0)
    results = [runner.call(slow, index) for index in range(20)]
    runner.close()
    assert results == [deadline.CallResult('ok', index, None) for index in range(20)]


def test_hung_statvfs_times_out_and_the_others_still_answer(monkeypatch, release):
    real_statvfs = os.statvfs

    def statvfs(path):
        if path == '/hung':
            release.wait(30)
        return real_statvfs('/')

    monkeypatch.setattr(deadline.os, 'statvfs', statvfs)
    started = time.monotonic()
    results = deadline.statvfs_many(['/a', '/hung', '/b'], 0.3)
    assert time.monotonic() - started < 2.0
    assert results['/hung'].status == 'timed_out'
    assert results['/a'].status == results['/b'].status == 'ok'


def test_statvfs_of_mount_points_is_taken_below_the_reader_root(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(deadline.os, 'statvfs', lambda path: asked.append(path) or 'figures')
    results = ProcFS(str(tmp_path)).statvfs_mounts(['/', '/var/log'], 1.0)
    assert asked == [str(tmp_path) + '/', str(tmp_path / 'var' / 'log')]
    assert results == {'/': deadline.CallResult('ok', 'figures', None),
                       '/var/log': deadline.CallResult('ok', 'figures', None)}


def test_du_stops_at_the_deadline(tmp_path, monkeypatch, release):
    real_scandir = os.scandir

    def scandir(path):
        release.wait(30)
        return real_scandir(path)

    monkeypatch.setattr(deadline.os, 'scandir', scandir)
    started = time.monotonic()
    result = deadline.disk_usage(str(tmp_path), 0.2)
    assert time.monotonic() - started < 2.0
    assert result.status == 'timed_out'


def test_du_of_a_missing_path_is_an_error_and_unreadable_directories_are_counted(tmp_path, monkeypatch):
    assert deadline.disk_usage(str(tmp_path / 'nope'), 1.0).status == 'error'
    (tmp_path / 'closed').mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if path.endswith('closed'):
            raise PermissionError(13, 'Permission denied')
        return real_scandir(path)

    monkeypatch.setattr(deadline.os, 'scandir', scandir)
    reader = ProcFS('/')
    result = reader.disk_usage(str(tmp_path), 1.0)
    assert (result.status, result.denied, result.directories) == ('ok', 1, 2)
    assert reader.denied == {'du': 1}
