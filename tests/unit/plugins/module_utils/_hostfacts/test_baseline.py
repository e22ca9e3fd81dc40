# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Baseline and drift on the capture hybrid-a of the hybrid-cgroup host, changed the way a host changes.

hybrid-a holds a network namespace kept alive only by an open descriptor of a python
process (HOLDER in hybrid-pids.txt): no process in it and no name, the hidden kind. Removing
the holder's /proc entry from a copy of the tree is the host where it does not exist.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._errors import FleetError
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.baseline import (
    MAX_NAMESPACE_AGE, BaselineError, BaselineManager, SECTIONS, compare, findings, gather_options, render_lines,
    snapshot,
)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.gather import gather
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.system import _decode_net_address

from support.hybrid_host_fixtures import HYBRID_A, capture_pids, linux_tree, read

HOLDER = capture_pids()['HOLDER']
ALL = list(SECTIONS)

# /proc/net/tcp, tcp6 and udp lines in the kernel's format (a listener on 0.0.0.0:22, one on
# 127.0.0.1:631, an established connection, ::1 port 8080, a bound UDP socket on 0.0.0.0:53
# and a connected UDP socket, which is not a listener).
NET_FILES = {
    'tcp': [
        '   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0',
        '   1: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0',
        '   2: 0100007F:0016 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 20 4 30 10 -1',
    ],
    'tcp6': [
        '   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A '
        '00000000:00000000 00:00000000 00000000  1000        0 1004 1 0 100 0 0 10 0',
    ],
    'udp': [
        '  10: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1005 2 0 0',
        '  11: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1006 2 0 0',
    ],
}
NET_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'


def holder_netns_inode():
    target = read(HYBRID_A, 'proc', str(HOLDER), 'fd', '3').strip()
    assert target.startswith('net:[')
    return int(target[5:-1])


def make_tree(tmp_path, name, without_holder=False, extra_mount=None, net=True):
    """A copy of hybrid-a: with meminfo (so it is read as Linux), /proc/net tables, and the changes asked."""
    root = linux_tree(HYBRID_A, tmp_path, name)
    if net:
        os.makedirs(os.path.join(root, 'proc', 'net'))
        for proto, lines in NET_FILES.items():
            with open(os.path.join(root, 'proc', 'net', proto), 'w') as handle:
                handle.write('\n'.join([NET_HEADER] + lines) + '\n')
    if without_holder:
        shutil.rmtree(os.path.join(root, 'proc', str(HOLDER)))
    if extra_mount:
        with open(os.path.join(root, 'proc', 'self', 'mountinfo'), 'a') as handle:
            handle.write(extra_mount + '\n')
    return root


def latest_start(root):
    """A 'now' one second after the youngest process of the tree started (all are then >= 1 s old)."""
    facts_now = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    state = snapshot(ProcFS(root), ['processes'], 0, now=facts_now)[0]
    assert state['processes'] == []  # nothing is older than 0 s in the year 2000: ages are real
    state = snapshot(ProcFS(root), ['processes'], -1e12, now=facts_now)[0]
    starts = [datetime.datetime.strptime(r['start_time'], '%Y-%m-%dT%H:%M:%S%z') for r in state['processes']]
    return max(starts) + datetime.timedelta(seconds=1)


