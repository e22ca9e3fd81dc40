# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The deadline helpers: whatever hangs, and however many times, the run costs its timeout once.

A hung NFS or FUSE mount cannot be built here without root (the integration tests build one:
tests/integration/module_utils/test_hung_and_hidden_mounts.py); a call that blocks on an event
stands in for it, as the kernel would block the thread.
"""

from __future__ import annotations

import errno
import os
import threading
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import deadline, diskusage
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS


@pytest.fixture
def release():
    """An event the blocked calls wait for; set at the end so no thread outlives the test for long."""
    event = threading.Event()
    yield event
    event.set()


def timed(function, *args):
    started = time.monotonic()
    result = function(*args)
    return result, time.monotonic() - started


def test_runner_answers_ok_error_and_timed_out_and_carries_on_after_a_hung_call(release):
    runner = deadline.DeadlineRunner(0.3)

    def hang():
        release.wait(30)

    assert runner.call(os.getpid) == deadline.CallResult('ok', os.getpid(), None)
    assert runner.call(os.stat, '/nonexistent/hostfacts') == deadline.CallResult(
        'error', None, 'No such file or directory')
    hung, seconds = timed(runner.call, hang)
    assert 0.2 < seconds < 1.0
    assert hung == deadline.CallResult('timed_out', None, 'hang did not return within the 0.3 s timeout')
    assert runner.abandoned == 1
    # The deadline has passed, but a call that answers at once still gets GRACE to do so.
    assert runner.call(os.getpid).status == 'ok'


def test_runner_raises_what_is_not_an_oserror():
    runner = deadline.DeadlineRunner(1.0)
    with pytest.raises(ValueError, match='embedded null'):
        runner.call(os.stat, 'a\0b')


def test_slow_calls_within_the_deadline_are_never_reported_timed_out():
    """The 0.7 s mount of the issue, scaled down: slow answers within the deadline are ok, every time."""
    def slow(value):
        time.sleep(0.05)
        return value

    runner = deadline.DeadlineRunner(5.0)
    results = runner.call_many([(('slow', 1), slow, (index,)) for index in range(20)])
    assert results == [deadline.CallResult('ok', index, None) for index in range(20)]
    assert runner.abandoned == 0


def test_many_slow_filesystems_all_answer_and_workers_end_when_idle():
    """Forty filesystems answering in 50 ms each: every call is ok, more than MAX_STUCK_WORKERS in all."""
    def slow(value):
        time.sleep(0.05)
        return value

    runner = deadline.DeadlineRunner(5.0)
    results, seconds = timed(runner.call_many, [((0, index), slow, (index,)) for index in range(40)])
    assert results == [deadline.CallResult('ok', index, None) for index in range(40)]
    assert seconds < 2.0 and runner.abandoned == 0  # not one after the other (2 s)


def test_calls_never_wait_behind_a_hung_one(release):
    answered_at = {}
    started = time.monotonic()

    def healthy(name):
        answered_at[name] = time.monotonic() - started
        return name

    calls = [((0, 1), healthy, ('a',)), ((0, 2), release.wait, (30,)), ((0, 3), healthy, ('b',)),
             ((0, 4), healthy, ('c',))]
    runner = deadline.DeadlineRunner(0.5)
    results, seconds = timed(runner.call_many, calls)
    assert [r.status for r in results] == ['ok', 'timed_out', 'ok', 'ok']
    assert answered_at['b'] < 0.2 and answered_at['c'] < 0.2  # a fresh worker took them after STALL
    assert 0.4 < seconds < 1.0
    assert runner.hung_keys == {(0, 2)}


def test_a_filesystem_that_hung_is_not_asked_again_and_the_run_costs_its_timeout_once(release):
    asked = []

    def hang(name):
        asked.append(name)
        release.wait(30)

    runner = deadline.DeadlineRunner(0.4)
    first, first_seconds = timed(runner.call_many, [((0, 9), hang, ('statvfs',))])
    second, second_seconds = timed(runner.call_many, [((0, 9), hang, ('stat of an open file',)),
                                                      ((0, 7), os.getpid, ())])
    assert first[0].status == 'timed_out' and first_seconds < 1.0
    assert second[0] == deadline.CallResult(
        'timed_out', None, 'hang was not called: its filesystem did not answer earlier in this run')
    assert second[1].status == 'ok'
    assert second_seconds < 0.3 and asked == ['statvfs']
    # Another filesystem hanging after the deadline costs GRACE, not a second timeout.
    third, third_seconds = timed(runner.call_many, [((0, 8), hang, ('another',))])
    assert third[0].status == 'timed_out' and third_seconds < deadline.GRACE + 0.2
    assert runner.abandoned == 2


def test_calls_on_a_stalled_filesystem_wait_for_it_and_go_on_when_it_answers():
    """A slow filesystem (not hung) answers its held-back calls after all: none is reported timed_out."""
    calls_in_flight = []
    most_at_once = []

    def slow(value):
        calls_in_flight.append(value)
        most_at_once.append(len(calls_in_flight))
        time.sleep(0.1)
        calls_in_flight.remove(value)
        return value

    runner = deadline.DeadlineRunner(5.0)
    results = runner.call_many([((0, 5), slow, (index,)) for index in range(4)] + [((0, 6), os.getpid, ())])
    assert [r.status for r in results] == ['ok'] * 5
    assert max(most_at_once) == 1  # the other calls on the slow filesystem were held back, not piled on it


def test_stuck_workers_are_capped_until_the_deadline_then_each_waiting_filesystem_is_asked_once(release):
    runner = deadline.DeadlineRunner(0.5)
    calls = [((0, index), release.wait, (30,)) for index in range(deadline.MAX_STUCK_WORKERS + 4)]
    results, seconds = timed(runner.call_many, calls)
    assert seconds < 0.5 + deadline.GRACE + 0.3
    assert runner.abandoned == len(calls)
    assert [r.status for r in results] == ['timed_out'] * len(calls)
    assert 'did not return' in results[-1].error


@pytest.mark.parametrize('hung', [deadline.MAX_STUCK_WORKERS, deadline.MAX_STUCK_WORKERS + 1, 3 * deadline.MAX_STUCK_WORKERS])
def test_a_healthy_filesystem_after_any_number_of_hung_ones_is_ok(release, hung):
    """Issue 25, class 4: 17 hung mounts before a healthy ext4 in the mount table took its figures away."""
    calls = [((0, index), release.wait, (30,)) for index in range(hung)]
    calls += [((1, 1), os.getpid, ()), ((0, 1), release.wait, (30,)), ((1, 2), os.getpid, ())]
    runner = deadline.DeadlineRunner(0.3)
    results, seconds = timed(runner.call_many, calls)
    assert [r.status for r in results[hung:]] == ['ok', 'timed_out', 'ok']
    assert seconds < 0.3 + deadline.GRACE + 0.3


def test_statvfs_of_mount_points_is_taken_below_the_reader_root(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(os, 'statvfs', lambda path: asked.append(path) or 'figures')
    results = ProcFS(str(tmp_path)).statvfs_mounts(['/', '/var/log'], 1.0)
    assert asked == [str(tmp_path) + '/', str(tmp_path / 'var' / 'log')]
    assert results == {'/': deadline.CallResult('ok', 'figures', None),
                       '/var/log': deadline.CallResult('ok', 'figures', None)}


def test_du_stops_at_the_deadline(tmp_path, monkeypatch, release):
    real_scandir = os.scandir

    def scandir(path):
        release.wait(30)
        return real_scandir(path)

    monkeypatch.setattr(diskusage.os, 'scandir', scandir)
    result, seconds = timed(ProcFS('/').disk_usage, str(tmp_path), 0.2)
    assert seconds < 2.0
    assert result.status == 'timed_out'


def test_du_walks_run_together_within_one_deadline(tmp_path, monkeypatch, release):
    real_scandir = os.scandir

    def scandir(path):
        if 'hung' in path:
            release.wait(30)
        return real_scandir(path)

    for name in ('hung-1', 'hung-2', 'fine'):
        (tmp_path / name).mkdir()
    (tmp_path / 'fine' / 'file').write_bytes(b'x' * 100)
    monkeypatch.setattr(diskusage.os, 'scandir', scandir)
    reader = ProcFS('/')
    walks = reader.start_disk_usage([str(tmp_path / 'hung-1'), str(tmp_path / 'hung-2'), str(tmp_path / 'fine')], 0.4)
    results, seconds = timed(reader.disk_usage_results, walks)
    assert seconds < 0.8  # not 0.4 per hung walk
    assert [r.status for r in results] == ['timed_out', 'timed_out', 'ok']
    assert results[2].apparent_bytes >= 100


def test_du_of_a_missing_path_is_an_error_and_unreadable_directories_are_counted(tmp_path, monkeypatch):
    missing = ProcFS('/').disk_usage(str(tmp_path / 'nope'), 1.0)
    assert (missing.status, missing.files, missing.errors) == ('error', 0, 1)
    assert missing.error == "cannot access '%s': No such file or directory" % (tmp_path / 'nope')
    (tmp_path / 'closed').mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if path.endswith('closed'):
            raise PermissionError(13, 'Permission denied')
        return real_scandir(path)

    monkeypatch.setattr(diskusage.os, 'scandir', scandir)
    reader = ProcFS('/')
    result = reader.disk_usage(str(tmp_path), 1.0)
    assert (result.status, result.denied, result.directories) == ('ok', 1, 2)
    assert reader.denied == {'du': 1}


class _FailingListing(object):
    """What os.scandir gives for a directory whose second block is corrupt: some entries, then an OSError."""

    def __init__(self, entries):
        self.entries = entries

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.entries.close()

    def __iter__(self):
        for index, entry in enumerate(self.entries):
            if index == 1:
                raise OSError(errno.EUCLEAN, 'Structure needs cleaning')
            yield entry


def test_a_directory_failing_mid_read_is_reported_and_the_rest_is_summed(tmp_path, monkeypatch):
    broken = tmp_path / 'broken'
    broken.mkdir()
    for name in ('a', 'b', 'c'):
        (broken / name).write_bytes(b'y' * 1000)
    (tmp_path / 'other').write_bytes(b'z' * 5000)
    real_scandir = os.scandir

    def scandir(path):
        listing = real_scandir(path)
        return _FailingListing(listing) if path.endswith('broken') else listing

    monkeypatch.setattr(diskusage.os, 'scandir', scandir)
    result = ProcFS('/').disk_usage(str(tmp_path), 5.0)
    assert result.status == 'error' and result.errors == 1
    assert result.error == "cannot read directory '%s': Structure needs cleaning" % broken
    # The top, broken and other, plus the one file of broken read before the failure.
    assert (result.directories, result.files) == (2, 2)
    assert result.apparent_bytes >= 6000
