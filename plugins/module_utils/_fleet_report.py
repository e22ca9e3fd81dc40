# -*- coding: utf-8 -*-
# Copyright (c) hostops.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report: hostfacts of many hosts -> one HTML page, JSON and CSV. Private: may change without notice.

Pure and standard library only, so the renderer is tested and benchmarked without Ansible.
Memory stays flat with the fleet: ``summarize_host`` keeps a small record per host (the
top few processes, the fullest filesystems) and the full facts are never copied.
Every value a host did not report renders as ``n/a``; unreachable and failed hosts are
records of their own, never dropped.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import time

SEVERITIES = ('critical', 'warning', 'info', 'ok')
SEVERITY_RANK = dict((name, rank) for rank, name in enumerate(SEVERITIES))
STATES = ('ok', 'unreachable', 'failed', 'no_facts')

DEFAULT_LIMITS = {
    # A single process at or above this share of one CPU over the sampling interval.
    'process_cpu_pct': 80.0,
    # A single process holding at least this share of the host's memory (RSS).
    'process_mem_pct': 25.0,
    # A single process reading or writing at least this many MiB per second.
    'process_io_mib_s': 10.0,
    # The 1-minute load average divided by the number of CPUs.
    'load_per_cpu': 1.0,
}

# How much of each host the report keeps: enough to answer "what is wrong and who does it".
TOP_PROCESSES = 5
TOP_FILESYSTEMS = 6
TOP_NAMESPACES = 5
TOP_CONTAINERS = 5
# Process arguments are cut to this many characters in the report (hostfacts keeps up to cmdline_length).
ARGS_LENGTH = 120

NA = 'n/a'
MIB = 1024.0 * 1024.0

CSV_COLUMNS = (
    'host', 'state', 'severity', 'rank', 'critical', 'warning', 'info', 'alerts',
    'memory_total', 'memory_available_pct', 'swap_used',
    'fullest_mount', 'fullest_use_pct', 'cpu_count', 'load1', 'load_per_cpu', 'cpu_busy_pct', 'iowait_pct',
    'busiest_disk', 'busiest_disk_util_pct', 'top_cpu_pid', 'top_cpu_command', 'top_cpu_pct',
    'top_memory_pid', 'top_memory_command', 'top_memory_rss_kb', 'top_io_pid', 'top_io_command',
    'top_io_bytes_s', 'non_default_namespaces', 'containers', 'collected_at', 'message',
)


class FleetReportError(Exception):
    """Bad input to the renderer (unknown limit, bad page size): the action plugin turns it into a failure."""


# ---------------------------------------------------------------- small helpers

def _get(mapping, *keys):
    """mapping[k1][k2]... or None when any level is missing or not a mapping."""
    for key in keys:
        if not hasattr(mapping, 'get'):
            return None
        mapping = mapping.get(key)
        if mapping is None:
            return None
    return mapping


def _mapping(value):
    """The value if it is a mapping, else an empty dict: facts of an unexpected shape render as n/a."""
    return value if hasattr(value, 'get') else {}


