# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostops.fleet.hostfacts_baseline on this machine, through real `ansible`, with a real hidden netns.

Two ways to hide a network namespace, both with no process inside and no name under /run/netns:
- ``ip netns add``, bind-mount /run/netns/NAME somewhere else, ``ip netns delete`` the name;
- ``unshare --net sleep``, a second process opens /proc/PID/ns/net and keeps the fd, the sleeper
  is killed.

This machine is shared with other work (Docker containers come and go): the "no drift twice"
check retries a few times and passes only when two consecutive runs see no drift at all.

min_namespace_age is tested with a namespace made by ``unshare --net`` for the test, compared
while it is younger than the threshold and again once it is older.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from support.adhoc import run_adhoc

MODULE = 'hostops.fleet.hostfacts_baseline'
SECTIONS = 'namespaces,mounts'

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which('ip') or not shutil.which('unshare'),
    reason='needs root, ip and unshare to create network namespaces')


def baseline(path, *extra):
    result, proc = run_adhoc(MODULE, 'path=%s sections=%s %s' % (path, SECTIONS, ' '.join(extra)))
    assert not result.get('failed'), proc.stdout + proc.stderr
    return result


def inodes(items):
    return [item['inode'] for item in items]


class BindMountedNetns(object):
    """ip netns add, bind mount elsewhere, remove the name: the namespace lives on, nameless."""

    def __init__(self, tmp_path):
        self.name = 'hostops-drift-%d' % os.getpid()
        self.pin = str(tmp_path / 'pin')
        self.mounted = False

    def create(self):
        subprocess.run(['ip', 'netns', 'add', self.name], check=True)
        try:
            open(self.pin, 'w').close()
            subprocess.run(['mount', '--bind', '/run/netns/' + self.name, self.pin], check=True)
            self.mounted = True
        finally:
            subprocess.run(['ip', 'netns', 'delete', self.name], check=True)
        assert self.name not in subprocess.run(['ip', 'netns', 'list'], stdout=subprocess.PIPE, check=True,
                                               universal_newlines=True).stdout
        return os.stat(self.pin).st_ino

    def remove(self):
        if self.mounted:
            subprocess.run(['umount', self.pin], check=True)
            self.mounted = False

    pinned_by = 'bind_mount'


class FdHeldNetns(object):
    """unshare --net sleep; another process keeps /proc/PID/ns/net open; the sleeper is killed."""

    def __init__(self, tmp_path):
        self.sleeper = None
        self.holder = None

    def create(self):
        self.sleeper = subprocess.Popen(['unshare', '--net', 'sleep', '600'])
        link = '/proc/%d/ns/net' % self.sleeper.pid
        deadline = time.time() + 10
        while os.readlink(link) == os.readlink('/proc/self/ns/net'):
            assert time.time() < deadline, 'unshare did not enter a new network namespace'
            time.sleep(0.05)
        inode = os.stat(link).st_ino
        self.holder = subprocess.Popen(
            [sys.executable, '-c', 'import os, sys, time\nfd = os.open(sys.argv[1], os.O_RDONLY)\n'
             'print(fd, flush=True)\ntime.sleep(600)', link], stdout=subprocess.PIPE, universal_newlines=True)
        assert self.holder.stdout.readline().strip().isdigit()
        self.sleeper.kill()
        self.sleeper.wait()
        return inode

    def remove(self):
        for proc in (self.sleeper, self.holder):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()

    pinned_by = 'fd'


@pytest.mark.parametrize('kind', [BindMountedNetns, FdHeldNetns], ids=['bind-mount', 'fd'])
def test_hidden_netns_is_drift_and_its_removal_too(tmp_path, kind):
    path = str(tmp_path / 'baseline.json')
    hidden = kind(tmp_path)
    try:
        recorded = baseline(path)
        assert recorded['baseline_action'] == 'recorded' and recorded['changed']

        inode = hidden.create()
        # Just made, so younger than the default min_namespace_age: age is tested on its own below.
        found = baseline(path, 'update=true min_namespace_age=0')
        new = [item for item in found['drift']['namespaces']['new'] if item['inode'] == inode]
        assert len(new) == 1, found['drift']['namespaces']
        assert new[0]['type'] == 'net' and new[0]['hidden'] and new[0]['processes'] == 0
        assert new[0]['pinned_by'][0].startswith(hidden.pinned_by + ' ')
        assert found['changed'] and found['baseline_action'] == 'updated'
        assert any(('net:[%d]' % inode) in sentence and 'no process and no name' in sentence
                   for sentence in found['findings'])
        assert inode in inodes(found['hidden_network_namespaces'])
        if kind is BindMountedNetns:
            assert hidden.pin in [m['mount_point'] for m in found['drift']['mounts']['new']]

        hidden.remove()
        gone = baseline(path)
        assert inode in inodes(gone['drift']['namespaces']['vanished'])
        assert inode not in inodes(gone['drift']['namespaces']['new'])
        assert inode not in inodes(gone['hidden_network_namespaces'])
        # Drift is reported, but comparing wrote nothing.
        assert gone['changed'] is False and gone['baseline_action'] == 'compared'
    finally:
        hidden.remove()


