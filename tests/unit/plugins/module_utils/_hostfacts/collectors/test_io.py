# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The io collector replayed over two samples captured 1.5 s apart on a real host (see support/hybrid_host_fixtures.py).

Expected figures are recomputed here from the raw fixture files with iostat's formulas.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.common.collector import Report
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.collectors.io import (
    IOCollector, _overlay_layer, clamped_delta, human_rate, iostat_rates)
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.procfs import ProcFS
from ansible_collections.hostops.fleet.plugins.module_utils._hostfacts.readers.system import DiskStat

from support.hybrid_host_fixtures import (
    HYBRID_A, HYBRID_B, READER_FILE, WRITER_FILE, capture_pids, copy_tree, options, read)


def replay(first, last, **overrides):
    """begin() on the first tree, the one tick on the second, finish() as after an interval."""
    report = Report()
    collector = IOCollector(ProcFS(first), options(**overrides), report)
    collector.begin()
    collector.procfs = ProcFS(last)
    collector.tick()
    return collector.finish(1.5), report, collector


def uptime(root):
    return float(read(root, 'proc', 'uptime').split()[0])


def pid_io(root, pid):
    return dict((k, int(v)) for k, _unused, v in (line.partition(': ') for line in read(root, 'proc', str(pid), 'io').splitlines()))


def disk_fields(root, name):
    for line in read(root, 'proc', 'diskstats').splitlines():
        parts = line.split()
        if parts[2] == name:
            return [int(x) for x in parts[3:]]
    raise AssertionError(name)


def rewrite_diskstats(root, transform):
    path = os.path.join(root, 'proc', 'diskstats')
    lines = [transform(line.split()) for line in read(path).splitlines()]
    with open(path, 'w') as handle:
        handle.write('\n'.join(' '.join(parts) for parts in lines) + '\n')


@pytest.fixture(scope='module')
def replayed():
    return replay(HYBRID_A, HYBRID_B, thresholds={'iowait_pct': 5.0, 'disk_util_pct': 10.0})


def test_writer_is_ranked_first_with_its_rate_and_file(replayed):
    facts = replayed[0]
    pids = capture_pids()
    seconds = uptime(HYBRID_B) - uptime(HYBRID_A)
    top = facts['top_writers'][0]
    assert (top['pid'], top['comm']) == (pids['W'], 'dd')
    before, after = pid_io(HYBRID_A, pids['W']), pid_io(HYBRID_B, pids['W'])
    expected = ((after['write_bytes'] - after['cancelled_write_bytes'])
                - (before['write_bytes'] - before['cancelled_write_bytes'])) / seconds
    assert top['write_bytes_s'] == pytest.approx(expected, rel=1e-3)
    assert top['open_files'][0]['path'] == WRITER_FILE
    assert top['open_files'][0]['mode'] == 'w'
    assert (top['open_files'][0]['mount_point'], top['open_files'][0]['disk']) == ('/', 'vda')


def test_reader_is_ranked_first_with_its_file(replayed):
    top = replayed[0]['top_readers'][0]
    assert (top['pid'], top['comm']) == (capture_pids()['R'], 'dd')
    assert top['open_files'][0]['path'] == READER_FILE
    assert top['open_files'][0]['mode'] == 'r'


def test_disk_rates_follow_iostat_formulas(replayed):
    facts = replayed[0]
    seconds = uptime(HYBRID_B) - uptime(HYBRID_A)
    a, b = disk_fields(HYBRID_A, 'vda'), disk_fields(HYBRID_B, 'vda')
    vda = [d for d in facts['disks'] if d['name'] == 'vda'][0]
    assert vda['w_s'] == pytest.approx((b[4] - a[4]) / seconds, abs=0.01)
    assert vda['wkb_s'] == pytest.approx((b[6] - a[6]) * 512 / 1024.0 / seconds, abs=0.01)
    assert vda['w_await'] == pytest.approx((b[7] - a[7]) / float(b[4] - a[4]), abs=0.01)
    assert vda['util_pct'] == pytest.approx(min(100.0, (b[9] - a[9]) / seconds / 10.0), abs=0.01)
    assert vda['aqu_sz'] == pytest.approx((b[10] - a[10]) / seconds / 1000.0, abs=0.01)
    assert vda['kind'] == 'disk' and '/' in vda['mounts']
    assert not [d for d in facts['disks'] if d['name'].startswith('loop')]  # never used