def _num(value):
    """A float, or None for anything that is not a number (missing facts render as n/a)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _text(value):
    return None if value is None else str(value)


def _list(value):
    return list(value) if isinstance(value, (list, tuple)) else []


_UNITS = ((1024.0 ** 5, 'P'), (1024.0 ** 4, 'T'), (1024.0 ** 3, 'G'), (1024.0 ** 2, 'M'), (1024.0, 'K'))


def human_bytes(value):
    """free -h style: 512B, 1.5K, 7.7G; n/a for a missing value."""
    value = _num(value)
    if value is None:
        return NA
    size = abs(value)
    for scale, unit in _UNITS:
        if size >= scale:
            return '%.1f%s' % (value / scale, unit)
    return '%dB' % value


def fmt_pct(value, digits=0):
    value = _num(value)
    return NA if value is None else '%.*f %%' % (digits, value)


def fmt_num(value, digits=1):
    value = _num(value)
    return NA if value is None else '%.*f' % (digits, value)


def validate_limits(limits):
    """Merge user limits over the defaults, naming the offending key on bad input."""
    merged = dict(DEFAULT_LIMITS)
    for key, value in (limits or {}).items():
        if key not in DEFAULT_LIMITS:
            raise FleetReportError('limits.%s is not a known limit; known limits are: %s'
                                   % (key, ', '.join(sorted(DEFAULT_LIMITS))))
        if value is None:
            continue
        number = _num(value)
        if number is None or number < 0:
            raise FleetReportError('limits.%s must be a number of 0 or more, got %r' % (key, value))
        merged[key] = number
    return merged


# ---------------------------------------------------------------- per host

def _process(row, extra=()):
    """The few columns of a ps row the report shows."""
    entry = {
        'pid': row.get('pid'),
        'user': _text(row.get('user')),
        'command': _text(row.get('command') or row.get('comm')),
        'args': (_text(row.get('args') or row.get('command')) or '')[:ARGS_LENGTH] or None,
        'cpu_pct': _num(row.get('cpu_pct')),
        'mem_pct': _num(row.get('mem_pct')),
        'rss_kb': _num(row.get('rss_kb')),
        'state': _text(row.get('state')),
    }
    for key in extra:
        entry[key] = row.get(key)
    return entry


def _io_process(row):
    files = [f for f in _list(row.get('open_files')) if hasattr(f, 'get')]
    return {
        'pid': row.get('pid'),
        'user': _text(row.get('user')),
        'command': _text(row.get('comm')),
        'args': (_text(row.get('command')) or '')[:ARGS_LENGTH] or None,
        'read_bytes_s': _num(row.get('read_bytes_s')),
        'write_bytes_s': _num(row.get('write_bytes_s')),
        'file': _text(files[0].get('path')) if files else None,
        'file_mount': _text(files[0].get('mount_point')) if files else None,
    }


def _io_rate(proc):
    return (proc['read_bytes_s'] or 0.0) + (proc['write_bytes_s'] or 0.0)


def _filesystems(facts):
    mounts = []
    for mount in _list(_get(facts, 'filesystems', 'mounts')):
        if not hasattr(mount, 'get'):
            continue
        mounts.append({
            'mount_point': _text(mount.get('mount_point')),
            'device': _text(mount.get('device')),
            'fstype': _text(mount.get('fstype')),
            'size': _num(mount.get('size')),
            'used': _num(mount.get('used')),
            'available': _num(mount.get('available')),
            'use_pct': _num(mount.get('use_pct')),
            'inodes_use_pct': _num(mount.get('inodes_use_pct')),
            'status': _text(mount.get('status')),
        })
    mounts.sort(key=lambda m: (-(m['use_pct'] or 0.0), m['mount_point'] or ''))
    return mounts


def _busiest_disk(facts):
    best = None
    for disk in _list(_get(facts, 'io', 'disks')):
        if not hasattr(disk, 'get') or disk.get('kind', 'disk') not in ('disk', None):
            continue
        util = _num(disk.get('util_pct'))
        if best is None or (util or 0.0) > (best['util_pct'] or 0.0):
            best = {
                'name': _text(disk.get('name')),
                'util_pct': util,
                'r_s': _num(disk.get('r_s')),
                'w_s': _num(disk.get('w_s')),
                'rkb_s': _num(disk.get('rkb_s')),
                'wkb_s': _num(disk.get('wkb_s')),
                'w_await': _num(disk.get('w_await')),
                'r_await': _num(disk.get('r_await')),
                'mounts': [str(m) for m in _list(disk.get('mounts'))[:4]],
            }
    return best


def _owner_text(owner):
    if not hasattr(owner, 'get'):
        return None
    kind = owner.get('kind') or 'unknown'
    ident = owner.get('id') or owner.get('name')
    return '%s %s' % (kind, str(ident)[:12]) if ident else kind


def _namespaces(facts):
    subset = _get(facts, 'namespaces')
    if not hasattr(subset, 'get'):
        return None
    entries = [e for e in _list(subset.get('namespaces')) if hasattr(e, 'get') and not e.get('default')]
    by_type = {}
    pinned = []
    shown = []
    for entry in entries:
        kind = _text(entry.get('type')) or '?'
        by_type[kind] = by_type.get(kind, 0) + 1
        pins = [p for p in _list(entry.get('pinned_by')) if hasattr(p, 'get')]
        item = {
            'type': kind,
            'inode': entry.get('inode'),
            'nprocs': entry.get('nprocs'),
            'pid': entry.get('pid'),
            'command': (_text(entry.get('command')) or '')[:ARGS_LENGTH] or None,
            'owner': _owner_text(entry.get('owner')),
            'pinned_by': ', '.join(_text(p.get('name') or p.get('path')) or '?' for p in pins) or None,
        }
        if pins and not entry.get('nprocs'):
            pinned.append(item)
        shown.append(item)
    # Namespaces with no process first: they are the ones lsns and ps never show.
    shown.sort(key=lambda e: (bool(e['nprocs']), e['type'], e['inode'] or 0))
    if not entries and subset.get('non_default'):
        # An older fact shape: only the one-line table rows.
        rows = [str(r) for r in _list(subset.get('non_default'))]
        return {'count': len(rows), 'by_type': {}, 'pinned_only': [], 'entries': [{'row': r} for r in rows[:TOP_NAMESPACES]]}
    return {'count': len(entries), 'by_type': by_type, 'pinned_only': pinned, 'entries': shown[:TOP_NAMESPACES]}


def _containers(facts):
    rows = _get(facts, 'containers')
    if rows is None:
        return None
    if hasattr(rows, 'get'):
        rows = rows.get('containers') or []
    found = []
    for row in _list(rows):
        if not hasattr(row, 'get'):
            continue
        found.append({
            'id': (_text(row.get('id')) or '')[:12] or None,
            'runtime': _text(row.get('runtime')),
            'name': _text(row.get('name')),
            'memory_usage_bytes': _num(row.get('memory_usage_bytes')),
            'memory_limit_bytes': _num(row.get('memory_limit_bytes')),
            'cpu_usage_seconds': _num(row.get('cpu_usage_seconds')),
            'pids_current': _num(row.get('pids_current')),
        })
    found.sort(key=lambda c: -(c['memory_usage_bytes'] or 0.0))
    return {'count': len(found), 'entries': found[:TOP_CONTAINERS]}


def _alert(severity, subset, message):
    return {'severity': severity, 'subset': subset, 'message': message}


def _derived_alerts(record, limits):
    """What the report adds to the module's alerts: the busy process, the big one, the I/O hog, load, pins."""
    alerts = []
    top = record['top_cpu'][0] if record['top_cpu'] else None
    if top and top['cpu_pct'] is not None and top['cpu_pct'] >= limits['process_cpu_pct']:
        alerts.append(_alert('warning', 'processes', 'pid %s (%s) uses %.0f %% CPU'
                             % (top['pid'], top['command'], top['cpu_pct'])))
    big = record['top_memory'][0] if record['top_memory'] else None
    if big and big['mem_pct'] is not None and big['mem_pct'] >= limits['process_mem_pct']:
        alerts.append(_alert('warning', 'memory', 'pid %s (%s) holds %s resident, %.0f %% of memory'
                             % (big['pid'], big['command'], human_bytes((big['rss_kb'] or 0) * 1024.0),
                                big['mem_pct'])))
    hog = record['top_io'][0] if record['top_io'] else None
    if hog and _io_rate(hog) >= limits['process_io_mib_s'] * MIB:
        verb = 'writes' if (hog['write_bytes_s'] or 0) >= (hog['read_bytes_s'] or 0) else 'reads'
        target = ' to %s' % hog['file'] if hog['file'] and verb == 'writes' else (
            ' from %s' % hog['file'] if hog['file'] else '')
        alerts.append(_alert('warning', 'io', 'pid %s (%s) %s %.1f MiB/s%s'
                             % (hog['pid'], hog['command'], verb, _io_rate(hog) / MIB, target)))
    if record['load_per_cpu'] is not None and record['load_per_cpu'] >= limits['load_per_cpu']:
        alerts.append(_alert('warning', 'processes', 'load %.2f on %d CPU(s)'
                             % (record['load'][0], record['cpu_count'])))
    if record['d_state']:
        alerts.append(_alert('info', 'io', '%d process(es) seen in D state (uninterruptible I/O wait)'
                             % record['d_state']))
    for entry in (record['namespaces'] or {}).get('pinned_only', []):
        alerts.append(_alert('info', 'namespaces', '%s namespace %s has no process, pinned by %s'
                             % (entry['type'], entry['inode'], entry['pinned_by'])))
    if record['warnings']:
        alerts.append(_alert('info', 'facts', 'facts are partial: %d warning(s) from hostfacts'
                             % len(record['warnings'])))
    return alerts


def _pressure(record):
    """A continuous score that orders hosts of equal severity: the busier the host, the higher."""
    score = 0.0
    if record['top_cpu'] and record['top_cpu'][0]['cpu_pct']:
        score += record['top_cpu'][0]['cpu_pct'] / 100.0
    if record['top_memory'] and record['top_memory'][0]['mem_pct']:
        score += record['top_memory'][0]['mem_pct'] / 25.0
    if record['top_io']:
        score += min(_io_rate(record['top_io'][0]) / (10 * MIB), 5.0)
    memory_pct = record['memory']['available_pct'] if record['memory'] else None
    if memory_pct is not None:
        score += (100.0 - memory_pct) / 100.0
    if record['filesystems'] and record['filesystems'][0]['use_pct'] is not None:
        score += record['filesystems'][0]['use_pct'] / 100.0
    if record['load_per_cpu']:
        score += min(record['load_per_cpu'], 10.0) / 2.0
    if record['iowait_pct']:
        score += record['iowait_pct'] / 50.0
    if record['namespaces']:
        score += min(record['namespaces']['count'], 50) / 100.0
    return round(score, 4)


