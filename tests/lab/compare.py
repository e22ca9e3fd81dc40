# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The comparisons of the lab: hostfacts against the oracles observed at the same moment (observe.py).

Each check is a function of the observation that yields findings, and each states its tolerance; the
same numbers are in docs/testing.md ("The differential lab"). Only what is under the scenario's lab
directory, or a process a block started, is compared: the rest of the machine is not the lab's.
"""

from __future__ import annotations

import os

# Figures of a filesystem nobody writes to (statvfs twice, a moment apart): one block, or 0.5 % of the size
# where a filesystem's own bookkeeping moves (btrfs, xfs log); inodes: one, or 0.5 %.
SPACE_TOLERANCE_PCT = 0.5
# df answered within this: a healthy filesystem, which hostfacts must not report timed out.
HEALTHY_SECONDS = 1.0
# Processes that exist in ps but not in hostfacts' count, or the other way: ps itself, and the lab's
# short-lived oracles (iostat, df) that ended or started between the two reads.
TASKS_TOLERANCE = 2
# A process's write rate against every disk's together (iostat -x, the same window): hostfacts may
# see a process dirty pages faster than they reach the disk, so 1.5 times, plus 4 MiB/s for noise.
WRITE_RATE_FACTOR, WRITE_RATE_SLACK = 1.5, 4 << 20
# Checks whose defect is known and not fixed yet: `make lab` still reports them; the seeded slice
# (test_lab_slice.py) leaves them out so that it stays a regression test.
KNOWN_DEFECTS = set()
# What the default filesystem list leaves out although df lists it (a documented difference).
LAYER_FSTYPES = ('overlay', 'aufs')


def flatten_findmnt(tree):
    found = []

    def walk(nodes):
        for node in nodes:
            found.append({k: node.get(k) for k in ('target', 'source', 'fstype', 'options', 'fs-options')})
            walk(node.get('children', []))
    walk(tree.get('filesystems', []))
    return found


def _facts(obs):
    return (obs['hostfacts']['result'].get('ansible_facts') or {}).get('hostfacts') or {}


def _under_lab(obs, path):
    return path == obs['lab'] or path.startswith(obs['lab'] + '/')


def _hostfacts_mounts(obs):
    """{mount point: hostfacts entry}, every also_mounted_at place included."""
    mounts = {}
    for entry in (_facts(obs).get('filesystems') or {}).get('mounts') or []:
        mounts.setdefault(entry['mount_point'], entry)
        for other in entry.get('also_mounted_at') or []:
            mounts.setdefault(other, entry)
    return mounts


def _lab_mounts(obs):
    return [m for m in obs['findmnt'] if _under_lab(obs, m['target'])]


def _blocks(obs, *kinds):
    return [b for b in obs['manifest']['blocks'] if b['kind'] in kinds]


def _busy_mounts(obs):
    """Mount points whose figures move during the run: writers', the reaper's, removed ones."""
    busy = set()
    for block in obs['manifest']['blocks']:
        if block['kind'] in ('writer', 'reaped_child') or (block['kind'] == 'overlay' and block.get('writer')) \
                or block.get('removed'):
            busy.add(block['dir'])
            busy.update(block.get('mount_points') or [])
    return busy


def _ps_rows(obs):
    rows = {}
    for line in (obs['ps'] or '').splitlines():
        fields = line.split(None, 4)
        if len(fields) >= 4:
            rows[int(fields[0])] = {'ppid': int(fields[1]), 'nlwp': int(fields[2]), 'stat': fields[3],
                                    'args': fields[4] if len(fields) > 4 else ''}
    return rows


def finding(check, message):
    return {'check': check, 'message': message}


def check_module_ran(obs):
    run = obs['hostfacts']
    if run['result'].get('failed') or run['rc'] != 0 or 'Traceback' in run['stderr']:
        yield finding('module_ran', 'hostfacts failed (rc %s): %s %s' % (
            run['rc'], run['result'].get('msg'), run['stderr'][-1500:]))


def check_mounts_listed(obs):
    """Every mount findmnt shows is in the facts (include_pseudo), or every one df lists (the default), but for
    container layers, which the default list leaves out on purpose (docs/hostfacts.md, "Which filesystems are
    listed": their figures are those of the disk under them, listed already)."""
    listed = _hostfacts_mounts(obs)
    everything = obs['args'].get('include_pseudo')
    if not everything and obs['df_list'] is None:
        return
    for mount in _lab_mounts(obs):
        expected = everything or (mount['target'] in obs['df_list'] and mount['fstype'] not in LAYER_FSTYPES)
        if expected and mount['target'] not in listed:
            yield finding('mounts_listed', '%s (%s on %s, include_pseudo=%s) is in %s but not in the facts' % (
                mount['target'], mount['fstype'], mount['source'], everything, 'findmnt' if everything else 'df'))
    targets = {m['target'] for m in obs['findmnt']}
    # A block removed mid-run was mounted when hostfacts read the mount table, and findmnt reads it after.
    removed = {b['dir'] for b in obs['manifest']['blocks'] if b.get('removed')}
    removed.update(p for b in obs['manifest']['blocks'] if b.get('removed') for p in b.get('mount_points') or [])
    for point in listed:
        if any(point == r or point.startswith(r + '/') for r in removed):
            continue
        if _under_lab(obs, point) and point not in targets:
            yield finding('mounts_listed', '%s is in the facts, not in findmnt' % point)


def check_mount_identity(obs):
    """fstype and readonly as findmnt shows them."""
    listed = _hostfacts_mounts(obs)
    for mount in _lab_mounts(obs):
        entry = listed.get(mount['target'])
        if entry is None or entry['mount_point'] != mount['target']:
            continue
        readonly = 'ro' in mount['options'].split(',')
        if entry.get('fstype') != mount['fstype'] or bool(entry.get('readonly')) != readonly:
            yield finding('mount_identity', '%s: facts say %s readonly=%s, findmnt %s %s' % (
                mount['target'], entry.get('fstype'), entry.get('readonly'), mount['fstype'], mount['options']))


def check_df_figures(obs):
    """Size, used, available and inodes of quiescent filesystems within max(1 block, 0.5 %) of df."""
    listed = _hostfacts_mounts(obs)
    busy = _busy_mounts(obs)
    for mount in _lab_mounts(obs):
        entry, df = listed.get(mount['target']), obs['df'].get(mount['target'])
        if entry is None or not df or not df['answered'] or 'error' in df or entry.get('status') != 'ok' \
                or any(mount['target'] == b or mount['target'].startswith(b + '/') for b in busy):
            continue
        space = max(df['block'], df['size'] * SPACE_TOLERANCE_PCT / 100)
        inodes = max(1, (df['inodes_total'] or 0) * SPACE_TOLERANCE_PCT / 100)
        for key, tolerance in (('size', space), ('used', space), ('available', space), ('inodes_total', inodes),
                               ('inodes_used', inodes), ('inodes_free', inodes)):
            if df[key] is None:
                continue
            if entry.get(key) is None or abs(entry[key] - df[key]) > tolerance:
                yield finding('df_figures', '%s (%s): %s is %s in the facts, %s in df (tolerance %d)' % (
                    mount['target'], mount['fstype'], key, entry.get(key), df[key], tolerance))


def check_healthy_not_timed_out(obs):
    """A filesystem that df answered within HEALTHY_SECONDS is never reported timed out (docs/hostfacts.md)."""
    listed = _hostfacts_mounts(obs)
    for mount in _lab_mounts(obs):
        entry, df = listed.get(mount['target']), obs['df'].get(mount['target'])
        if entry and df and df['answered'] and df['seconds'] < HEALTHY_SECONDS and entry.get('status') == 'timed_out':
            hung = sum(b.get('copies', 1) for b in _blocks(obs, 'fuse') if b.get('hung'))
            yield finding('healthy_not_timed_out', '%s (%s) is timed_out in the facts; df answered in %.3f s '
                          '(%d hung mounts in the scenario)' % (mount['target'], mount['fstype'], df['seconds'], hung))


def check_readonly_no_usage_alert(obs):
    """A filesystem read-only in itself (its superblock: findmnt FS-OPTIONS) cannot fill up: no space or inode
    alert names it. A read-only bind of a writable filesystem can fill through its other mounts: not checked."""
    for mount in _lab_mounts(obs):
        if 'ro' not in (mount.get('fs-options') or '').split(','):
            continue
        for alert in _facts(obs).get('alerts') or []:
            if mount['target'] in alert['message']:
                yield finding('readonly_no_usage_alert', '%s (%s, %s) raises %s alert: %s' % (
                    mount['target'], mount['fstype'], mount['options'], alert['severity'], alert['message']))


def check_tasks_total(obs):
    """tasks.total is what ps -e counts (ps itself left out); when it can't be, a warning says so."""
    processes = _facts(obs).get('processes') or {}
    total = (processes.get('tasks') or {}).get('total')
    counted = len(_ps_rows(obs)) - 1
    if total is None or abs(total - counted) <= TASKS_TOLERANCE:
        return
    warnings = ' '.join(_facts(obs).get('warnings') or [])
    if obs['run_as'] and total < counted and 'hidepid' in warnings:
        return
    yield finding('tasks_total', 'tasks.total is %s (run as %s); ps -e as root counts %d; warnings: %s' % (
        total, obs['run_as'] or 'root', counted, warnings or 'none'))


def check_process_rows(obs):
    """Threads and setproctitle-style titles as ps shows them."""
    rows = {row['pid']: row for row in (_facts(obs).get('processes') or {}).get('list') or []}
    ps = _ps_rows(obs)
    for block in _blocks(obs, 'threads', 'title'):
        pid = obs['pids'].get(block['name'])
        if pid not in ps:
            continue
        if pid not in rows:
            if not obs['run_as']:
                yield finding('process_rows', '%s pid %d (%s) is in ps, not in the full process list' % (
                    block['kind'], pid, ps[pid]['args']))
            continue
        row = rows[pid]
        if block['kind'] == 'threads' and row.get('threads') != ps[pid]['nlwp']:
            yield finding('process_rows', 'pid %d: %s threads in the facts, ps nlwp %d' % (
                pid, row.get('threads'), ps[pid]['nlwp']))
        if block['kind'] == 'title' and row.get('args') != ps[pid]['args']:
            yield finding('process_rows', 'pid %d: args %r in the facts, ps %r' % (pid, row.get('args'), ps[pid]['args']))


def _lsof_files(obs):
    files, pid = {}, None
    for line in (obs['lsof'] or '').splitlines():
        if line.startswith('p'):
            pid = int(line[1:])
        elif line.startswith('n') and pid is not None:
            files.setdefault(pid, []).append(line[1:])
    return files


def check_writer_disk(obs):
    """A block's writer is ranked among the writers, and its written file or device names the disk df or
    lsof name: the loop device under the file (overlay: under the upper directory), or the raw device."""
    if obs['run_as']:
        return
    writers = {w['pid']: w for w in (_facts(obs).get('io') or {}).get('top_writers') or []}
    lsof = _lsof_files(obs)
    for block in _blocks(obs, 'writer', 'overlay'):
        name = block['name'] if block['kind'] == 'writer' else block['name'] + '-writer'
        pid = obs['pids'].get(name)
        if pid is None or (block['kind'] == 'overlay' and not block.get('writer')):
            continue
        if block['kind'] == 'overlay' and block.get('removed'):
            # Lazily unmounted, the overlay is in no mount table and its files' device number is its own
            # anonymous one: nothing in /proc leads to the upper directory (docs/namespaces-and-io.md).
            continue
        if block.get('how') == 'raw':
            device = next((f for f in lsof.get(pid, []) if f.startswith('/dev/loop')), None)
            written, place = device, 'lsof'
        else:
            written = block['dir'] + '/written'
            df = obs['df'].get(block.get('upper') or block['dir']) or {}
            device, place = df.get('source'), 'df %s' % (block.get('upper') or block['dir'])
        if not device:
            continue
        disk = os.path.basename(device)
        if pid not in writers:
            yield finding('writer_disk', '%s writer pid %d (%s) is not among the top writers; %s shows %s' % (
                block['kind'], pid, block.get('how', 'overlay'), place, device))
            continue
        match = [f for f in writers[pid].get('open_files') or [] if f.get('path') == written]
        if not match or match[0].get('disk') != disk:
            yield finding('writer_disk', '%s writer pid %d (%s): %s is on %s (%s); the facts\' open files: %s' % (
                block['kind'], pid, block.get('how', 'overlay'), written, disk, place,
                [(f.get('path'), f.get('disk')) for f in writers[pid].get('open_files') or []]))


def _disks_write_rate(obs):
    stats = (obs['iostat'] or {}).get('sysstat', {}).get('hosts', [{}])[0].get('statistics', [{}])
    disks = stats[-1].get('disk', []) if stats else []
    return sum(d.get('wkB/s', 0.0) for d in disks) * 1024


def check_write_rates(obs):
    """No process writes faster than every disk together (iostat -x over the same window)."""
    if obs['iostat'] is None:
        return
    disks = _disks_write_rate(obs)
    limit = disks * WRITE_RATE_FACTOR + WRITE_RATE_SLACK
    for writer in (_facts(obs).get('io') or {}).get('top_writers') or []:
        if (writer.get('write_bytes_s') or 0) > limit:
            yield finding('write_rates', 'pid %s (%s) writes %.1f MB/s in the facts; iostat -x: all disks %.1f MB/s' % (
                writer['pid'], writer.get('command'), writer['write_bytes_s'] / 1e6, disks / 1e6))


def check_namespaces_inside(obs):
    """Run inside namespaces the lab made, hostfacts does not call them the host's without a warning."""
    namespaces = _facts(obs).get('namespaces') or {}
    default = namespaces.get('default') or {}
    host, own = obs['host_ns'], obs['own_ns']
    warnings = ' '.join(_facts(obs).get('warnings') or [])
    for kind in ('mnt', 'pid'):
        own_inode = own.get(kind, '').partition('[')[2].rstrip(']')
        if own.get(kind) == host.get(kind) or str(default.get(kind)) != own_inode:
            continue
        if 'namespace' not in warnings:
            yield finding('namespaces_inside', 'run in a %s namespace that is not the host\'s (%s, host %s), the '
                          'facts take it for the default, with no warning' % (kind, own.get(kind), host.get(kind)))


CHECKS = (check_module_ran, check_mounts_listed, check_mount_identity, check_df_figures, check_healthy_not_timed_out,
          check_readonly_no_usage_alert, check_tasks_total, check_process_rows, check_writer_disk, check_write_rates,
          check_namespaces_inside)


def findings(obs):
    if not _facts(obs):
        return list(check_module_ran(obs)) or [finding('module_ran', 'no facts: %r' % obs['hostfacts']['result'])]
    return [found for check in CHECKS for found in check(obs)]