def test_unchanged_host_reports_no_drift_twice_in_a_row(tmp_path):
    path = str(tmp_path / 'baseline.json')
    attempts = []
    for attempt in range(4):
        baseline(path, 'update=true')
        runs = [baseline(path), baseline(path)]
        attempts.append([(run['drift_count'], run['findings']) for run in runs])
        if all(run['drift_count'] == 0 and not run['changed'] and run['findings'] == [] for run in runs):
            return
        time.sleep(2 * (attempt + 1))
    pytest.fail('every attempt saw drift (another job changing the host?): %r' % attempts)


def test_namespace_younger_than_min_namespace_age_is_not_drift_and_older_is(tmp_path):
    """A network namespace with a process in it (unshare --net sleep), compared at two ages."""
    path = str(tmp_path / 'baseline.json')
    threshold = 10
    baseline(path, 'min_namespace_age=%d' % threshold)
    sleeper = subprocess.Popen(['unshare', '--net', 'sleep', '600'])
    try:
        link = '/proc/%d/ns/net' % sleeper.pid
        deadline = time.time() + 10
        while os.readlink(link) == os.readlink('/proc/self/ns/net'):
            assert time.time() < deadline, 'unshare did not enter a new network namespace'
            time.sleep(0.05)
        inode = os.stat(link).st_ino
        created = time.time()
        young = baseline(path, 'min_namespace_age=%d' % threshold)
        assert time.time() - created < threshold - 1, 'the run took too long to see the namespace young'
        assert inode not in inodes(young['drift']['namespaces']['new'])
        assert [(item['type'], item['processes']) for item in young['young_namespaces'] if item['inode'] == inode] == [
            ('net', 1)]
        time.sleep(max(0.0, created + threshold + 1.5 - time.time()))
        older = baseline(path, 'min_namespace_age=%d' % threshold)
        new = [item for item in older['drift']['namespaces']['new'] if item['inode'] == inode]
        assert [(item['type'], item['processes'], item['hidden']) for item in new] == [('net', 1, False)]
        assert inode not in inodes(older['young_namespaces'])
        assert older['drift_count'] >= 1 and older['changed'] is False
    finally:
        sleeper.kill()
        sleeper.wait()


def test_check_mode_records_nothing_and_diff_shows_the_file(tmp_path):
    path = tmp_path / 'baseline.json'
    result, proc = run_adhoc(MODULE, 'path=%s sections=%s' % (path, SECTIONS), '--check', '--diff')
    assert result['changed'] and result['baseline_action'] == 'recorded', proc.stdout
    assert not path.exists()
    assert result['diff']['before'] == '' and 'namespaces: ' in result['diff']['after']


@pytest.mark.parametrize('content', ['{"format": 1, "sections": ["mounts"], "mounts": [{"key": 7}]}', '{not json'])
def test_a_corrupt_baseline_is_removed_the_way_the_error_says(tmp_path, content):
    """The module process itself: a clean failure naming state=absent, then state=absent removes the file."""
    from support.module_process import run_module

    path = tmp_path / 'baseline.json'
    path.write_text(content)
    failed = run_module('hostfacts_baseline', path=str(path), sections=['mounts']).result
    assert failed['failed'] and 'remove it (state=absent)' in failed['msg'] and str(path) in failed['msg']
    removed = run_module('hostfacts_baseline', path=str(path), state='absent').result
    assert removed['changed'] and removed['baseline_action'] == 'removed' and not path.exists()