def _empty_record(name, state, message):
    return {
        'name': name, 'state': state, 'message': message, 'severity': 'ok', 'alerts': [], 'warnings': [],
        'score': 0.0, 'rank': None, 'collected_at': None, 'interval': None, 'uptime_seconds': None,
        'cpu_count': None, 'load': None, 'load_per_cpu': None, 'cpu': None, 'cpu_busy_pct': None,
        'iowait_pct': None, 'tasks': None, 'memory': None, 'filesystems': [], 'busiest_disk': None,
        'top_cpu': [], 'top_memory': [], 'top_io': [], 'd_state': 0, 'findings': [],
        'namespaces': None, 'containers': None,
    }


def summarize_host(name, facts=None, outcome=None, limits=None):
    """The report's record of one host from its hostfacts (or its failure).

    ``outcome`` is what the gathering task left: ``{'state': 'ok'|'failed'|'unreachable', 'msg': ...}``;
    with no facts and no outcome the host is ``no_facts`` (not part of the gathering run).
    """
    limits = limits or DEFAULT_LIMITS
    outcome = outcome if hasattr(outcome, 'get') else {}
    state = _text(outcome.get('state')) or ('ok' if hasattr(facts, 'get') else 'no_facts')
    if state not in STATES:
        state = 'failed'
    message = _text(outcome.get('msg')) or None
    if state == 'ok' and not hasattr(facts, 'get'):
        state, message = 'no_facts', message or 'the gathering task returned no hostfacts'
    record = _empty_record(str(name), state, message)
    if state != 'ok':
        why = {
            'unreachable': 'host unreachable',
            'failed': 'hostfacts failed',
            'no_facts': 'no hostfacts: the host was not part of the gathering run',
        }[state]
        record['alerts'] = [_alert('critical' if state != 'no_facts' else 'warning', 'host',
                                   '%s%s' % (why, ': ' + message if message else ''))]
        record['severity'] = record['alerts'][0]['severity']
        return record

    processes = _mapping(facts.get('processes'))
    record['collected_at'] = _text(facts.get('collected_at'))
    record['interval'] = _num(facts.get('interval'))
    record['uptime_seconds'] = _num(processes.get('uptime_seconds'))
    record['cpu_count'] = _num(processes.get('cpu_count'))
    load = processes.get('load')
    if hasattr(load, 'get'):
        record['load'] = [_num(load.get('load1')), _num(load.get('load5')), _num(load.get('load15'))]
        if record['load'][0] is not None and record['cpu_count']:
            record['load_per_cpu'] = round(record['load'][0] / record['cpu_count'], 2)
    cpu = processes.get('cpu')
    if hasattr(cpu, 'get'):
        record['cpu'] = dict((key, _num(cpu.get(key))) for key in ('us', 'sy', 'ni', 'id', 'wa', 'hi', 'si', 'st'))
        if record['cpu']['id'] is not None:
            record['cpu_busy_pct'] = round(100.0 - record['cpu']['id'], 1)
    tasks = processes.get('tasks')
    if hasattr(tasks, 'get'):
        record['tasks'] = dict((key, _num(tasks.get(key))) for key in
                               ('total', 'running', 'sleeping', 'stopped', 'zombie', 'uninterruptible'))
    record['top_cpu'] = [_process(r) for r in _list(processes.get('top_cpu'))[:TOP_PROCESSES] if hasattr(r, 'get')]
    record['top_memory'] = [_process(r) for r in _list(processes.get('top_memory'))[:TOP_PROCESSES]
                            if hasattr(r, 'get')]

    memory = _get(facts, 'memory')
    if hasattr(memory, 'get') and memory:
        record['memory'] = dict((key, _num(memory.get(key))) for key in
                                ('total', 'used', 'available', 'available_pct', 'buff_cache', 'swap_total',
                                 'swap_used'))
        record['memory']['status'] = _text(memory.get('status'))

    record['filesystems'] = _filesystems(facts)[:TOP_FILESYSTEMS]

    io_facts = _get(facts, 'io')
    if hasattr(io_facts, 'get'):
        record['iowait_pct'] = _num(io_facts.get('iowait_pct'))
        record['busiest_disk'] = _busiest_disk(facts)
        hogs = {}
        for row in _list(io_facts.get('top_writers')) + _list(io_facts.get('top_readers')):
            if hasattr(row, 'get') and row.get('pid') not in hogs:
                hogs[row.get('pid')] = _io_process(row)
        record['top_io'] = sorted(hogs.values(), key=lambda p: -_io_rate(p))[:TOP_PROCESSES]
        record['d_state'] = len(_list(io_facts.get('d_state')))
        record['findings'] = [str(f) for f in _list(io_facts.get('findings'))]
    if record['iowait_pct'] is None and record['cpu']:
        record['iowait_pct'] = record['cpu']['wa']

    record['namespaces'] = _namespaces(facts)
    record['containers'] = _containers(facts)
    record['warnings'] = [str(w) for w in _list(facts.get('warnings'))]

    alerts = [_alert(a.get('severity') if a.get('severity') in ('critical', 'warning', 'info') else 'warning',
                     _text(a.get('subset')) or '?',
                     _text(a.get('message')) or '(no message)')
              for a in _list(facts.get('alerts')) if hasattr(a, 'get')]
    alerts.extend(_derived_alerts(record, limits))
    alerts.sort(key=lambda a: SEVERITY_RANK.get(a['severity'], 1))
    record['alerts'] = alerts
    record['severity'] = alerts[0]['severity'] if alerts else 'ok'
    if record['severity'] not in SEVERITY_RANK:
        record['severity'] = 'warning'
    record['score'] = _pressure(record)
    return record


def sort_key(record):
    """Most severe first; then more critical, more warning alerts; then the busier host; then the name."""
    counts = alert_counts(record)
    return (SEVERITY_RANK.get(record['severity'], 1), -counts['critical'], -counts['warning'], -counts['info'],
            -record['score'], record['name'])


def alert_counts(record):
    counts = {'critical': 0, 'warning': 0, 'info': 0}
    for alert in record['alerts']:
        if alert['severity'] in counts:
            counts[alert['severity']] += 1
    return counts


# ---------------------------------------------------------------- the fleet

def _histogram(values, edges):
    """Counts per bucket [edges[i], edges[i+1]); the last bucket is closed; None values counted apart."""
    counts = [0] * (len(edges) - 1)
    missing = 0
    for value in values:
        if value is None:
            missing += 1
            continue
        for index in range(len(counts)):
            if value < edges[index + 1] or index == len(counts) - 1:
                counts[index] += 1
                break
    return {'edges': list(edges), 'counts': counts, 'missing': missing}


