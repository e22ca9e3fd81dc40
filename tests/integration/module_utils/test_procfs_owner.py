# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reader's pid_euid on this live host: one stat of /proc/PID, right even for non-dumpable processes.

The kernel makes the files of a non-dumpable process root's but leaves the world-readable
/proc/PID directory with the task's euid; pid_euid relies on that to skip /proc/PID/status
(the costliest file ps reads). These tests start real processes that drop root and stop being
dumpable, the way daemons and setuid programs do, and compare with ps and with status.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hostfacts_fixtures import options

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux') or os.geteuid() != 0,
                                reason='needs Linux and root (to start processes that drop to another uid)')

NOBODY = 65534
# Drop to nobody, optionally say PR_SET_DUMPABLE 0 (prctl option 4), report, then wait.
CHILD = r'''
import ctypes, os, sys, time
os.setgid(%(uid)d)
os.setuid(%(uid)d)
if sys.argv[1] == 'nondumpable':
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
sys.stdout.write('ready\n')
sys.stdout.flush()
time.sleep(60)
''' % {'uid': NOBODY}


@pytest.fixture(params=['nondumpable', 'dropped'])
def dropped_process(request):
    proc = subprocess.Popen([sys.executable, '-c', CHILD, request.param], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b'ready\n'
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def status_euid(pid):
    with open('/proc/%d/status' % pid) as handle:
        for line in handle:
            if line.startswith('Uid:'):
                return int(line.split()[2])
    raise AssertionError('no Uid: line')


def test_euid_of_a_process_that_dropped_root_and_is_not_dumpable(dropped_process):
    pid = dropped_process
    # The premise: the process's files say root, so reading their owner would be wrong.
    assert os.stat('/proc/%d/cmdline' % pid).st_uid == 0
    assert status_euid(pid) == NOBODY
    assert ProcFS('/').pid_euid(pid) == NOBODY


@pytest.mark.skipif(not shutil.which('ps'), reason='needs ps')
def test_full_listing_names_the_user_as_ps_does(dropped_process):
    pid = dropped_process
    facts = gather(options(gather_subset=['processes'], process_list='full'))['processes']
    rows = dict((row['pid'], row) for row in facts['list'])
    expected = subprocess.run(['ps', '-o', 'user=', '-p', str(pid)], stdout=subprocess.PIPE,
                              check=True).stdout.decode().strip()
    assert rows[pid]['uid'] == NOBODY
    assert rows[pid]['user'] == expected


def test_gone_process_has_no_euid():
    proc = subprocess.Popen(['true'])
    proc.wait()
    time.sleep(0.05)
    procfs = ProcFS('/')
    assert procfs.pid_euid(proc.pid) is None
