# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostfacts orchestrator: subsets, option validation, the sampling schedule, unprivileged runs."""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._collector import HostfactsError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import gather, resolve_subsets

from support import paths
from support.hostfacts_fixtures import fixture_procfs, options

VALID = ['processes', 'memory', 'filesystems', 'namespaces', 'io']


@pytest.mark.parametrize('requested, expected', [
    (None, VALID),
    (['all'], VALID),
    (['min'], ['memory', 'filesystems']),
    (['!io'], ['processes', 'memory', 'filesystems', 'namespaces']),
    (['all', '!processes', '!namespaces'], ['memory', 'filesystems', 'io']),
    (['filesystems', 'processes'], ['processes', 'filesystems']),
    (['min', 'processes', '!filesystems'], ['processes', 'memory']),
])
def test_resolve_subsets_like_setup(requested, expected):
    assert resolve_subsets(requested, VALID) == expected


def test_unknown_subset_lists_the_valid_ones():
    with pytest.raises(HostfactsError) as error:
        resolve_subsets(['memory', 'bogus'], VALID)
    assert 'gather_subset' in str(error.value) and 'bogus' in str(error.value)
    assert 'processes, memory, filesystems' in str(error.value)


@pytest.mark.parametrize('overrides, option', [
    (dict(interval=-1.0), 'interval'),
    (dict(top=-3), 'top'),
    (dict(samples=-1), 'samples'),
    (dict(cmdline_length=-1), 'cmdline_length'),
    (dict(timeout=-2.0), 'timeout'),
    (dict(timeout=0.0), 'timeout'),
    (dict(du_paths=['var/log']), 'du_paths'),
    (dict(thresholds=dict(memory_available_pct=120.0)), 'thresholds.memory_available_pct'),
])
def test_bad_values_name_the_option(overrides, option, tmp_path):
    with pytest.raises(HostfactsError) as error:
        gather(options(**overrides), procfs=fixture_procfs('bookworm-container', tmp_path))
    assert str(error.value).startswith(option)


def test_sampling_schedule_with_a_fake_clock(tmp_path):
    """interval is split into samples sleeps; elapsed is measured, not assumed."""
    procfs = fixture_procfs('bookworm-container', tmp_path)
    clock = [50.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds * 2  # an overloaded host sleeps longer than asked

    facts = gather(options(interval=1.0, samples=4, process_list='top'), procfs=procfs, sleep=sleep,
                   monotonic=lambda: clock[0])
    assert sleeps == [0.25] * 4
    assert facts['gather_subset'] == ['processes', 'memory', 'filesystems']
    assert facts['interval'] == 1.0
    # The fixture's /proc/stat did not move: no breakdown can be computed, and none is faked.
    assert facts['processes']['cpu'] is None
    # Nothing changed in the fixture during the (fake) 2 s: every rate is 0, measured over 2 s.
    assert all(row['cpu_pct'] == 0.0 for row in facts['processes']['top_cpu'])


def test_interval_zero_takes_no_second_sample(tmp_path):
    procfs = fixture_procfs('bookworm-container', tmp_path)

    def sleep(seconds):
        raise AssertionError('no sleep expected with interval 0')

    facts = gather(options(interval=0.0), procfs=procfs, sleep=sleep)
    assert 'cpu' not in facts['processes']


def test_alerts_are_well_formed_and_sorted(tmp_path):
    opts = options(thresholds=dict(memory_available_pct=100.0, filesystem_use_pct=1.0, inode_use_pct=100.0))
    facts = gather(opts, procfs=fixture_procfs('bookworm-container', tmp_path))
    assert facts['alerts']
    for alert in facts['alerts']:
        assert set(alert) == {'severity', 'subset', 'message'}
        assert alert['severity'] in ('critical', 'warning', 'info')
    ranks = [{'critical': 0, 'warning': 1, 'info': 2}[a['severity']] for a in facts['alerts']]
    assert ranks == sorted(ranks)


UNPRIVILEGED = '''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts import gather
facts = gather(dict(gather_subset=['processes', 'memory', 'filesystems'], interval=0.0, top=5,
                    process_list='full', cmdline_length=64, du_paths=[sys.argv[2]], timeout=5.0, thresholds={}))
print(json.dumps(facts))
'''


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('setpriv'), reason='needs root and setpriv to drop to nobody')
def test_unprivileged_run_gives_partial_facts_and_one_warning(tmp_path):
    """As nobody, a root-only directory in du_paths cannot be read: facts still come, with one warning."""
    # pytest's tmp_path lives below a 0700 directory: nobody needs a world-readable one.
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix='hostfacts-nobody-'))
    root = tmp_path / 'collections'
    (root / 'ansible_collections' / 'hostops').mkdir(parents=True)
    checkout = paths.CHECKOUT
    shutil.copytree(os.path.join(checkout, 'plugins'), str(root / 'ansible_collections' / 'hostops' / 'fleet' / 'plugins'))
    private = tmp_path / 'private'
    (private / 'secret').mkdir(parents=True)
    os.chmod(str(private / 'secret'), 0o700)
    os.chmod(str(tmp_path), 0o755)
    for path, dirs, files in os.walk(str(root)):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)
    nobody = pwd.getpwnam('nobody')
    result = subprocess.run(
        ['setpriv', '--reuid=%d' % nobody.pw_uid, '--regid=%d' % nobody.pw_gid, '--clear-groups',
         sys.executable, '-c', UNPRIVILEGED, str(root), str(private)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, cwd='/', check=False)
    shutil.rmtree(str(tmp_path))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts['processes']['tasks']['total'] > 0
    assert facts['memory']['total'] > 0
    assert facts['filesystems']['du'][0]['unreadable_directories'] == 1
    denied = [w for w in facts['warnings'] if 'permission denied' in w]
    assert len(denied) == 1
    assert 'du x1' in denied[0] and 'become' in denied[0]