def build_report(records, title='Fleet report', generated_at=None, limits=None):
    """Sort the host records by severity and compute the fleet summary."""
    hosts = sorted(records, key=sort_key)
    for rank, record in enumerate(hosts, 1):
        record['rank'] = rank
    by_state = dict((state, 0) for state in STATES)
    by_severity = dict((sev, 0) for sev in SEVERITIES)
    by_subset = {}
    hot_commands = {}
    namespaces = containers = 0
    for record in hosts:
        by_state[record['state']] = by_state.get(record['state'], 0) + 1
        by_severity[record['severity']] = by_severity.get(record['severity'], 0) + 1
        for alert in record['alerts']:
            if alert['severity'] != 'info':
                by_subset[alert['subset']] = by_subset.get(alert['subset'], 0) + 1
        if record['top_cpu'] and record['top_cpu'][0]['command']:
            command = record['top_cpu'][0]['command']
            hot_commands[command] = hot_commands.get(command, 0) + 1
        namespaces += (record['namespaces'] or {}).get('count', 0)
        containers += (record['containers'] or {}).get('count', 0)
    reporting = [r for r in hosts if r['state'] == 'ok']
    summary = {
        'hosts': len(hosts),
        'by_state': by_state,
        'by_severity': by_severity,
        'alerts_by_subset': dict(sorted(by_subset.items(), key=lambda item: (-item[1], item[0]))),
        'top_cpu_commands': sorted(hot_commands.items(), key=lambda item: (-item[1], item[0]))[:8],
        'non_default_namespaces': namespaces,
        'containers': containers,
        'memory_available_pct': _histogram(
            [(r['memory'] or {}).get('available_pct') for r in reporting], (0, 10, 20, 40, 60, 80, 100)),
        'fullest_filesystem_pct': _histogram(
            [r['filesystems'][0]['use_pct'] if r['filesystems'] else None for r in reporting],
            (0, 50, 70, 80, 90, 95, 100)),
        'load_per_cpu': _histogram([r['load_per_cpu'] for r in reporting], (0, 0.25, 0.5, 1, 2, 4, 1e9)),
        'iowait_pct': _histogram([r['iowait_pct'] for r in reporting], (0, 1, 5, 10, 20, 40, 100)),
    }
    return {
        'title': title,
        'generated_at': generated_at or time.strftime('%Y-%m-%dT%H:%M:%S%z'),
        'limits': dict(limits or DEFAULT_LIMITS),
        'summary': summary,
        'hosts': hosts,
    }


# ---------------------------------------------------------------- JSON and CSV

def render_json(report):
    # Compact separators keep the C encoder (indent falls back to the slow pure-Python one).
    return json.dumps(report, separators=(',', ':'), default=str) + '\n'


def csv_row(record):
    counts = alert_counts(record)
    fullest = record['filesystems'][0] if record['filesystems'] else {}
    disk = record['busiest_disk'] or {}
    memory = record['memory'] or {}
    top_cpu = record['top_cpu'][0] if record['top_cpu'] else {}
    top_mem = record['top_memory'][0] if record['top_memory'] else {}
    top_io = record['top_io'][0] if record['top_io'] else {}
    values = {
        'host': record['name'], 'state': record['state'], 'severity': record['severity'], 'rank': record['rank'],
        'critical': counts['critical'], 'warning': counts['warning'], 'info': counts['info'],
        'alerts': ' | '.join(a['message'] for a in record['alerts'] if a['severity'] != 'info'),
        'memory_total': memory.get('total'), 'memory_available_pct': memory.get('available_pct'),
        'swap_used': memory.get('swap_used'),
        'fullest_mount': fullest.get('mount_point'), 'fullest_use_pct': fullest.get('use_pct'),
        'cpu_count': record['cpu_count'], 'load1': record['load'][0] if record['load'] else None,
        'load_per_cpu': record['load_per_cpu'], 'cpu_busy_pct': record['cpu_busy_pct'],
        'iowait_pct': record['iowait_pct'],
        'busiest_disk': disk.get('name'), 'busiest_disk_util_pct': disk.get('util_pct'),
        'top_cpu_pid': top_cpu.get('pid'), 'top_cpu_command': top_cpu.get('command'),
        'top_cpu_pct': top_cpu.get('cpu_pct'),
        'top_memory_pid': top_mem.get('pid'), 'top_memory_command': top_mem.get('command'),
        'top_memory_rss_kb': top_mem.get('rss_kb'),
        'top_io_pid': top_io.get('pid'), 'top_io_command': top_io.get('command'),
        'top_io_bytes_s': _io_rate(top_io) if top_io else None,
        'non_default_namespaces': (record['namespaces'] or {}).get('count'),
        'containers': (record['containers'] or {}).get('count'),
        'collected_at': record['collected_at'], 'message': record['message'],
    }
    return ['' if values[c] is None else values[c] for c in CSV_COLUMNS]


def render_csv(report):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(CSV_COLUMNS)
    for record in report['hosts']:
        writer.writerow(csv_row(record))
    return buffer.getvalue()


# ---------------------------------------------------------------- HTML

ESC = html.escape


_SPECIAL = frozenset('&<>"\'')


def _e(value):
    """HTML-escaped text of a value; n/a for None. Most values need no escaping: skip the five replaces then."""
    kind = type(value)
    if kind is str:
        return value if _SPECIAL.isdisjoint(value) else ESC(value, quote=True)
    if kind is int or kind is float:
        return str(value)
    if value is None:
        return NA
    text = str(value)
    return text if _SPECIAL.isdisjoint(text) else ESC(text, quote=True)


def _level(pct, warn, crit):
    if pct is None:
        return 'na'
    return 'crit' if pct >= crit else ('warn' if pct >= warn else 'good')


def _bar(pct, level, label):
    """A CSS meter: width from the percentage, colour from the level."""
    width = 0.0 if pct is None else max(0.0, min(100.0, pct))
    return ('<span class="bar" title="%s"><span class="fill %s" style="width:%.1f%%"></span></span>'
            % (label, level, width))


def _donut(parts, size=120, label=''):
    """An SVG donut from [(name, count, css class)]: stroke-dasharray slices on one circle each."""
    total = float(sum(part[1] for part in parts)) or 1.0
    radius = 15.9155  # circumference 100, so dash lengths are percentages
    out = ['<svg class="donut" viewBox="0 0 42 42" width="%d" height="%d" role="img" aria-label="%s">'
           % (size, size, _e(label)),
           '<circle cx="21" cy="21" r="%s" fill="none" class="ring" stroke-width="6"/>' % radius]
    offset = 25.0
    for name, count, css in parts:
        if not count:
            continue
        share = 100.0 * count / total
        out.append('<circle cx="21" cy="21" r="%s" fill="none" class="%s" stroke-width="6" '
                   'stroke-dasharray="%.3f %.3f" stroke-dashoffset="%.3f"><title>%s: %d</title></circle>'
                   % (radius, css, share, 100.0 - share, offset, _e(name), count))
        offset -= share
    out.append('<text x="21" y="20" class="donut-total">%d</text><text x="21" y="26" class="donut-label">hosts</text>'
               % int(sum(part[1] for part in parts)))
    out.append('</svg>')
    return ''.join(out)