@pytest.fixture(scope='module')
def trees(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('baseline')
    return {
        'full': make_tree(tmp, 'full'),
        'no_holder': make_tree(tmp, 'no_holder', without_holder=True),
        'new_mount': make_tree(tmp, 'new_mount', extra_mount=(
            '999 29 0:4 net:[4026532999] /srv/.cache/ns rw shared:500 - nsfs nsfs rw')),
    }


def manager(tmp_path, root, now, **overrides):
    options = dict(path=str(tmp_path / 'state' / 'baseline.json'), state='present', update=False,
                   sections=ALL, min_process_age=0.0, min_namespace_age=0.0, timeout=5.0)
    options.update(overrides)
    check_mode = options.pop('check_mode', False)
    return BaselineManager(options, check_mode=check_mode, procfs=ProcFS(root), now=now)


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize('text, address', [
    ('0100007F', '127.0.0.1'),
    ('00000000', '0.0.0.0'),
    ('0101A8C0', '192.168.1.1'),
    ('00000000000000000000000001000000', '::1'),
    ('0000000000000000FFFF00000100007F', '::ffff:127.0.0.1'),
])
def test_proc_net_addresses_are_decoded_in_host_order(text, address):
    assert _decode_net_address(text) == address


def test_listening_sockets_from_proc_net(trees):
    state, unused_running, warnings, unused_young = snapshot(ProcFS(trees['full']), ['listening'], 0)
    keys = [record['key'] for record in state['listening']]
    assert keys == ['tcp 0.0.0.0:22', 'tcp 127.0.0.1:631', 'tcp6 [::1]:8080', 'udp 0.0.0.0:53']
    assert state['listening'][2]['uid'] == 1000
    assert not [w for w in warnings if w.startswith('listening')]


def test_missing_proc_net_leaves_listening_out_with_a_warning(tmp_path):
    root = make_tree(tmp_path, 'nonet', net=False)
    state, unused_running, warnings, unused_young = snapshot(ProcFS(root), ['listening', 'mounts'], 0)
    assert state['sections'] == ['mounts'] and 'listening' not in state
    assert any('/proc/net/tcp, tcp6, udp and udp6 are missing' in w for w in warnings)


# ---------------------------------------------------------------- snapshot


def test_snapshot_records_the_fd_held_netns_as_hidden_with_its_inode(trees):
    state = snapshot(ProcFS(trees['full']), ['namespaces'], 0)[0]
    by_key = dict((record['key'], record) for record in state['namespaces'])
    inode = holder_netns_inode()
    hidden = by_key['net:[%d]' % inode]
    assert hidden['hidden'] and hidden['inode'] == inode and hidden['processes'] == 0
    assert hidden['pinned_by'] == ['fd /proc/%d/fd/3' % HOLDER]
    # The `ip netns add` namespace has no process either, but it has a name: not hidden.
    named = [r for r in state['namespaces'] if r['named']]
    assert named and not any(r['hidden'] for r in named)
    assert all(r['type'] == 'net' for r in state['namespaces'] if r['hidden'])


def test_snapshot_mounts_are_every_mountinfo_entry(trees):
    state = snapshot(ProcFS(trees['full']), ['mounts'], 0)[0]
    lines = read(trees['full'], 'proc', 'self', 'mountinfo').splitlines()
    points = set(line.split(' ')[4] for line in lines)
    assert set(record['mount_point'] for record in state['mounts']) == points


def test_long_running_commands_leave_out_kernel_threads_and_zombies(trees):
    root = trees['full']
    now = latest_start(root)
    state, running = snapshot(ProcFS(root), ['processes'], 0, now=now)[:2]
    commands = [record['command'] for record in state['processes']]
    assert commands and not [c for c in commands if c.startswith('[')]
    assert set(record['key'] for record in state['processes']) <= running
    # With an age limit beyond the oldest process, none is long-running, but all still run.
    state_old, running_old = snapshot(ProcFS(root), ['processes'], 1e9, now=now)[:2]
    assert state_old['processes'] == [] and running_old == running


# ---------------------------------------------------------------- drift


def test_unchanged_host_reports_no_drift_twice(tmp_path, trees):
    now = latest_start(trees['full'])
    first = manager(tmp_path, trees['full'], now).run()
    assert first['baseline_action'] == 'recorded' and first['changed']
    for attempt in range(2):
        again = manager(tmp_path, trees['full'], now).run()
        assert again['baseline_action'] == 'compared'
        assert again['changed'] is False and again['drift_count'] == 0 and again['findings'] == []
        assert set(again['drift']) == set(SECTIONS)
        assert 'diff' not in again, 'attempt %d' % attempt


def test_new_hidden_netns_is_drift_with_its_inode(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['no_holder'], now).run()
    result = manager(tmp_path, trees['full'], now).run()
    inode = holder_netns_inode()
    new = result['drift']['namespaces']['new']
    assert [(r['type'], r['inode'], r['hidden']) for r in new] == [('net', inode, True)]
    assert result['drift_count'] >= 1
    assert result['findings'][0].startswith('new network namespace net:[%d] has no process and no name' % inode)
    # The holder's own command is a new long-running process too.
    assert [r['key'] for r in result['drift']['processes']['new']] == [
        r['key'] for r in result['drift']['processes']['new'] if 'python3' in r['key']]


def test_drift_alone_is_not_changed_and_shows_no_diff(tmp_path, trees):
    """Comparing writes nothing: changed and the diff are about the baseline file, the drift is in drift."""
    now = latest_start(trees['full'])
    path = tmp_path / 'state' / 'baseline.json'
    manager(tmp_path, trees['no_holder'], now).run()
    before = path.read_text()
    for attempt in range(2):
        result = manager(tmp_path, trees['full'], now).run()
        assert result['drift_count'] >= 1 and result['baseline_action'] == 'compared'
        assert result['changed'] is False and 'diff' not in result, 'attempt %d' % attempt
        assert path.read_text() == before


@pytest.mark.parametrize('check_mode', [False, True])
def test_accepting_drift_is_changed_and_the_diff_is_the_baseline_file_change(tmp_path, trees, check_mode):
    now = latest_start(trees['full'])
    path = tmp_path / 'state' / 'baseline.json'
    manager(tmp_path, trees['no_holder'], now).run()
    before = path.read_text()
    result = manager(tmp_path, trees['full'], now, update=True, check_mode=check_mode).run()
    assert result['changed'] and result['baseline_action'] == 'updated'
    inode = holder_netns_inode()
    added = set(result['diff']['after'].splitlines()) - set(result['diff']['before'].splitlines())
    assert any(line.startswith('namespaces: net:[%d]' % inode) for line in added)
    assert not set(result['diff']['before'].splitlines()) - set(result['diff']['after'].splitlines())
    if check_mode:
        assert path.read_text() == before
    else:
        # The diff's after side is the file now written.
        assert set(result['diff']['after'].splitlines()) == set(render_lines(json.loads(path.read_text())).splitlines())


def test_vanished_netns_is_reported(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['full'], now).run()
    result = manager(tmp_path, trees['no_holder'], now).run()
    inode = holder_netns_inode()
    vanished = result['drift']['namespaces']['vanished']
    assert [(r['type'], r['inode']) for r in vanished] == [('net', inode)]
    assert result['drift']['namespaces']['new'] == []
    assert any(f.startswith('vanished namespace: net:[%d]' % inode) for f in result['findings'])
    assert result['changed'] is False
    updated = manager(tmp_path, trees['no_holder'], now, update=True).run()
    removed = set(updated['diff']['before'].splitlines()) - set(updated['diff']['after'].splitlines())
    assert any(line.startswith('namespaces: net:[%d]' % inode) for line in removed)


def holder_start(root):
    """When the process holding the hidden namespace by a descriptor started, as the processes subset says."""
    rows = gather(gather_options(['processes']), procfs=ProcFS(root))['processes']['list']
    return next(datetime.datetime.strptime(row['start_time'], '%Y-%m-%dT%H:%M:%S%z') for row in rows if row['pid'] == HOLDER)


@pytest.mark.parametrize('age, threshold, is_drift', [
    (10, 30.0, False),
    (10, 11.0, False),
    (10, 10.0, True),
    (10, 5.0, True),
    (10, 0.0, True),
    (100000, MAX_NAMESPACE_AGE, True),
])
def test_a_namespace_younger_than_min_namespace_age_is_not_drift(tmp_path, trees, age, threshold, is_drift):
    """The fd-held netns, `age` seconds after its holder started, appears and then vanishes."""
    now = holder_start(trees['full']) + datetime.timedelta(seconds=age)
    inode = holder_netns_inode()
    manager(tmp_path, trees['no_holder'], now, min_namespace_age=threshold).run()
    appeared = manager(tmp_path, trees['full'], now, min_namespace_age=threshold, update=True).run()
    assert (inode in [r['inode'] for r in appeared['drift']['namespaces']['new']]) == is_drift
    young = [r for r in appeared['young_namespaces'] if r['inode'] == inode]
    assert bool(young) != is_drift and all(r['age'] == age for r in young)
    # Young or not, it is a hidden network namespace the host holds now.
    assert inode in [r['inode'] for r in appeared['hidden_network_namespaces']]
    # A young namespace is not recorded either, so its end is not drift.
    vanished = manager(tmp_path, trees['no_holder'], now, min_namespace_age=threshold).run()
    assert (inode in [r['inode'] for r in vanished['drift']['namespaces']['vanished']]) == is_drift


def test_a_namespace_pinned_only_by_a_bind_mount_has_no_age_and_is_always_drift(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['full'], now, min_namespace_age=MAX_NAMESPACE_AGE).run()
    result = manager(tmp_path, trees['new_mount'], now, min_namespace_age=MAX_NAMESPACE_AGE).run()
    assert [r['key'] for r in result['drift']['namespaces']['new']] == ['net:[4026532999]']
    assert 'net:[4026532999]' not in [r['key'] for r in result['young_namespaces']]


def test_new_mount_is_drift(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['full'], now, sections=['mounts']).run()
    result = manager(tmp_path, trees['new_mount'], now, sections=['mounts']).run()
    assert [r['key'] for r in result['drift']['mounts']['new']] == ['/srv/.cache/ns nsfs nsfs']
    assert list(result['drift']) == ['mounts'] and result['drift_count'] == 1


def test_restarted_daemon_is_not_a_vanished_process(tmp_path, trees):
    root = trees['full']
    now = latest_start(root)
    manager(tmp_path, root, now, sections=['processes']).run()
    # An hour earlier every process is younger than the limit: none is long-running, all still run.
    earlier = manager(tmp_path, root, now - datetime.timedelta(hours=1), sections=['processes'],
                      min_process_age=1800.0).run()
    assert earlier['drift']['processes'] == {'new': [], 'vanished': []}


def test_update_accepts_the_drift(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['no_holder'], now).run()
    updated = manager(tmp_path, trees['full'], now, update=True).run()
    assert updated['baseline_action'] == 'updated' and updated['changed'] and updated['drift_count'] >= 1
    after = manager(tmp_path, trees['full'], now).run()
    assert after['changed'] is False and after['drift_count'] == 0


def test_check_mode_writes_nothing(tmp_path, trees):
    now = latest_start(trees['full'])
    path = tmp_path / 'state' / 'baseline.json'
    result = manager(tmp_path, trees['full'], now, check_mode=True).run()
    assert result['baseline_action'] == 'recorded' and result['changed'] and not path.exists()
    manager(tmp_path, trees['no_holder'], now).run()
    before = path.read_text()
    checked = manager(tmp_path, trees['full'], now, update=True, check_mode=True).run()
    assert checked['baseline_action'] == 'updated' and checked['drift_count'] >= 1
    assert path.read_text() == before
    absent = manager(tmp_path, trees['full'], now, state='absent', check_mode=True).run()
    assert absent['baseline_action'] == 'removed' and absent['changed'] and path.read_text() == before


def test_state_absent_removes_once(tmp_path, trees):
    now = latest_start(trees['full'])
    path = tmp_path / 'state' / 'baseline.json'
    manager(tmp_path, trees['full'], now).run()
    assert path.exists() and oct(path.stat().st_mode & 0o777) == '0o600'
    removed = manager(tmp_path, trees['full'], now, state='absent').run()
    assert removed['baseline_action'] == 'removed' and removed['changed'] and not path.exists()
    assert removed['diff']['after'] == '' and removed['diff']['before']
    again = manager(tmp_path, trees['full'], now, state='absent').run()
    assert again['baseline_action'] == 'absent' and again['changed'] is False


def test_baseline_file_is_json_with_the_sections(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['full'], now).run()
    data = json.loads((tmp_path / 'state' / 'baseline.json').read_text())
    assert data['format'] == 1 and data['sections'] == ALL
    assert holder_netns_inode() in [r['inode'] for r in data['namespaces']]


def test_sections_missing_from_the_baseline_are_warned_about(tmp_path, trees):
    now = latest_start(trees['full'])
    manager(tmp_path, trees['full'], now, sections=['mounts']).run()
    result = manager(tmp_path, trees['full'], now).run()
    assert list(result['drift']) == ['mounts']
    assert any('are not in the baseline' in w and 'update=true' in w for w in result['warnings'])


def test_compare_and_findings_order_hidden_netns_first():
    base = {'sections': ['namespaces', 'mounts'], 'namespaces': [], 'mounts': []}
    current = {'sections': ['namespaces', 'mounts'],
               'mounts': [{'key': '/a ext4 /dev/x'}],
               'namespaces': [{'key': 'net:[7]', 'type': 'net', 'inode': 7, 'hidden': True, 'pinned_by': [],
                               'owner': 'unknown', 'processes': 0}]}
    drift = compare(base, current, set())
    sentences = findings(drift)
    assert sentences[0].startswith('new network namespace net:[7]')
    assert sentences[1] == 'new mount: /a ext4 /dev/x'


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize('overrides, message', [
    (dict(path='relative/baseline.json'), 'path must be an absolute path'),
    (dict(min_process_age=-1.0), 'min_process_age must be 0 or more'),
    (dict(min_process_age=float('nan')), 'min_process_age must be 0 or more'),
    (dict(min_process_age=float('inf')), 'min_process_age must be 0 or more'),
    (dict(min_namespace_age=-0.5), 'min_namespace_age must be a number of seconds from 0 to 86400, got -0.5'),
    (dict(min_namespace_age=MAX_NAMESPACE_AGE + 1), 'min_namespace_age must be a number of seconds from 0 to 86400'),
    (dict(min_namespace_age=float('nan')), 'min_namespace_age must be a number of seconds from 0 to 86400, got nan'),
    (dict(min_namespace_age=float('inf')), 'min_namespace_age must be a number of seconds from 0 to 86400, got inf'),
    (dict(sections=[]), 'sections must name at least one'),
    (dict(sections=['mounts', 'sockets']), 'sections: unknown section(s) sockets'),
    (dict(timeout=float('inf')), 'timeout must be a number more than 0 and at most 600 seconds, got inf'),
    (dict(timeout=0.0), 'timeout must be a number more than 0'),
])
def test_bad_options_fail_naming_the_option(tmp_path, trees, overrides, message):
    with pytest.raises(FleetError) as info:
        manager(tmp_path, trees['full'], None, **overrides)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize('content, message', [
    ('{not json', 'invalid JSON'),
    ('{"format": 99}', 'is not a hostfacts baseline of format 1'),
    ('[1, 2]', 'is not a hostfacts baseline of format 1'),
])
def test_foreign_or_corrupt_baseline_fails_clearly(tmp_path, trees, content, message):
    path = write_baseline(tmp_path, content)
    error = refused(tmp_path, trees)
    assert message in error and str(path) in error
    assert path.read_text() == content


def write_baseline(tmp_path, content):
    path = tmp_path / 'state' / 'baseline.json'
    path.parent.mkdir()
    path.write_text(content)
    return path


def refused(tmp_path, trees):
    """The message of the BaselineError a state=present run raises."""
    with pytest.raises(BaselineError) as info:
        manager(tmp_path, trees['full'], None).run()
    return str(info.value)


VALID = {'format': 1, 'sections': ['namespaces', 'processes', 'mounts', 'listening'], 'recorded_at': None,
         'namespaces': [{'key': 'net:[1]', 'owner': 'unknown', 'user': None, 'command': None, 'processes': 0,
                         'pinned_by': ['fd /proc/9/fd/3'], 'hidden': True}],
         'processes': [{'key': 'root: sleep 1', 'user': 'root', 'command': 'sleep 1'}],
         'mounts': [{'key': '/ ext4 /dev/vda1'}], 'listening': [{'key': 'tcp 0.0.0.0:22'}]}


def broken(path, value):
    """VALID with the value at ``path`` (a tuple of keys and indexes) replaced, as JSON text."""
    data = json.loads(json.dumps(VALID))
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(data)


@pytest.mark.parametrize('content, message', [
    (broken(('sections',), 'namespaces'), 'sections must be a list of namespaces, processes, mounts, listening'),
    (broken(('sections',), ['namespaces', 'ports']), 'sections must be a list of'),
    (broken(('namespaces',), {'key': 'x'}), 'namespaces is not a list'),
    (broken(('processes', 0), 'sleep'), 'processes[0] is not an object'),
    (broken(('mounts', 0, 'key'), 7), 'mounts[0].key is missing or not a string'),
    (broken(('namespaces', 0, 'processes'), '3'), 'namespaces[0].processes is not an integer'),
    (broken(('namespaces', 0, 'processes'), True), 'namespaces[0].processes is not an integer'),
    (broken(('namespaces', 0, 'pinned_by'), 'fd'), 'namespaces[0].pinned_by is not a list'),
    (broken(('namespaces', 0, 'pinned_by'), [{'kind': 'fd'}]), 'namespaces[0].pinned_by holds something else'),
    (broken(('namespaces', 0, 'hidden'), 'yes'), 'namespaces[0].hidden is not true or false'),
    (broken(('processes', 0, 'command'), ['sleep']), 'processes[0].command is not a string'),
    (broken(('recorded_at',), 5), 'recorded_at is not a string'),
])
def test_valid_json_with_broken_sections_fails_clearly(tmp_path, trees, content, message):
    """Each of these made compare, findings or the diff raise KeyError or TypeError before."""
    path = write_baseline(tmp_path, content)
    error = refused(tmp_path, trees)
    assert message in error and str(path) in error
    assert 'remove it (state=absent) and record a new one' in error


def test_the_well_formed_stand_in_is_accepted(tmp_path, trees):
    """VALID itself compares cleanly: the failures above come from the one broken field."""
    write_baseline(tmp_path, json.dumps(VALID))
    result = manager(tmp_path, trees['full'], None).run()
    assert result['baseline_action'] == 'compared'


@pytest.mark.parametrize('content', ['{not json', '[1, 2]', broken(('processes', 0), 'sleep')])
@pytest.mark.parametrize('check_mode', [False, True])
def test_state_absent_removes_a_corrupt_baseline_as_the_error_says(tmp_path, trees, content, check_mode):
    path = write_baseline(tmp_path, content)
    assert 'state=absent' in refused(tmp_path, trees)
    result = manager(tmp_path, trees['full'], None, state='absent', check_mode=check_mode).run()
    assert result['changed'] and result['baseline_action'] == 'removed'
    assert result['diff']['before'].startswith('(not a valid baseline: path: %s' % path)
    assert path.exists() == check_mode
