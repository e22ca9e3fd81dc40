# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests read fixture trees, never the machine they run on.

A unit test that reads the live /proc, /sys, /dev or mount table passes or fails with whatever else runs on
the machine (test_no_proc_uses_psutil crashed in psutil on another job's mount with a non-UTF-8 name). While
a unit test runs, every Python-level open, stat, listing or readlink of such a path raises LiveMachineRead,
and the test fails at teardown even when the code under test caught the error (the collectors turn read
errors into warnings). What has to read the live machine belongs in tests/integration.
"""

from __future__ import annotations

import pytest

from support.live_machine import guard


@pytest.fixture(autouse=True)
def no_live_machine(monkeypatch):
    reads = []
    guard(monkeypatch, reads)
    yield reads
    monkeypatch.undo()
    if reads:
        pytest.fail('the test read the live machine (move it to tests/integration or give it a fixture '
                    'tree): %s' % ', '.join(sorted(set(reads))), pytrace=False)