def _bar_chart(title, labels, counts, classes, unit='hosts'):
    """A small SVG column chart with one column per bucket."""
    width, height, pad = 260, 120, 18
    top = max(counts) if counts and max(counts) else 1
    step = (width - 8) / float(len(counts) or 1)
    out = ['<figure class="chart"><figcaption>%s</figcaption>'
           '<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">'
           % (_e(title), width, height, width, height, _e(title))]
    for index, count in enumerate(counts):
        bar_h = (height - 2 * pad) * count / float(top)
        x = 4 + index * step
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"><title>%s: %d %s</title></rect>'
                   % (x + 2, height - pad - bar_h, step - 4, bar_h, classes[index], _e(labels[index]), count, unit))
        out.append('<text x="%.1f" y="%d" class="tick">%s</text>' % (x + step / 2, height - 4, _e(labels[index])))
        if count:
            out.append('<text x="%.1f" y="%.1f" class="val">%d</text>' % (x + step / 2, height - pad - bar_h - 3, count))
    out.append('</svg></figure>')
    return ''.join(out)


def _hbar_chart(title, items, css='bar-warn'):
    """Horizontal bars for named counts (alerts by subset, hottest commands)."""
    if not items:
        return '<figure class="chart"><figcaption>%s</figcaption><p class="muted">none</p></figure>' % _e(title)
    top = float(max(item[1] for item in items)) or 1.0
    row_h = 18
    height = row_h * len(items) + 4
    out = ['<figure class="chart"><figcaption>%s</figcaption><svg viewBox="0 0 260 %d" width="260" height="%d" '
           'role="img" aria-label="%s">' % (_e(title), height, height, _e(title))]
    for index, (name, count) in enumerate(items):
        y = 2 + index * row_h
        out.append('<text x="0" y="%d" class="lbl">%s</text><rect x="96" y="%d" width="%.1f" height="12" class="%s">'
                   '<title>%s: %d</title></rect><text x="%.1f" y="%d" class="lbl">%d</text>'
                   % (y + 11, _e(str(name)[:15]), y + 1, 130.0 * count / top, css, _e(name), count,
                      100 + 130.0 * count / top, y + 11, count))
    out.append('</svg></figure>')
    return ''.join(out)


_GOOD, _WARN, _CRIT = 'bar-good', 'bar-warn', 'bar-crit'
# The fleet summary's histograms: title, summary key, bucket labels, bucket colours.
SUMMARY_HISTOGRAMS = (
    ('memory available %', 'memory_available_pct', ['<10', '10-20', '20-40', '40-60', '60-80', '80+'],
     [_CRIT, _WARN, _GOOD, _GOOD, _GOOD, _GOOD]),
    ('fullest filesystem use %', 'fullest_filesystem_pct', ['<50', '50-70', '70-80', '80-90', '90-95', '95+'],
     [_GOOD, _GOOD, _GOOD, _WARN, _CRIT, _CRIT]),
    ('load per CPU', 'load_per_cpu', ['<.25', '.25-.5', '.5-1', '1-2', '2-4', '4+'],
     [_GOOD, _GOOD, _GOOD, _WARN, _CRIT, _CRIT]),
    ('iowait %', 'iowait_pct', ['<1', '1-5', '5-10', '10-20', '20-40', '40+'],
     [_GOOD, _GOOD, _GOOD, _WARN, _CRIT, _CRIT]),
)


def _hist_chart(title, hist, labels, classes):
    return _bar_chart(title, labels, hist['counts'], classes)


SEV_LABEL = {'critical': 'CRITICAL', 'warning': 'WARNING', 'info': 'INFO', 'ok': 'OK'}


WIDE_COLUMNS = ('COMMAND', 'FILE', 'MOUNT', 'PINNED BY')


def _table(title, rows, labels, cells):
    """A compact table; ``cells(row)`` returns one value per label, escaped here. One template per table."""
    if not rows:
        return '<section class="tbl"><h4>%s</h4><p class="muted">n/a</p></section>' % _e(title)
    head = ''.join('<th>%s</th>' % label for label in labels)
    template = '<tr>%s</tr>' % ''.join('<td class="args">%s</td>' if label in WIDE_COLUMNS else '<td>%s</td>'
                                       for label in labels)
    body = ''.join(template % tuple(_e(value) for value in cells(row)) for row in rows)
    return '<section class="tbl"><h4>%s</h4><table><tr>%s</tr>%s</table></section>' % (_e(title), head, body)


CPU_LABELS = ('PID', 'USER', '%CPU', '%MEM', 'RSS', 'COMMAND')
IO_LABELS = ('PID', 'USER', 'READ/s', 'WRITE/s', 'COMMAND', 'FILE')
FS_LABELS = ('MOUNT', 'TYPE', 'SIZE', 'USED', 'USE%', 'IUSE%')
NS_LABELS = ('TYPE', 'NS', 'PROCS', 'OWNER', 'PINNED BY', 'COMMAND')
CONTAINER_LABELS = ('ID', 'RUNTIME', 'MEM', 'LIMIT', 'CPU s', 'PIDS')


def _cpu_cells(r):
    return (r['pid'], r['user'], fmt_num(r['cpu_pct']), fmt_num(r['mem_pct']),
            human_bytes(None if r['rss_kb'] is None else r['rss_kb'] * 1024.0), r['args'])


def _io_cells(r):
    return (r['pid'], r['user'], human_bytes(r['read_bytes_s']), human_bytes(r['write_bytes_s']), r['args'], r['file'])


def _fs_cells(m):
    return (m['mount_point'], m['fstype'], human_bytes(m['size']), human_bytes(m['used']), fmt_pct(m['use_pct']),
            fmt_pct(m['inodes_use_pct']))


def _ns_cells(n):
    return (n.get('type'), n.get('inode'), n.get('nprocs'), n.get('owner'), n.get('pinned_by'),
            n.get('command') or n.get('row'))


def _container_cells(c):
    return (c['id'], c['runtime'], human_bytes(c['memory_usage_bytes']),
            human_bytes(c['memory_limit_bytes']) if c['memory_limit_bytes'] else 'none',
            fmt_num(c['cpu_usage_seconds']), fmt_num(c['pids_current'], 0))


def search_text(record):
    """What the page's filter box matches: name, state, severity, alerts and the hottest processes."""
    return ' '.join([record['name'], record['state'], record['severity']] + [a['message'] for a in record['alerts']]
                    + [p['command'] or '' for p in record['top_cpu'][:1] + record['top_memory'][:1]
                       + record['top_io'][:1]]).lower()


