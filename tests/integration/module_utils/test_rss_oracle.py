# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rss_kb against `ps -o rss` on this live host, exactly, for processes whose memory does not move.

ps -o rss prints VmRSS of /proc/PID/status; hostfacts reads statm's resident field, the same exact sum of
the per-CPU counters (readers.pids.PidFiles.pid_rss_pages). /proc/PID/stat's rss, which hostfacts used
before, is the approximate read: on kernel 6.18 a `sleep` showed 1,644 kB there against ps's 1,752 kB.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS

from support.hostfacts_fixtures import options

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux') or not shutil.which('ps'),
                                reason='live oracles need Linux and procps')

# A process that takes and keeps 24, 16 and 8 MiB of anonymous memory, then sleeps: three sizes to rank.
HOLDER = 'import sys, time; block = bytearray(int(sys.argv[1]) * 2 ** 20); time.sleep(120)'


@pytest.fixture
def stable_processes():
    procs = [subprocess.Popen(['sleep', '120']) for _unused in range(5)]
    procs += [subprocess.Popen([sys.executable, '-c', HOLDER, str(mib)]) for mib in (24, 16, 8)]
    time.sleep(1.0)
    yield [proc.pid for proc in procs]
    for proc in procs:
        proc.kill()
        proc.wait()


def ps_rss(pids):
    output = subprocess.run(['ps', '-o', 'pid=,rss=', '-p', ','.join(map(str, pids))], stdout=subprocess.PIPE,
                            universal_newlines=True, check=True).stdout
    return dict((int(pid), int(rss)) for pid, rss in (line.split() for line in output.splitlines()))


def test_rss_kb_is_what_ps_shows(stable_processes):
    before = ps_rss(stable_processes)
    rows = dict((row['pid'], row) for row in gather(options(gather_subset=['processes']))['processes']['list'])
    after = ps_rss(stable_processes)
    stable = [pid for pid in stable_processes if before.get(pid) == after.get(pid)]
    assert len(stable) >= 6, 'too few processes kept their memory still: %s %s' % (before, after)
    for pid in stable:
        assert rows[pid]['rss_kb'] == after[pid], pid


class CountingProcFS(ProcFS):
    """The live reader, counting the statm reads."""

    statm_reads = 0

    def pid_rss_pages(self, pid):
        self.statm_reads += 1
        return super(CountingProcFS, self).pid_rss_pages(pid)


def test_memory_ranking_reads_the_exact_size_of_the_candidates_only(stable_processes):
    """process_list=top ranks by the exact size, as ps --sort=-rss would, without reading it for every process.

    Memory moves on a busy host between two readings: a process left out must be smaller than the last
    one ranked, give or take 8 MiB.
    """
    procfs = CountingProcFS('/')
    top = gather(options(gather_subset=['processes'], process_list='top', top=3), procfs=procfs)['processes']
    listed = gather(options(gather_subset=['processes']))['processes']['list']
    ranked = [row['rss_kb'] for row in top['top_memory']]
    assert len(ranked) == 3 and ranked == sorted(ranked, reverse=True)
    chosen = set(row['pid'] for row in top['top_memory'])
    assert all(row['rss_kb'] <= ranked[-1] + 8192 for row in listed if row['pid'] not in chosen)
    assert 3 <= procfs.statm_reads < len(listed) // 2