def test_iowait_is_the_share_of_cpu_ticks_over_the_interval(replayed):
    def cpu(root):
        return [int(x) for x in read(root, 'proc', 'stat').splitlines()[0].split()[1:9]]
    a, b = cpu(HYBRID_A), cpu(HYBRID_B)
    assert replayed[0]['iowait_pct'] == pytest.approx(100.0 * (b[4] - a[4]) / (sum(b) - sum(a)), abs=0.01)


def test_findings_and_alerts_name_the_disk_the_writer_and_its_file(replayed):
    facts, report, _unused = replayed
    pids = capture_pids()
    assert facts['findings'][0].startswith('vda ')
    assert 'pid %d (dd) writes' % pids['W'] in facts['findings'][0]
    assert 'to %s on / (vda)' % WRITER_FILE in facts['findings'][0]
    assert [a for a in report.alerts if a['subset'] == 'io' and 'vda' in a['message']]
    assert [a for a in report.alerts if a['subset'] == 'io' and 'iowait' in a['message']]


def test_no_findings_or_alerts_below_the_thresholds():
    facts, report, _unused = replay(HYBRID_A, HYBRID_B, thresholds={'iowait_pct': 100.0, 'disk_util_pct': 100.0})
    assert facts['findings'] == [] and report.alerts == []


def test_processes_that_exited_during_the_interval_are_counted_not_ranked(replayed):
    facts = replayed[0]

    def pids(root):
        return set(int(n) for n in os.listdir(os.path.join(root, 'proc')) if n.isdigit())
    gone = pids(HYBRID_A) - pids(HYBRID_B)
    assert gone  # real processes ended between the two captures
    assert facts['exited_during_interval'] >= len(gone)
    assert not gone & set(p['pid'] for p in facts['top_writers'] + facts['top_readers'])


def test_a_reused_pid_counts_all_its_io_as_new(tmp_path):
    last = copy_tree(HYBRID_B, tmp_path, 'reused')
    pid = capture_pids()['W']
    stat_path = os.path.join(last, 'proc', str(pid), 'stat')
    text = read(stat_path)
    close = text.rindex(')')
    fields = text[close + 2:].split(' ')
    fields[19] = str(int(fields[19]) + 100)  # a later start time: another process got the pid
    with open(stat_path, 'w') as handle:
        handle.write(text[:close + 2] + ' '.join(fields))
    facts = replay(HYBRID_A, last)[0]
    seconds = uptime(HYBRID_B) - uptime(HYBRID_A)
    after = pid_io(last, pid)
    top = facts['top_writers'][0]
    assert top['pid'] == pid
    assert top['write_bytes_s'] == pytest.approx((after['write_bytes'] - after['cancelled_write_bytes']) / seconds,
                                                 rel=1e-3)


def _add_io(root, pid, write_bytes):
    path = os.path.join(root, 'proc', str(pid), 'io')
    values = pid_io(root, pid)
    values['write_bytes'] += write_bytes
    with open(path, 'w') as handle:
        handle.write(''.join('%s: %d\n' % item for item in values.items()))


def test_a_child_reaped_during_the_interval_adds_no_rate_for_what_it_wrote_before(tmp_path):
    """Issue 25, class 7: a child wrote 128 MiB before the window and was reaped inside it; the kernel adds its
    lifetime I/O to the parent's counters, which made the parent the top writer at 128 MiB/s. What the child
    did inside the window stays with the parent."""
    parent = capture_pids()['W']
    child = 4999999
    first = copy_tree(HYBRID_A, tmp_path, 'first')
    last = copy_tree(HYBRID_B, tmp_path, 'last')
    before = replay(first, last)[0]
    stat_text = read(first, 'proc', str(parent), 'stat')
    close = stat_text.rindex(')')
    fields = stat_text[close + 2:].split(' ')
    fields[1] = str(parent)
    os.makedirs(os.path.join(first, 'proc', str(child)))
    with open(os.path.join(first, 'proc', str(child), 'stat'), 'w') as handle:
        handle.write('%d (writer-child) %s' % (child, ' '.join(fields)))
    with open(os.path.join(first, 'proc', str(child), 'io'), 'w') as handle:
        handle.write(read(first, 'proc', str(parent), 'io'))
    _add_io(first, child, 128 << 20)
    in_window = 3 << 20
    _add_io(last, parent, pid_io(first, child)['write_bytes'] - pid_io(first, child)['cancelled_write_bytes'] + in_window)
    after = replay(first, last)[0]
    rate = dict((w['pid'], w['write_bytes_s']) for w in before['top_writers'])[parent]
    seconds = uptime(HYBRID_B) - uptime(HYBRID_A)
    assert dict((w['pid'], w['write_bytes_s']) for w in after['top_writers'])[parent] == pytest.approx(
        rate + in_window / seconds, rel=1e-3)
    assert child not in [w['pid'] for w in after['top_writers']]