def host_card(record):
    """One host as an <article>: header, alerts, gauges, hottest processes, filesystems, and a details fold."""
    counts = alert_counts(record)
    sev = record['severity']
    name = record['name']
    out = ['<article class="host sev-%s state-%s" data-rank="%d" data-sev="%s" data-state="%s" data-name="%s">'
           % (sev, record['state'], record['rank'], sev, record['state'], _e(name))]
    out.append('<header><span class="badge %s">%s</span><h3>%s</h3>' % (sev, SEV_LABEL.get(sev, sev), _e(name)))
    if record['state'] != 'ok':
        out.append('<span class="state">%s</span>' % _e(record['state'].replace('_', ' ').upper()))
    out.append('<span class="counts">%s</span></header>' % ' '.join(
        '<b class="c-%s" title="%s alerts">%d</b>' % (k, k, counts[k]) for k in ('critical', 'warning', 'info')
        if counts[k]))
    if record['alerts']:
        out.append('<ul class="alerts">%s</ul>' % ''.join(
            '<li class="%s"><i>%s</i> %s</li>' % (a['severity'], _e(a['subset']), _e(a['message']))
            for a in record['alerts'][:6]))
        if len(record['alerts']) > 6:
            out.append('<p class="muted">and %d more alert(s)</p>' % (len(record['alerts']) - 6))
    if record['state'] != 'ok':
        out.append('</article>')
        return ''.join(out)

    memory = record['memory'] or {}
    avail = memory.get('available_pct')
    # The bar is what is left: short and red is bad, as the module's 20 % rule says.
    avail_level = 'na' if avail is None else ('crit' if avail < 10 else ('warn' if avail < 20 else 'good'))
    load_pct = None if record['load_per_cpu'] is None else record['load_per_cpu'] * 100.0
    disk = record['busiest_disk'] or {}
    out.append('<div class="metrics">')
    out.append('<div class="metric"><span class="k">memory available</span><span class="v">%s</span>%s'
               '<span class="sub">%s of %s available, swap used %s</span></div>'
               % (fmt_pct(avail), _bar(avail, avail_level, 'memory available'),
                  human_bytes(memory.get('available')), human_bytes(memory.get('total')),
                  human_bytes(memory.get('swap_used'))))
    out.append('<div class="metric"><span class="k">load / CPUs</span><span class="v">%s / %s</span>%s'
               '<span class="sub">5 min %s, 15 min %s</span></div>'
               % (fmt_num(record['load'][0] if record['load'] else None, 2), fmt_num(record['cpu_count'], 0),
                  _bar(load_pct, _level(load_pct, 100, 200), 'load per CPU'),
                  fmt_num(record['load'][1] if record['load'] else None, 2),
                  fmt_num(record['load'][2] if record['load'] else None, 2)))
    cpu = record['cpu'] or {}
    out.append('<div class="metric"><span class="k">CPU busy</span><span class="v">%s</span>%s'
               '<span class="sub">us %s sy %s wa %s</span></div>'
               % (fmt_pct(record['cpu_busy_pct']), _bar(record['cpu_busy_pct'],
                                                        _level(record['cpu_busy_pct'], 80, 95), 'CPU busy'),
                  fmt_num(cpu.get('us')), fmt_num(cpu.get('sy')), fmt_num(cpu.get('wa'))))
    out.append('<div class="metric"><span class="k">iowait · busiest disk</span><span class="v">%s · %s %s</span>%s'
               '<span class="sub">r/s %s w/s %s wkB/s %s</span></div>'
               % (fmt_pct(record['iowait_pct']), _e(disk.get('name')), fmt_pct(disk.get('util_pct')),
                  _bar(disk.get('util_pct'), _level(disk.get('util_pct'), 70, 90), 'disk utilisation'),
                  fmt_num(disk.get('r_s')), fmt_num(disk.get('w_s')), fmt_num(disk.get('wkb_s'), 0)))
    out.append('</div>')

    top_cpu = record['top_cpu'][0] if record['top_cpu'] else None
    top_mem = record['top_memory'][0] if record['top_memory'] else None
    top_io = record['top_io'][0] if record['top_io'] else None
    out.append('<dl class="hogs">')
    out.append('<dt>top CPU</dt><dd class="hog-cpu">%s</dd>' % (
        '<b>%s</b> pid %s · %s %%' % (_e(top_cpu['command']), _e(top_cpu['pid']), fmt_num(top_cpu['cpu_pct']))
        if top_cpu else NA))
    out.append('<dt>top memory</dt><dd class="hog-mem">%s</dd>' % (
        '<b>%s</b> pid %s · %s' % (_e(top_mem['command']), _e(top_mem['pid']),
                                   human_bytes((top_mem['rss_kb'] or 0) * 1024.0)) if top_mem else NA))
    out.append('<dt>top I/O</dt><dd class="hog-io">%s</dd>' % (
        '<b>%s</b> pid %s · %s/s' % (_e(top_io['command']), _e(top_io['pid']), human_bytes(_io_rate(top_io)))
        if top_io else NA))
    out.append('</dl>')

    if record['filesystems']:
        out.append('<div class="fs">')
        for mount in record['filesystems'][:4]:
            out.append('<div class="fsrow"><span class="mp" title="%s on %s (%s)">%s</span>%s<span class="pct">%s</span>'
                       '<span class="sz">%s / %s</span></div>'
                       % (_e(mount['mount_point']), _e(mount['device']), _e(mount['fstype']), _e(mount['mount_point']),
                          _bar(mount['use_pct'], _level(mount['use_pct'], 80, 90), 'use'),
                          fmt_pct(mount['use_pct']), human_bytes(mount['used']), human_bytes(mount['size'])))
        out.append('</div>')

    namespaces = record['namespaces']
    containers = record['containers']
    out.append('<details><summary>details: processes, filesystems, I/O, %s namespace(s), %s container(s)</summary>'
               % (_e(namespaces['count']) if namespaces else NA, _e(containers['count']) if containers else NA))
    out.append('<div class="tables">')
    out.append(_table('top CPU', record['top_cpu'], CPU_LABELS, _cpu_cells))
    out.append(_table('top memory', record['top_memory'], CPU_LABELS, _cpu_cells))
    out.append(_table('top I/O', record['top_io'][:3], IO_LABELS, _io_cells))
    out.append(_table('filesystems', record['filesystems'], FS_LABELS, _fs_cells))
    if namespaces is not None:
        out.append(_table('non-default namespaces (%d; %s)' % (
            namespaces['count'], ', '.join('%s %d' % item for item in sorted(namespaces['by_type'].items())) or 'none'),
            namespaces['entries'], NS_LABELS, _ns_cells))
    if containers is not None:
        out.append(_table('containers (%d)' % containers['count'], containers['entries'], CONTAINER_LABELS,
                          _container_cells))
    if record['findings']:
        out.append('<section class="tbl"><h4>I/O findings</h4><ul>%s</ul></section>'
                   % ''.join('<li>%s</li>' % _e(f) for f in record['findings']))
    tasks = record['tasks'] or {}
    out.append('<p class="muted">tasks %s total, %s running, %s zombie, %s in D · collected %s · interval %s s</p>'
               % (fmt_num(tasks.get('total'), 0), fmt_num(tasks.get('running'), 0), fmt_num(tasks.get('zombie'), 0),
                  fmt_num(tasks.get('uninterruptible'), 0), _e(record['collected_at']), fmt_num(record['interval'])))
    out.append('</div></details></article>')
    return ''.join(out)


