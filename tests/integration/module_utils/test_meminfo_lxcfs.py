# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MemAvailable above MemTotal, as lxcfs shows it in a container, against the real free in the same place.

In a private mount namespace (unshare -m), a crafted meminfo is bind-mounted over /proc/meminfo; free -b
and the memory collector then read the same file in the same moment. The lxcfs case: the container's
MemTotal (2 GiB) beside the host's MemAvailable (6 GiB).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from support.paths import CHECKOUT

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('free'),
                                reason='needs root, unshare and procps')

LXCFS_MEMINFO = '''MemTotal:        2097152 kB
MemFree:          524288 kB
MemAvailable:    6291456 kB
Buffers:           10240 kB
Cached:           204800 kB
SwapCached:            0 kB
Shmem:              4096 kB
SReclaimable:      20480 kB
SwapTotal:        102400 kB
SwapFree:          51200 kB
'''
FREE_COLUMNS = ('total', 'used', 'free', 'shared', 'buff_cache', 'available')

GATHER = '''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.options import HostfactsOptions
facts = gather(HostfactsOptions.from_params({'gather_subset': ['memory'], 'interval': 0}))
print(json.dumps({'memory': facts['memory'], 'warnings': facts['warnings'], 'alerts': facts['alerts']}))
'''


def in_private_mount_namespace(meminfo_path, root):
    """free -b, then the collector, with meminfo_path over /proc/meminfo, in one private mount namespace."""
    script = ('mount --bind "$1" /proc/meminfo && free -b && echo ---- && "$2" -c "$3" "$4"')
    done = subprocess.run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', meminfo_path,
                           sys.executable, GATHER, root], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=True)
    free_text, gathered = done.stdout.split('----\n')
    lines = free_text.splitlines()
    return dict(zip(FREE_COLUMNS, (int(x) for x in lines[1].split()[1:]))), json.loads(gathered)


@pytest.fixture
def collection_root(tmp_path):
    root = tmp_path / 'collections'
    (root / 'ansible_collections' / 'hostops').mkdir(parents=True)
    os.symlink(CHECKOUT, str(root / 'ansible_collections' / 'hostops' / 'fleet'))
    return str(root)


def test_available_above_total_falls_back_to_memfree_as_free_does(tmp_path, collection_root):
    meminfo = tmp_path / 'meminfo'
    meminfo.write_text(LXCFS_MEMINFO)
    free, gathered = in_private_mount_namespace(str(meminfo), collection_root)
    memory = gathered['memory']
    assert free['available'] == 524288 * 1024  # free itself shows MemFree, not 6 GiB
    for column in FREE_COLUMNS:
        assert memory[column] == free[column], column
    assert memory['available_pct'] == 25.0 and memory['used'] == 1572864 * 1024
    assert [w for w in gathered['warnings'] if 'MemAvailable' in w and 'above MemTotal' in w and 'MemFree' in w]
    # The low-memory alert can fire again: 25 % is below a 30 % threshold (it never could at 300 %).
    assert memory['status'] == 'ok'


def test_the_host_s_own_meminfo_raises_no_warning(tmp_path, collection_root):
    """The same path with the real file copied: no fallback, no warning, the same columns as free."""
    meminfo = tmp_path / 'meminfo'
    with open('/proc/meminfo') as handle:
        meminfo.write_text(handle.read())
    free, gathered = in_private_mount_namespace(str(meminfo), collection_root)
    assert gathered['warnings'] == []
    for column in FREE_COLUMNS:
        assert gathered['memory'][column] == free[column], column
