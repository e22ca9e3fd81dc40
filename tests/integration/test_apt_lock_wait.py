# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/support/apt.sh against real apt-get: `apt_get update` waits while another process holds the lists lock.

apt-get runs with its state in a temporary directory (lists, cache, an empty source list), so it locks that
directory's lock file, which the test holds as apt does (fcntl), and touches nothing of the machine's apt.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time

import pytest

from support import paths

APT_SH = os.path.join(paths.CHECKOUT, 'tests', 'support', 'apt.sh')

pytestmark = pytest.mark.skipif(shutil.which('apt-get') is None, reason='needs apt-get (Debian)')


@pytest.fixture
def apt_state(tmp_path):
    for directory in ('lists/partial', 'cache/archives/partial', 'sources.list.d'):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / 'sources.list').write_text('')
    return tmp_path


def apt_update(state, wait):
    options = ['-o', 'Dir::State::Lists=%s/lists' % state, '-o', 'Dir::Cache=%s/cache' % state,
               '-o', 'Dir::Etc::SourceList=%s/sources.list' % state, '-o', 'Dir::Etc::SourceParts=%s/sources.list.d' % state]
    script = '. "$1"; shift; apt_get update -qq "$@"'
    return subprocess.Popen(['bash', '-c', script, 'apt', APT_SH] + options, env=dict(os.environ, APT_LOCK_WAIT=str(wait)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def hold_lock(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_update_waits_for_the_lists_lock_and_runs_once_it_is_free(apt_state):
    held = hold_lock(str(apt_state / 'lists' / 'lock'))
    try:
        update = apt_update(apt_state, 60)
        time.sleep(3)
        assert update.poll() is None, update.communicate()  # plain apt-get fails at once here
    finally:
        os.close(held)
    _out, errors = update.communicate(timeout=60)
    assert update.returncode == 0, errors
    assert 'Could not get lock' not in errors  # the waits are not shown, only a final error would be


def test_update_gives_up_after_the_wait_with_apt_gets_own_error(apt_state):
    held = hold_lock(str(apt_state / 'lists' / 'lock'))
    try:
        started = time.monotonic()
        update = apt_update(apt_state, 3)
        _out, errors = update.communicate(timeout=60)
        waited = time.monotonic() - started
    finally:
        os.close(held)
    # bash's SECONDS counts whole seconds: the wait ends between APT_LOCK_WAIT - 1 and APT_LOCK_WAIT (and a retry).
    assert update.returncode != 0 and 2 <= waited < 30
    assert errors.count('Could not get lock') == 1, errors