CSS = """
:root{--bg:#f4f6f9;--card:#fff;--ink:#1d2430;--mute:#6b7585;--line:#e2e6ec;--crit:#d63b3b;--warn:#e39a18;
--info:#3b7dd6;--good:#2f9e61;--na:#c3c9d2}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--ink)}
header.top{background:#1d2430;color:#fff;padding:14px 24px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
header.top h1{margin:0;font-size:20px}header.top .muted{color:#aab3c2}
main{padding:16px 24px;max-width:1500px;margin:0 auto}
.muted{color:var(--mute)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(270px,1fr));gap:12px;margin-bottom:16px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:8px}
.tile{border-radius:6px;padding:6px 8px;background:#f7f8fa}.tile b{display:block;font-size:22px}
.tile.crit b{color:var(--crit)}.tile.warn b{color:var(--warn)}.tile.info b{color:var(--info)}.tile.good b{color:var(--good)}
.donutbox{display:flex;gap:12px;align-items:center}.legend{list-style:none;margin:0;padding:0}
.legend li::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;
background:currentColor}.legend .critical{color:var(--crit)}.legend .warning{color:var(--warn)}
.legend .info{color:var(--info)}.legend .ok{color:var(--good)}.legend span{color:var(--ink)}
svg .ring{stroke:#eef0f3}svg .s-critical{stroke:var(--crit)}svg .s-warning{stroke:var(--warn)}
svg .s-info{stroke:var(--info)}svg .s-ok{stroke:var(--good)}
.donut-total{font-size:9px;text-anchor:middle;font-weight:700;fill:var(--ink)}
.donut-label{font-size:4px;text-anchor:middle;fill:var(--mute)}
figure.chart{margin:0}figure.chart figcaption{font-weight:600;margin-bottom:4px}
svg .tick,svg .val{font-size:9px;text-anchor:middle;fill:var(--mute)}svg .lbl{font-size:10px;fill:var(--ink)}
svg .bar-good{fill:var(--good)}svg .bar-warn{fill:var(--warn)}svg .bar-crit{fill:var(--crit)}svg .bar-info{fill:var(--info)}
.toolbar{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:8px 0 12px}
.toolbar input[type=search]{padding:6px 10px;border:1px solid var(--line);border-radius:6px;min-width:280px}
.toolbar select,.toolbar button{padding:5px 10px;border:1px solid var(--line);border-radius:6px;background:#fff}
.hosts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px}
.host{min-width:0;background:var(--card);border:1px solid var(--line);border-left:6px solid var(--good);border-radius:8px;
padding:10px 12px;content-visibility:auto;contain-intrinsic-size:auto 420px}
.host.sev-critical{border-left-color:var(--crit)}.host.sev-warning{border-left-color:var(--warn)}
.host.sev-info{border-left-color:var(--info)}
.host.state-unreachable,.host.state-failed,.host.state-no_facts{background:#fff6f6}
.host header{display:flex;align-items:center;gap:8px}.host h3{margin:0;font-size:16px;flex:1;word-break:break-all}
.badge{font-size:11px;font-weight:700;padding:2px 6px;border-radius:4px;color:#fff;background:var(--good)}
.badge.critical{background:var(--crit)}.badge.warning{background:var(--warn)}.badge.info{background:var(--info)}
.state{font-weight:700;color:var(--crit);font-size:12px}
.counts b{display:inline-block;min-width:20px;text-align:center;border-radius:10px;font-size:11px;color:#fff;padding:1px 5px}
.c-critical{background:var(--crit)}.c-warning{background:var(--warn)}.c-info{background:var(--info)}
ul.alerts{margin:6px 0;padding-left:18px}ul.alerts li{margin:1px 0;overflow-wrap:anywhere}ul.alerts li.critical{color:var(--crit)}
ul.alerts li.warning{color:#9a6200}ul.alerts li.info{color:var(--info)}
ul.alerts i{font-style:normal;font-size:11px;background:#eef0f3;color:var(--mute);padding:0 4px;border-radius:3px}
.metrics{display:grid;grid-template-columns:1fr 1fr;gap:6px 14px;margin:8px 0}
.metric{display:grid;grid-template-columns:1fr auto;align-items:baseline}
.metric .k{color:var(--mute);font-size:12px}.metric .v{font-weight:600}.metric .bar{grid-column:1/3}
.metric .sub{grid-column:1/3;color:var(--mute);font-size:11px}
.bar{display:block;height:8px;background:#eef0f3;border-radius:4px;overflow:hidden}
.fill{display:block;height:100%}.fill.good{background:var(--good)}.fill.warn{background:var(--warn)}
.fill.crit{background:var(--crit)}.fill.na{background:var(--na)}
dl.hogs{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:6px 0}dl.hogs dt{color:var(--mute);font-size:12px}
dl.hogs dd{margin:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.fs{margin:6px 0}.fsrow{display:grid;grid-template-columns:130px 1fr 48px 110px;gap:8px;align-items:center;font-size:12px}
.fsrow .mp{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.fsrow .pct{text-align:right}
.fsrow .sz{color:var(--mute)}
details summary{cursor:pointer;color:var(--info);margin-top:4px}
.tables{overflow-x:auto}.tbl h4{margin:8px 0 2px;font-size:12px;color:var(--mute);text-transform:uppercase}
table{border-collapse:collapse;width:100%;font:12px/1.3 ui-monospace,SFMono-Regular,Menlo,monospace}
th{text-align:left;color:var(--mute);font-weight:600;border-bottom:1px solid var(--line)}
td{padding:1px 6px 1px 0;white-space:nowrap}td.args{max-width:320px;overflow:hidden;text-overflow:ellipsis}
nav.pager{display:flex;gap:6px;align-items:center;justify-content:center;margin:14px 0}
nav.pager button{padding:4px 10px;border:1px solid var(--line);border-radius:6px;background:#fff;cursor:pointer}
nav.pager button:disabled{opacity:.4;cursor:default}
footer{color:var(--mute);font-size:12px;padding:12px 24px 24px;text-align:center}
"""