@pytest.mark.parametrize('fields', [14, 18])
def test_older_diskstats_layouts_give_the_same_rates(tmp_path, replayed, fields):
    first = copy_tree(HYBRID_A, tmp_path, 'a%d' % fields)
    last = copy_tree(HYBRID_B, tmp_path, 'b%d' % fields)
    for root in (first, last):
        rewrite_diskstats(root, lambda parts: parts[:fields])
    facts = replay(first, last)[0]
    vda = [d for d in facts['disks'] if d['name'] == 'vda'][0]
    full = [d for d in replayed[0]['disks'] if d['name'] == 'vda'][0]
    for key in ('r_s', 'w_s', 'rkb_s', 'wkb_s', 'r_await', 'w_await', 'aqu_sz', 'util_pct'):
        assert vda[key] == full[key]
    assert vda['f_s'] == 0.0
    if fields == 14:
        assert vda['d_s'] == 0.0


def test_wrapped_or_reset_counters_give_zero_not_negative_rates(tmp_path):
    last = copy_tree(HYBRID_B, tmp_path, 'wrapped')
    rewrite_diskstats(last, lambda parts: parts[:3] + ['0'] * (len(parts) - 3))
    facts = replay(HYBRID_A, last)[0]
    vda = [d for d in facts['disks'] if d['name'] == 'vda'][0]
    assert all(vda[key] == 0.0 for key in ('r_s', 'w_s', 'rkb_s', 'wkb_s', 'util_pct', 'aqu_sz'))


def test_processes_in_state_d_are_counted_per_sample(tmp_path):
    last = copy_tree(HYBRID_B, tmp_path, 'dstate')
    pid = capture_pids()['W']
    stat_path = os.path.join(last, 'proc', str(pid), 'stat')
    text = read(stat_path)
    close = text.rindex(')')
    with open(stat_path, 'w') as handle:
        handle.write(text[:close + 2] + 'D' + text[close + 3:])
    facts = replay(HYBRID_A, last)[0]
    rows = [row for row in facts['d_state'] if row['pid'] == pid]
    assert rows and (rows[0]['samples_in_d'], rows[0]['of_samples']) == (1, 1)
    assert rows[0]['command'] == '[dd]'  # the second capture holds no cmdline: comm is shown, as ps does


def test_unreadable_io_files_leave_the_process_out_and_are_counted(tmp_path):
    last = copy_tree(HYBRID_B, tmp_path, 'denied')
    pid = capture_pids()['W']
    os.remove(os.path.join(last, 'proc', str(pid), 'io'))
    facts = replay(HYBRID_A, last)[0]
    assert pid not in [p['pid'] for p in facts['top_writers']]
    assert facts['io_unreadable_processes'] >= 1


def test_without_interval_only_totals_are_reported():
    report = Report()
    collector = IOCollector(ProcFS(HYBRID_A), options(), report)
    collector.begin()
    facts = collector.finish(None)
    assert 'iowait_pct' not in facts
    assert not [d for d in facts['disks'] if 'util_pct' in d]
    assert not [p for p in facts['top_writers'] if 'write_bytes_s' in p]
    assert facts['top_writers'] == sorted(facts['top_writers'], key=lambda p: -p['write_bytes'])
    assert facts['findings'] == []
    assert all(row['of_samples'] == 1 for row in facts['d_state'])


def test_open_files_are_bounded_by_the_option(replayed):
    facts = replay(HYBRID_A, HYBRID_B, open_files=1)[0]
    assert all(len(p['open_files']) <= 1 for p in facts['top_writers'] + facts['top_readers'])
    facts = replay(HYBRID_A, HYBRID_B, open_files=0)[0]
    assert all(p['open_files'] == [] for p in facts['top_writers'])


def test_iostat_rates_by_hand():
    before = DiskStat(8, 0, 'sda', *([0] * 17))
    after = DiskStat(8, 0, 'sda', 200, 10, 4096, 400, 100, 5, 2048, 1000, 0, 1500, 3000, 0, 0, 0, 0, 4, 0)
    rates = iostat_rates(before, after, 2.0)
    assert rates == {'r_s': 100.0, 'w_s': 50.0, 'rkb_s': 1024.0, 'wkb_s': 512.0, 'rrqm_s': 5.0, 'wrqm_s': 2.5,
                     'r_await': 2.0, 'w_await': 10.0, 'aqu_sz': 1.5, 'util_pct': 75.0, 'd_s': 0.0, 'f_s': 2.0}


