# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collectors on this live host against the real tools, run right after them.

Tolerances, because the host keeps moving between the two readings (other jobs start and stop):
- task count: within 5 processes or 3 %;
- memory: total exact, the other free columns within 2 % of total;
- filesystems: the same mount points as df (docker overlay and netns mounts may come and go in
  between), size and inode totals exact, used within 256 MiB, options equal to findmnt's;
- per process: ppid and user exact, rss within 5 % or 512 kB, vsz within 5 % or 4 MiB;
- psutil: the same memory total and, for processes both saw, the same ppid, user and start time (1 s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather

from support.hostfacts_fixtures import options

pytestmark = pytest.mark.skipif(not sys.platform.startswith('linux') or not shutil.which('ps'),
                                reason='live oracles need Linux and procps')
VOLATILE_PREFIXES = ('/var/lib/docker/', '/run/docker/', '/run/netns/')


def tool(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout


def live(**overrides):
    return gather(options(**overrides))


def test_task_count_matches_ps_e():
    facts = live(gather_subset=['processes'])['processes']
    count = len(tool('ps', '-e', '--no-headers', '-o', 'pid').split())
    assert abs(facts['tasks']['total'] - count) <= max(5, count * 3 // 100)
    assert facts['tasks']['total'] == sum(facts['tasks'][k] for k in ('running', 'sleeping', 'stopped', 'zombie'))


def test_memory_matches_free_b():
    facts = live(gather_subset=['memory'])['memory']
    lines = tool('free', '-b').splitlines()
    mem = dict(zip(('total', 'used', 'free', 'shared', 'buff_cache', 'available'),
                   (int(x) for x in lines[1].split()[1:])))
    swap = dict(zip(('swap_total', 'swap_used', 'swap_free'), (int(x) for x in lines[2].split()[1:])))
    assert facts['total'] == mem['total']
    for column, value in list(mem.items()) + list(swap.items()):
        assert abs(facts[column] - value) <= mem['total'] // 50, column


def _stable(mount_point):
    return not mount_point.startswith(VOLATILE_PREFIXES)


def _df_rows():
    df = {}
    for line in tool('df', '-B1', '--output=source,fstype,size,used,itotal,target').splitlines()[1:]:
        source, fstype, size, used, itotal, target = line.split(None, 5)
        df[target] = (source, fstype, int(size), int(used), int(itotal))
    return df


def test_filesystems_match_df_and_findmnt():
    """By default the mounts df lists but container layers (overlay, not /) and mounts on /proc and /sys
    (docs/hostfacts.md, "Which filesystems are listed"); with include_pseudo, all of df's."""
    facts = live(gather_subset=['filesystems'])['filesystems']
    everything = live(gather_subset=['filesystems'], include_pseudo=True)['filesystems']
    df = _df_rows()
    mounts = dict((m['mount_point'], m) for m in facts['mounts'] if m['status'] != 'shadowed')
    left_out = set(p for p, row in df.items() if (row[1] == 'overlay' and p != '/') or p.startswith(('/proc/', '/sys/')))
    assert set(p for p in mounts if _stable(p)) == set(p for p in df if _stable(p) and p not in left_out)
    assert set(p for p in df if _stable(p)) <= set(m['mount_point'] for m in everything['mounts'])
    findmnt = {}

    def walk(nodes):
        for node in nodes:
            findmnt[node['target']] = node['options']
            walk(node.get('children', []))

    walk(json.loads(tool('findmnt', '-J', '-o', 'TARGET,OPTIONS'))['filesystems'])
    for target, (source, fstype, size, used, itotal) in df.items():
        if target not in mounts:
            continue
        mount = mounts[target]
        assert (mount['device'], mount['fstype'], mount['size'], mount['inodes_total']) == (source, fstype, size, itotal)
        assert abs(mount['used'] - used) <= 256 * 2 ** 20
        assert mount['options'] == findmnt[target], target


def _ps_rows(pids):
    output = tool('ps', '-o', 'pid=,ppid=,euser=,rss=,vsz=', '-p', ','.join(str(pid) for pid in pids))
    return dict((int(line.split()[0]), line.split()[1:]) for line in output.splitlines())


def test_process_rows_match_ps():
    """ps runs before and after the collector: processes whose memory moved in between are not judged."""
    candidates = _ps_rows(int(p) for p in os.listdir('/proc') if p.isdigit())
    facts = live(gather_subset=['processes'], process_list='full')['processes']
    after = _ps_rows(candidates)
    rows = dict((row['pid'], row) for row in facts['list'])
    stable = [pid for pid, values in after.items() if candidates.get(pid) == values and pid in rows]
    assert len(stable) >= len(rows) // 2
    for pid in stable:
        ppid, user, rss, vsz = after[pid]
        row = rows[pid]
        assert row['ppid'] == int(ppid)
        assert row['user'].startswith(user.rstrip('+'))
        assert abs(row['rss_kb'] - int(rss)) <= max(512, int(rss) // 20), pid
        assert abs(row['vsz_kb'] - int(vsz)) <= max(4096, int(vsz) // 20), pid


def test_psutil_second_oracle():
    psutil = pytest.importorskip('psutil')
    facts = live(process_list='full')
    assert facts['memory']['total'] == psutil.virtual_memory().total
    assert abs(facts['memory']['available'] - psutil.virtual_memory().available) <= facts['memory']['total'] // 50
    ours = dict((row['pid'], row) for row in facts['processes']['list'])
    compared = 0
    for proc in psutil.process_iter(['pid', 'ppid', 'username', 'create_time']):
        row = ours.get(proc.info['pid'])
        if row is None or proc.info['username'] is None:
            continue
        compared += 1
        # Between the two listings a parent may exit and its child be re-parented (to PID 1 or a
        # subreaper): only then may the parents differ.
        assert row['ppid'] == proc.info['ppid'] or not psutil.pid_exists(row['ppid']), row
        assert row['user'] == proc.info['username']
        started = subprocess.run(check=False, args=['date', '-d', row['start_time'], '+%s'], stdout=subprocess.PIPE,
                                 universal_newlines=True).stdout.strip() if compared <= 5 else None
        if started:
            assert abs(int(started) - proc.info['create_time']) <= 1.5
    assert compared >= len(ours) // 2
    # psutil lists the process that asks; hostfacts leaves the reading process, its own run, out.
    assert os.getpid() in set(proc.pid for proc in psutil.process_iter()) and os.getpid() not in ours