# Pagination and filtering in plain JavaScript. The server renders every card; the first page is in the
# document, all cards also travel as strings in an inert JSON block, and only one page is ever in the DOM,
# so 5,000 hosts stay as quick to use as 50.
JS = """
(function(){
'use strict';
var data=null,box=document.getElementById('hosts'),q=document.getElementById('q'),sev=document.getElementById('sev');
var size=document.getElementById('pagesize'),info=document.getElementById('pageinfo');
var prev=document.getElementById('prev'),next=document.getElementById('next'),page=0,matching=null;
function load(){
  if(!data){data=JSON.parse(document.getElementById('fleet-data').textContent);}
  if(!matching){matching=data.index.map(function(_,i){return i;});}
}
function filter(){
  load();
  var text=q.value.trim().toLowerCase(),want=sev.value;
  matching=[];
  for(var i=0;i<data.index.length;i++){
    var e=data.index[i];
    if(want&&want!==e[0]&&want!==e[1])continue;
    if(text&&e[2].indexOf(text)<0)continue;
    matching.push(i);
  }
  page=0;show(true);
}
function show(redraw){
  var total=matching?matching.length:parseInt(box.dataset.total,10);
  var per=parseInt(size.value,10)||50,pages=Math.max(1,Math.ceil(total/per));
  if(page>=pages)page=pages-1;
  var first=page*per,last=Math.min(first+per,total);
  if(redraw){
    load();
    var html=[];
    for(var i=first;i<last;i++){html.push(data.cards[matching[i]]);}
    box.innerHTML=html.join('');
  }
  info.textContent=total?('hosts '+(first+1)+'-'+last+' of '+total+' (page '+(page+1)+' of '+pages+')'):'no host matches';
  prev.disabled=page===0;next.disabled=page>=pages-1;
}
function go(delta){page+=delta;show(true);box.scrollIntoView();}
q.addEventListener('input',filter);sev.addEventListener('change',filter);
size.addEventListener('change',function(){page=0;show(true);});
prev.addEventListener('click',function(){go(-1);});next.addEventListener('click',function(){go(1);});
document.getElementById('expand').addEventListener('click',function(){
  var open=this.dataset.open!=='1';this.dataset.open=open?'1':'0';this.textContent=open?'collapse all':'expand all';
  box.querySelectorAll('details').forEach(function(d){d.open=open;});
});
show(false);
// Parse the cards once the first page is on screen, so the first click does not wait for it.
setTimeout(function(){load();document.body.dataset.ready='1';},0);
})();
"""


def _summary_html(report):
    summary = report['summary']
    sev = summary['by_severity']
    state = summary['by_state']
    out = ['<section class="summary" id="summary">']
    out.append('<div class="panel"><div class="tiles">')
    for label, value, css in (('hosts', summary['hosts'], ''), ('reporting', state.get('ok', 0), 'good'),
                              ('unreachable', state.get('unreachable', 0), 'crit' if state.get('unreachable') else ''),
                              ('failed', state.get('failed', 0), 'crit' if state.get('failed') else ''),
                              ('critical', sev.get('critical', 0), 'crit'), ('warning', sev.get('warning', 0), 'warn'),
                              ('no facts', state.get('no_facts', 0), 'warn' if state.get('no_facts') else ''),
                              ('namespaces', summary['non_default_namespaces'], 'info'),
                              ('containers', summary['containers'], 'info')):
        out.append('<div class="tile %s" data-tile="%s"><b>%d</b>%s</div>' % (css, _e(label), value, _e(label)))
    out.append('</div></div>')
    parts = [(name, sev.get(name, 0), 's-' + name) for name in SEVERITIES]
    out.append('<div class="panel"><figure class="chart"><figcaption>hosts by severity</figcaption>'
               '<div class="donutbox">%s<ul class="legend">%s</ul></div></figure></div>'
               % (_donut(parts, label='hosts by severity'),
                  ''.join('<li class="%s"><span>%s %d</span></li>' % (part[0], part[0], part[1]) for part in parts)))
    for title, key, buckets, colours in SUMMARY_HISTOGRAMS:
        out.append('<div class="panel">%s</div>' % _hist_chart(title, summary[key], buckets, colours))
    alerts_chart = _hbar_chart('alerts by subset', list(summary['alerts_by_subset'].items())[:8])
    commands_chart = _hbar_chart('top CPU process, by hosts', summary['top_cpu_commands'], 'bar-info')
    out.append('<div class="panel">%s</div><div class="panel">%s</div>' % (alerts_chart, commands_chart))
    out.append('</section>')
    return ''.join(out)


def render_html(report, page_size=50):
    """One self-contained page: inline CSS, inline SVG, a little plain JavaScript, nothing fetched."""
    if page_size < 1:
        raise FleetReportError('page_size must be 1 or more, got %r' % page_size)
    sizes = sorted(set([page_size, 25, 50, 100, 250]))
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
           'script-src \'unsafe-inline\'; img-src data:">'
           '<title>%s</title><style>%s</style><noscript><style>nav.pager,.toolbar{display:none}</style></noscript>'
           '</head><body>' % (_e(report['title']), CSS)]
    out.append('<header class="top"><h1>%s</h1><span class="muted">%d hosts · generated %s · hostops.fleet</span></header>'
               % (_e(report['title']), report['summary']['hosts'], _e(report['generated_at'])))
    out.append('<main>')
    out.append(_summary_html(report))
    out.append('<div class="toolbar"><input type="search" id="q" placeholder="filter: host, alert, process" '
               'aria-label="filter hosts"><select id="sev" aria-label="severity">'
               '<option value="">every host</option><option value="critical">critical</option>'
               '<option value="warning">warning</option><option value="info">info</option><option value="ok">ok</option>'
               '<option value="unreachable">unreachable</option><option value="failed">failed</option></select>'
               '<select id="pagesize" aria-label="hosts per page">%s</select>'
               '<button id="expand" type="button">expand all</button><span id="pageinfo" class="muted"></span></div>'
               % ''.join('<option value="%d"%s>%d per page</option>' % (s, ' selected' if s == page_size else '', s)
                         for s in sizes))
    cards = [host_card(record) for record in report['hosts']]
    out.append('<section class="hosts" id="hosts" data-total="%d">%s</section>'
               % (len(cards), ''.join(cards[:page_size])))
    if len(cards) > page_size:
        out.append('<noscript><p class="muted">%d more hosts: see the JSON and CSV files next to this page.</p>'
                   '</noscript>' % (len(cards) - page_size))
    out.append('<nav class="pager"><button id="prev" type="button">&larr; previous</button>'
               '<button id="next" type="button">next &rarr;</button></nav></main>')
    # Inert data for the pager: '</' is written '<\\/' so that no card can end the script element.
    payload = json.dumps({'cards': cards, 'index': [[r['severity'], r['state'], search_text(r)]
                                                    for r in report['hosts']]}, separators=(',', ':'))
    out.append('<script type="application/json" id="fleet-data">%s</script>' % payload.replace('</', '<\\/'))
    out.append('<footer>limits: %s · thresholds of the hostfacts module apply to its own alerts</footer>'
               % _e(', '.join('%s %g' % item for item in sorted(report['limits'].items()))))
    out.append('<script>%s</script></body></html>\n' % JS)
    return ''.join(out)