@pytest.mark.parametrize('before, after, expected', [(10, 15, 5), (15, 10, 0), (2 ** 32 - 1, 3, 0)])
def test_clamped_delta(before, after, expected):
    assert clamped_delta(before, after) == expected


@pytest.mark.parametrize('rate, text', [(8.0e6, '8.0 MB/s'), (1500, '1.5 kB/s'), (12, '12 B/s')])
def test_human_rate(rate, text):
    assert human_rate(rate) == text


def _rewrite_writer_file(tmp_path, target, mnt_id):
    """A copy of the last sample where the writer's file has another path and mount id."""
    last = copy_tree(HYBRID_B, tmp_path, 'moved')
    pid = capture_pids()['W']
    with open(os.path.join(last, 'proc', str(pid), 'fd', '1'), 'w') as handle:
        handle.write(target + '\n')
    with open(os.path.join(last, 'proc', str(pid), 'fdinfo', '1'), 'w') as handle:
        handle.write('pos:\t50446336\nflags:\t0150001\nmnt_id:\t%d\nino:\t15343625\n' % mnt_id)
    facts = replay(HYBRID_A, last)[0]
    return [f for f in facts['top_writers'][0]['open_files'] if f['path'] == target][0]


def test_an_open_file_is_placed_by_the_mount_it_was_opened_through_not_by_its_path(tmp_path):
    """mnt_id 27 is the root mount; by prefix the path would be on the /var/lib/docker bind mount."""
    found = _rewrite_writer_file(tmp_path, '/var/lib/docker/big.bin', 27)
    assert (found['mount_point'], found['device'], found['disk']) == ('/', 'vda', 'vda')


def test_an_open_file_on_a_detached_mount_has_no_mount_point(tmp_path):
    """After umount -l the file's mount is in no mount table; its path (/big.bin) must not put it on /."""
    found = _rewrite_writer_file(tmp_path, '/big.bin', 999)
    assert (found['mount_point'], found['device']) == (None, None)  # fixture trees hold no file to stat


def test_the_module_run_is_not_ranked_among_the_io_processes(tmp_path):
    """The reading process (the tree's /proc/self) is this run, not a hog of the host's: made the writer here,
    the writer leaves the ranked lists and the next process takes its place (common/ownrun.py)."""
    writer = capture_pids()['W']
    trees = []
    for source, name in ((HYBRID_A, 'a'), (HYBRID_B, 'b')):
        root = copy_tree(source, tmp_path, name)
        with open(os.path.join(root, 'proc', str(writer), 'stat'), 'rb') as stat:
            with open(os.path.join(root, 'proc', 'self', 'stat'), 'wb') as own:
                own.write(stat.read())
        trees.append(root)
    facts = replay(*trees)[0]
    listed = [p['pid'] for p in facts['top_writers'] + facts['top_readers']]
    assert listed and writer not in listed
    assert replay(HYBRID_A, HYBRID_B)[0]['top_writers'][0]['pid'] == writer


@pytest.mark.parametrize('target, disk', [('/dev/vda', 'vda'), ('/dev/null', None), ('/dev/pts/0', None)])
def test_a_block_device_held_open_is_an_open_file_on_its_own_disk_and_other_dev_files_are_not(tmp_path, target, disk):
    """Issue 25, class 3: every /dev/ path was dropped, so dd to /dev/loop0 or qemu on a volume named no disk;
    lsof shows ``3w /dev/loop0``. (Fixture trees hold no device to stat: the name must be a block device.)"""
    last = copy_tree(HYBRID_B, tmp_path, 'raw')
    pid = capture_pids()['W']
    with open(os.path.join(last, 'proc', str(pid), 'fd', '1'), 'w') as handle:
        handle.write(target + '\n')
    facts = replay(HYBRID_A, last)[0]
    found = [f for f in facts['top_writers'][0]['open_files'] if f['path'] == target]
    assert [(f['device'], f['disk']) for f in found] == ([(disk, disk)] if disk else [])


@pytest.mark.parametrize('options, layer', [
    ('rw,lowerdir=/l1:/l2,upperdir=/var/lib/docker/overlay2/x/diff,workdir=/w', '/var/lib/docker/overlay2/x/diff'),
    ('ro,lowerdir=/l1:/l2', '/l1'),
    ('rw', None),
])
def test_an_overlays_disk_is_its_upper_directorys_or_its_first_lower_ones(options, layer):
    """Issue 25, class 2: writes through a container's overlay land in its upper directory (df UPPERDIR)."""
    assert _overlay_layer(options) == layer
